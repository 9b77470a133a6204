//! Group commit: on PostgreSQL requests checked at the same time share a write; a lone one is
//! written alone; SQLite writes as soon as its writer is free.

use std::sync::atomic::Ordering;

use kith_storage::{NewInbound, testing};

use super::*;
use crate::FederationSettings;

fn activity(n: usize) -> NewInbound {
    let id = format!("https://mastodon.example/users/felix/statuses/{n}/activity");
    NewInbound {
        body: format!(r#"{{"id":"{id}","type":"Create"}}"#),
        activity_id: id,
        actor_id: "https://mastodon.example/users/felix".into(),
        kind: "Create".into(),
    }
}

fn writes(ctx: &Context) -> u64 {
    ctx.counters().inbox_writes.load(Ordering::Relaxed)
}

/// Four requests checked at once (activities `base + 1..=4`): the writes the four took.
async fn four_at_once(test: &testing::TestDatabase, base: usize) -> (Context, u64) {
    let ctx = Context::new(test.db.clone(), FederationSettings::new("kith.test", false)).unwrap();
    let checking: Vec<Checking> = (0..4).map(|_| Checking::start(&ctx)).collect();
    let [a, b, c, d] = <[Checking; 4]>::try_from(checking).unwrap();
    let (a, b, c, d) = tokio::join!(
        queue(&ctx, activity(base + 1), a),
        queue(&ctx, activity(base + 2), b),
        queue(&ctx, activity(base + 3), c),
        async {
            // Still being checked when the writer first looks.
            tokio::task::yield_now().await;
            queue(&ctx, activity(base + 4), d).await
        },
    );
    for new in [a, b, c, d] {
        assert!(new.unwrap(), "{}", test.label);
    }
    let taken = writes(&ctx);
    (ctx, taken)
}

/// Four requests checked at once: the first three are queued while the fourth is still being
/// checked, and on PostgreSQL the write waits for it instead of going with three. The wait is
/// bounded (about a millisecond), so on a machine busy with other tests the fourth may miss
/// it: three tries, of which one must share the write.
#[tokio::test]
async fn a_write_waits_for_the_requests_still_being_checked() {
    for test in testing::all().await {
        let together = match test.db.backend() {
            Backend::Postgres => 1,
            Backend::Sqlite => 2,
        };
        let mut tries = Vec::new();
        let mut last = None;
        for attempt in 0..3 {
            let (ctx, taken) = four_at_once(&test, attempt * 10).await;
            tries.push(taken);
            last = Some(ctx);
            if taken <= together {
                break;
            }
        }
        let ctx = last.unwrap();
        assert!(
            tries.last().is_some_and(|t| *t <= together),
            "{}: writes for the four, in each try: {tries:?}",
            test.label
        );
        let before = writes(&ctx);

        // Alone, and a copy: each its own write, the copy refused.
        assert!(
            queue(&ctx, activity(500), Checking::start(&ctx))
                .await
                .unwrap()
        );
        assert!(
            !queue(&ctx, activity(500), Checking::start(&ctx))
                .await
                .unwrap()
        );
        assert_eq!(writes(&ctx), before + 2, "{}", test.label);
        assert_eq!(ctx.ingress().checking.load(Ordering::Relaxed), 0);
    }
}

/// A request refused while a write waits for it lets the write go.
#[tokio::test]
async fn a_refused_request_is_not_waited_for() {
    for test in testing::all().await {
        let ctx =
            Context::new(test.db.clone(), FederationSettings::new("kith.test", false)).unwrap();
        let first = Checking::start(&ctx);
        let refused = Checking::start(&ctx);
        let (queued, ()) = tokio::join!(queue(&ctx, activity(1), first), async {
            tokio::task::yield_now().await;
            drop(refused);
        });
        assert!(queued.unwrap(), "{}", test.label);
        assert_eq!(writes(&ctx), 1, "{}", test.label);
        assert_eq!(ctx.ingress().checking.load(Ordering::Relaxed), 0);
    }
}
