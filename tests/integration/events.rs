//! Events across instances: an event on Kith A reaches Kith B, B's people answer it, capacity
//! and the waitlist hold under concurrent joins, updates and cancellations propagate; Mastodon
//! members answer with the poll.

use kith_federation::actions::By;
use kith_federation::actions::{events, membership, rsvp};
use kith_federation::events::EventDraft;
use kith_storage::{CalendarScope, EventStatus, FollowState, JoinPolicy, RsvpStatus, RsvpStyle};
use serde_json::{Value, json};

use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::{follow, mastodon};
use crate::peer::Peer;

/// A draft starting `days` from now, 90 minutes long, in London.
pub fn draft(title: &str, days: i64, capacity: Option<i64>) -> EventDraft {
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    let end = start + jiff::SignedDuration::from_mins(90);
    EventDraft {
        title: title.into(),
        description: Some("Bring water.\n\nWe wait ten minutes.".into()),
        start: start.to_string(),
        end: end.to_string(),
        timezone: "Europe/London".into(),
        place: Some("Victoria Park".into()),
        address: Some("Grove Road, London E3 5TB".into()),
        latitude: Some(51.5362),
        longitude: Some(-0.0393),
        capacity,
        category: Some("SPORTS".into()),
        tags: vec!["running".into()],
        ..EventDraft::default()
    }
}

/// Another account on the peer, shaped like the Mastodon fixture account; served and returned.
pub fn peer_person(peer: &Peer, template: &Value, name: &str) -> Value {
    let mut actor = template.clone();
    let id = format!("{}/users/{name}", peer.base);
    actor["id"] = json!(id);
    actor["preferredUsername"] = json!(name);
    actor["inbox"] = json!(format!("{id}/inbox"));
    actor["outbox"] = json!(format!("{id}/outbox"));
    actor["followers"] = json!(format!("{id}/followers"));
    actor["url"] = json!(id);
    actor["publicKey"]["id"] = json!(format!("{id}#main-key"));
    actor["publicKey"]["owner"] = json!(id);
    actor["publicKey"]["publicKeyPem"] = json!(peer.public_pem);
    actor["endpoints"] = json!({"sharedInbox": format!("{}/inbox", peer.base)});
    peer.serve(&actor);
    actor
}

fn key(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// A `Join` of `event` by `actor`, as Mobilizon sends it.
pub fn join(actor: &Value, event: &str, n: usize) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/join/{n}", actor["id"].as_str().unwrap()),
        "type": "Join",
        "actor": actor["id"],
        "object": event,
    })
}

#[tokio::test]
async fn events_federate_and_capacity_holds_between_two_kith_instances() {
    let mut databases = kith_storage::testing::all().await;
    let a = Instance::start_on(databases.pop().unwrap()).await;
    let b = Instance::start().await;
    a.person("olga").await;
    let group = a.group("runners", "olga", JoinPolicy::Open).await;
    b.person("bea").await;
    let b_group = b.group("b_runners", "bea", JoinPolicy::Open).await;
    membership::follow_group(&b.ctx, "b_runners", &a.handle("runners"))
        .await
        .unwrap();
    eventually("B's group follows A's", || async {
        let f = b.ctx.db.follow(&b_group.id, &group.id).await.ok()?;
        (f.state == FollowState::Accepted).then_some(())
    })
    .await;

    // Olga announces a run with three places; it lands in B's instance calendar.
    let event = events::create_event(
        &a.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 7, Some(3)),
    )
    .await
    .unwrap();
    let id = event.object.id.clone();
    let on_b = eventually("the event on B", || async {
        b.ctx.db.event(&id).await.ok()
    })
    .await;
    assert_eq!(on_b.object.start_time, event.object.start_time);
    assert_eq!(on_b.fields.timezone, "Europe/London");
    assert_eq!(on_b.fields.place_name.as_deref(), Some("Victoria Park"));
    assert_eq!(on_b.fields.capacity, Some(3));
    assert_eq!(on_b.fields.rsvp_style, RsvpStyle::Join);
    let calendar = b
        .ctx
        .db
        .calendar_events(CalendarScope::Instance, 0, 10)
        .await
        .unwrap();
    assert_eq!(calendar.len(), 1);

    // Bob on B answers; A keeps him going and B hears the Accept{Join}.
    let bob = b.person("bob").await;
    let pending = rsvp::rsvp(&b.ctx, &bob, &id, Some(RsvpStatus::Going))
        .await
        .unwrap();
    assert_eq!(pending.unwrap().status, RsvpStatus::Pending);
    eventually("bob going on B", || async {
        let r = b.ctx.db.rsvp(&id, &bob.actor_id).await.ok()?;
        (r.status == RsvpStatus::Going).then_some(())
    })
    .await;
    assert_eq!(
        a.ctx.db.rsvp(&id, &bob.actor_id).await.unwrap().status,
        RsvpStatus::Going
    );

    // Eight people join at once: two get the places left, six wait.
    let (peer, felix) = mastodon().await;
    let people: Vec<Value> = (0..8)
        .map(|i| peer_person(&peer, &felix, &format!("p{i}")))
        .collect();
    let batch = people
        .iter()
        .enumerate()
        .map(|(i, person)| (key(person).to_owned(), join(person, &id, i)))
        .collect();
    let statuses = send_concurrently(&peer, &format!("{}/inbox", a.base), batch).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let counts = a.ctx.db.rsvp_counts(&id).await.unwrap();
    assert_eq!((counts.going, counts.waitlisted), (3, 6));
    let accepted = peer
        .received()
        .into_iter()
        .filter(|r| r.body["type"] == "Accept")
        .count();
    assert!(accepted <= 2);
    let waiting = a
        .ctx
        .db
        .rsvps_with_status(&id, RsvpStatus::Waitlisted)
        .await
        .unwrap();

    // Bob leaves: the first in the waitlist moves up and is told, to them alone.
    rsvp::rsvp(&b.ctx, &bob, &id, None).await.unwrap();
    let first = waiting[0].actor_id.clone();
    let told = peer
        .wait_for("the promoted person's Accept{Join}", |m| {
            m["type"] == "Accept" && m["object"]["actor"] == first.as_str()
        })
        .await;
    assert!(told.verified);
    assert_eq!(told.body["to"], json!([first]));
    // Nobody else who answered is named in it.
    for other in people.iter().filter(|p| p["id"] != first.as_str()) {
        assert!(
            !told
                .body
                .to_string()
                .contains(other["id"].as_str().unwrap())
        );
    }
    let counts = a.ctx.db.rsvp_counts(&id).await.unwrap();
    assert_eq!((counts.going, counts.waitlisted), (3, 5));

    // A reschedule and then a cancellation reach B.
    let later = draft("Park run", 8, Some(3));
    let patch = events::EventPatch {
        start: Some(later.start.clone()),
        end: Some(later.end.clone()),
        ..Default::default()
    };
    let moved = events::update_event(&a.ctx, &id, By::Operator, &patch)
        .await
        .unwrap();
    let update = peer
        .wait_for("the Update with previousStartTime", |m| {
            m["type"] == "Update" && m["object"]["previousStartTime"].is_string()
        })
        .await;
    assert_eq!(
        update.body["object"]["startTime"].as_str().map(|s| s.len()),
        Some(25)
    );
    eventually("the new time on B", || async {
        let e = b.ctx.db.event(&id).await.ok()?;
        (e.object.start_time == moved.object.start_time).then_some(())
    })
    .await;
    events::cancel_event(&a.ctx, &id, By::Operator)
        .await
        .unwrap();
    eventually("the cancellation on B", || async {
        let e = b.ctx.db.event(&id).await.ok()?;
        (e.fields.status == EventStatus::Cancelled).then_some(())
    })
    .await;
    // A cancelled event takes no more answers.
    let late = join(&people[7], &id, 99);
    peer.send(key(&people[7]), &format!("{}/inbox", a.base), &late)
        .await;
    peer.wait_for("Reject{Join} for a cancelled event", |m| {
        m["type"] == "Reject" && m["object"]["id"] == late["id"]
    })
    .await;
    let (_, doc) = get_activity_json(&id).await;
    assert_eq!(doc["ical:status"], "CANCELLED");
    assert!(doc["summary"].as_str().unwrap().starts_with("CANCELLED"));
    a.stop().await;
    b.stop().await;
}

/// Sends signed activities all at once, each from its own task; returns the statuses.
async fn send_concurrently(peer: &Peer, inbox: &str, batch: Vec<(String, Value)>) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for (key_id, activity) in batch {
        let body = activity.to_string().into_bytes();
        let headers = peer.signed_headers(&key_id, inbox, &body);
        let (client, inbox) = (client.clone(), inbox.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut request = client.post(&inbox).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn a_mastodon_member_answers_with_the_poll_and_changes_their_mind() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let inbox = format!("{}/inbox", kith.base);
    assert_eq!(
        peer.send(
            key(&felix),
            &group.inbox_url,
            &follow(&peer, &felix, &group.id)
        )
        .await,
        202
    );
    peer.wait_for("Accept{Follow}", |m| m["type"] == "Accept")
        .await;

    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 3, Some(1)),
    )
    .await
    .unwrap();
    // Felix's timeline: the Event (readable: name, summary, link), its boost, and the poll.
    let create = peer
        .wait_for("Create{Event}", |m| {
            m["type"] == "Create" && m["object"]["type"] == "Event"
        })
        .await;
    assert!(create.verified);
    let doc = &create.body["object"];
    assert_eq!(doc["name"], "Park run");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .contains("(Europe/London) · Victoria Park")
    );
    assert_eq!(doc["location"]["type"], "Place");
    assert_eq!(doc["attributedTo"], group.id.as_str());
    peer.wait_for("the Announce", |m| {
        m["type"] == "Announce" && m["object"] == event.object.id.as_str()
    })
    .await;
    let poll = peer
        .wait_for("the poll", |m| {
            m["type"] == "Create" && m["object"]["type"] == "Question"
        })
        .await;
    let question = poll.body["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(poll.body["object"]["oneOf"][0]["name"], "Going");

    // Felix votes "Going" as Mastodon does; Ada votes too and waits (one place).
    let vote = |actor: &Value, n: u32, name: &str| {
        let actor_id = actor["id"].as_str().unwrap();
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor_id}#votes/{n}/activity"),
            "type": "Create",
            "actor": actor_id,
            "to": group.id,
            "object": {"id": format!("{actor_id}#votes/{n}"), "type": "Note", "name": name,
                "attributedTo": actor_id, "to": group.id, "inReplyTo": question},
        })
    };
    assert_eq!(
        peer.send(key(&felix), &inbox, &vote(&felix, 1, "Going"))
            .await,
        202
    );
    kith.settled().await;
    let ada = peer_person(&peer, &felix, "ada");
    assert_eq!(
        peer.send(key(&ada), &inbox, &vote(&ada, 2, "Going")).await,
        202
    );
    kith.settled().await;
    let id = &event.object.id;
    let status_of = |who: &Value| {
        let (db, id, who) = (
            kith.ctx.db.clone(),
            id.clone(),
            who["id"].as_str().unwrap().to_owned(),
        );
        async move { db.rsvp(&id, &who).await.unwrap().status }
    };
    assert_eq!(status_of(&felix).await, RsvpStatus::Going);
    assert_eq!(status_of(&ada).await, RsvpStatus::Waitlisted);
    // Counted with the rest: in the poll Mastodon refreshes and in the event document.
    let (_, live) = get_activity_json(&question).await;
    assert_eq!(live["oneOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(live["votersCount"], 1);
    let (_, live) = get_activity_json(id).await;
    assert_eq!(
        (
            live["participantCount"].clone(),
            live["remainingAttendeeCapacity"].clone()
        ),
        (json!(1), json!(0))
    );
    // Each voter hears back by direct message.
    let dm = peer
        .wait_for("felix's confirmation", |m| {
            m["type"] == "Create"
                && m["object"]["type"] == "Note"
                && m["to"] == json!([felix["id"]])
        })
        .await;
    let dm_id = dm.body["object"]["id"].as_str().unwrap().to_owned();

    // Felix changes his mind by replying to the message; Ada moves up and is told.
    let felix_id = felix["id"].as_str().unwrap();
    let reply = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{felix_id}/statuses/99/activity"),
        "type": "Create",
        "actor": felix_id,
        "to": [group.id],
        "object": {"id": format!("{felix_id}/statuses/99"), "type": "Note", "attributedTo": felix_id,
            "to": [group.id], "inReplyTo": dm_id,
            "content": "<p><span class=\"h-card\"><a href=\"x\">@<span>runners</span></a></span> not going, sorry</p>",
            "tag": [{"type": "Mention", "href": group.id}]},
    });
    assert_eq!(peer.send(key(&felix), &inbox, &reply).await, 202);
    kith.settled().await;
    assert_eq!(status_of(&felix).await, RsvpStatus::NotGoing);
    assert_eq!(status_of(&ada).await, RsvpStatus::Going);
    peer.wait_for("Ada's place", |m| {
        m["to"] == json!([ada["id"]])
            && m["object"]["content"]
                .as_str()
                .is_some_and(|c| c.contains("A place opened up"))
    })
    .await;
    kith.stop().await;
}
