//! Kith instances inside the test process, each on its own `127.0.0.1:0` port with its own
//! database, in development mode (plain http, loopback peers), delivering with short delays.

use std::time::Duration;

use kith_federation::{
    Context, FederationSettings, Limits,
    actions::{accounts, groups},
    outbound::delivery::DeliverySettings,
    outbound::instance_actor::ensure_instance_actor,
};
use kith_storage::{Account, Actor, JoinPolicy, testing::TestDatabase};
use kith_web::{AppState, WebSettings};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A running in-process instance.
pub struct Instance {
    pub ctx: Context,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub label: &'static str,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _db: TestDatabase,
    /// The media folder (pictures).
    pub media: tempfile::TempDir,
}

/// Delivery paced for tests: retries after 100 ms instead of 30 s.
pub fn fast_delivery() -> DeliverySettings {
    DeliverySettings {
        poll: Duration::from_millis(50),
        first_retry: Duration::from_millis(100),
        ..DeliverySettings::default()
    }
}

impl Instance {
    /// An instance on a fresh SQLite database.
    pub async fn start() -> Instance {
        Instance::start_on(kith_storage::testing::sqlite().await).await
    }

    /// An instance on the given database.
    pub async fn start_on(test_db: TestDatabase) -> Instance {
        Instance::start_configured(test_db, Limits::default(), |_| {}).await
    }

    /// An instance on the given database with these limits.
    pub async fn start_with_limits(test_db: TestDatabase, limits: Limits) -> Instance {
        Instance::start_configured(test_db, limits, |_| {}).await
    }

    /// An instance on a fresh SQLite database, with its web settings changed by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut WebSettings)) -> Instance {
        Instance::start_configured(
            kith_storage::testing::sqlite().await,
            Limits::default(),
            configure,
        )
        .await
    }

    async fn start_configured(
        test_db: TestDatabase,
        limits: Limits,
        configure: impl FnOnce(&mut WebSettings),
    ) -> Instance {
        Instance::start_full(test_db, limits, configure, None).await
    }

    /// An instance that sends mail through `mail` (tests/integration/mail.rs).
    pub async fn start_with_mail(
        test_db: TestDatabase,
        mail: kith_federation::actions::mail::MailSettings,
    ) -> Instance {
        Instance::start_full(test_db, Limits::default(), |_| {}, Some(mail)).await
    }

    async fn start_full(
        test_db: TestDatabase,
        limits: Limits,
        configure: impl FnOnce(&mut WebSettings),
        mail: Option<kith_federation::actions::mail::MailSettings>,
    ) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let domain = listener.local_addr().unwrap().to_string();
        let mut settings = FederationSettings::new(domain.clone(), true);
        settings.limits = limits;
        settings.mail = mail;
        let media = tempfile::tempdir().unwrap();
        settings.media_dir = Some(media.path().to_path_buf());
        let ctx = Context::new(test_db.db.clone(), settings).unwrap();
        ensure_instance_actor(&ctx).await.unwrap();
        let mut web = WebSettings::new(format!("Kith test {domain}"));
        configure(&mut web);
        let state = AppState::new(ctx.clone(), web);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            kith_web::run(listener, state, fast_delivery(), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Instance {
            ctx,
            base: format!("http://{domain}"),
            label: test_db.label,
            stop: Some(stop),
            task: Some(task),
            _db: test_db,
            media,
        }
    }

    /// The host and port, as in handles.
    pub fn domain(&self) -> &str {
        self.ctx.urls().domain()
    }

    /// A local account.
    pub async fn person(&self, name: &str) -> Account {
        accounts::create_account(&self.ctx, name, "correct horse", false)
            .await
            .unwrap()
    }

    /// A local person's actor.
    pub async fn actor(&self, name: &str) -> Actor {
        self.ctx.db.local_actor_by_username(name).await.unwrap()
    }

    /// A local group owned by `owner`.
    pub async fn group(&self, name: &str, owner: &str, join_policy: JoinPolicy) -> Actor {
        let new = groups::NewGroup {
            name: name.into(),
            owner: owner.into(),
            title: Some(format!("The {name}")),
            summary: Some("We meet on Saturdays.".into()),
            join_policy,
            visibility: kith_storage::GroupVisibility::Public,
        };
        groups::create_group(&self.ctx, &new).await.unwrap()
    }

    /// Waits until the inbox worker has applied everything queued: a test that sends a
    /// content activity (which the inbox answers 202 and queues) looks at the result after this.
    pub async fn settled(&self) {
        eventually("the inbound queue to empty", || async {
            (self.ctx.db.inbound_backlog().await.unwrap() == 0).then_some(())
        })
        .await;
    }

    /// `@name@host`.
    pub fn handle(&self, name: &str) -> String {
        format!("@{name}@{}", self.domain())
    }

    /// Stops the server and its delivery worker.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// Polls `check` until it yields a value, for at most ten seconds.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// GETs a URL as a server would (`Accept: application/activity+json`).
pub async fn get_activity_json(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}
