//! The inbound queue: content activities are answered `202` once checked and applied by the
//! inbox worker, in order per sender; copies are refused; what a process queued before it died
//! is applied all the same. Received ids are forgotten once older than any retry.

use kith_federation::jobs::retention::{self, RetentionSettings};
use kith_storage::{JoinPolicy, NewInbound, testing};
use serde_json::json;

use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::{follow, mastodon, post_mentioning};

fn key_id(actor: &serde_json::Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn content_is_queued_applied_in_order_and_survives_a_dead_process() {
    for db in testing::all().await {
        let kith = Instance::start_on(db).await;
        kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let (peer, felix) = mastodon().await;
        let inbox = format!("{}/inbox", kith.base);
        let key = key_id(&felix);
        // The Follow is applied before the answer: the membership exists at once.
        assert_eq!(
            peer.send(&key, &group.inbox_url, &follow(&peer, &felix, &group.id))
                .await,
            202
        );
        let felix_id = felix["id"].as_str().unwrap();
        assert!(kith.ctx.db.membership(&group.id, felix_id).await.is_ok());

        // A burst of posts, and a post deleted right after it was sent: all are answered 202
        // and the Delete is applied after its Create.
        let creates: Vec<_> = (1..=12)
            .map(|n| post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), n))
            .collect();
        for create in &creates {
            assert_eq!(peer.send(&key, &inbox, create).await, 202, "{}", kith.label);
        }
        let last = creates[11]["object"]["id"].as_str().unwrap().to_owned();
        let mut delete = peer.fixture("mastodon/delete.json");
        delete["id"] = json!(format!("{last}#delete"));
        delete["object"]["id"] = json!(last);
        assert_eq!(peer.send(&key, &inbox, &delete).await, 202);
        // A copy of an activity already taken is refused, queued or not.
        assert_eq!(peer.send(&key, &inbox, &creates[0]).await, 409);
        kith.settled().await;
        for create in &creates[..11] {
            let id = create["object"]["id"].as_str().unwrap();
            let stored = kith.ctx.db.object(id).await.unwrap();
            assert!(stored.deleted_at.is_none(), "{id}");
        }
        let deleted = kith.ctx.db.object(&last).await.unwrap();
        assert!(
            deleted.deleted_at.is_some(),
            "the Delete came after the Create"
        );
        let counters = kith.ctx.counters();
        let queued = counters
            .inbox_queued
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(queued, 13);

        // Posts another process answered 202 for and died before applying are applied here.
        let orphan = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 20);
        let second = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 21);
        let rows: Vec<NewInbound> = [&orphan, &second]
            .iter()
            .map(|a| NewInbound {
                activity_id: a["id"].as_str().unwrap().to_owned(),
                actor_id: felix_id.to_owned(),
                kind: "Create".into(),
                body: a.to_string(),
            })
            .collect();
        assert_eq!(
            kith.ctx.db.accept_inbound(&rows).await.unwrap(),
            [true, true]
        );
        for a in [&orphan, &second] {
            let id = a["object"]["id"].as_str().unwrap().to_owned();
            eventually("the queued post applied", || async {
                kith.ctx.db.object(&id).await.ok()
            })
            .await;
        }
        kith.settled().await;
        kith.stop().await;
    }
}

#[tokio::test]
async fn old_received_ids_are_forgotten_and_a_recent_redelivery_still_has_no_second_effect() {
    for db in testing::all().await {
        let kith = Instance::start_on(db).await;
        kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let (peer, felix) = mastodon().await;
        let inbox = format!("{}/inbox", kith.base);
        let key = key_id(&felix);
        let follow = follow(&peer, &felix, &group.id);
        assert_eq!(peer.send(&key, &group.inbox_url, &follow).await, 202);
        let old = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 1);
        assert_eq!(peer.send(&key, &inbox, &old).await, 202);
        kith.settled().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let cut = kith_storage::now_millis();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let recent = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 2);
        assert_eq!(peer.send(&key, &inbox, &recent).await, 202);
        kith.settled().await;
        let recent_note = recent["object"]["id"].as_str().unwrap();
        let stored = format!("{:?}", kith.ctx.db.object(recent_note).await.unwrap());
        let outbox_url = format!("{}/outbox", group.id);
        let (_, before) = get_activity_json(&outbox_url).await;

        // The task as the server runs it, at a time when only what came after `cut` is recent
        // (the server's own run at start took the hour's turn: `every` is zero here).
        let settings = RetentionSettings {
            every: std::time::Duration::ZERO,
            batch: 1,
            ..RetentionSettings::default()
        };
        let keep = settings.keep_received.as_millis() as i64;
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let pruned = retention::prune_received(&kith.ctx, &settings, cut + keep, &stopped)
            .await
            .unwrap();
        assert_eq!(
            pruned,
            Some(2),
            "{}: the Follow and the old post",
            kith.label
        );
        for gone in [&follow, &old] {
            let id = gone["id"].as_str().unwrap();
            assert!(!kith.ctx.db.was_received(id).await.unwrap(), "{id}");
        }
        // The recent post's copy is still refused, and changes nothing.
        assert_eq!(
            peer.send(&key, &inbox, &recent).await,
            409,
            "{}",
            kith.label
        );
        kith.settled().await;
        let again = format!("{:?}", kith.ctx.db.object(recent_note).await.unwrap());
        assert_eq!(again, stored);
        let (_, after) = get_activity_json(&outbox_url).await;
        assert_eq!(after["totalItems"], before["totalItems"]);
        // Within the hour no other turn is given (one run per interval, across processes).
        let hourly = RetentionSettings::default();
        let turn = retention::prune_received(&kith.ctx, &hourly, cut + keep, &stopped).await;
        assert_eq!(turn.unwrap(), None);
        kith.stop().await;
    }
}
