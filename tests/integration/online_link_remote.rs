//! An event's online link and remote people (issue 23): the Event document a member's server
//! fetches (signed) and receives has no link; a remote person going gets it in one direct
//! message from the group, addressed to them alone, again when it changes, and when moving up
//! from the waitlist; that message is served to nobody. Remote people waiting to join, or
//! banned, are refused with `Reject{Join}`.

use kith_federation::actions::By;
use kith_federation::actions::bans;
use kith_federation::actions::events::{self, EventPatch};
use kith_storage::{JoinPolicy, MemberState, RsvpStatus};
use serde_json::{Value, json};

use crate::events::{draft, join, peer_person};
use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::{follow, mastodon};
use crate::online_link::{LINK, get};
use crate::peer::Peer;

const NEW_LINK: &str = "https://meet.example/circle-room-9917";

fn key_of(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// Whether a delivery carries `link` anywhere.
fn carries(m: &Value, link: &str) -> bool {
    m.to_string().contains(link)
}

/// A signed GET of `url` by `key_id` (Mastodon's draft-cavage form).
async fn signed_get(peer: &Peer, key_id: &str, url: &str) -> Value {
    let parsed = reqwest::Url::parse(url).unwrap();
    let host = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let signed = format!(
        "(request-target): get {}\nhost: {host}\ndate: {date}",
        parsed.path()
    );
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",\
         signature=\"{}\"",
        peer.sign(signed.as_bytes())
    );
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .header("date", date)
        .header("signature", signature)
        .header(
            "user-agent",
            "Mastodon/4.3.0 (http.rb/5.2.0; +https://peer/)",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_remote_person_going_gets_the_online_link_addressed_to_them_alone() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let ada = peer_person(&peer, &felix, "ada");
    let inbox = format!("{}/inbox", kith.base);
    for who in [&felix, &ada] {
        let mut f = follow(&peer, who, &group.id);
        f["id"] = json!(format!("{}/follows/1", who["id"].as_str().unwrap()));
        assert_eq!(peer.send(key_of(who), &group.inbox_url, &f).await, 202);
    }
    eventually("both members", || async {
        let n = kith
            .ctx
            .db
            .count_members(&group.id, MemberState::Accepted)
            .await
            .unwrap();
        (n == 3).then_some(())
    })
    .await;

    let mut d = draft("Online run club", 3, Some(1));
    d.online_url = Some(LINK.into());
    let event = events::create_event(&kith.ctx, "runners", By::Operator, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();
    peer.wait_for("Create{Event}", |m| {
        m["type"] == "Create" && m["object"]["type"] == "Event"
    })
    .await;
    // The member server's own view of the event: signed by a member, no link either.
    let doc = signed_get(&peer, key_of(&felix), &id).await;
    assert_eq!(doc["type"], "Event");
    assert!(!carries(&doc, LINK), "{doc}");

    // Felix joins (Mobilizon's `Join`) and has the place; Ada waits.
    assert_eq!(
        peer.send(key_of(&felix), &inbox, &join(&felix, &id, 1))
            .await,
        202
    );
    kith.settled().await;
    assert_eq!(
        peer.send(key_of(&ada), &inbox, &join(&ada, &id, 2)).await,
        202
    );
    kith.settled().await;
    let to_felix = peer
        .wait_for("Felix's link", |m| carries(m, LINK))
        .await
        .body;
    assert_eq!(to_felix["type"], "Create");
    assert_eq!(to_felix["to"], json!([felix["id"]]));
    assert_eq!(to_felix["object"]["to"], json!([felix["id"]]));
    assert!(
        to_felix
            .get("cc")
            .is_none_or(|cc| cc.as_array().is_none_or(Vec::is_empty))
    );
    let note_id = to_felix["object"]["id"].as_str().unwrap().to_owned();
    // The message is nobody else's to fetch, nor listed among the event's replies.
    let (status, _) = get_activity_json(&note_id).await;
    assert_eq!(status, 404);
    let (_, _, page) = get(&note_id, &[("accept", "text/html")]).await;
    assert!(!page.contains(LINK));
    let replies = format!(
        "{}?page=true",
        kith_federation::urls::Urls::replies(&group.id, &id)
    );
    let (_, replies) = get_activity_json(&replies).await;
    assert!(!carries(&replies, &note_id), "{replies}");

    // An edit of the link: Felix alone gets the new one, once; the Update has neither.
    let patch = EventPatch {
        online_url: Some(NEW_LINK.into()),
        ..EventPatch::default()
    };
    events::update_event(&kith.ctx, &id, By::Operator, &patch)
        .await
        .unwrap();
    let update = peer
        .wait_for("Update{Event}", |m| m["type"] == "Update")
        .await
        .body;
    assert!(!carries(&update, NEW_LINK) && !carries(&update, LINK));
    let new = peer
        .wait_for("the new link", |m| carries(m, NEW_LINK))
        .await
        .body;
    assert_eq!(new["to"], json!([felix["id"]]));

    // Felix leaves; Ada moves up from the waitlist and is sent the link, to her alone.
    let leave = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/leave/1", felix["id"].as_str().unwrap()),
        "type": "Leave", "actor": felix["id"], "object": id,
    });
    assert_eq!(peer.send(key_of(&felix), &inbox, &leave).await, 202);
    kith.settled().await;
    let to_ada = peer
        .wait_for("Ada's link", |m| {
            carries(m, NEW_LINK) && m["to"] == json!([ada["id"]])
        })
        .await
        .body;
    assert_eq!(to_ada["object"]["to"], json!([ada["id"]]));

    // Exactly the three direct messages carry a link: none to followers, none twice.
    kith.settled().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let with_link: Vec<Value> = peer
        .received()
        .into_iter()
        .map(|r| r.body)
        .filter(|m| carries(m, "circle-room"))
        .collect();
    let felix_old = with_link.iter().filter(|m| carries(m, LINK)).count();
    let felix_new = with_link
        .iter()
        .filter(|m| carries(m, NEW_LINK) && m["to"] == json!([felix["id"]]))
        .count();
    let ada_new = with_link
        .iter()
        .filter(|m| m["to"] == json!([ada["id"]]))
        .count();
    assert_eq!(
        (felix_old, felix_new, ada_new, with_link.len()),
        (1, 1, 1, 3)
    );
    kith.stop().await;
}

#[tokio::test]
async fn remote_people_waiting_to_join_or_banned_are_refused_an_answer() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let (peer, felix) = mastodon().await;
    let gus = peer_person(&peer, &felix, "gus");
    let inbox = format!("{}/inbox", kith.base);
    // Felix asks to join and waits; Gus is banned.
    let f = follow(&peer, &felix, &group.id);
    assert_eq!(peer.send(key_of(&felix), &group.inbox_url, &f).await, 202);
    eventually("Felix's request", || async {
        let n = kith
            .ctx
            .db
            .count_members(&group.id, MemberState::Pending)
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
    bans::ban(
        &kith.ctx,
        "circle",
        gus["id"].as_str().unwrap(),
        None,
        By::Operator,
    )
    .await
    .unwrap();
    let mut d = draft("Circle evening", 3, None);
    d.online_url = Some(LINK.into());
    let event = events::create_event(&kith.ctx, "circle", By::Operator, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();

    for (n, who) in [&felix, &gus].into_iter().enumerate() {
        assert_eq!(
            peer.send(key_of(who), &inbox, &join(who, &id, n + 10))
                .await,
            202
        );
        kith.settled().await;
        peer.wait_for("the Reject{Join}", |m| {
            m["type"] == "Reject" && m["object"]["type"] == "Join" && m["to"] == json!([who["id"]])
        })
        .await;
        let answered = kith.ctx.db.rsvp(&id, who["id"].as_str().unwrap()).await;
        assert!(answered.is_err(), "{answered:?}");
    }
    assert!(!peer.received().iter().any(|r| carries(&r.body, LINK)));
    kith.stop().await;
}

#[tokio::test]
async fn a_remote_person_approved_by_an_organiser_gets_the_link_then_and_not_before() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let f = follow(&peer, &felix, &group.id);
    assert_eq!(peer.send(key_of(&felix), &group.inbox_url, &f).await, 202);
    peer.wait_for("Accept{Follow}", |m| m["type"] == "Accept")
        .await;
    let mut d = draft("Approved call", 3, None);
    d.online_url = Some(LINK.into());
    d.join_mode = Some("approval".into());
    let event = events::create_event(&kith.ctx, "runners", By::Operator, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();
    let inbox = format!("{}/inbox", kith.base);
    assert_eq!(
        peer.send(key_of(&felix), &inbox, &join(&felix, &id, 1))
            .await,
        202
    );
    kith.settled().await;
    let felix_id = felix["id"].as_str().unwrap();
    assert_eq!(
        kith.ctx.db.rsvp(&id, felix_id).await.unwrap().status,
        RsvpStatus::Pending
    );
    // Waiting for an organiser: nothing carries the link yet.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!peer.received().iter().any(|r| carries(&r.body, LINK)));
    kith_federation::actions::rsvp::decide(&kith.ctx, &id, felix_id, true, By::Operator)
        .await
        .unwrap();
    peer.wait_for("Accept{Join}", |m| {
        m["type"] == "Accept" && m["object"]["type"] == "Join"
    })
    .await;
    let note = peer
        .wait_for("the link, once approved", |m| carries(m, LINK))
        .await
        .body;
    assert_eq!(note["to"], json!([felix_id]));
    kith.stop().await;
}
