//! What a stranger can learn about a group's people (issue 26), read as an outsider would: a
//! post held for the organisers is served to nobody at its id until released; a
//! person's page does not tell who asked to join which group; a group's followers collection
//! says how many, never who.

use kith_federation::actions::{posts, sessions};
use kith_storage::{Account, JoinPolicy, MemberRole, MemberState};
use serde_json::Value;

use crate::instance::Instance;
use crate::online_link::get;

const AP: &str = "application/activity+json";

pub async fn cookie(kith: &Instance, account: &Account) -> String {
    let session = sessions::open_session(&kith.ctx, account.clone())
        .await
        .unwrap();
    format!("kith_session={}", session.secret)
}

#[tokio::test]
async fn a_held_post_is_served_to_nobody_at_its_id_until_released() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let nina = kith.person("nina").await;
    let stranger = kith.person("sam").await;
    let author = kith.ctx.db.actor(&nina.actor_id).await.unwrap();
    // Nina is not a member: her post waits for the organisers.
    let post = posts::post_to_group(&kith.ctx, &author, &group, "my first words here", None)
        .await
        .unwrap();
    assert!(post.held_reason.is_some());

    for (who, headers) in [
        ("anonymous page", vec![("accept", "text/html")]),
        ("anonymous JSON", vec![("accept", AP)]),
    ] {
        for _ in 0..2 {
            let (status, _, body) = get(&post.id, &headers).await;
            assert_eq!(status, 404, "{who}");
            assert!(!body.contains("my first words"), "{who}");
        }
    }
    let stranger_cookie = cookie(&kith, &stranger).await;
    let (status, _, body) = get(
        &post.id,
        &[("accept", "text/html"), ("cookie", &stranger_cookie)],
    )
    .await;
    assert_eq!(status, 404, "another account");
    assert!(!body.contains("my first words"));
    // Not even to its author or the organisers at its id: they see it in the moderation
    // queue, and no server needs an unpublished post.
    for account in [&nina, &olga] {
        let session = cookie(&kith, account).await;
        for accept in ["text/html", AP] {
            let (status, _, body) =
                get(&post.id, &[("accept", accept), ("cookie", &session)]).await;
            assert_eq!(status, 404, "{}: {body}", account.username);
        }
    }
    let queue = kith.ctx.db.held_posts(&group.id).await.unwrap();
    assert_eq!(queue.len(), 1, "the organisers' queue has it");
    // Released, it is served like any post.
    kith_federation::actions::moderation::release_post(&kith.ctx, "circle", &post.id, &olga)
        .await
        .unwrap();
    let (status, _, body) = get(&post.id, &[("accept", AP)]).await;
    assert_eq!(status, 200);
    assert!(body.contains("my first words"));
    kith.stop().await;
}

#[tokio::test]
async fn a_persons_page_keeps_their_requests_to_join_to_themselves() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group_id = kith
        .group("quietcircle", "olga", JoinPolicy::Approval)
        .await
        .id;
    let nina = kith.person("nina").await;
    kith.ctx
        .db
        .upsert_membership(
            &group_id,
            &nina.actor_id,
            MemberState::Pending,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    for _ in 0..2 {
        let (status, _, body) = get(&nina.actor_id, &[("accept", "text/html")]).await;
        assert_eq!(status, 200);
        assert!(!body.contains("quietcircle"), "a stranger sees the request");
        assert!(!body.contains("asked to join"));
    }
    let session = cookie(&kith, &nina).await;
    let (_, _, body) = get(
        &nina.actor_id,
        &[("accept", "text/html"), ("cookie", &session)],
    )
    .await;
    assert!(body.contains("asked to join"), "she sees her own request");
    kith.stop().await;
}

#[tokio::test]
async fn a_groups_followers_collection_counts_members_and_names_none() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Open).await;
    let followers = format!("{}/followers", group.id);
    for url in [
        followers.clone(),
        format!("{followers}?page=true"),
        format!("{followers}?page=true&cursor=a"),
    ] {
        let (status, _, body) = get(&url, &[("accept", AP)]).await;
        assert_eq!(status, 200, "{url}");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["totalItems"], 1, "{url}");
        assert!(doc.get("first").is_none(), "{url}: {doc}");
        assert!(doc.get("orderedItems").is_none(), "{url}: {doc}");
        assert!(!body.contains(&olga.actor_id), "{url} names a member");
    }
    kith.stop().await;
}
