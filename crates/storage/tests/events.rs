//! Events, answers and capacity, run against SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_storage::{
    ActorKind, CalendarScope, Database, EventFields, EventStatus, JoinMode, ObjectKind, RsvpStatus,
    RsvpStyle, RsvpVia, StorageError, testing,
};

mod common;

use common::{actor, note, person};

fn fields(capacity: Option<i64>) -> EventFields {
    EventFields {
        timezone: "Europe/London".into(),
        status: EventStatus::Confirmed,
        join_mode: JoinMode::Free,
        capacity,
        tags: "[]".into(),
        rsvp_style: RsvpStyle::Join,
        organizer_id: None,
        external_url: None,
        place_name: None,
        place_address: None,
        latitude: None,
        longitude: None,
        online_url: None,
        category: None,
        question_id: None,
        series_id: None,
        occurrence: None,
    }
}

async fn event(db: &Database, id: &str, author: &str, capacity: Option<i64>, start: i64) {
    let mut object = note(id, author, None, None, 1);
    object.kind = ObjectKind::Event;
    object.name = Some("Park run".into());
    object.start_time = Some(start);
    object.end_time = Some(start + 3_600_000);
    db.insert_event(&object, &fields(capacity)).await.unwrap();
}

async fn remote_people(db: &Database, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let a = db
            .upsert_remote_actor(&actor(&format!("p{i}"), ActorKind::Person, false, "m.test"))
            .await
            .unwrap();
        ids.push(a.id);
    }
    ids
}

#[tokio::test]
async fn an_event_keeps_its_fields_and_edits_bump_the_sequence() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "org").await;
        event(db, "https://kith.test/o/e1", &a.actor_id, Some(3), 10_000).await;
        let stored = db.event("https://kith.test/o/e1").await.unwrap();
        assert_eq!(stored.fields, fields(Some(3)));
        assert_eq!(stored.object.start_time, Some(10_000));
        assert_eq!(stored.sequence, 0);
        let mut changed = fields(Some(5));
        changed.status = EventStatus::Cancelled;
        changed.latitude = Some(51.5);
        db.update_event(
            &stored.object.id,
            "Park run",
            "Sat",
            None,
            20_000,
            30_000,
            "{}",
            &changed,
        )
        .await
        .unwrap();
        let stored = db.event("https://kith.test/o/e1").await.unwrap();
        assert_eq!(stored.fields.latitude, Some(51.5));
        assert_eq!(stored.fields.status, EventStatus::Cancelled);
        assert_eq!(
            (stored.object.start_time, stored.sequence),
            (Some(20_000), 1)
        );
        assert!(matches!(
            db.event("https://kith.test/o/none").await,
            Err(StorageError::NotFound)
        ));
        event(db, "https://kith.test/o/e2", &a.actor_id, None, 50_000).await;
        let calendar = db
            .calendar_events(CalendarScope::Instance, 0, 10)
            .await
            .unwrap();
        assert_eq!(calendar.len(), 2);
        assert_eq!(calendar[0].object.id, "https://kith.test/o/e1");
        assert!(
            db.calendar_events(CalendarScope::Instance, 40_000, 10)
                .await
                .unwrap()
                .len()
                == 1
        );
    }
}

#[tokio::test]
async fn capacity_holds_and_the_waitlist_moves_up() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "org").await;
        let id = "https://kith.test/o/cap";
        event(db, id, &a.actor_id, Some(2), 10_000).await;
        let people = remote_people(db, 4).await;
        let mut statuses = Vec::new();
        for p in &people {
            let change = db
                .answer_event(id, p, Some(RsvpStatus::Going), None, RsvpVia::Join)
                .await
                .unwrap();
            statuses.push(change.after.unwrap().status);
        }
        use RsvpStatus::{Going, Waitlisted};
        assert_eq!(statuses, [Going, Going, Waitlisted, Waitlisted]);
        // Saying "going" again while waiting keeps the place in the queue.
        let again = db
            .answer_event(id, &people[3], Some(RsvpStatus::Going), None, RsvpVia::Join)
            .await
            .unwrap();
        assert!(!again.changed());
        // The first going person leaves: the first waiting one moves up, and only that one.
        let left = db
            .answer_event(id, &people[0], None, None, RsvpVia::Join)
            .await
            .unwrap();
        assert!(left.after.is_none());
        assert_eq!(left.promoted.len(), 1);
        assert_eq!(left.promoted[0].actor_id, people[2]);
        let counts = db.rsvp_counts(id).await.unwrap();
        assert_eq!((counts.going, counts.waitlisted), (2, 1));
        // A "maybe" does not take a place; an attendee's calendar lists the event.
        db.answer_event(
            id,
            &people[0],
            Some(RsvpStatus::Maybe),
            None,
            RsvpVia::Accept,
        )
        .await
        .unwrap();
        assert_eq!(db.rsvp_counts(id).await.unwrap().going, 2);
        let mine = db
            .calendar_events(CalendarScope::Attendee(&people[3]), 0, 10)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert!(db.fill_from_waitlist(id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn concurrent_joins_never_overfill_an_event() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "org").await;
        let id = "https://kith.test/o/rush";
        event(db, id, &a.actor_id, Some(3), 10_000).await;
        let people = remote_people(db, 12).await;
        let mut tasks = Vec::new();
        for p in people {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.answer_event(id, &p, Some(RsvpStatus::Going), None, RsvpVia::Join)
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let counts = db.rsvp_counts(id).await.unwrap();
        assert_eq!((counts.going, counts.waitlisted), (3, 9), "{:?}", t.url);
    }
}

#[tokio::test]
async fn series_and_calendar_tokens() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "org").await;
        let group = db
            .insert_actor(&actor("runners", ActorKind::Group, true, "kith.test"))
            .await
            .unwrap();
        let series = db
            .insert_series(
                "s1",
                &group.id,
                Some(&a.actor_id),
                "FREQ=WEEKLY",
                5,
                60,
                "UTC",
                "{}",
            )
            .await
            .unwrap();
        assert_eq!(db.open_series().await.unwrap().len(), 1);
        let mut object = note(
            "https://kith.test/o/s1a",
            &a.actor_id,
            Some(&group.id),
            None,
            1,
        );
        object.kind = ObjectKind::Event;
        object.start_time = Some(5);
        object.end_time = Some(65);
        let mut f = fields(None);
        f.series_id = Some(series.id.clone());
        f.occurrence = Some(5);
        db.insert_event(&object, &f).await.unwrap();
        object.id = "https://kith.test/o/s1b".into();
        assert!(matches!(
            db.insert_event(&object, &f).await,
            Err(StorageError::Conflict { .. })
        ));
        // The failed insert left no half-written object behind.
        assert!(db.object("https://kith.test/o/s1b").await.is_err());
        assert_eq!(db.series_occurrences("s1").await.unwrap(), vec![5]);
        let listed = db
            .calendar_events(CalendarScope::Group(&group.id), 0, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        db.end_series("s1").await.unwrap();
        assert!(db.open_series().await.unwrap().is_empty());

        db.set_calendar_token(&a.id, "hash1").await.unwrap();
        assert_eq!(
            db.account_by_calendar_token("hash1").await.unwrap().id,
            a.id
        );
        db.set_calendar_token(&a.id, "hash2").await.unwrap();
        assert!(db.account_by_calendar_token("hash1").await.is_err());
    }
}
