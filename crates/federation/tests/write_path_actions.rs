//! The rest of issue 21's write paths: events (created, occurrences of a series, cancelled,
//! deleted), a group's `Update{Group}`, a report resolved and forwarded, and activities applied
//! in the inbox before the answer. A failure queueing the activities leaves no state change,
//! and doing it again completes it once.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_federation::actions::By;
use kith_federation::actions::events::{cancel_event, create_event, delete_event};
use kith_federation::actions::groups::{PolicyChange, change_policies};
use kith_federation::actions::reports::resolve;
use kith_federation::actions::series::extend_all_series;
use kith_federation::events::EventDraft;
use kith_federation::outbound::instance_actor::ensure_instance_actor;
use kith_federation::protocol::{Activity, rfc3339};
use kith_federation::{Context, FederationError, inbound::inbox};
use kith_storage::{CalendarScope, MemberState, NewReport, StorageError, StoredEvent, now_millis};
use kith_storage::{JoinPolicy, PostPolicy, ReportState, testing};
use serde_json::json;
use sqlx::Executor;

mod support;
use support::{GROUP, break_queue, group_with_remote, mend_queue, pool, queued};

const DAY: i64 = 86_400_000;

fn draft(repeat: Option<&str>) -> EventDraft {
    let start = now_millis() + 2 * DAY;
    EventDraft {
        title: "Park run".into(),
        start: rfc3339(start),
        end: rfc3339(start + DAY / 24),
        timezone: "Europe/London".into(),
        repeat: repeat.map(str::to_owned),
        ..EventDraft::default()
    }
}

async fn calendar(ctx: &Context) -> Vec<StoredEvent> {
    ctx.db
        .calendar_events(CalendarScope::Group(GROUP), 0, 50)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_whose_create_cannot_be_queued_is_not_stored() {
    for t in testing::all().await {
        let (ctx, _bob) = group_with_remote(&t, true).await;
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        let failed = create_event(&ctx, "runners", By::Operator, &draft(None)).await;
        assert!(failed.is_err(), "{}: {failed:?}", t.label);
        assert!(calendar(&ctx).await.is_empty(), "{}: stored", t.label);
        mend_queue(&t, &pool).await;
        let event = create_event(&ctx, "runners", By::Operator, &draft(None))
            .await
            .unwrap();
        assert_eq!(calendar(&ctx).await.len(), 1, "{}", t.label);
        let stored = t.db.event(&event.object.id).await.unwrap();
        assert!(stored.object.announce_id.is_some(), "{}", t.label);
        assert!(queued(&t.db).await > 0, "{}: nothing published", t.label);
    }
}

#[tokio::test]
async fn a_series_whose_occurrences_cannot_be_published_is_not_stored() {
    for t in testing::all().await {
        let (ctx, _bob) = group_with_remote(&t, true).await;
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        let weekly = draft(Some("FREQ=WEEKLY;COUNT=3"));
        assert!(
            create_event(&ctx, "runners", By::Operator, &weekly)
                .await
                .is_err()
        );
        assert!(calendar(&ctx).await.is_empty(), "{}: stored", t.label);
        // Nothing left for the hourly job to publish later, unasked.
        assert!(t.db.open_series().await.unwrap().is_empty(), "{}", t.label);
        assert_eq!(extend_all_series(&ctx, now_millis()).await.unwrap(), 0);
        mend_queue(&t, &pool).await;
        let first = create_event(&ctx, "runners", By::Operator, &weekly)
            .await
            .unwrap();
        assert!(first.object.announce_id.is_some(), "{}", t.label);
        assert_eq!(calendar(&ctx).await.len(), 3, "{}", t.label);
        let published = queued(&t.db).await;
        assert!(published > 0, "{}", t.label);
        assert_eq!(extend_all_series(&ctx, now_millis()).await.unwrap(), 0);
        assert_eq!(calendar(&ctx).await.len(), 3, "{}", t.label);
        assert_eq!(queued(&t.db).await, published, "{}", t.label);
    }
}

#[tokio::test]
async fn a_cancellation_or_deletion_whose_activity_cannot_be_queued_changes_nothing() {
    for t in testing::all().await {
        let (ctx, _bob) = group_with_remote(&t, true).await;
        let event = create_event(&ctx, "runners", By::Operator, &draft(None))
            .await
            .unwrap();
        let id = event.object.id.clone();
        let before = queued(&t.db).await;
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        assert!(cancel_event(&ctx, &id, By::Operator).await.is_err());
        assert!(delete_event(&ctx, &id, By::Operator).await.is_err());
        let kept = t.db.event(&id).await.unwrap();
        assert_eq!(kept.fields.status, event.fields.status, "{}", t.label);
        assert!(kept.object.deleted_at.is_none(), "{}: deleted", t.label);
        mend_queue(&t, &pool).await;
        cancel_event(&ctx, &id, By::Operator).await.unwrap();
        let cancelled = queued(&t.db).await;
        assert!(cancelled > before, "{}", t.label);
        delete_event(&ctx, &id, By::Operator).await.unwrap();
        assert!(t.db.event(&id).await.unwrap().object.deleted_at.is_some());
        assert!(queued(&t.db).await > cancelled, "{}", t.label);
    }
}

#[tokio::test]
async fn a_join_policy_whose_update_cannot_be_queued_is_not_changed() {
    for t in testing::all().await {
        let (ctx, _bob) = group_with_remote(&t, true).await;
        let change = PolicyChange {
            join_policy: Some("approval".into()),
            post_policy: Some("moderators".into()),
            ..PolicyChange::default()
        };
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        assert!(
            change_policies(&ctx, "runners", By::Operator, &change)
                .await
                .is_err()
        );
        let settings = t.db.group_settings(GROUP).await.unwrap();
        assert_eq!(settings.join_policy, JoinPolicy::Open, "{}", t.label);
        assert_eq!(settings.post_policy, PostPolicy::Members, "{}", t.label);
        assert!(!t.db.actor(GROUP).await.unwrap().manually_approves_followers);
        mend_queue(&t, &pool).await;
        let settings = change_policies(&ctx, "runners", By::Operator, &change)
            .await
            .unwrap();
        assert_eq!(settings.join_policy, JoinPolicy::Approval, "{}", t.label);
        assert!(t.db.actor(GROUP).await.unwrap().manually_approves_followers);
        assert_eq!(queued(&t.db).await, 1, "{}: the Update{{Group}}", t.label);
    }
}

#[tokio::test]
async fn a_report_whose_flag_cannot_be_queued_stays_open() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, true).await;
        ensure_instance_actor(&ctx).await.unwrap();
        let report =
            t.db.create_report(&NewReport {
                reporter_id: None,
                target_id: bob.id.clone(),
                group_id: None,
                object_ids: Vec::new(),
                comment: "spam".into(),
                activity_id: None,
            })
            .await
            .unwrap();
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        assert!(
            resolve(&ctx, &report.id, "spam", true, By::Operator)
                .await
                .is_err()
        );
        assert_eq!(
            t.db.report(&report.id).await.unwrap().state,
            ReportState::Open
        );
        assert!(t.db.audit_log(None, 10).await.unwrap().is_empty());
        mend_queue(&t, &pool).await;
        let resolved = resolve(&ctx, &report.id, "spam", true, By::Operator)
            .await
            .unwrap();
        assert!(resolved.forwarded, "{}", t.label);
        assert_eq!(queued(&t.db).await, 1, "{}: the Flag", t.label);
        assert_eq!(t.db.audit_log(None, 10).await.unwrap().len(), 1);
    }
}

fn follow(n: u32) -> Activity {
    Activity::from_value(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("https://remote.test/users/bob#follows/{n}"),
        "type": "Follow",
        "actor": "https://remote.test/users/bob",
        "object": GROUP,
    }))
    .unwrap()
}

/// Nothing recorded as received can be taken back from now on: what a crash right after a
/// write leaves, since the process that would undo it is gone.
async fn freeze_received(t: &testing::TestDatabase, pool: &sqlx::AnyPool) {
    let statements: &[&str] = if t.label == "sqlite" {
        &[
            "CREATE TRIGGER frozen BEFORE DELETE ON received_activities \
           BEGIN SELECT RAISE(ABORT, 'the process crashed'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION frozen() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'the process crashed'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER frozen BEFORE DELETE ON received_activities \
             FOR EACH ROW EXECUTE FUNCTION frozen()",
        ]
    };
    for sql in statements {
        pool.execute(*sql).await.unwrap();
    }
}

#[tokio::test]
async fn a_follow_whose_accept_cannot_be_queued_is_not_received_and_its_retry_applies() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, false).await;
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        freeze_received(&t, &pool).await;
        let failed = inbox::apply_once(&ctx, &follow(1), &bob).await;
        assert!(failed.is_err(), "{}: {failed:?}", t.label);
        assert!(!t.db.was_received(&follow(1).id).await.unwrap());
        mend_queue(&t, &pool).await;
        let retried = inbox::apply_once(&ctx, &follow(1), &bob).await;
        assert!(retried.is_ok(), "{}: the retry {retried:?}", t.label);
        let membership = t.db.membership(GROUP, &bob.id).await.unwrap();
        assert_eq!(membership.state, MemberState::Accepted);
        assert!(t.db.was_received(&follow(1).id).await.unwrap());
        let again = inbox::apply_once(&ctx, &follow(1), &bob).await;
        assert!(
            matches!(again, Err(FederationError::Duplicate(_))),
            "{again:?}"
        );
        assert_eq!(queued(&t.db).await, 1, "{}: one Accept", t.label);
    }
}

#[tokio::test]
async fn two_copies_of_a_follow_at_once_apply_once() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, false).await;
        let activity = follow(2);
        let (a, b) = tokio::join!(
            inbox::apply_once(&ctx, &activity, &bob),
            inbox::apply_once(&ctx, &activity, &bob)
        );
        let duplicates = [&a, &b]
            .iter()
            .filter(|r| matches!(r, Err(FederationError::Duplicate(_))))
            .count();
        assert_eq!(duplicates, 1, "{}: {a:?} {b:?}", t.label);
        assert!(a.is_ok() || b.is_ok(), "{}: {a:?} {b:?}", t.label);
        assert_eq!(queued(&t.db).await, 1, "{}: one Accept", t.label);
    }
}

#[tokio::test]
async fn an_ignored_activity_is_recorded_alone() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, false).await;
        let unknown = Activity::from_value(json!({
            "id": "https://remote.test/users/bob#likes/1",
            "type": "Like",
            "actor": bob.id,
            "object": "https://kith.test/o/nothing",
        }))
        .unwrap();
        inbox::apply_once(&ctx, &unknown, &bob).await.unwrap();
        assert!(t.db.was_received(&unknown.id).await.unwrap(), "{}", t.label);
        let again = inbox::apply_once(&ctx, &unknown, &bob).await;
        assert!(
            matches!(again, Err(FederationError::Duplicate(_))),
            "{again:?}"
        );
        assert!(matches!(
            t.db.membership(GROUP, &bob.id).await,
            Err(StorageError::NotFound)
        ));
    }
}
