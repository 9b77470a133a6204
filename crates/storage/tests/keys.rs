//! The keys actors publish (`keys.rs`, migration 0011) and the signature scheme remembered per
//! host (migration 0012), on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::actor;
use kith_storage::{ActorKind, NewKey, StorageError, testing};

fn key(id: &str, text: &str) -> NewKey {
    NewKey {
        key_id: id.into(),
        public_key: text.into(),
    }
}

#[tokio::test]
async fn an_actor_is_found_by_each_key_it_publishes_and_only_those() {
    for t in testing::all().await {
        let db = &t.db;
        let alice = actor("alice", ActorKind::Person, false, "gts.test");
        let rsa = key(&format!("{}/main-key", alice.id), "RSA PEM");
        let ed = key(&format!("{}#ed25519-key", alice.id), "z6Mk…");
        db.upsert_remote_actor_with_keys(&alice, &[rsa.clone(), ed.clone()])
            .await
            .unwrap();
        for k in [&rsa, &ed] {
            assert_eq!(db.actor_by_key_id(&k.key_id).await.unwrap().id, alice.id);
            assert_eq!(
                db.actor_key(&k.key_id).await.unwrap().public_key,
                k.public_key
            );
        }
        assert_eq!(
            db.keys_of_actor(&alice.id).await.unwrap().len(),
            2,
            "{}",
            t.label
        );

        // Fetched again without the Ed25519 key: it is forgotten, the RSA key rotated.
        let rotated = key(&rsa.key_id, "NEW RSA PEM");
        db.upsert_remote_actor_with_keys(&alice, std::slice::from_ref(&rotated))
            .await
            .unwrap();
        assert!(matches!(
            db.actor_by_key_id(&ed.key_id).await,
            Err(StorageError::NotFound)
        ));
        assert_eq!(
            db.actor_key(&rsa.key_id).await.unwrap().public_key,
            "NEW RSA PEM"
        );

        // The plain upsert keeps the main key as the actor's one key.
        let bob = actor("bob", ActorKind::Person, false, "mastodon.test");
        db.upsert_remote_actor(&bob).await.unwrap();
        assert_eq!(db.actor_by_key_id(&bob.key_id).await.unwrap().id, bob.id);
    }
}

#[tokio::test]
async fn local_keys_are_found_and_a_remote_copy_cannot_change_them() {
    for t in testing::all().await {
        let db = &t.db;
        let local = actor("runners", ActorKind::Group, true, "kith.test");
        db.insert_actor(&local).await.unwrap();
        assert_eq!(
            db.actor_by_key_id(&local.key_id).await.unwrap().id,
            local.id
        );

        // A remote document claiming the local id adds no key to it.
        let claim = key("https://kith.test/a/runners#evil", "EVIL");
        db.upsert_remote_actor_with_keys(&local, std::slice::from_ref(&claim))
            .await
            .unwrap();
        assert!(matches!(
            db.actor_key(&claim.key_id).await,
            Err(StorageError::NotFound)
        ));
        assert_eq!(db.actor_key(&local.key_id).await.unwrap().public_key, "PEM");
    }
}

#[tokio::test]
async fn a_host_signature_scheme_is_remembered_and_reset() {
    for t in testing::all().await {
        let db = &t.db;
        assert_eq!(db.host_signature_scheme("fedify.test").await.unwrap(), None);
        db.set_host_signature_scheme("fedify.test", Some("rfc9421"))
            .await
            .unwrap();
        assert_eq!(
            db.host_signature_scheme("fedify.test")
                .await
                .unwrap()
                .as_deref(),
            Some("rfc9421")
        );
        // Failing and recovering leaves the scheme alone.
        db.record_host_failure("fedify.test", 1, 0).await.unwrap();
        db.record_host_success("fedify.test").await.unwrap();
        assert!(!db.host_is_dead("fedify.test").await.unwrap());
        assert_eq!(
            db.host_signature_scheme("fedify.test")
                .await
                .unwrap()
                .as_deref(),
            Some("rfc9421")
        );
        db.set_host_signature_scheme("fedify.test", None)
            .await
            .unwrap();
        assert_eq!(db.host_signature_scheme("fedify.test").await.unwrap(), None);
    }
}
