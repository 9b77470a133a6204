//! The mail queue, notifications, mail secrets and what the scheduled mail reads (migration
//! 0020), on SQLite and (when configured) PostgreSQL: a message queued in a transaction exists
//! only if it commits; two processes claim different messages; a failed one comes back after
//! its delay; a confirmation or reset secret works once and an unsubscribe one until it
//! expires; a digest counts a thread's posts in its window and leaves out held and other
//! groups' posts; a reminder is recorded once.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{group_with_owner, note, person};
use kith_storage::{
    Database, Digest, MemberRole, MemberState, NewMail, NotificationSettings, now_millis, testing,
};

fn mail(to: &str) -> NewMail {
    NewMail {
        to: to.into(),
        subject: "Hello".into(),
        body_text: "Text".into(),
        unsubscribe_url: String::new(),
    }
}

#[tokio::test]
async fn mail_queued_in_a_transaction_is_claimed_once_retried_and_finished() {
    for t in testing::all().await {
        let db = &t.db;
        let mut tx = db.begin().await.unwrap();
        tx.queue_mail(&mail("dropped@mail.test")).await.unwrap();
        drop(tx);
        assert_eq!(db.pending_mail().await.unwrap(), (0, 0), "{}", t.label);
        db.queue_mail(&mail("a@mail.test")).await.unwrap();
        db.queue_mail(&mail("b@mail.test")).await.unwrap();

        let other = Database::connect(&t.url).await.unwrap();
        let first = db.claim_mail(1, 60_000).await.unwrap();
        let second = other.claim_mail(10, 60_000).await.unwrap();
        assert_eq!((first.len(), second.len()), (1, 1), "{}", t.label);
        assert_ne!(first[0].id, second[0].id);
        assert!(
            db.claim_mail(10, 60_000).await.unwrap().is_empty(),
            "all claimed"
        );

        db.retry_mail(first[0].id, now_millis() - 1, "connection refused")
            .await
            .unwrap();
        assert_eq!(db.pending_mail().await.unwrap(), (2, 1));
        let again = db.claim_mail(10, 60_000).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].id, again[0].attempts), (first[0].id, 1));
        db.retry_mail(again[0].id, now_millis() + 60_000, "still down")
            .await
            .unwrap();
        assert!(
            db.claim_mail(10, 60_000).await.unwrap().is_empty(),
            "not due"
        );
        assert!(db.next_mail_due().await.unwrap().unwrap() > now_millis());
        db.finish_mail(second[0].id).await.unwrap();
        db.finish_mail(again[0].id).await.unwrap();
        assert_eq!(db.pending_mail().await.unwrap(), (0, 0));
        other.close().await;
    }
}

#[tokio::test]
async fn secrets_sent_by_email_work_as_long_as_their_purpose_says() {
    for t in testing::all().await {
        let db = &t.db;
        let ann = person(db, "ann").await;
        let mut tx = db.begin().await.unwrap();
        let later = now_millis() + 60_000;
        tx.create_mail_token("v", &ann.id, "verify", "ann@mail.test", later)
            .await
            .unwrap();
        tx.create_mail_token("u", &ann.id, "unsubscribe", "", later)
            .await
            .unwrap();
        tx.create_mail_token("old", &ann.id, "reset", "", now_millis() - 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            db.use_mail_token("v", "reset").await.is_err(),
            "wrong purpose"
        );
        let (account, email) = db.use_mail_token("v", "verify").await.unwrap();
        assert_eq!(
            (account.as_str(), email.as_str()),
            (ann.id.as_str(), "ann@mail.test")
        );
        assert!(
            db.use_mail_token("v", "verify").await.is_err(),
            "{}: used once",
            t.label
        );
        assert!(db.use_mail_token("u", "unsubscribe").await.is_ok());
        assert!(db.use_mail_token("u", "unsubscribe").await.is_ok(), "kept");
        assert!(
            !db.mail_token_open("old", "reset").await.unwrap(),
            "expired"
        );
        assert!(db.use_mail_token("old", "reset").await.is_err());

        assert_eq!(db.confirmed_email(&ann.id).await.unwrap(), None);
        db.confirm_email(&ann.id, "ann@mail.test").await.unwrap();
        let bob = person(db, "bob").await;
        assert!(
            db.confirm_email(&bob.id, "ann@mail.test").await.is_err(),
            "taken"
        );
        let found = db
            .recipient_by_email("ANN@mail.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.account_id, ann.id);
        assert_eq!(found.settings, NotificationSettings::default());

        db.unsubscribe_all(&ann.id).await.unwrap();
        let settings = db.notification_settings(&ann.id).await.unwrap();
        assert!(!settings.email_each);
        assert_eq!(settings.digest, Digest::Off);
    }
}

#[tokio::test]
async fn a_digest_counts_threads_in_its_window_and_only_what_members_may_read() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let member = person(db, "mia").await;
        db.upsert_membership(
            &group.id,
            &member.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        let now = now_millis();
        let day = 24 * 3600 * 1000;
        let root = "https://kith.test/o/root";
        let g = Some(group.id.as_str());
        db.insert_object(&note(root, &owner.actor_id, g, None, now - 1000))
            .await
            .unwrap();
        for i in 0..3 {
            let id = format!("https://kith.test/o/r{i}");
            db.insert_object(&note(&id, &owner.actor_id, g, Some(root), now - 900 + i))
                .await
                .unwrap();
        }
        // Before the window, and held: not counted.
        db.insert_object(&note(
            "https://kith.test/o/old",
            &owner.actor_id,
            g,
            Some(root),
            now - 2 * day,
        ))
        .await
        .unwrap();
        let mut held = note(
            "https://kith.test/o/held",
            &owner.actor_id,
            g,
            None,
            now - 500,
        );
        held.held_reason = Some("first post".into());
        db.insert_object(&held).await.unwrap();

        let threads = db
            .digest_threads(&member.actor_id, now - day, now, 5)
            .await
            .unwrap();
        assert_eq!(threads.len(), 1, "{}", t.label);
        assert_eq!((threads[0].id.as_str(), threads[0].posts), (root, 4));
        assert_eq!(threads[0].group_name, "runners");
        let stranger = person(db, "sam").await;
        assert!(
            db.digest_threads(&stranger.actor_id, now - day, now, 5)
                .await
                .unwrap()
                .is_empty()
        );

        db.confirm_email(&member.id, "mia@mail.test").await.unwrap();
        assert!(
            db.due_digests(now).await.unwrap().is_empty(),
            "no digest chosen"
        );
        let daily = NotificationSettings {
            digest: Digest::Daily,
            ..Default::default()
        };
        db.set_notification_settings(&member.id, daily)
            .await
            .unwrap();
        let chosen = now_millis();
        assert!(
            db.due_digests(chosen).await.unwrap().is_empty(),
            "{}: starts now",
            t.label
        );
        let due = db.due_digests(chosen + day).await.unwrap();
        assert_eq!(due.len(), 1);
        assert!(due[0].since <= chosen && due[0].since > now - day);
        let mut tx = db.begin().await.unwrap();
        tx.digest_sent(&member.id, chosen + day).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            db.due_digests(chosen + day + 1).await.unwrap().is_empty(),
            "sent"
        );
    }
}
