//! The leak test of invitations (issue 26), walked as outsiders: a link's page is for whoever
//! holds an open link (private, never cached nor indexed; 404 once used up, revoked or expired,
//! and for a wrong secret); the server of an invitee may look the hidden group up (its actor
//! and WebFinger answer) but reads nothing of its content; a server without invitees or
//! members learns nothing; revoking takes the look away; a banned person cannot use a link.

use kith_federation::actions::invitations::follow_name;
use kith_federation::actions::{By, bans, posts};
use kith_storage::GroupVisibility;
use serde_json::Value;

use crate::events::peer_person;
use crate::instance::Instance;
use crate::invitations::{give_address, make_link, open_link, revoke, token};
use crate::mastodon::mastodon;
use crate::online_link::get;
use crate::private_groups::private_group;
use crate::private_leaks::signed_get;

const AP: &str = "application/activity+json";
const JRD: &str = "application/jrd+json";
/// A word only the hidden group's post holds.
const WORD: &str = "invitedwordzulu";

fn key_of(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// The link's page, as anyone would open it, says the invitation is closed.
async fn closed(link: &str, why: &str) {
    let page = open_link(link).await;
    assert_eq!(page.status, 404, "{why}: {}", page.body);
    page.assert_private(why);
    assert!(!page.body.contains("The hush"), "{why}: {}", page.body);
    assert!(
        page.body.contains("Ask whoever sent it for a new one"),
        "{why}: {}",
        page.body
    );
}

#[tokio::test]
async fn an_invitation_opens_the_hidden_group_to_its_holder_alone() {
    for test_db in kith_storage::testing::all().await {
        let url = test_db.url.clone();
        walk(Instance::start_on(test_db).await, &url).await;
    }
}

async fn walk(kith: Instance, url: &str) {
    let label = kith.label;
    kith.person("olga").await;
    let olga = token(&kith, "olga").await;
    let group = private_group(&kith, "hush", "olga", GroupVisibility::Hidden).await;
    let author = kith.actor("olga").await;
    let post = posts::post_to_group(&kith.ctx, &author, &group, WORD, None)
        .await
        .unwrap();
    let (base, domain) = (kith.base.clone(), kith.domain().to_owned());
    let secret = follow_name(&kith.ctx, &group).await.unwrap();
    let (peer, felix) = mastodon().await;
    let instance = peer.serve_actor("mastodon/instance_actor.json");
    let felix_id = felix["id"].as_str().unwrap().to_owned();
    // A server without invitees or members, with a person of its own.
    let (stranger_peer, template) = mastodon().await;
    let sid = peer_person(&stranger_peer, &template, "sid");

    let g = &group.id;
    let webfinger =
        |name: &str| format!("{base}/.well-known/webfinger?resource=acct:{name}@{domain}");
    // What the group's people write and who they are: no invitation opens any of it.
    let mut content = vec![
        (post.id.clone(), AP),
        (format!("{g}/outbox"), AP),
        (format!("{g}/outbox?page=true"), AP),
        (format!("{g}/followers"), AP),
        (format!("{g}/moderators"), AP),
        (format!("{g}/feed.atom"), "application/atom+xml"),
        (
            format!("{base}/api/v1/groups/hush/posts"),
            "application/json",
        ),
    ];
    if let Some(announce) = &post.announce_id {
        content.push((announce.clone(), AP));
    }
    // That the group exists: only for the servers of invitees (and members).
    let existence = [(g.clone(), AP), (webfinger("hush"), JRD)];

    // The link's page: private; a wrong secret is unknown.
    let (id, link) = make_link(&kith, &olga, "hush", 2, 7).await;
    let page = open_link(&link).await;
    assert_eq!(page.status, 200, "{label}");
    page.assert_private("the link's page");
    assert!(page.body.contains("The hush"), "{}", page.body);
    assert!(!page.body.contains(WORD) && !page.body.contains(&secret));
    closed(
        &format!("{base}/invite/{}x", crate::invitations::secret_of(&link)),
        "a wrong secret",
    )
    .await;
    // A mistyped address: the page again, saying so, and no use taken.
    let typo = give_address(&link, "felix").await;
    assert_eq!(typo.status, 200, "{}", typo.body);
    typo.assert_private("the page with a problem");
    assert!(
        typo.body.contains("id=\"invitation-problem\""),
        "{}",
        typo.body
    );

    // Felix gives his address: his server may now look the group up, and read nothing.
    let page = give_address(&link, &format!("felix@{}", peer.host())).await;
    assert_eq!(
        page.follow_name(),
        Some(format!("{secret}@{domain}")),
        "{label}"
    );
    assert!(!page.body.contains(WORD));
    for key in [key_of(&felix), key_of(&instance)] {
        for (url, accept) in &existence {
            let (status, body) = signed_get(&peer, key, url, accept).await;
            assert_eq!(status, 200, "{label}: the invitee's server {url}");
            assert!(!body.contains(WORD), "{url}: {body}");
        }
        for (url, accept) in &content {
            let (status, body) = signed_get(&peer, key, url, accept).await;
            assert_eq!(status, 404, "{label}: the invitee's server {url}");
            assert!(!body.contains(WORD), "{url}: {body}");
        }
    }
    // Right after: the stranger's server, and anyone, learn nothing (nor from a cache). Only
    // the secret name answers WebFinger, to whoever holds it.
    for (url, accept) in existence.iter().chain(&content) {
        let (status, body) = signed_get(&stranger_peer, key_of(&sid), url, accept).await;
        assert_eq!(status, 404, "{label}: a server without invitees {url}");
        assert!(!body.contains(WORD) && !body.contains(&secret), "{url}");
        let (status, _, body) = get(url, &[("accept", accept)]).await;
        assert_eq!(status, 404, "{label}: anonymous {url}");
        assert!(!body.contains(WORD) && !body.contains(&secret), "{url}");
    }
    let (status, _, _) = get(&webfinger(&secret), &[("accept", JRD)]).await;
    assert_eq!(status, 200, "the secret name answers anyone");

    // Sid takes the second use: the link is used up at once, for reading and for using.
    let page = give_address(&link, &format!("sid@{}", stranger_peer.host())).await;
    assert_eq!(page.status, 200, "{}", page.body);
    closed(&link, "a used-up link").await;
    let (status, _) = signed_get(&stranger_peer, key_of(&sid), g, AP).await;
    assert_eq!(status, 200, "{label}: sid's server, invited now");

    // Revoked: both servers lose their look.
    revoke(&kith, &olga, "hush", &id).await;
    for (who, key) in [(&peer, key_of(&felix)), (&stranger_peer, key_of(&sid))] {
        for (url, accept) in &existence {
            let (status, _) = signed_get(who, key, url, accept).await;
            assert_eq!(status, 404, "{label}: after the revocation {url}");
        }
    }

    // An open link revoked, and one expired, are closed.
    let (id, link) = make_link(&kith, &olga, "hush", 5, 1).await;
    assert_eq!(open_link(&link).await.status, 200);
    revoke(&kith, &olga, "hush", &id).await;
    closed(&link, "a revoked link").await;
    let (id, link) = make_link(&kith, &olga, "hush", 5, 1).await;
    assert_eq!(open_link(&link).await.status, 200);
    crate::invitation_peers::expire(url, &id).await;
    closed(&link, "an expired link").await;

    // Felix, banned, cannot use a link: no use taken, no look for his server.
    bans::ban(&kith.ctx, "hush", &felix_id, None, By::Operator)
        .await
        .unwrap();
    let (_, link) = make_link(&kith, &olga, "hush", 1, 7).await;
    let page = give_address(&link, &format!("felix@{}", peer.host())).await;
    assert_eq!(page.status, 403, "{label}: {}", page.body);
    page.assert_private("a refusal");
    assert_eq!(page.follow_name(), None);
    assert_eq!(open_link(&link).await.status, 200, "the link is not used");
    let (status, _) = signed_get(&peer, key_of(&felix), g, AP).await;
    assert_eq!(status, 404, "{label}: a banned person's server");
    kith.stop().await;
}
