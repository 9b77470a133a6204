//! The leak test of members-only and hidden groups (issue 26): every path that serves a
//! group's content — pages, ActivityPub objects, activities and collections, Atom, iCalendar,
//! the JSON API, the front page, `/events`, the directory, NodeInfo, WebFinger and person pages
//! — walked as an anonymous visitor, a local account that is not a member, a remote actor
//! signing from a server without members, and a member's server after that member was banned:
//! none sees anything of the content or the members. The member and a member's server read
//! everything (so that hiding everything cannot pass).

use kith_federation::actions::By;
use kith_federation::actions::{bans, events, membership, posts};
use kith_storage::{GroupVisibility, MemberState};
use serde_json::{Value, json};

use crate::events::{draft, peer_person};
use crate::instance::{Instance, eventually};
use crate::mastodon::{follow, mastodon};
use crate::online_link::get;
use crate::outsiders::cookie;
use crate::peer::Peer;
use crate::private_groups::private_group;

const AP: &str = "application/activity+json";
/// Words only the groups' content holds.
const SECRETS: [&str; 3] = ["quietwordalpha", "quietrunbravo", "hiddenwordcharlie"];

fn key_of(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// A GET of `url` signed by `key_id` over its path and query (Mastodon's draft-cavage form):
/// the status and body.
pub(crate) async fn signed_get(
    peer: &Peer,
    key_id: &str,
    url: &str,
    accept: &str,
) -> (u16, String) {
    let parsed = reqwest::Url::parse(url).unwrap();
    let host = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let signed = format!("(request-target): get {target}\nhost: {host}\ndate: {date}");
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",\
         signature=\"{}\"",
        peer.sign(signed.as_bytes())
    );
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", accept)
        .header("date", date)
        .header("signature", signature)
        .header(
            "user-agent",
            "Mastodon/4.3.0 (http.rb/5.2.0; +https://peer/)",
        )
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap();
    if status == 200 {
        assert!(cache.contains("no-store"), "{url}: {cache}");
    }
    (status, body)
}

fn leaks(body: &str) -> Option<&'static str> {
    SECRETS.into_iter().find(|s| body.contains(s))
}

#[tokio::test]
async fn nothing_of_a_private_group_reaches_anyone_but_its_members_and_their_servers() {
    for test_db in kith_storage::testing::all().await {
        walk(Instance::start_on(test_db).await).await;
    }
}

async fn walk(kith: Instance) {
    let olga = kith.person("olga").await;
    let nina = kith.person("nina").await;
    let circle = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let secret = private_group(&kith, "hushgroup", "olga", GroupVisibility::Hidden).await;

    // Felix, on a Mastodon-shaped server, asks to join both and is let in.
    let (peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap().to_owned();
    for (n, group) in [&circle, &secret].into_iter().enumerate() {
        let mut f = follow(&peer, &felix, &group.id);
        f["id"] = json!(format!("{felix_id}/follows/{n}"));
        assert_eq!(peer.send(key_of(&felix), &group.inbox_url, &f).await, 202);
    }
    for (name, group) in [("circle", &circle), ("hushgroup", &secret)] {
        eventually("the request", || async {
            let m = kith.ctx.db.membership(&group.id, &felix_id).await.ok()?;
            (m.state == MemberState::Pending).then_some(())
        })
        .await;
        membership::approve_member(&kith.ctx, name, &felix_id, By::Operator)
            .await
            .unwrap();
    }
    // A server without members: another Mastodon, another port.
    let (stranger_peer, stranger_template) = mastodon().await;
    let stranger = peer_person(&stranger_peer, &stranger_template, "sid");

    let author = kith.ctx.db.actor(&olga.actor_id).await.unwrap();
    let post = posts::post_to_group(&kith.ctx, &author, &circle, "quietwordalpha", None)
        .await
        .unwrap();
    let hidden_post = posts::post_to_group(&kith.ctx, &author, &secret, "hiddenwordcharlie", None)
        .await
        .unwrap();
    let event = events::create_event(
        &kith.ctx,
        "circle",
        By::Operator,
        &draft("quietrunbravo", 3, None),
    )
    .await
    .unwrap();
    let base = kith.base.clone();
    let domain = kith.domain().to_owned();

    // Paths whose whole answer is the groups' content or members.
    let mut content: Vec<(String, &str)> = Vec::new();
    for (group, object) in [(&circle, &post), (&secret, &hidden_post)] {
        let g = &group.id;
        content.extend([
            (object.id.clone(), AP),
            (object.id.clone(), "text/html"),
            (format!("{g}/outbox?page=true"), AP),
            (format!("{g}/outbox"), AP),
            (format!("{g}/followers"), AP),
            (format!("{g}/moderators"), AP),
            (format!("{g}/feed.atom"), "application/atom+xml"),
            (format!("{g}/events.ics"), "text/calendar"),
            (
                format!("{base}/api/v1/groups/{}/posts", group.username),
                "application/json",
            ),
            (
                format!("{base}/api/v1/thread?id={}", object.id),
                "application/json",
            ),
            (format!("{base}/thread?id={}", object.id), "text/html"),
        ]);
        if let Some(announce) = &object.announce_id {
            content.push((announce.clone(), AP));
        }
    }
    content.extend([
        (event.object.id.clone(), AP),
        (event.object.id.clone(), "text/html"),
        (format!("{}/calendar.ics", event.object.id), "text/calendar"),
    ]);
    // The hidden group itself.
    let hidden_itself: Vec<(String, &str)> = vec![
        (secret.id.clone(), AP),
        (secret.id.clone(), "text/html"),
        (
            format!("{base}/.well-known/webfinger?resource=acct:hushgroup@{domain}"),
            "application/jrd+json",
        ),
        (
            format!("{base}/api/v1/groups/hushgroup"),
            "application/json",
        ),
    ];
    // Public paths that must say nothing of either group's content (nor name the hidden one).
    let public: Vec<(String, &str)> = vec![
        (format!("{base}/"), "text/html"),
        (format!("{base}/?q=hush"), "text/html"),
        (format!("{base}/events"), "text/html"),
        (format!("{base}/events.ics"), "text/calendar"),
        (format!("{base}/api/v1/events"), "application/json"),
        (format!("{base}/api/v1/groups"), "application/json"),
        (format!("{base}/api/v1/groups?q=hush"), "application/json"),
        (olga.actor_id.clone(), "text/html"),
        (circle.id.clone(), "text/html"),
        (circle.id.clone(), AP),
        (format!("{base}/nodeinfo/2.1"), "application/json"),
    ];

    let nina_cookie = cookie(&kith, &nina).await;
    let olga_cookie = cookie(&kith, &olga).await;
    // Twice each: a second answer from the cache must be as private as the first.
    for round in 0..2 {
        for (url, accept) in content.iter().chain(&hidden_itself) {
            let (status, _, body) = get(url, &[("accept", accept)]).await;
            assert_eq!(status, 404, "anonymous {url} ({round})");
            assert_eq!(leaks(&body), None, "anonymous {url}");
            let (status, _, body) = get(url, &[("accept", accept), ("cookie", &nina_cookie)]).await;
            assert_eq!(status, 404, "nina {url}");
            assert_eq!(leaks(&body), None, "nina {url}");
            let (status, body) = signed_get(&stranger_peer, key_of(&stranger), url, accept).await;
            assert_eq!(status, 404, "a server without members {url}");
            assert_eq!(leaks(&body), None, "a server without members {url}");
        }
        for (url, accept) in &public {
            for headers in [
                vec![("accept", *accept)],
                vec![("accept", *accept), ("cookie", &nina_cookie)],
            ] {
                let (_, _, body) = get(url, &headers).await;
                assert_eq!(leaks(&body), None, "{url}: {body}");
                assert!(
                    !body.contains("hushgroup"),
                    "{url} names the hidden group: {body}"
                );
                assert!(!body.contains(&felix_id), "{url} names a member");
            }
        }
    }
    let nodeinfo: Value =
        serde_json::from_str(&get(&format!("{base}/nodeinfo/2.1"), &[]).await.2).unwrap();
    assert_eq!(nodeinfo["metadata"]["localGroups"], 1, "{nodeinfo}");
    // The members-only group's profile stays public: name, description, join button.
    let (status, cache, body) = get(&circle.id, &[("accept", "text/html")]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("The circle") && body.contains("/remote-join"),
        "{body}"
    );
    assert!(body.contains("not secret like end-to-end encryption"));
    assert!(body.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(cache.contains("no-store"), "{cache}");

    // A mention's link does not tell an outsider the hidden group exists (no redirect to it).
    let mention = format!("{base}/mention/hushgroup@{domain}");
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for cookie in [None, Some(&nina_cookie)] {
        let mut request = no_follow.get(&mention).header("accept", "text/html");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie.as_str());
        }
        let status = request.send().await.unwrap().status().as_u16();
        assert_eq!(status, 404, "{mention} with {cookie:?}");
    }
    let status = no_follow
        .get(&mention)
        .header("cookie", olga_cookie.as_str())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 303, "a member is sent to the hidden group's page");

    // The member and the member's server read everything.
    for (url, accept) in content.iter().chain(&hidden_itself) {
        let (status, cache, body) = get(url, &[("accept", accept), ("cookie", &olga_cookie)]).await;
        assert_eq!(status, 200, "olga {url}: {body}");
        assert!(cache.contains("no-store"), "olga {url}: {cache}");
        let (status, _) = signed_get(&peer, key_of(&felix), url, accept).await;
        assert_eq!(status, 200, "felix's server {url}");
    }
    for (url, accept) in [(&post.id, AP), (&event.object.id, AP)] {
        let (_, body) = signed_get(&peer, key_of(&felix), url, accept).await;
        assert!(leaks(&body).is_some(), "{url}: {body}");
        // Addressed to the members, as delivered.
        let doc: Value = serde_json::from_str(&body).unwrap();
        for field in ["to", "cc"] {
            assert!(
                !doc[field].to_string().contains("#Public"),
                "{url} {field}: {doc}"
            );
        }
        assert!(
            doc["to"]
                .to_string()
                .contains(&format!("{}/followers", circle.id)),
            "{doc}"
        );
    }
    // Right after the member's server read them (the cache keeps anonymous answers a second,
    // signed ones included when they may be shared): nothing of it goes to anyone else.
    for (url, accept) in content.iter().chain(&hidden_itself) {
        let (status, _) = signed_get(&peer, key_of(&felix), url, accept).await;
        assert_eq!(status, 200, "{url}");
        let (status, _, body) = get(url, &[("accept", accept)]).await;
        assert_eq!(status, 404, "anonymous after a member's server {url}");
        assert_eq!(
            leaks(&body),
            None,
            "anonymous after a member's server {url}"
        );
        let (status, body) = signed_get(&stranger_peer, key_of(&stranger), url, accept).await;
        assert_eq!(status, 404, "a stranger after a member's server {url}");
        assert_eq!(leaks(&body), None);
    }

    // Felix is banned from the circle: his server, which holds no other member, reads
    // nothing of it from now on; the hidden group, where he still is, stays readable.
    bans::ban(&kith.ctx, "circle", &felix_id, None, By::Operator)
        .await
        .unwrap();
    for (url, accept) in &content {
        let (status, body) = signed_get(&peer, key_of(&felix), url, accept).await;
        if url.contains("/g/hushgroup")
            || url.contains("groups/hushgroup")
            || url.contains(&hidden_post.id)
        {
            assert_eq!(status, 200, "{url}");
        } else {
            assert_eq!(status, 404, "after the ban {url}");
            assert_eq!(leaks(&body), None, "after the ban {url}");
        }
    }
    kith.stop().await;
}
