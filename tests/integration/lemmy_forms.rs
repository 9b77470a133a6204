//! Lemmy's inbox and Kith (issue 20), against peers that refuse what Lemmy 0.19 and 1.0
//! refuse (`shapes.rs`): events reach Lemmy as the organiser's `Create{Event}` announced by the
//! group, a group follows a community through its relay, top-level posts reach Lemmy 1.0 as
//! `Page`s, and a group that approves its members stays public to Lemmy 1.0.

use kith_federation::actions::By;
use kith_federation::actions::{events, group_safety, membership, posts};
use kith_federation::outbound::software::Dialect;
use kith_storage::{FollowState, JoinPolicy};
use serde_json::{Value, json};

use crate::events::draft;
use crate::forms::{all_sent, join, looked_up, of_type, refusals};
use crate::instance::{Instance, eventually, get_activity_json};
use crate::shapes::Shape;

#[tokio::test]
async fn events_and_follows_go_through_a_lemmy_0_19_inbox() {
    let kith = Instance::start().await;
    let olga_account = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let lemmy = join(&group, Shape::Lemmy019).await;
    assert_eq!(looked_up(&kith, &lemmy.peer).await, Dialect::Lemmy);

    // An event reaches Lemmy as the organiser's Create, announced by the group: no
    // Create{Event} by the group, no Announce of a bare id, no Create{Question}.
    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Account(&olga_account),
        &draft("Park run", 3, Some(20)),
    )
    .await
    .unwrap();
    all_sent(&kith).await;
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());
    let announces = of_type(&lemmy.peer, "Announce");
    assert_eq!(announces.len(), 1, "{announces:?}");
    let create = &announces[0]["object"];
    assert_eq!(create["type"], "Create");
    assert_eq!(create["actor"], olga_account.actor_id.as_str());
    assert_eq!(create["object"]["id"], event.object.id.as_str());
    assert_eq!(create["object"]["type"], "Event");
    assert_eq!(
        create["object"]["attributedTo"],
        olga_account.actor_id.as_str()
    );
    assert_eq!(create["object"]["audience"], group.id.as_str());
    assert_eq!(create["object"]["name"], "Park run");
    let content = create["object"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p>") && content.contains("Victoria Park"),
        "{content}"
    );
    assert!(
        of_type(&lemmy.peer, "Create").is_empty(),
        "nothing but the announce"
    );

    // Editing and deleting it go the same way.
    let patch = events::EventPatch {
        title: Some("Park run (longer)".into()),
        ..Default::default()
    };
    events::update_event(
        &kith.ctx,
        &event.object.id,
        By::Account(&olga_account),
        &patch,
    )
    .await
    .unwrap();
    events::delete_event(&kith.ctx, &event.object.id, By::Account(&olga_account))
        .await
        .unwrap();
    all_sent(&kith).await;
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());
    let mut inner: Vec<String> = of_type(&lemmy.peer, "Announce")
        .iter()
        .map(|a| a["object"]["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    inner.sort();
    assert_eq!(inner, ["Create", "Delete", "Update"]);

    // The group follows a community of that Lemmy: through its relay, a Service.
    let community = lemmy.peer.serve_actor("lemmy/group.json");
    let community_id = community["id"].as_str().unwrap().to_owned();
    let handle = format!("@tenforward@{}", lemmy.peer.host());
    membership::follow_group(&kith.ctx, "runners", &handle)
        .await
        .unwrap();
    let follow = lemmy
        .peer
        .wait_for("the Follow", |b| b["type"] == "Follow")
        .await;
    assert!(follow.verified);
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());
    let relay = follow.body["actor"].as_str().unwrap().to_owned();
    assert_eq!(relay, format!("{}/relay", group.id));
    let (_, relay_doc) = get_activity_json(&relay).await;
    assert_eq!(relay_doc["type"], "Service");
    assert_eq!(relay_doc["preferredUsername"], "runners.relay");
    let accept = json!({
        "id": format!("{}/activities/accept/1", lemmy.peer.base),
        "type": "Accept", "actor": community_id, "to": [relay], "object": follow.body,
    });
    let community_key = community["publicKey"]["id"].as_str().unwrap();
    assert_eq!(
        lemmy
            .peer
            .send(community_key, &format!("{}/inbox", kith.base), &accept)
            .await,
        202
    );
    let state = kith
        .ctx
        .db
        .follow(&group.id, &community_id)
        .await
        .unwrap()
        .state;
    assert_eq!(state, FollowState::Accepted, "the follow is the group's");

    // What the community announces is kept for the group.
    let text = lemmy
        .peer
        .fixture("lemmy/announce_create_page.json")
        .to_string();
    let announce: Value =
        serde_json::from_str(&text.replace(&format!("{}/c/main", lemmy.peer.base), &community_id))
            .unwrap();
    let author = announce["object"]["actor"].as_str().unwrap();
    let name = author.rsplit('/').next().unwrap();
    let text = lemmy.peer.fixture("lemmy/person.json").to_string();
    let mut person: Value =
        serde_json::from_str(&text.replace("u/picard", &format!("u/{name}"))).unwrap();
    person["preferredUsername"] = json!(name);
    person["publicKey"]["publicKeyPem"] = json!(lemmy.peer.public_pem);
    lemmy.peer.serve(&person);
    assert_eq!(
        lemmy
            .peer
            .send(community_key, &format!("{}/inbox", kith.base), &announce)
            .await,
        202
    );
    kith.settled().await;
    let post_id = announce["object"]["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = eventually("the kept post", || async {
        kith.ctx.db.object(&post_id).await.ok()
    })
    .await;
    assert_eq!(kept.group_id.as_deref(), Some(community_id.as_str()));

    // A post and its removal, and a ban: no Announce{id}, no Undo{Announce}, no Block by the
    // group, which Lemmy refuses; the announced Delete and Block it reads.
    let olga = kith.actor("olga").await;
    let post = posts::post_to_group(&kith.ctx, &olga, &group, "Lost: one glove", None)
        .await
        .unwrap();
    group_safety::remove_post(&kith.ctx, &post.id, Some("off topic"), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());
    let seen = |kind: &str| {
        of_type(&lemmy.peer, "Announce")
            .iter()
            .filter(|a| a["object"]["type"] == kind)
            .count()
    };
    assert_eq!(seen("Delete"), 2, "the event's and the post's");
    assert!(of_type(&lemmy.peer, "Undo").is_empty());

    // A refusal Lemmy still makes (0.19 has no Reject: a removed member) is logged and
    // counted against Lemmy.
    membership::remove_member(&kith.ctx, "runners", lemmy.id(), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;
    assert_eq!(
        refusals(&lemmy.peer).len(),
        1,
        "{:?}",
        refusals(&lemmy.peer)
    );
    // Banned afterwards: the announced Block reaches them, and nothing else is refused.
    group_safety::ban(&kith.ctx, "runners", lemmy.id(), Some("spam"), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;
    assert_eq!(seen("Block"), 1);
    assert_eq!(
        refusals(&lemmy.peer).len(),
        1,
        "{:?}",
        refusals(&lemmy.peer)
    );
    let counters = kith.ctx.counters();
    assert_eq!(
        counters
            .delivery_refused
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(counters.refusals_by_software().get("lemmy"), Some(&1));
    kith.stop().await;
}

#[tokio::test]
async fn a_lemmy_1_0_member_of_an_approval_group_gets_its_posts_as_pages() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Approval).await;
    let lemmy = join(&group, Shape::Lemmy10).await;
    membership::approve_member(&kith.ctx, "runners", lemmy.id(), By::Operator)
        .await
        .unwrap();
    lemmy
        .peer
        .wait_for("the Accept", |b| b["type"] == "Accept")
        .await;
    assert_eq!(looked_up(&kith, &lemmy.peer).await, Dialect::Lemmy);

    // Lemmy 1.0 reads the group as public (it would otherwise refuse its public posts);
    // Mastodon still sees that members are approved.
    let fetch = |ua: &'static str| {
        let id = group.id.clone();
        async move {
            let response = reqwest::Client::new()
                .get(&id)
                .header("accept", "application/activity+json")
                .header("user-agent", ua)
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()
        }
    };
    let doc = fetch("Lemmy/1.0.0; +https://lemmy-one.example").await;
    assert_eq!(doc["manuallyApprovesFollowers"], false);
    let doc = fetch("http.rb/5.2.0 (Mastodon/4.5.0; +https://mastodon.madrid/)").await;
    assert_eq!(doc["manuallyApprovesFollowers"], true);

    // A top-level post reaches Lemmy 1.0 as a Page with a name (it reads an announced Note
    // only as a comment); a reply stays a Note.
    let olga = kith.actor("olga").await;
    let post = posts::post_to_group(
        &kith.ctx,
        &olga,
        &group,
        "Hill repeats on Tuesday\n\nBring a torch.",
        None,
    )
    .await
    .unwrap();
    posts::post_to_group(&kith.ctx, &olga, &group, "Meet at the gate", Some(&post.id))
        .await
        .unwrap();
    all_sent(&kith).await;
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());
    let mut objects: Vec<(String, String)> = of_type(&lemmy.peer, "Announce")
        .iter()
        .map(|a| {
            let o = &a["object"]["object"];
            (
                o["type"].as_str().unwrap_or_default().to_owned(),
                o["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    objects.sort();
    assert_eq!(
        objects,
        [
            ("Note".to_owned(), String::new()),
            ("Page".to_owned(), "Hill repeats on Tuesday".to_owned()),
        ]
    );
    kith.stop().await;
}
