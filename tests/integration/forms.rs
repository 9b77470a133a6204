//! Each server gets the forms it reads (issue 20): peers shaped as Mastodon, GoToSocial,
//! Lemmy 0.19 and 1.0 and NodeBB serve those servers' NodeInfo (`tests/fixtures/nodeinfo`);
//! Kith looks their software up and sends each the forms it reads, once, and a peer it cannot
//! tell (no NodeInfo) every form. The Lemmy peers refuse what Lemmy's inbox refuses
//! (`shapes.rs`), so "nothing refused" means Lemmy took everything.

use kith_federation::actions::By;
use kith_federation::actions::{events, group_safety, posts};
use kith_federation::outbound::software::Dialect;
use kith_storage::{Actor, JoinPolicy};
use serde_json::{Value, json};

use crate::events::draft;
use crate::instance::{Instance, eventually};
use crate::peer::{Peer, Received};
use crate::shapes::Shape;

/// A member on a peer: the peer and the member's actor document.
pub struct Member {
    pub peer: Peer,
    pub actor: Value,
}

impl Member {
    pub fn id(&self) -> &str {
        self.actor["id"].as_str().unwrap()
    }
}

/// The fixtures and original hosts of each kind of peer's member.
fn member_fixture(shape: Shape) -> (&'static str, &'static [&'static str]) {
    match shape {
        Shape::Mastodon | Shape::Unknown => (
            "mastodon/person.json",
            &["https://mastodon.madrid", "https://masto.asonix.dog"],
        ),
        Shape::GoToSocial => ("gotosocial/person.json", &["https://gts.example"]),
        Shape::Lemmy019 => (
            "lemmy/person.json",
            &[
                "http://ds9.lemmy.ml",
                "https://enterprise.lemmy.ml",
                "http://enterprise.lemmy.ml",
            ],
        ),
        Shape::Lemmy10 => ("lemmy/1.0/person.json", &["https://lemmy-one.example"]),
        Shape::NodeBB => ("nodebb/person.json", &["https://forum.example"]),
    }
}

/// Starts a peer of `shape` whose member joins `group` (and is accepted, unless the group
/// approves its members).
pub async fn join(group: &Actor, shape: Shape) -> Member {
    let (fixture, originals) = member_fixture(shape);
    let peer = Peer::start_as(originals, shape).await;
    let actor = peer.serve_actor(fixture);
    let key_id = actor["publicKey"]["id"].as_str().unwrap().to_owned();
    if !key_id.contains('#') {
        // GoToSocial's key has a URL of its own; served here as a key with its owner.
        peer.serve(&json!({"id": key_id, "owner": actor["id"], "publicKeyPem": peer.public_pem}));
    }
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1", actor["id"].as_str().unwrap()),
        "type": "Follow",
        "actor": actor["id"],
        "object": group.id,
        "to": [group.id],
    });
    assert_eq!(peer.send(&key_id, &group.inbox_url, &follow).await, 202);
    if !group.manually_approves_followers {
        peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
    }
    Member { peer, actor }
}

/// Waits until Kith has looked the peer's host up, and its copy in memory (which the lookup
/// updates just after the database) says so too; returns what it made of it.
pub async fn looked_up(kith: &Instance, peer: &Peer) -> Dialect {
    eventually("the peer's software looked up", || async {
        let rows = kith.ctx.db.host_software(&[peer.host()]).await.unwrap();
        let row = rows.first().filter(|r| r.checked_at.is_some())?;
        let stored = Dialect::of_software(row.software.as_deref().unwrap_or_default());
        let known = kith.ctx.dialect_of(&peer.host()).await.unwrap();
        (known == stored).then_some(known)
    })
    .await
}

/// Waits until every queued delivery was sent (or given up).
pub async fn all_sent(kith: &Instance) {
    eventually("the delivery queue to empty", || async {
        (kith.ctx.db.pending_deliveries().await.unwrap() == 0).then_some(())
    })
    .await;
}

/// The activities of `kind` a peer took.
pub fn of_type(peer: &Peer, kind: &str) -> Vec<Value> {
    peer.received()
        .into_iter()
        .map(|r: Received| r.body)
        .filter(|b| b["type"] == kind)
        .collect()
}

pub fn refusals(peer: &Peer) -> Vec<String> {
    peer.refused()
        .into_iter()
        .map(|r| format!("{}: {}", r.body["type"], r.reason))
        .collect()
}

#[tokio::test]
async fn each_server_gets_the_post_in_the_form_it_reads_and_an_unknown_one_both() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let mastodon = join(&group, Shape::Mastodon).await;
    let lemmy = join(&group, Shape::Lemmy019).await;
    let nodebb = join(&group, Shape::NodeBB).await;
    let unknown = join(&group, Shape::Unknown).await;
    assert_eq!(looked_up(&kith, &mastodon.peer).await, Dialect::Microblog);
    assert_eq!(looked_up(&kith, &lemmy.peer).await, Dialect::Lemmy);
    assert_eq!(looked_up(&kith, &nodebb.peer).await, Dialect::Groups);
    assert_eq!(looked_up(&kith, &unknown.peer).await, Dialect::Unknown);

    let olga = kith.actor("olga").await;
    let post = posts::post_to_group(&kith.ctx, &olga, &group, "Saturday run at nine?", None)
        .await
        .unwrap();
    all_sent(&kith).await;

    let boost = |b: &Value| b["object"] == post.id.as_str();
    let wrapped = |b: &Value| b["object"]["type"] == "Create";
    let announces = of_type(&mastodon.peer, "Announce");
    assert_eq!(
        announces.len(),
        1,
        "Mastodon: only the boost: {announces:?}"
    );
    assert!(announces.iter().all(&boost));

    let announces = of_type(&lemmy.peer, "Announce");
    assert_eq!(
        announces.len(),
        1,
        "Lemmy: only Announce{{Create}}: {announces:?}"
    );
    assert!(announces.iter().all(&wrapped));
    assert_eq!(announces[0]["object"]["object"]["type"], "Page");
    assert_eq!(
        announces[0]["object"]["object"]["name"],
        "Saturday run at nine?"
    );
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());

    let announces = of_type(&nodebb.peer, "Announce");
    assert_eq!(
        announces.len(),
        1,
        "NodeBB: only Announce{{Create}}: {announces:?}"
    );
    assert!(announces.iter().all(&wrapped));
    assert_eq!(announces[0]["object"]["object"]["type"], "Note");

    let announces = of_type(&unknown.peer, "Announce");
    assert_eq!(
        announces.len(),
        2,
        "an unknown server gets both: {announces:?}"
    );
    assert!(announces.iter().any(&boost) && announces.iter().any(&wrapped));

    // Each form was signed once per host that reads it: four deliveries, not eight.
    assert_eq!(
        kith.ctx
            .counters()
            .delivered
            .load(std::sync::atomic::Ordering::Relaxed),
        4 + 5
    );
    kith.stop().await;
}

#[tokio::test]
async fn a_ban_ends_the_follow_on_a_gotosocial_shaped_server() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let gts = join(&group, Shape::GoToSocial).await;
    assert_eq!(looked_up(&kith, &gts.peer).await, Dialect::GoToSocial);
    let inbox_path = gts.actor["inbox"]
        .as_str()
        .unwrap()
        .trim_start_matches(&gts.peer.base)
        .to_owned();

    group_safety::ban(&kith.ctx, "runners", gts.id(), Some("spam"), By::Operator)
        .await
        .unwrap();
    // GoToSocial ends every follow between two accounts on a Block; it ignores a Reject of a
    // follow it had accepted.
    let block = gts
        .peer
        .wait_for("the group's Block", |b| b["type"] == "Block")
        .await;
    assert_eq!(block.path, inbox_path, "at the person's own inbox");
    assert!(block.verified);
    assert_eq!(block.body["actor"], group.id.as_str());
    assert_eq!(block.body["object"], gts.id());
    all_sent(&kith).await;
    assert!(
        !of_type(&gts.peer, "Reject").is_empty(),
        "Reject{{Follow}} beside it"
    );
    assert!(
        of_type(&gts.peer, "Announce").is_empty(),
        "no announced Block GoToSocial does not read"
    );

    group_safety::unban(&kith.ctx, "runners", gts.id(), By::Operator)
        .await
        .unwrap();
    let undo = gts
        .peer
        .wait_for("the group's Undo{Block}", |b| b["type"] == "Undo")
        .await;
    assert_eq!(undo.body["actor"], group.id.as_str());
    assert_eq!(undo.body["object"]["id"], block.body["id"]);
    kith.stop().await;
}

#[tokio::test]
async fn events_read_well_on_mastodon_and_gotosocial() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let mastodon = join(&group, Shape::Mastodon).await;
    let gts = join(&group, Shape::GoToSocial).await;
    assert_eq!(looked_up(&kith, &mastodon.peer).await, Dialect::Microblog);
    assert_eq!(looked_up(&kith, &gts.peer).await, Dialect::GoToSocial);

    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 3, None),
    )
    .await
    .unwrap();
    all_sent(&kith).await;
    let line = event.object.summary.clone().unwrap();
    assert!(line.contains("Victoria Park"), "{line}");

    // Mastodon shows `name`, then `summary` (the date line), then the link: no warning.
    let creates = of_type(&mastodon.peer, "Create");
    let mut kinds: Vec<&str> = creates
        .iter()
        .map(|c| c["object"]["type"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["Event", "Question"], "the event and its poll");
    let doc = &creates
        .iter()
        .find(|c| c["object"]["type"] == "Event")
        .unwrap()["object"];
    assert_eq!(doc["name"], "Park run");
    assert_eq!(doc["summary"], line.as_str());
    assert_eq!(doc["sensitive"], false);
    assert!(
        of_type(&mastodon.peer, "Announce").is_empty(),
        "one status, not a boost of it too"
    );

    // GoToSocial shows `summary` (else `name`) as a content warning: it gets neither, and the
    // title and date line open the content.
    let creates = of_type(&gts.peer, "Create");
    let doc = &creates
        .iter()
        .find(|c| c["object"]["type"] == "Event")
        .unwrap()["object"];
    assert!(
        doc.get("summary").is_none() && doc.get("name").is_none(),
        "{doc}"
    );
    let content = doc["content"].as_str().unwrap();
    let first = format!(
        "<p><strong>Park run</strong><br>{}</p>",
        line.replace('&', "&amp;")
    );
    assert!(content.starts_with(&first), "{content}");

    // Fetched, the event is served the same way to each.
    for (ua, has_summary) in [
        ("gotosocial/0.20.0 (+https://gts.example)", false),
        (
            "http.rb/5.2.0 (Mastodon/4.5.0; +https://mastodon.madrid/)",
            true,
        ),
    ] {
        let response = reqwest::Client::new()
            .get(&event.object.id)
            .header("accept", "application/activity+json")
            .header("user-agent", ua)
            .send()
            .await
            .unwrap();
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc.get("summary").is_some(), has_summary, "{ua}: {doc}");
    }
    kith.stop().await;
}
