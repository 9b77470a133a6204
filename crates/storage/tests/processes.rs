//! Processes sharing a database (`processes.rs`, `turns.rs`), on SQLite and (when configured)
//! PostgreSQL: claims name their process; a successor at the same node, or any live process
//! once a heartbeat is stale, takes a gone process's claims back at once; a live or stopping
//! process keeps its own; a handle that never registered (an admin command) takes nothing; a
//! job's turn goes to one process per period.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::person;
use kith_storage::{Database, NewDelivery, NewInbound, TakenBack, testing};

async fn queue_work(db: &Database, tag: &str) {
    let sender = person(db, &format!("sender{tag}")).await;
    db.enqueue_delivery(&NewDelivery {
        activity_id: format!("https://kith.test/act/{tag}"),
        actor_id: sender.actor_id,
        body: "{}".into(),
        inboxes: vec![
            "https://one.test/inbox".into(),
            "https://two.test/inbox".into(),
        ],
    })
    .await
    .unwrap();
    let inbound = NewInbound {
        activity_id: format!("https://mastodon.test/act/{tag}"),
        actor_id: "https://mastodon.test/users/felix".into(),
        kind: "Create".into(),
        body: "{}".into(),
    };
    assert_eq!(db.accept_inbound(&[inbound]).await.unwrap(), [true]);
}

/// Claims all that is due, as a worker of `db`'s process does: (deliveries, inbound).
async fn claim_all(db: &Database) -> (usize, usize) {
    let deliveries = db.claim_deliveries(100, 120_000).await.unwrap().len();
    let inbound = db.claim_inbound(100, 120_000).await.unwrap().len();
    (deliveries, inbound)
}

async fn process(url: &str, node: &str) -> Database {
    let db = Database::connect(url).await.unwrap();
    let taken = db.register_process(node).await.unwrap();
    assert!(!taken.any(), "{node}: nothing to take back yet");
    db
}

#[tokio::test]
async fn a_successor_at_the_same_node_takes_a_dead_processs_claims_back_at_once() {
    for t in testing::all().await {
        let label = t.label;
        let first = process(&t.url, "host netns 127.0.0.1:8080").await;
        let neighbour = process(&t.url, "host netns 127.0.0.1:8081").await;
        queue_work(&t.db, "1").await;
        assert_eq!(claim_all(&first).await, (2, 1), "{label}");
        assert!(first.process_id().is_some());

        // An admin command's handle beside them: it registers nothing, claims nothing (all is
        // held) and takes nothing back.
        let admin = Database::connect(&t.url).await.unwrap();
        assert_eq!(admin.process_id(), None);
        assert_eq!(
            admin.beat(Duration::ZERO).await.unwrap(),
            TakenBack::default()
        );
        assert_eq!(
            claim_all(&admin).await,
            (0, 0),
            "{label}: an admin handle steals nothing"
        );
        // A live process elsewhere leaves them too, however recent the claims.
        assert_eq!(
            neighbour.beat(kith_storage::STALE_AFTER).await.unwrap(),
            TakenBack::default()
        );
        assert_eq!(claim_all(&neighbour).await, (0, 0), "{label}");

        // `first` is killed; a process starting at its node takes its claims back as it
        // registers, and they are due at once — two minutes before their lease runs out.
        let successor = Database::connect(&t.url).await.unwrap();
        let taken = successor
            .register_process("host netns 127.0.0.1:8080")
            .await
            .unwrap();
        assert_eq!(
            taken,
            TakenBack {
                processes: 1,
                deliveries: 2,
                inbound: 1
            },
            "{label}"
        );
        assert_eq!(claim_all(&successor).await, (2, 1), "{label}");
        let nodes: Vec<String> =
            t.db.registered_processes()
                .await
                .unwrap()
                .into_iter()
                .map(|(_, node, _)| node)
                .collect();
        assert_eq!(nodes.len(), 2, "{label}: the dead one is gone: {nodes:?}");
        for db in [first, neighbour, successor, admin] {
            db.close().await;
        }
    }
}

#[tokio::test]
async fn a_stale_processs_claims_are_taken_back_and_a_live_ones_are_not() {
    let stale = Duration::from_millis(600);
    for t in testing::all().await {
        let label = t.label;
        let live = process(&t.url, "a").await;
        let watcher = process(&t.url, "b").await;
        queue_work(&t.db, "2").await;
        assert_eq!(claim_all(&live).await, (2, 1), "{label}");

        // While `live` beats, the watcher's beats leave its claims alone, well past `stale`.
        for _ in 0..8 {
            tokio::time::sleep(stale / 4).await;
            live.beat(stale).await.unwrap();
            assert_eq!(
                watcher.beat(stale).await.unwrap(),
                TakenBack::default(),
                "{label}: a live process's claims are not stolen"
            );
        }
        assert_eq!(claim_all(&watcher).await, (0, 0), "{label}");

        // `live` stops beating (killed, frozen): the watcher's next beat after `stale` takes
        // its claims back, and they are due at once.
        tokio::time::sleep(stale + Duration::from_millis(300)).await;
        let taken = watcher.beat(stale).await.unwrap();
        assert_eq!(
            taken,
            TakenBack {
                processes: 1,
                deliveries: 2,
                inbound: 1
            },
            "{label}"
        );
        assert_eq!(claim_all(&watcher).await, (2, 1), "{label}");

        // Should it come back, it registers again, with nothing: its claims are the watcher's.
        assert_eq!(live.beat(stale).await.unwrap(), TakenBack::default());
        assert_eq!(t.db.registered_processes().await.unwrap().len(), 2);
        assert_eq!(watcher.beat(stale).await.unwrap(), TakenBack::default());
        live.close().await;
        watcher.close().await;
    }
}

#[tokio::test]
async fn a_stopping_process_keeps_its_claims_from_a_successor_and_hands_them_back() {
    for t in testing::all().await {
        let label = t.label;
        let old = process(&t.url, "node").await;
        queue_work(&t.db, "3").await;
        assert_eq!(claim_all(&old).await, (2, 1));
        // A graceful stop frees the address before the workers are done: a process that
        // binds it meanwhile leaves the claims to the one stopping.
        old.process_stopping().await.unwrap();
        let new = process(&t.url, "node").await;
        assert_eq!(claim_all(&new).await, (0, 0), "{label}");
        let handed = old.deregister_process().await.unwrap();
        assert_eq!((handed.deliveries, handed.inbound), (2, 1), "{label}");
        assert_eq!(claim_all(&new).await, (2, 1), "{label}");
        old.close().await;
        new.close().await;
    }
}

#[tokio::test]
async fn a_jobs_turn_goes_to_one_process_per_period() {
    let hour = Duration::from_secs(3600);
    for t in testing::all().await {
        let label = t.label;
        let a = process(&t.url, "a").await;
        let b = process(&t.url, "b").await;
        let turn = a.take_turn("series", hour).await.unwrap().expect("first");
        assert!(
            b.take_turn("series", hour).await.unwrap().is_none(),
            "{label}: not while a holds it"
        );
        assert!(
            b.take_turn("other job", hour).await.unwrap().is_some(),
            "{label}: jobs are apart"
        );
        turn.finish().await.unwrap();
        assert!(
            b.take_turn("series", hour).await.unwrap().is_none(),
            "{label}: nor within the period"
        );
        assert!(a.take_turn("series", hour).await.unwrap().is_none());

        // Once the period is over, the next process to ask runs it.
        let short = Duration::from_millis(300);
        let turn = a.take_turn("quick", short).await.unwrap().expect("quick");
        turn.finish().await.unwrap();
        assert!(b.take_turn("quick", short).await.unwrap().is_none());
        tokio::time::sleep(short + Duration::from_millis(100)).await;
        let turn = b.take_turn("quick", short).await.unwrap();
        assert!(turn.is_some(), "{label}: due again");
        turn.unwrap().finish().await.unwrap();

        // A turn given up unfinished (its job failed, its process died): on PostgreSQL it is
        // rolled back and the next process runs the job; on SQLite it was counted.
        // (The rollback goes out as the connection returns to its pool, moments later.)
        let dropped = a.take_turn("fragile", hour).await.unwrap();
        assert!(dropped.is_some());
        drop(dropped);
        let mut again = None;
        for _ in 0..40 {
            again = b.take_turn("fragile", hour).await.unwrap();
            if again.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(again.is_some(), t.label == "postgres", "{label}");
        if let Some(turn) = again {
            turn.finish().await.unwrap();
        }
        a.close().await;
        b.close().await;
    }
}
