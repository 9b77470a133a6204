//! A hidden group found and followed by invitation from real-shaped servers (issue 26): a
//! person on a GoToSocial-shaped Fedify server (an independent implementation, which signs
//! the WebFinger look-up and the actor fetch with the searching user's key) and one on a
//! Mastodon-shaped server (unsigned WebFinger, the actor fetched signed as its instance actor,
//! then WebFinger again to confirm the actor's `preferredUsername@host`). Neither finds the
//! group before the invitation, nor after it is revoked or expired; both follow it by the
//! secret name the link's page gives, are accepted without an organiser, and receive what
//! members post.

use kith_federation::actions::invitations::follow_name;
use kith_storage::{Actor, GroupVisibility, MemberState};
use serde_json::{Value, json};

use crate::fedify::{FedifyPeer, install, of_type};
use crate::instance::{Instance, eventually};
use crate::invitations::{give_address, make_link, revoke, token};
use crate::mastodon::{follow, mastodon, url_encode};
use crate::peer::Peer;
use crate::private_groups::private_group;
use crate::private_leaks::signed_get;

const AP: &str = "application/activity+json";

/// A hidden group of olga's on a fresh instance, with olga's API token.
async fn hidden_group(kith: &Instance) -> (Actor, String) {
    kith.person("olga").await;
    let group = private_group(kith, "hush", "olga", GroupVisibility::Hidden).await;
    (group, token(kith, "olga").await)
}

/// Olga posts; the member's server gets the group's own followers-only copy.
async fn olga_posts(kith: &Instance, group: &Actor, words: &str) {
    let olga = kith.actor("olga").await;
    kith_federation::actions::posts::post_to_group(&kith.ctx, &olga, group, words, None)
        .await
        .unwrap();
}

/// Whether a `Create` is the group's own copy, addressed to its followers and never `Public`.
fn members_only_copy(create: &Value, group: &Actor) -> bool {
    let followers = format!("{}/followers", group.id);
    let audience = |doc: &Value| format!("{} {}", doc["to"], doc["cc"]);
    create["actor"] == group.id.as_str()
        && create["to"].to_string().contains(&followers)
        && create["object"]["to"].to_string().contains(&followers)
        && !audience(create).contains("Public")
        && !audience(&create["object"]).contains("Public")
}

#[tokio::test]
async fn a_gotosocial_shaped_fedify_person_with_a_link_finds_and_follows_a_hidden_group() {
    let Some(node) = install() else { return };
    let peer = FedifyPeer::start_as(
        &node,
        "draft-cavage-http-signatures-12",
        false,
        "gotosocial",
    );
    let kith = Instance::start().await;
    let (group, olga) = hidden_group(&kith).await;
    let domain = kith.domain().to_owned();
    // The secret name, as the organisers' page shows it (members pass it on).
    let secret = follow_name(&kith.ctx, &group).await.unwrap();
    assert!(secret.starts_with("hush."), "{secret}");
    let lookup = |handle: String, follow: bool| {
        let peer = &peer;
        async move {
            peer.control("lookup", json!({"handle": handle, "follow": follow}))
                .await
        }
    };

    // Before the invitation: by its plain name nothing answers; by the secret name WebFinger
    // answers (to anyone, as it must for Mastodon) but the actor is 404 to alice's server.
    let plain = lookup(format!("@hush@{domain}"), false).await;
    assert_eq!(plain["found"], false, "{plain}");
    assert_eq!(plain["stage"], "webfinger", "{plain}");
    assert_eq!(plain["error"], "HTTP 404", "{plain}");
    let early = lookup(format!("@{secret}@{domain}"), false).await;
    assert_eq!(early["found"], false, "{early}");
    assert_eq!(early["stage"], "actor", "{early}");
    assert!(
        early["error"].as_str().unwrap().contains("HTTP 404"),
        "{early}"
    );

    // Alice gives her address on the link's page, and is told the name to follow.
    let (_, link) = make_link(&kith, &olga, "hush", 1, 7).await;
    let page = give_address(&link, &format!("alice@{}", peer.host())).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_private("the page after the address");
    let name = page.follow_name().expect("the name to follow");
    assert_eq!(name, format!("{secret}@{domain}"));

    // Her server finds it by that name, both requests signed as alice, and she follows.
    let found = lookup(format!("@{name}"), true).await;
    assert_eq!(found["found"], true, "{found}");
    assert_eq!(found["id"], group.id.as_str());
    assert_eq!(found["preferredUsername"], secret.as_str());
    let accept = peer
        .wait_for("the Accept of the Follow", of_type("Accept"))
        .await;
    assert_eq!(accept["object"]["id"], found["follow"], "{accept}");
    let alice = peer.alice();
    let member = kith.ctx.db.membership(&group.id, &alice).await.unwrap();
    assert_eq!(member.state, MemberState::Accepted);

    // A member's post reaches her as the group's own copy, for members only.
    olga_posts(&kith, &group, "Quiet words for the circle").await;
    let create = peer
        .wait_for("the group's copy", |a| a["type"] == "Create")
        .await;
    assert!(members_only_copy(&create, &group), "{create}");
    assert!(create.to_string().contains("Quiet words"), "{create}");
    let received = peer.received().await;
    assert!(
        received.iter().all(|a| a["type"] != "Announce"),
        "{received:?}"
    );
    // Alice is a member now, yet a search by the plain name finds nothing to follow: the
    // group's name is its secret one.
    let plain = lookup(format!("@hush@{domain}"), false).await;
    assert_eq!(
        plain["found"], false,
        "the plain name is never the actor's: {plain}"
    );
    kith.stop().await;
}

/// Mastodon's resolution of `name@domain`: an unsigned WebFinger look-up, the actor fetched
/// signed by `instance` (its instance actor), and WebFinger again for the actor's own
/// `preferredUsername` at its host, which must point back at the actor (`check_webfinger!`).
/// The status of the actor fetch (the WebFinger answers are checked on the way).
async fn resolve_as_mastodon(kith: &Instance, peer: &Peer, instance: &Value, name: &str) -> u16 {
    let webfinger = |user: String| async move {
        let resource = url_encode(&format!("acct:{user}@{}", kith.domain()));
        let url = format!("{}/.well-known/webfinger?resource={resource}", kith.base);
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), 200, "unsigned WebFinger of {user}");
        let jrd: Value = response.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:{user}@{}", kith.domain()));
        jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self" && l["type"] == AP)
            .unwrap()["href"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let href = webfinger(name.to_owned()).await;
    let key = instance["publicKey"]["id"].as_str().unwrap();
    let (status, body) = signed_get(peer, key, &href, AP).await;
    if status != 200 {
        return status;
    }
    let actor: Value = serde_json::from_str(&body).unwrap();
    let username = actor["preferredUsername"].as_str().unwrap().to_owned();
    assert_eq!(username, name, "{actor}");
    assert_eq!(webfinger(username).await, actor["id"].as_str().unwrap());
    status
}

/// Moves an invitation's end, and its invitees', into the past (as time would).
pub(crate) async fn expire(url: &str, id: &str) {
    let pool = crate::members::pool(url).await;
    let past = kith_storage::now_millis() - 1_000;
    for sql in [
        "UPDATE group_invitations SET expires_at = $1 WHERE id = $2",
        "UPDATE group_invitees SET expires_at = $1 WHERE invitation_id = $2",
    ] {
        sqlx::query(sql)
            .bind(past)
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_mastodon_shaped_server_resolves_the_secret_name_only_while_invited() {
    for test_db in kith_storage::testing::all().await {
        let url = test_db.url.clone();
        let kith = Instance::start_on(test_db).await;
        let (group, olga) = hidden_group(&kith).await;
        let (peer, felix) = mastodon().await;
        let instance = peer.serve_actor("mastodon/instance_actor.json");
        // Mastodon fetches the key of what arrives signed as its instance actor: the hidden
        // group's key, once felix's follow is accepted.
        peer.sign_key_fetches_as(instance["publicKey"]["id"].as_str().unwrap());
        let felix_id = felix["id"].as_str().unwrap();
        let address = format!("felix@{}", peer.host());
        let secret = follow_name(&kith.ctx, &group).await.unwrap();
        let label = kith.label;

        // No invitation yet.
        assert_eq!(
            resolve_as_mastodon(&kith, &peer, &instance, &secret).await,
            404
        );

        // Invited, then revoked.
        let (id, link) = make_link(&kith, &olga, "hush", 1, 7).await;
        let page = give_address(&link, &address).await;
        assert_eq!(
            page.follow_name(),
            Some(format!("{secret}@{}", kith.domain())),
            "{page:?}"
        );
        assert_eq!(
            resolve_as_mastodon(&kith, &peer, &instance, &secret).await,
            200
        );
        revoke(&kith, &olga, "hush", &id).await;
        let status = resolve_as_mastodon(&kith, &peer, &instance, &secret).await;
        assert_eq!(status, 404, "{label}: after the revocation");

        // Invited, then the invitation expires.
        let (id, link) = make_link(&kith, &olga, "hush", 1, 1).await;
        give_address(&link, &address).await;
        assert_eq!(
            resolve_as_mastodon(&kith, &peer, &instance, &secret).await,
            200
        );
        expire(&url, &id).await;
        let status = resolve_as_mastodon(&kith, &peer, &instance, &secret).await;
        assert_eq!(status, 404, "{label}: after the expiry");

        // Invited again: found, followed by felix, accepted at once.
        let (id, link) = make_link(&kith, &olga, "hush", 1, 7).await;
        give_address(&link, &address).await;
        assert_eq!(
            resolve_as_mastodon(&kith, &peer, &instance, &secret).await,
            200
        );
        let f = follow(&peer, &felix, &group.id);
        let key = felix["publicKey"]["id"].as_str().unwrap();
        assert_eq!(peer.send(key, &group.inbox_url, &f).await, 202);
        let accept = peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
        assert!(accept.verified);
        assert_eq!(accept.body["object"]["id"], f["id"]);
        eventually("felix to be a member", || async {
            let m = kith.ctx.db.membership(&group.id, felix_id).await.ok()?;
            (m.state == MemberState::Accepted).then_some(())
        })
        .await;
        // His server keeps finding the group as a member's server, even once the link he
        // used is revoked.
        revoke(&kith, &olga, "hush", &id).await;
        assert_eq!(
            resolve_as_mastodon(&kith, &peer, &instance, &secret).await,
            200
        );
        olga_posts(&kith, &group, "Quiet words for felix").await;
        let create = peer
            .wait_for("the group's copy", |b| b["type"] == "Create")
            .await;
        assert!(create.verified);
        assert!(members_only_copy(&create.body, &group), "{}", create.body);
        kith.stop().await;
    }
}
