//! Invitations to a group and hidden groups' secret names (issue 26, migration 0042), on both
//! databases: an invitation is open while it has uses and time left, each use is taken once
//! (the last one by one taker only), revoking closes it and forgets its invitees, and a secret
//! name once given stays.

#![allow(clippy::unwrap_used)]

mod common;

use common::group_with_owner;
use kith_storage::{Invitation, StorageError, testing};

const HOUR: i64 = 3_600_000;

fn invitation(id: &str, group_id: &str, max_uses: i64, now: i64) -> Invitation {
    Invitation {
        id: id.into(),
        group_id: group_id.into(),
        invitee_id: None,
        created_by: None,
        max_uses,
        uses: 0,
        created_at: now,
        expires_at: now + HOUR,
    }
}

#[tokio::test]
async fn an_invitation_is_open_while_it_has_uses_and_time_left() {
    for t in testing::all().await {
        let db = &t.db;
        let (_, group) = group_with_owner(db).await;
        let now = kith_storage::now_millis();
        let link = invitation("01INV", &group.id, 2, now);
        let mut tx = db.begin().await.unwrap();
        tx.create_invitation(&link, "hash-a").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.open_invitation("hash-a", now).await.unwrap(),
            link,
            "{}",
            t.label
        );
        assert!(matches!(
            db.open_invitation("hash-b", now).await,
            Err(StorageError::NotFound)
        ));
        // Closed once it expires.
        assert!(matches!(
            db.open_invitation("hash-a", now + 2 * HOUR).await,
            Err(StorageError::NotFound)
        ));

        // Two uses, then none: the third taker is refused, and a use dropped with its
        // transaction is not counted.
        let mut tx = db.begin().await.unwrap();
        tx.use_invitation("hash-a", now).await.unwrap();
        drop(tx);
        for expected in 1..=2 {
            let mut tx = db.begin().await.unwrap();
            let used = tx.use_invitation("hash-a", now).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(used.uses, expected, "{}", t.label);
        }
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            tx.use_invitation("hash-a", now).await,
            Err(StorageError::NotFound)
        ));
        drop(tx);
        assert!(
            db.open_invitations(&group.id, now)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn invitees_give_their_server_a_look_until_expiry_or_revocation() {
    for t in testing::all().await {
        let db = &t.db;
        let (_, group) = group_with_owner(db).await;
        let now = kith_storage::now_millis();
        let link = invitation("01LINK", &group.id, 5, now);
        let person = "https://b.test/users/ann";
        let mut tx = db.begin().await.unwrap();
        tx.create_invitation(&link, "hash-l").await.unwrap();
        tx.add_invitee(&link, person, "b.test", now).await.unwrap();
        tx.commit().await.unwrap();
        assert!(db.host_has_invitee(&group.id, "b.test", now).await.unwrap());
        assert!(!db.host_has_invitee(&group.id, "c.test", now).await.unwrap());
        assert!(db.is_invitee(&group.id, person, now).await.unwrap());
        assert!(
            !db.is_invitee(&group.id, person, now + 2 * HOUR)
                .await
                .unwrap(),
            "{}",
            t.label
        );
        assert_eq!(db.open_invitations(&group.id, now).await.unwrap().len(), 1);

        // Joining forgets the invitee.
        let mut tx = db.begin().await.unwrap();
        tx.remove_invitee(&group.id, person).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!db.host_has_invitee(&group.id, "b.test", now).await.unwrap());

        // Revoking closes the link and forgets who used it.
        let mut tx = db.begin().await.unwrap();
        tx.add_invitee(&link, person, "b.test", now).await.unwrap();
        tx.commit().await.unwrap();
        db.delete_invitation(&group.id, "01LINK").await.unwrap();
        assert!(
            !db.host_has_invitee(&group.id, "b.test", now).await.unwrap(),
            "{}",
            t.label
        );
        assert!(matches!(
            db.open_invitation("hash-l", now).await,
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            db.delete_invitation(&group.id, "01LINK").await,
            Err(StorageError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_secret_name_once_given_stays() {
    for t in testing::all().await {
        let db = &t.db;
        let (_, group) = group_with_owner(db).await;
        let now = kith_storage::now_millis();
        let name = db.group_handle(&group.id, "club.first", now).await.unwrap();
        assert_eq!(name, "club.first", "{}", t.label);
        let again = db
            .group_handle(&group.id, "club.second", now)
            .await
            .unwrap();
        assert_eq!(again, "club.first", "{}", t.label);
        assert_eq!(db.group_of_handle("club.first").await.unwrap(), group.id);
        assert!(matches!(
            db.group_of_handle("club.second").await,
            Err(StorageError::NotFound)
        ));
    }
}
