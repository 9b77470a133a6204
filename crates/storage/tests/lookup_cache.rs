//! The in-memory copy of actors the inbox reads on every request (`lookup_cache.rs`): what it keeps,
//! and that storing one actor forgets that actor only — on SQLite and (when configured)
//! PostgreSQL. A second handle on the same database plays another process, whose writes the
//! copy does not see until it ages out.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::actor;
use kith_storage::{ActorKind, Database, NewActor, StorageError, testing};

fn remote(name: &str) -> NewActor {
    actor(name, ActorKind::Person, false, "mastodon.test")
}

#[tokio::test]
async fn storing_an_actor_keeps_it_and_forgets_only_that_actor() {
    for t in testing::all().await {
        let db = &t.db;
        let other_process = Database::connect(&t.url).await.unwrap();
        let (ana, ben) = (remote("ana"), remote("ben"));
        db.upsert_remote_actor(&ana).await.unwrap();
        let stored_ben = db.upsert_remote_actor(&ben).await.unwrap();
        assert_eq!(
            db.actor_by_key_id_cached(&ana.key_id).await.unwrap().id,
            ana.id
        );

        // Changed elsewhere: both are answered from memory, Ben because he was just stored.
        let renamed = |a: &NewActor| NewActor {
            display_name: Some("renamed elsewhere".into()),
            ..a.clone()
        };
        other_process
            .upsert_remote_actor(&renamed(&ana))
            .await
            .unwrap();
        other_process
            .upsert_remote_actor(&renamed(&ben))
            .await
            .unwrap();
        let cached = |key: String| async move { db.actor_by_key_id_cached(&key).await };
        assert_eq!(
            cached(ben.key_id.clone()).await.unwrap().display_name,
            stored_ben.display_name,
            "{}: a stored actor is kept",
            t.label
        );
        assert_eq!(
            cached(ana.key_id.clone()).await.unwrap().display_name,
            Some("ANA".into())
        );

        // Storing Ben again here forgets Ben, not Ana.
        let ben_again = NewActor {
            summary: Some("runs on Sundays".into()),
            ..renamed(&ben)
        };
        db.upsert_remote_actor(&ben_again).await.unwrap();
        assert_eq!(
            cached(ana.key_id.clone()).await.unwrap().display_name,
            Some("ANA".into()),
            "{}: storing one actor keeps the others",
            t.label
        );
        assert_eq!(
            cached(ben.key_id.clone()).await.unwrap().summary.as_deref(),
            Some("runs on Sundays")
        );

        // A new key: the old one no longer finds Ana, the new one does.
        let rotated = NewActor {
            key_id: format!("{}#key-2", ana.id),
            ..ana.clone()
        };
        db.upsert_remote_actor(&rotated).await.unwrap();
        assert!(matches!(
            cached(ana.key_id.clone()).await,
            Err(StorageError::NotFound)
        ));
        assert_eq!(cached(rotated.key_id.clone()).await.unwrap().id, ana.id);
        other_process.close().await;
    }
}

#[tokio::test]
async fn actors_stored_at_once_are_all_kept() {
    for t in testing::all().await {
        let db = &t.db;
        let other_process = Database::connect(&t.url).await.unwrap();
        // A burst of joins: each store forgets one actor while the others are being read back.
        let members: Vec<NewActor> = (0..40).map(|n| remote(&format!("m{n}"))).collect();
        let stores = members.iter().map(|m| {
            let db = db.clone();
            let m = m.clone();
            tokio::spawn(async move { db.upsert_remote_actor(&m).await })
        });
        for store in stores.collect::<Vec<_>>() {
            store.await.unwrap().unwrap();
        }
        for m in &members {
            let changed = NewActor {
                display_name: Some("renamed elsewhere".into()),
                ..m.clone()
            };
            other_process.upsert_remote_actor(&changed).await.unwrap();
        }
        for m in &members {
            let held = db.actor_by_key_id_cached(&m.key_id).await.unwrap();
            assert_eq!(
                held.display_name, m.display_name,
                "{}: {} was kept when stored",
                t.label, m.id
            );
        }
        other_process.close().await;
    }
}

#[tokio::test]
async fn a_block_made_by_another_process_holds_here_within_blocks_ttl() {
    use kith_storage::{BLOCKS_TTL, DomainSeverity};
    use std::time::{Duration, Instant};
    for t in testing::all().await {
        let db = &t.db;
        let other_process = Database::connect(&t.url).await.unwrap();
        let spammer = remote("spam");
        db.upsert_remote_actor(&spammer).await.unwrap();
        // This process's copy is fresh: nothing is blocked.
        assert_eq!(db.domain_severity_cached("spam.test").await.unwrap(), None);
        assert!(!db.is_actor_blocked_cached(&spammer.id).await.unwrap());

        other_process
            .block_domain("spam.test", DomainSeverity::Block, None)
            .await
            .unwrap();
        other_process.block_actor(&spammer.id, None).await.unwrap();
        let blocked_at = Instant::now();
        // The process that blocked holds the blocks at once.
        assert_eq!(
            other_process
                .domain_severity_cached("spam.test")
                .await
                .unwrap(),
            Some(DomainSeverity::Block)
        );
        assert!(
            other_process
                .is_actor_blocked_cached(&spammer.id)
                .await
                .unwrap()
        );
        // This one, once its copy ages out: within BLOCKS_TTL of the block, never later.
        loop {
            let domain = db.domain_severity_cached("spam.test").await.unwrap();
            let actor = db.is_actor_blocked_cached(&spammer.id).await.unwrap();
            if domain == Some(DomainSeverity::Block) && actor {
                break;
            }
            assert!(
                blocked_at.elapsed() <= BLOCKS_TTL,
                "{}: blocks unseen {:?} after they were made",
                t.label,
                blocked_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        other_process.close().await;
    }
}
