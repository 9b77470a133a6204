//! Private messages about remote events (issue 23), on both databases: kept once per note and
//! recipient (a redelivery changes nothing), read only for their recipient, newest first.

#![allow(clippy::unwrap_used)]

mod common;

use common::{group_with_owner, note, person};
use kith_storage::{EventMessage, testing};

fn message(id: &str, event: &str, to: &str, from: &str, at: i64) -> EventMessage {
    EventMessage {
        id: id.into(),
        event_id: event.into(),
        recipient_id: to.into(),
        sender_id: from.into(),
        content: format!("<p>{id}</p>"),
        received_at: at,
    }
}

#[tokio::test]
async fn messages_are_kept_once_and_read_only_by_their_recipient() {
    for t in testing::all().await {
        let db = &t.db;
        let (_owner, group) = group_with_owner(db).await;
        let (bob, carol) = (person(db, "bob").await, person(db, "carol").await);
        let event = "https://kith.test/o/event";
        db.insert_object(&note(event, &group.id, Some(&group.id), None, 1))
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let first = message("n1", event, &bob.actor_id, &group.id, 10);
        assert!(tx.keep_event_message(&first).await.unwrap());
        // A redelivery: kept once.
        assert!(!tx.keep_event_message(&first).await.unwrap());
        tx.keep_event_message(&message("n2", event, &bob.actor_id, &group.id, 20))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let bobs = db.event_messages_for(event, &bob.actor_id).await.unwrap();
        let ids: Vec<&str> = bobs.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n2", "n1"], "{}", t.label);
        assert_eq!(bobs[1].content, "<p>n1</p>");
        assert!(
            db.event_messages_for(event, &carol.actor_id)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            t.label
        );
        assert!(
            db.event_messages_for("https://kith.test/o/other", &bob.actor_id)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
