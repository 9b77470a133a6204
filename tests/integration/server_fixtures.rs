//! The fixtures written from GoToSocial's, Lemmy's, Mastodon's and NodeBB's code (issue 20):
//! their NodeInfo read as those servers' software, their actors read by Kith, and the Lemmy
//! inbox rules of the test peers checked against the activities Lemmy takes and refuses.

use std::collections::HashMap;

use kith_federation::outbound::software::{Dialect, lookup};
use kith_federation::protocol::{Activity, RemoteActor};
use serde_json::{Value, json};

use crate::peer::fixture;
use crate::shapes::Shape;

#[test]
fn nodeinfo_documents_name_each_server() {
    for (name, software, dialect) in [
        ("nodeinfo/mastodon.json", "mastodon", Dialect::Microblog),
        (
            "nodeinfo/gotosocial.json",
            "gotosocial",
            Dialect::GoToSocial,
        ),
        ("nodeinfo/lemmy-0.19.json", "lemmy", Dialect::Lemmy),
        ("nodeinfo/lemmy-1.0.json", "lemmy", Dialect::Lemmy),
        ("nodeinfo/nodebb.json", "nodebb", Dialect::Groups),
    ] {
        let found = lookup::software_of(&fixture(name)).unwrap();
        assert_eq!(found.name, software, "{name}");
        assert!(found.version.is_some(), "{name}");
        assert_eq!(Dialect::of_software(&found.name), dialect, "{name}");
    }
}

#[test]
fn gotosocial_lemmy_1_0_and_nodebb_actors_are_read() {
    for (name, kind, shared_inbox) in [
        ("gotosocial/person.json", "Person", false),
        ("lemmy/1.0/person.json", "Person", false),
        ("lemmy/1.0/group.json", "Group", false),
        ("nodebb/person.json", "Person", true),
        ("nodebb/category.json", "Group", true),
    ] {
        let actor: RemoteActor = serde_json::from_value(fixture(name)).unwrap();
        assert_eq!(actor.kind, kind, "{name}");
        assert_eq!(actor.main_key().unwrap().owner, actor.id, "{name}");
        assert_eq!(
            actor.endpoints.and_then(|e| e.shared_inbox).is_some(),
            shared_inbox,
            "{name}"
        );
    }
    // Lemmy 1.0 publishes no `endpoints`: its inbox is the shared one.
    let ada = fixture("lemmy/1.0/person.json");
    assert_eq!(ada["inbox"], "https://lemmy-one.example/inbox");
}

/// The actors the Lemmy inbox fixtures name, as a Lemmy server would fetch them.
fn kith_actors() -> HashMap<String, Value> {
    [
        (
            "https://kith.example/g/runners",
            json!({"type": "Group", "manuallyApprovesFollowers": false}),
        ),
        (
            "https://kith.example/g/runners/relay",
            json!({"type": "Service"}),
        ),
        ("https://kith.example/u/olga", json!({"type": "Person"})),
    ]
    .into_iter()
    .map(|(id, doc)| (id.to_owned(), doc))
    .collect()
}

#[test]
fn the_lemmy_peers_take_and_refuse_what_lemmy_does() {
    let actors = kith_actors();
    let doc_of = |id: &str| actors.get(id).cloned();
    // (fixture, taken by 0.19, taken by 1.0)
    for (name, old, new) in [
        ("lemmy/inbox/follow_by_group.json", false, true),
        ("lemmy/inbox/follow_by_service.json", true, true),
        ("lemmy/inbox/announce_bare_id.json", false, false),
        ("lemmy/inbox/create_event_by_group.json", false, false),
        ("lemmy/inbox/create_question.json", false, false),
        ("lemmy/inbox/announce_create_event.json", true, true),
        ("lemmy/inbox/announce_create_note.json", true, false),
        ("lemmy/inbox/undo_announce.json", false, false),
        ("lemmy/inbox/reject_follow.json", false, true),
        ("lemmy/inbox/block_by_group.json", false, false),
        ("lemmy/inbox/update_group.json", false, false),
    ] {
        let activity = fixture(name);
        Activity::from_value(activity.clone()).unwrap();
        let refused = Shape::Lemmy019.refusal(&activity, &doc_of);
        assert_eq!(refused.is_none(), old, "0.19 {name}: {refused:?}");
        let refused = Shape::Lemmy10.refusal(&activity, &doc_of);
        assert_eq!(refused.is_none(), new, "1.0 {name}: {refused:?}");
        assert!(Shape::Mastodon.refusal(&activity, &doc_of).is_none());
    }
    // Lemmy 1.0 refuses a public post in a group that approves its members (a private
    // community to it).
    let mut private = kith_actors();
    private.insert(
        "https://kith.example/g/runners".into(),
        json!({"type": "Group", "manuallyApprovesFollowers": true}),
    );
    let announce = fixture("lemmy/inbox/announce_create_event.json");
    let doc_of = |id: &str| private.get(id).cloned();
    assert!(Shape::Lemmy10.refusal(&announce, &doc_of).is_some());
    assert!(Shape::Lemmy019.refusal(&announce, &doc_of).is_none());
}
