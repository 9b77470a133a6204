//! Hostile HTML from other servers: a post or an event nested tens of thousands of levels deep,
//! sent through the real inbox, is kept flattened, and while the group's feeds are read over
//! and over `/healthz` keeps answering and other senders' posts are applied; rows an older
//! Kith stored with the nesting are read as cheaply; an activity that takes too long to apply
//! is set aside so the others go on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kith_federation::sanitize::MAX_DEPTH;
use kith_federation::{Limits, jobs::legacy_html};
use kith_storage::{
    EventFields, EventStatus, JoinMode, JoinPolicy, NewObject, ObjectKind, RsvpStyle, testing,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::event_fixtures::{actor_for, follow_accepted, key};
use crate::instance::{Instance, eventually};
use crate::mastodon::{follow, mastodon, post_mentioning};
use crate::peer::Peer;

/// `levels` levels of `<blockquote><ul><li>`, each with a letter, and a word at the deepest:
/// at 20,000 levels the 879 KiB post of the report.
fn nested(levels: usize) -> String {
    format!(
        "{}deepest{}",
        "<blockquote><ul><li>x".repeat(levels),
        "</li></ul></blockquote>".repeat(levels)
    )
}

/// Feeds read over and over by four clients, and `/healthz` asked every 50 ms meanwhile.
struct Load {
    stop: Arc<AtomicBool>,
    readers: Vec<JoinHandle<()>>,
    probe: JoinHandle<Vec<Duration>>,
}

impl Load {
    fn start(base: &str, feeds: &[String]) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let readers = (0..4)
            .map(|n| {
                let (stop, url) = (stop.clone(), feeds[n % feeds.len()].clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    while !stop.load(Ordering::Relaxed) {
                        let response = client.get(&url).send().await.unwrap();
                        assert_eq!(response.status(), 200, "{url}");
                        response.bytes().await.unwrap();
                    }
                })
            })
            .collect();
        let (health, stopped) = (format!("{base}/healthz"), stop.clone());
        let probe = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let response = client.get(&health).send().await.unwrap();
                assert_eq!(response.status(), 200);
                answers.push(asked.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        });
        Load {
            stop,
            readers,
            probe,
        }
    }

    /// Stops the clients; `/healthz` must have answered within 100 ms. Not every answer: a
    /// loaded machine may hold a thread for a moment; without the bounds each feed request
    /// took seconds, and so did `/healthz` behind them.
    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for reader in self.readers {
            reader.await.unwrap();
        }
        let mut answers = self.probe.await.unwrap();
        answers.sort();
        assert!(answers.len() >= 10, "{} health checks", answers.len());
        let median = answers[answers.len() / 2];
        let worst = answers[answers.len() - 1];
        eprintln!(
            "/healthz: {} answers, median {median:?}, slowest {worst:?}",
            answers.len()
        );
        assert!(
            median < Duration::from_millis(100),
            "/healthz answered in {median:?} (median)"
        );
        assert!(
            worst < Duration::from_secs(3),
            "/healthz answered in {worst:?} once"
        );
    }
}

/// The stored object, once there (for at most thirty seconds: generous for a loaded CI
/// machine; before the bounds, the other senders waited minutes).
async fn stored(kith: &Instance, what: &str, id: &str) -> kith_storage::StoredObject {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(object) = kith.ctx.db.object(id).await {
            return object;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn counted(kith: &Instance) -> u64 {
    kith.ctx.counters().html_flattened.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_nested_20000_deep_leaves_the_server_answering() {
    for db in testing::all().await {
        let kith = Instance::start_on(db).await;
        kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let inbox = format!("{}/inbox", kith.base);
        let (hostile, mallory) = mastodon().await;
        let (friendly, felix) = mastodon().await;
        for (peer, actor) in [(&hostile, &mallory), (&friendly, &felix)] {
            let joins = follow(peer, actor, &group.id);
            assert_eq!(peer.send(key(actor), &group.inbox_url, &joins).await, 202);
        }
        let handle = kith.handle("runners");
        let mut attack = post_mentioning(&hostile, &mallory, &group.id, &handle, 1);
        attack["object"]["content"] = json!(nested(20_000));
        let attack_id = attack["object"]["id"].as_str().unwrap().to_owned();
        let atom = format!("{}/g/runners/feed.atom", kith.base);
        let load = Load::start(
            &kith.base,
            &[atom.clone(), format!("{}/g/runners/events.ics", kith.base)],
        );
        assert_eq!(hostile.send(key(&mallory), &inbox, &attack).await, 202);
        // Sent once the worker has taken the attack, so they come in a later batch.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = Instant::now();
        let posts: Vec<Value> = (2..=4)
            .map(|n| post_mentioning(&friendly, &felix, &group.id, &handle, n))
            .collect();
        for post in &posts {
            assert_eq!(friendly.send(key(&felix), &inbox, post).await, 202);
        }
        for post in &posts {
            let id = post["object"]["id"].as_str().unwrap();
            stored(&kith, "another sender's post applied", id).await;
        }
        let waited = sent.elapsed();
        assert!(waited < Duration::from_secs(20), "others waited {waited:?}");

        // The attack is kept, flattened (its words kept), and counted.
        let kept = stored(&kith, "the nested post kept", &attack_id).await;
        let html = kept.content.unwrap();
        assert!(html.matches("<blockquote>").count() <= MAX_DEPTH);
        assert!(html.contains("deepest") && html.matches('x').count() >= 20_000);
        assert_eq!(counted(&kith), 1);
        // The feeds carry it now (once their cached copies expired); read a while longer.
        eventually("the nested post in the feed", || async {
            let feed = reqwest::get(&atom).await.unwrap().text().await.unwrap();
            feed.contains(&attack_id).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        load.stop().await;
        kith.stop().await;
    }
}

/// A future start time, as Mobilizon writes it.
fn next_week() -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nested_10000_deep_leaves_the_calendar_cheap() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let inbox = format!("{}/inbox", kith.base);
    let (_peer, felix) = mastodon().await;
    let mobilizon = Peer::start(&["https://test.mobilizon.org", "https://framapiaf.org"]).await;
    let mut create = mobilizon.fixture("mobilizon/create_event.json");
    let organiser = create["actor"].as_str().unwrap().to_owned();
    let alicia = actor_for(&mobilizon, &felix, &organiser, "Group");
    follow_accepted(&kith, &group.id, &alicia).await;
    create["object"]["startTime"] = json!(next_week());
    create["object"]["content"] = json!(nested(10_000));
    let event_id = create["object"]["id"].as_str().unwrap().to_owned();
    let calendar = format!("{}/events.ics", kith.base);
    let load = Load::start(&kith.base, std::slice::from_ref(&calendar));
    assert_eq!(mobilizon.send(key(&alicia), &inbox, &create).await, 202);
    let kept = stored(&kith, "the nested event kept", &event_id).await;
    assert!(kept.content.unwrap().matches("<blockquote>").count() <= MAX_DEPTH);
    assert_eq!(counted(&kith), 1);
    // Its description, in the calendar, ends with the deepest word (once the feed's cached
    // copy from before it came has expired).
    eventually("the event in the calendar", || async {
        let ics = reqwest::get(&calendar).await.unwrap().text().await.unwrap();
        let ics = ics.replace("\r\n ", "");
        let description = ics.lines().find(|l| l.starts_with("DESCRIPTION:"))?;
        description.trim_end().ends_with("xxdeepest").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    load.stop().await;
    kith.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_stored_before_the_bound_are_read_cheaply_and_bounded_once() {
    let kith = Instance::start().await;
    // At start, the server checks what is stored (nothing here).
    eventually("the check of stored HTML at start", || async {
        let done = kith.ctx.db.setting(legacy_html::SETTING).await.unwrap();
        (done.as_deref() == Some(legacy_html::DONE)).then_some(())
    })
    .await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (_peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap();
    kith_federation::outbound::fetch::resolve_actor(&kith.ctx, felix_id, false)
        .await
        .unwrap();
    // As an older Kith kept them: the sanitiser left the nesting in.
    let now = kith_storage::now_millis();
    let post_id = format!("{felix_id}/statuses/1");
    let post = NewObject {
        local: false,
        group_id: Some(group.id.clone()),
        content: Some(nested(20_000)),
        ..NewObject::local(&post_id, ObjectKind::Note, felix_id, "{}".into(), now)
    };
    kith.ctx.db.insert_object(&post).await.unwrap();
    let event_id = format!("{felix_id}/events/1");
    let event = NewObject {
        local: false,
        group_id: Some(group.id.clone()),
        name: Some("Deep".into()),
        content: Some(nested(10_000)),
        start_time: Some(now + 86_400_000),
        end_time: Some(now + 90_000_000),
        ..NewObject::local(&event_id, ObjectKind::Event, felix_id, "{}".into(), now)
    };
    let fields = EventFields {
        timezone: "UTC".into(),
        status: EventStatus::Confirmed,
        join_mode: JoinMode::Free,
        tags: "[]".into(),
        rsvp_style: RsvpStyle::Join,
        ..EventFields::default()
    };
    kith.ctx.db.insert_event(&event, &fields).await.unwrap();
    let feeds = [
        format!("{}/g/runners/feed.atom", kith.base),
        format!("{}/g/runners/events.ics", kith.base),
    ];
    // Before they are checked, the feeds read them in one pass, without parsing them (this
    // took minutes before: html5ever on each request).
    for url in &feeds {
        let started = Instant::now();
        let body = reqwest::get(url).await.unwrap().text().await.unwrap();
        let took = started.elapsed();
        eprintln!("{url} with a row stored unbounded: {took:?}");
        assert!(took < Duration::from_secs(5), "{url} took {took:?}");
        assert!(body.contains("xxxxxxxx"), "{url}");
    }
    // The check an upgraded server makes at start brings both rows within the bounds.
    kith.ctx
        .db
        .set_setting(legacy_html::SETTING, "")
        .await
        .unwrap();
    assert_eq!(legacy_html::check_stored(&kith.ctx).await.unwrap(), 2);
    for id in [&post_id, &event_id] {
        let html = kith.ctx.db.object(id).await.unwrap().content.unwrap();
        assert!(html.matches("<blockquote>").count() <= MAX_DEPTH);
        assert!(html.contains("xxdeepest"), "the text is kept");
    }
    assert_eq!(counted(&kith), 2);
    assert_eq!(
        legacy_html::check_stored(&kith.ctx).await.unwrap(),
        0,
        "once"
    );
    let load = Load::start(&kith.base, &feeds);
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.stop().await;
    kith.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activity_over_its_time_budget_is_set_aside() {
    let limits = Limits {
        apply_budget: Duration::from_secs(1),
        ..Limits::default()
    };
    let kith = Instance::start_with_limits(testing::sqlite().await, limits).await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let inbox = format!("{}/inbox", kith.base);
    let (slow, mallory) = mastodon().await;
    let (friendly, felix) = mastodon().await;
    for (peer, actor) in [(&slow, &mallory), (&friendly, &felix)] {
        let joins = follow(peer, actor, &group.id);
        assert_eq!(peer.send(key(actor), &group.inbox_url, &joins).await, 202);
    }
    // A server that takes connections and never answers: fetching the post from it waits
    // for the HTTP client's own timeout (15 s).
    let tarpit = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let held = format!("http://{}/notes/1", tarpit.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((connection, _)) = tarpit.accept().await {
            open.push(connection);
        }
    });
    let handle = kith.handle("runners");
    let mut create = post_mentioning(&slow, &mallory, &group.id, &handle, 1);
    create["object"] = json!(held);
    assert_eq!(slow.send(key(&mallory), &inbox, &create).await, 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    let post = post_mentioning(&friendly, &felix, &group.id, &handle, 2);
    assert_eq!(friendly.send(key(&felix), &inbox, &post).await, 202);
    let id = post["object"]["id"].as_str().unwrap();
    stored(&kith, "the other sender's post applied", id).await;
    let waited = sent.elapsed();
    assert!(
        waited < Duration::from_secs(20),
        "the other post waited {waited:?}"
    );
    let timed_out = &kith.ctx.counters().inbox_timed_out;
    assert_eq!(timed_out.load(Ordering::Relaxed), 1);
    kith.stop().await;
}
