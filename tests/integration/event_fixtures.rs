//! Events as Mobilizon, Gancio and Friendica send them (tests/fixtures): their `Create{Event}`
//! kept from followed actors, `Join`/`Leave` and `Accept`/`TentativeAccept` answered, and a
//! local person's `Join` of a Mobilizon event accepted.

use kith_federation::actions::By;
use kith_federation::actions::{events, rsvp};
use kith_storage::{CalendarScope, EventStatus, FollowState, JoinPolicy, RsvpStatus, RsvpStyle};
use serde_json::{Value, json};

use crate::events::{draft, peer_person};
use crate::instance::Instance;
use crate::mastodon::mastodon;
use crate::peer::Peer;

pub fn key(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// Serves an actor for a fixture's `actor` id (the fixture's server is played by the peer).
pub fn actor_for(peer: &Peer, template: &Value, id: &str, kind: &str) -> Value {
    let name = id.rsplit('/').next().unwrap().trim_start_matches('@');
    let mut actor = peer_person(peer, template, name);
    let mut text = actor.to_string();
    text = text.replace(actor["id"].as_str().unwrap(), id);
    actor = serde_json::from_str(&text).unwrap();
    actor["type"] = json!(kind);
    peer.serve(&actor);
    actor
}

/// Makes the local group follow a remote actor (as `kith group follow` ends up, once accepted).
pub async fn follow_accepted(kith: &Instance, group_id: &str, remote: &Value) {
    let remote = kith_federation::outbound::fetch::resolve_actor(
        &kith.ctx,
        remote["id"].as_str().unwrap(),
        false,
    )
    .await
    .unwrap();
    let follow_id = format!("{group_id}/activities/follow-{}", remote.username);
    kith.ctx
        .db
        .upsert_follow(group_id, &remote.id, FollowState::Accepted, &follow_id)
        .await
        .unwrap();
}

#[tokio::test]
async fn mobilizon_and_friendica_answers_are_read_and_answered() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    kith.group("runners", "olga", JoinPolicy::Open).await;
    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 5, Some(10)),
    )
    .await
    .unwrap();
    let id = event.object.id.clone();
    let inbox = format!("{}/inbox", kith.base);
    let (peer, felix) = mastodon().await;
    let mobilizon = Peer::start(&["http://mobilizon2.test", "http://mobilizon.test"]).await;
    let mut join = mobilizon.fixture("mobilizon/join.json");
    join["object"] = json!(id);
    let admin = actor_for(
        &mobilizon,
        &felix,
        join["actor"].as_str().unwrap(),
        "Person",
    );
    let admin_id = admin["id"].as_str().unwrap().to_owned();
    assert_eq!(mobilizon.send(key(&admin), &inbox, &join).await, 202);
    assert_eq!(
        kith.ctx.db.rsvp(&id, &admin_id).await.unwrap().status,
        RsvpStatus::Going
    );
    let accept = mobilizon
        .wait_for("Accept{Join}", |m| {
            m["type"] == "Accept" && m["object"]["id"] == join["id"]
        })
        .await;
    assert!(accept.verified);
    assert_eq!(accept.body["to"], json!([admin_id]));
    // The fixture's Leave reuses the Join's id; a real Leave has its own.
    let mut leave = mobilizon.fixture("mobilizon/leave.json");
    leave["object"] = json!(id);
    leave["id"] = json!(format!("{admin_id}/leave/event/1"));
    assert_eq!(mobilizon.send(key(&admin), &inbox, &leave).await, 202);
    assert!(kith.ctx.db.rsvp(&id, &admin_id).await.is_err());

    // Friendica: Accept and TentativeAccept of the Event itself.
    let friendica = Peer::start(&["https://friendica.example"]).await;
    let mut yes = friendica.fixture("friendica/accept_event.json");
    yes["object"] = json!(id);
    let heluecht = actor_for(&friendica, &felix, yes["actor"].as_str().unwrap(), "Person");
    assert_eq!(friendica.send(key(&heluecht), &inbox, &yes).await, 202);
    let hid = heluecht["id"].as_str().unwrap();
    assert_eq!(
        kith.ctx.db.rsvp(&id, hid).await.unwrap().status,
        RsvpStatus::Going
    );
    let mut maybe = friendica.fixture("friendica/tentative_accept_event.json");
    maybe["object"] = json!(id);
    assert_eq!(friendica.send(key(&heluecht), &inbox, &maybe).await, 202);
    assert_eq!(
        kith.ctx.db.rsvp(&id, hid).await.unwrap().status,
        RsvpStatus::Maybe
    );
    // Accept{Invite{Event}} counts as going.
    let invite = json!({"id": format!("{hid}/accept-invite"), "type": "Accept", "actor": hid,
        "object": {"type": "Invite", "id": format!("{hid}/invite"), "object": id}});
    assert_eq!(friendica.send(key(&heluecht), &inbox, &invite).await, 202);
    assert_eq!(
        kith.ctx.db.rsvp(&id, hid).await.unwrap().status,
        RsvpStatus::Going
    );
    drop(peer);
    kith.stop().await;
}

#[tokio::test]
async fn events_of_followed_mobilizon_and_gancio_actors_land_in_the_calendar() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let inbox = format!("{}/inbox", kith.base);
    let (_peer, felix) = mastodon().await;

    // Mobilizon: a followed organiser's Create{Event}, with today's joinMode key.
    let mobilizon = Peer::start(&["https://test.mobilizon.org", "https://framapiaf.org"]).await;
    let mut create = mobilizon.fixture("mobilizon/create_event.json");
    create["object"]["joinMode"] = json!("free");
    let alicia = actor_for(
        &mobilizon,
        &felix,
        create["actor"].as_str().unwrap(),
        "Group",
    );
    // Before anyone follows Alicia, her events are not kept.
    assert_eq!(mobilizon.send(key(&alicia), &inbox, &create).await, 202);
    kith.settled().await;
    let event_id = create["object"]["id"].as_str().unwrap().to_owned();
    assert!(kith.ctx.db.event(&event_id).await.is_err());
    follow_accepted(&kith, &group.id, &alicia).await;
    create["id"] = json!(format!("{event_id}/activity/2"));
    assert_eq!(mobilizon.send(key(&alicia), &inbox, &create).await, 202);
    kith.settled().await;
    let kept = kith.ctx.db.event(&event_id).await.unwrap();
    assert_eq!(kept.object.name.as_deref(), Some("My first event"));
    assert_eq!(kept.object.start_time, Some(1_518_444_500_000));
    assert_eq!(
        kept.fields.place_address.as_deref(),
        Some("10 Rue Jangot, 69007, Lyon, Auvergne Rhône Alpes, France")
    );
    assert_eq!(kept.fields.rsvp_style, RsvpStyle::Join);

    // A local person joins it; Mobilizon's Accept (object: the Join's id) is read.
    let ann = kith.person("ann").await;
    mobilizon.serve(&create["object"]);
    let sent = rsvp::rsvp(&kith.ctx, &ann, &event_id, Some(RsvpStatus::Going))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.status, RsvpStatus::Pending);
    let join = mobilizon
        .wait_for("ann's Join", |m| m["type"] == "Join")
        .await;
    assert!(join.verified);
    let mut accept = mobilizon.fixture("mobilizon/accept_join.json");
    accept["object"] = join.body["id"].clone();
    assert_eq!(mobilizon.send(key(&alicia), &inbox, &accept).await, 202);
    assert_eq!(
        kith.ctx
            .db
            .rsvp(&event_id, &ann.actor_id)
            .await
            .unwrap()
            .status,
        RsvpStatus::Going
    );

    // Gancio: the instance actor's Create{Event}, kept once followed.
    let gancio = Peer::start(&["https://demo.gancio.org"]).await;
    let create = gancio.fixture("gancio/create_event.json");
    let instance = actor_for(
        &gancio,
        &felix,
        create["actor"].as_str().unwrap(),
        "Application",
    );
    follow_accepted(&kith, &group.id, &instance).await;
    assert_eq!(gancio.send(key(&instance), &inbox, &create).await, 202);
    kith.settled().await;
    let gancio_id = create["object"]["id"].as_str().unwrap();
    let kept = kith.ctx.db.event(gancio_id).await.unwrap();
    assert_eq!(kept.fields.place_name.as_deref(), Some("Colosseo"));
    // 17:30:57+02:00 is 15:30:57Z.
    assert_eq!(kept.object.start_time, Some(1_626_276_657_000));
    assert_eq!(kept.fields.tags, "[\"test\"]");
    let calendar = kith
        .ctx
        .db
        .calendar_events(CalendarScope::Instance, 0, 10)
        .await
        .unwrap();
    assert_eq!(calendar.len(), 2);

    // An update cancelling the Mobilizon event applies.
    let mut update = mobilizon.fixture("mobilizon/create_event.json");
    update["type"] = json!("Update");
    update["id"] = json!(format!("{event_id}/update/1"));
    update["object"]["ical:status"] = json!("CANCELLED");
    assert_eq!(mobilizon.send(key(&alicia), &inbox, &update).await, 202);
    kith.settled().await;
    assert_eq!(
        kith.ctx.db.event(&event_id).await.unwrap().fields.status,
        EventStatus::Cancelled
    );
    kith.stop().await;
}
