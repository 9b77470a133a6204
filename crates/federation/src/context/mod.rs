//! The one context every federation handler and action receives: the database, the settings,
//! the HTTP client, the key caches and the delivery queue's wake-up signal.

use std::sync::Arc;

use kith_storage::{Actor, Database};
use moka::future::Cache;
use tokio::sync::Notify;

mod addresses;
pub mod background;
pub mod client;
mod counters;
pub(crate) mod inbound_queue;
mod settings;

pub use counters::Counters;
pub use settings::{FederationSettings, MailSettings, Security};

use crate::ratelimit::InboxLimiter;
use crate::signatures::{self, Reason, Scheme, SigningKey, VerifyingKey};
use crate::urls::Urls;
use crate::{FederationError, Result};

/// Shared state: cheap to clone, passed to handlers as the federation library's data.
#[derive(Clone, Debug)]
pub struct Context {
    /// The database.
    pub db: Database,
    pub(crate) settings: Arc<FederationSettings>,
    urls: Urls,
    pub(crate) client: reqwest::Client,
    pub(crate) guard: client::Guard,
    shared: Arc<Shared>,
}

/// Parsed keys are cached: parsing a PEM key costs more than verifying with it.
struct Shared {
    /// By key id: the owner and its `updated_at` when the key was read (a re-stored owner's
    /// keys are read again), and the key.
    public_keys: Cache<String, (String, i64, Arc<VerifyingKey>)>,
    /// Key ids that failed to resolve lately, with the failure (`crate::outbound::fetch`).
    failed_keys: Cache<String, crate::signatures::KeyFailure>,
    /// The signature scheme each host is sent, as read from the database (`crate::outbound::knock`).
    schemes: Cache<String, Scheme>,
    signing_keys: Cache<String, Arc<SigningKey>>,
    delivery_wakeup: Notify,
    ingress: inbound_queue::Ingress,
    counters: Counters,
    limiter: InboxLimiter,
    /// Hosts that answered this process in the last minute: neither dead nor failing, so
    /// delivering to them or hearing from them needs no database look-up of their health.
    healthy_hosts: Cache<String, ()>,
    signer: crate::context::background::Signer,
    /// What each remote host runs, as far as this process knows (`software`).
    software: crate::protocol::dialect::SoftwareCopy,
    /// Wakes the task that looks up hosts' software.
    lookup_wakeup: Notify,
    /// Hosts that asked (with `Retry-After`) not to be sent anything before a time: until then
    /// their deliveries wait without a request.
    paused_hosts: Cache<String, i64>,
    /// Wakes the mail worker (`crate::outbound::smtp`).
    mail_wakeup: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Context {
    /// Builds the context from an open database and the settings.
    pub fn new(db: Database, settings: FederationSettings) -> crate::Result<Self> {
        let urls = Urls::new(&settings.domain, settings.dev)?;
        let guard = client::Guard::new(settings.dev, settings.allowed_private_addresses.clone());
        let client = client::build(&guard, &settings.domain)?;
        let limiter = InboxLimiter::new(&settings.limits);
        Ok(Context {
            db,
            settings: Arc::new(settings),
            urls,
            client,
            guard,
            shared: Arc::new(Shared {
                public_keys: Cache::new(10_000),
                failed_keys: Cache::builder()
                    .max_capacity(10_000)
                    .time_to_live(crate::signatures::FAILED_KEY_TTL)
                    .build(),
                schemes: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(std::time::Duration::from_secs(300))
                    .build(),
                signing_keys: Cache::new(10_000),
                delivery_wakeup: Notify::new(),
                ingress: inbound_queue::Ingress::default(),
                counters: Counters::default(),
                limiter,
                healthy_hosts: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(std::time::Duration::from_secs(60))
                    .build(),
                signer: crate::context::background::Signer::default(),
                software: crate::protocol::dialect::new_copy(),
                lookup_wakeup: Notify::new(),
                paused_hosts: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(std::time::Duration::from_secs(6 * 60 * 60))
                    .build(),
                mail_wakeup: Notify::new(),
            }),
        })
    }

    /// Whether `host` answered this process within the last minute.
    pub fn host_recently_healthy(&self, host: &str) -> bool {
        self.shared.healthy_hosts.contains_key(host)
    }

    /// Notes that `host` answered (a delivery succeeded, or it sent an activity): the database
    /// is told at most once a minute per host, unless it failed in between.
    pub async fn host_answered(&self, host: &str) -> kith_storage::Result<()> {
        if !self.host_recently_healthy(host) {
            self.db.record_host_success(host).await?;
            self.shared.healthy_hosts.insert(host.to_owned(), ()).await;
        }
        Ok(())
    }

    /// Notes that a delivery to `host` failed: its health is read from the database again.
    pub async fn host_failed(&self, host: &str) {
        self.shared.healthy_hosts.invalidate(host).await;
    }

    /// The settings.
    pub fn settings(&self) -> &FederationSettings {
        &self.settings
    }

    /// The URLs of this instance's actors and objects.
    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// Where outgoing requests may go.
    pub fn guard(&self) -> &client::Guard {
        &self.guard
    }

    /// The HTTP client for other servers.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The inbox rate limiters.
    pub fn limiter(&self) -> &InboxLimiter {
        &self.shared.limiter
    }

    /// What the inbox and delivery did since start.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// The low-priority threads deliveries are signed on.
    pub fn signer(&self) -> &crate::context::background::Signer {
        &self.shared.signer
    }

    /// The inbound queue's batch and the inbox worker's wake-up.
    pub(crate) fn ingress(&self) -> &inbound_queue::Ingress {
        &self.shared.ingress
    }

    /// Whether this instance sends email.
    pub fn mail_on(&self) -> bool {
        self.settings.mail.is_some()
    }

    /// Wakes the mail worker: a message was queued.
    pub fn wake_mail(&self) {
        self.shared.mail_wakeup.notify_one();
    }

    /// Waits until [`Context::wake_mail`] is called.
    pub async fn mail_woken(&self) {
        self.shared.mail_wakeup.notified().await;
    }

    /// Wakes the delivery worker: something was queued that should go out at once.
    pub fn wake_delivery(&self) {
        self.shared.delivery_wakeup.notify_one();
    }

    /// Waits until [`Context::wake_delivery`] is called.
    pub async fn delivery_woken(&self) {
        self.shared.delivery_wakeup.notified().await;
    }

    /// This process's copy of hosts' software.
    pub(crate) fn software_copy(&self) -> &crate::protocol::dialect::SoftwareCopy {
        &self.shared.software
    }

    /// Wakes the task that looks up hosts' software: a host was noted.
    pub fn wake_lookups(&self) {
        self.shared.lookup_wakeup.notify_one();
    }

    /// Waits until [`Context::wake_lookups`] is called.
    pub async fn lookups_woken(&self) {
        self.shared.lookup_wakeup.notified().await;
    }

    /// Until when `host` asked not to be sent anything (milliseconds), if it did.
    pub async fn host_paused_until(&self, host: &str) -> Option<i64> {
        self.shared
            .paused_hosts
            .get(host)
            .await
            .filter(|until| *until > kith_storage::now_millis())
    }

    /// Notes that `host` asked not to be sent anything before `until` (milliseconds).
    pub async fn pause_host(&self, host: &str, until: i64) {
        let later = self
            .host_paused_until(host)
            .await
            .map_or(until, |known| known.max(until));
        self.shared
            .paused_hosts
            .insert(host.to_owned(), later)
            .await;
    }

    /// The signing key of a local actor, parsed once.
    pub async fn signing_key(&self, actor: &Actor) -> Result<Arc<SigningKey>> {
        if let Some(key) = self.shared.signing_keys.get(&actor.id).await {
            return Ok(key);
        }
        let pem = actor
            .private_key_pem
            .as_deref()
            .ok_or_else(|| FederationError::Key(format!("{} has no private key", actor.id)))?;
        let key = Arc::new(SigningKey::from_pem(&actor.key_id, pem)?);
        self.shared
            .signing_keys
            .insert(actor.id.clone(), key.clone())
            .await;
        Ok(key)
    }

    /// The signing key of a local actor known by id.
    pub async fn signing_key_of(&self, actor_id: &str) -> Result<Arc<SigningKey>> {
        if let Some(key) = self.shared.signing_keys.get(actor_id).await {
            return Ok(key);
        }
        let actor = self.db.actor(actor_id).await?;
        self.signing_key(&actor).await
    }

    /// The key `key_id` of `actor`, parsed once (and again after the actor was stored anew:
    /// a rotated key).
    pub async fn verifying_key(
        &self,
        actor: &Actor,
        key_id: &str,
    ) -> std::result::Result<Arc<VerifyingKey>, signatures::Refusal> {
        if let Some((owner, version, key)) = self.shared.public_keys.get(key_id).await
            && owner == actor.id
            && version == actor.updated_at
        {
            return Ok(key);
        }
        let stored = self.db.actor_key(key_id).await.map_err(|e| match e {
            kith_storage::StorageError::NotFound => {
                signatures::Refusal::new(Reason::KeyNotFound, format!("{key_id} is not stored"))
            }
            other => signatures::Refusal::with_error(Reason::Internal, other.into()),
        })?;
        if stored.actor_id != actor.id {
            return Err(signatures::Refusal::new(
                Reason::KeyNotPublished,
                format!("{} does not publish {key_id}", actor.id),
            ));
        }
        let key = Arc::new(VerifyingKey::from_published(&stored.public_key)?);
        self.shared
            .public_keys
            .insert(
                key_id.to_owned(),
                (actor.id.clone(), actor.updated_at, key.clone()),
            )
            .await;
        Ok(key)
    }

    /// Key ids that failed to resolve lately (the negative cache of `crate::outbound::fetch`).
    pub(crate) fn failed_keys(&self) -> &Cache<String, crate::signatures::KeyFailure> {
        &self.shared.failed_keys
    }

    /// The signature scheme of each host, as last read or learnt (`crate::outbound::knock`).
    pub(crate) fn schemes(&self) -> &Cache<String, Scheme> {
        &self.shared.schemes
    }
}

impl Context {
    /// This context for tasks on the [`runtime`]: the same caches, counters and queues, with
    /// an HTTP client and (on PostgreSQL) database connections of its own, so that requests
    /// never wait on connections the background runtime drives.
    pub fn for_background(&self, max_connections: u32) -> Result<Context> {
        let mut ctx = self.clone();
        ctx.db = self
            .db
            .for_other_runtime(max_connections)
            .for_background_work();
        ctx.client = crate::context::client::build(&self.guard, &self.settings.domain)?;
        Ok(ctx)
    }
}
