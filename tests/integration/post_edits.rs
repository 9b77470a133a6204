//! A local person edits their own post, and every server that has it is told in the form it
//! reads: in a public group, Mastodon members get the author's signed `Update{Note}` (with
//! `updated`), Lemmy members the group's FEP-1b12 `Announce` of it; in a members-only group,
//! Mastodon members get the group's `Update` of its own copy and never the author's note.
//! Nobody else edits it.

use kith_federation::FederationError;
use kith_federation::actions::{joining, post_edits, posts};
use kith_storage::{GroupVisibility, JoinPolicy};
use serde_json::Value;

use crate::forms::{Member, all_sent, join, of_type};
use crate::instance::Instance;
use crate::private_delivery::let_in;
use crate::private_groups::private_group;
use crate::shapes::Shape;

/// The activities of `kind` a member's server took about `object_id` (as the object, or as the
/// object of the activity it wraps).
fn about(member: &Member, kind: &str, object_id: &str) -> Vec<Value> {
    of_type(&member.peer, kind)
        .into_iter()
        .filter(|a| {
            a["object"]["id"] == object_id
                || a["object"]["object"]["id"] == object_id
                || a["object"]["object"] == object_id
        })
        .collect()
}

#[tokio::test]
async fn an_authors_edit_reaches_every_server_in_its_form() {
    for test_db in kith_storage::testing::all().await {
        public_on(Instance::start_on(test_db).await).await;
    }
}

async fn public_on(kith: Instance) {
    let ann = kith.person("ann").await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    joining::join_group(&kith.ctx, &ann, "runners", None)
        .await
        .unwrap();
    let mastodon = join(&group, Shape::Mastodon).await;
    let lemmy = join(&group, Shape::Lemmy10).await;
    let author = kith.actor("ann").await;
    let post = posts::post_to_group(&kith.ctx, &author, &group, "Run at nine", None)
        .await
        .unwrap();
    all_sent(&kith).await;

    // Someone else may not edit it.
    let bob = kith.person("bob").await;
    let refused = post_edits::edit_own_post(&kith.ctx, &post.id, "Run at ten", &bob).await;
    assert!(
        matches!(refused, Err(FederationError::Forbidden(_))),
        "{refused:?}"
    );
    assert!(about(&mastodon, "Update", &post.id).is_empty());

    let edited = post_edits::edit_own_post(&kith.ctx, &post.id, "Run at ten\n\nBring water", &ann)
        .await
        .unwrap();
    assert!(edited.updated_at.is_some());
    let stored = kith.ctx.db.object(&post.id).await.unwrap();
    assert_eq!(
        stored.content.as_deref(),
        Some("<p>Run at ten</p><p>Bring water</p>")
    );
    all_sent(&kith).await;

    let updates = about(&mastodon, "Update", &post.id);
    assert_eq!(updates.len(), 1, "{updates:?}");
    let update = &updates[0];
    assert_eq!(update["actor"], author.id, "the author's own Update");
    assert!(
        update["object"]["content"]
            .as_str()
            .unwrap()
            .contains("Run at ten")
    );
    assert!(
        update["object"]["updated"].is_string(),
        "Mastodon needs `updated`"
    );
    let verified = mastodon
        .peer
        .received()
        .into_iter()
        .filter(|r| r.body["type"] == "Update")
        .all(|r| r.verified);
    assert!(verified, "signed as the author");

    let announced = about(&lemmy, "Announce", &post.id);
    assert!(
        announced
            .iter()
            .any(|a| a["actor"] == group.id && a["object"]["type"] == "Update"),
        "Lemmy gets the group's Announce of the edit: {announced:?}"
    );
}

#[tokio::test]
async fn an_edit_in_a_members_only_group_changes_the_groups_copies() {
    for test_db in kith_storage::testing::all().await {
        private_on(Instance::start_on(test_db).await).await;
    }
}

async fn private_on(kith: Instance) {
    let ann = kith.person("ann").await;
    let group = private_group(&kith, "circle", "ann", GroupVisibility::Members).await;
    let mastodon = join(&group, Shape::Mastodon).await;
    let_in(&kith, "circle", &group.id, &mastodon).await;
    all_sent(&kith).await;
    let author = kith.actor("ann").await;
    let post = posts::post_to_group(&kith.ctx, &author, &group, "We meet on Tuesday", None)
        .await
        .unwrap();
    all_sent(&kith).await;
    let copy = kith
        .ctx
        .db
        .object(&post.id)
        .await
        .unwrap()
        .announce_id
        .expect("shared as the group's copy");
    assert_eq!(about(&mastodon, "Create", &copy).len(), 1);

    post_edits::edit_own_post(&kith.ctx, &post.id, "We meet on Wednesday", &ann)
        .await
        .unwrap();
    all_sent(&kith).await;
    let updates = about(&mastodon, "Update", &copy);
    assert_eq!(updates.len(), 1, "{:?}", of_type(&mastodon.peer, "Update"));
    assert_eq!(updates[0]["actor"], group.id);
    assert!(
        updates[0]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("Wednesday")
    );
    assert!(
        about(&mastodon, "Update", &post.id).is_empty(),
        "the author's note never reached Mastodon; its Update does not either"
    );
    // Addressed to the members alone (`interactionPolicy` names `Public` as who may reply).
    for doc in [&updates[0], &updates[0]["object"]] {
        for field in ["to", "cc"] {
            assert!(!doc[field].to_string().contains("#Public"), "{doc}");
        }
    }
}
