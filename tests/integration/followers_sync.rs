//! FEP-8fcf for members-only groups (issue 26): every delivery such a group sends carries a
//! signed `Collection-Synchronization` header with the digest of the receiving server's own
//! members, and the partial followers collection it names lists that server's members alone,
//! to that server alone (signed). A public group sends no such header.

use aws_lc_rs::digest;
use kith_federation::actions::By;
use kith_federation::actions::{membership, posts};
use kith_storage::{GroupVisibility, JoinPolicy};
use serde_json::Value;

use crate::events::peer_person;
use crate::forms::{Member, all_sent, join, of_type};
use crate::instance::Instance;
use crate::mastodon::mastodon;
use crate::private_delivery::let_in;
use crate::private_groups::private_group;
use crate::private_leaks::signed_get;
use crate::shapes::Shape;

const AP: &str = "application/activity+json";

/// FEP-8fcf's digest, computed here from the FEP's words: the SHA-256 of each id, XORed.
fn expected_digest(ids: &[&str]) -> String {
    let mut sum = [0u8; 32];
    for id in ids {
        let hash = digest::digest(&digest::SHA256, id.as_bytes());
        for (a, b) in sum.iter_mut().zip(hash.as_ref()) {
            *a ^= b;
        }
    }
    sum.iter().map(|b| format!("{b:02x}")).collect()
}

/// The header's parameters (draft-cavage's `signature` syntax).
fn params(header: &str) -> std::collections::HashMap<String, String> {
    header
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

/// The last delivery of `kind` the member's server took, with its header.
fn last_header(member: &Member, kind: &str) -> Option<String> {
    let received = member.peer.received();
    let got = received
        .iter()
        .rev()
        .find(|r| r.body["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {received:?}"));
    got.collection_sync.clone()
}

fn key(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

#[tokio::test]
async fn members_servers_get_their_own_digest_and_partial_followers_and_no_one_else() {
    for test_db in kith_storage::testing::all().await {
        sync_on(Instance::start_on(test_db).await).await;
    }
}

async fn sync_on(kith: Instance) {
    kith.person("olga").await;
    let group = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let mastodon_member = join(&group, Shape::Mastodon).await;
    let gts_member = join(&group, Shape::GoToSocial).await;
    for m in [&mastodon_member, &gts_member] {
        let_in(&kith, "circle", &group.id, m).await;
    }
    let olga = kith.actor("olga").await;
    posts::post_to_group(&kith.ctx, &olga, &group, "Tuesday we meet again", None)
        .await
        .unwrap();
    all_sent(&kith).await;

    let sync_url = format!("{}/followers_synchronization", group.id);
    for m in [&mastodon_member, &gts_member] {
        assert!(!of_type(&m.peer, "Create").is_empty());
        let header = last_header(m, "Create").expect("a signed Collection-Synchronization");
        let p = params(&header);
        assert_eq!(p["collectionId"], format!("{}/followers", group.id));
        assert_eq!(p["url"], sync_url);
        assert_eq!(p["digest"], expected_digest(&[m.id()]), "{}", m.id());
        // The partial collection, signed by the member's server: its own member alone.
        let (status, body) = signed_get(&m.peer, key(&m.actor), &sync_url, AP).await;
        assert_eq!(status, 200, "{body}");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["orderedItems"], serde_json::json!([m.id()]), "{doc}");
    }
    assert!(
        !signed_get(
            &mastodon_member.peer,
            key(&mastodon_member.actor),
            &sync_url,
            AP
        )
        .await
        .1
        .contains(gts_member.id()),
        "never another server's members"
    );
    // Unsigned, or signed by a server without members: nothing.
    let unsigned = reqwest::get(&sync_url).await.unwrap().status().as_u16();
    assert_eq!(unsigned, 404);
    let (stranger_peer, template) = mastodon().await;
    let stranger = peer_person(&stranger_peer, &template, "sid");
    let (status, body) = signed_get(&stranger_peer, key(&stranger), &sync_url, AP).await;
    assert_eq!(status, 404, "{body}");

    // Removed, the member's server is told its part is now empty (so a Mastodon that missed
    // the Reject drops the follow when it syncs).
    membership::remove_member(&kith.ctx, "circle", mastodon_member.id(), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;
    let header = last_header(&mastodon_member, "Reject").expect("the header on the Reject");
    assert_eq!(params(&header)["digest"], "0".repeat(64));
    let (status, _) = signed_get(
        &mastodon_member.peer,
        key(&mastodon_member.actor),
        &sync_url,
        AP,
    )
    .await;
    assert_eq!(status, 404, "no longer a member's server");

    // A public group sends no header and serves no partial collection.
    let open = kith.group("runners", "olga", JoinPolicy::Open).await;
    let runner = join(&open, Shape::Mastodon).await;
    all_sent(&kith).await;
    assert_eq!(last_header(&runner, "Accept"), None);
    let open_sync = format!("{}/followers_synchronization", open.id);
    let (status, _) = signed_get(&runner.peer, key(&runner.actor), &open_sync, AP).await;
    assert_eq!(status, 404);
    kith.stop().await;
}
