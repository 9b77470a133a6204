//! A hostile remote server's links and names: an actor whose profile `url` is `javascript:`
//! (the author link an administrator clicked in issue 19) and whose name hides bidi and
//! zero-width characters, a post with a `javascript:` url and a reversed title, and an event
//! of a followed actor whose page, online and registration links are `javascript:`, `data:`
//! and `vbscript:`. None of it is stored as a link, none of it is rendered as one on the
//! group, thread, events and front pages; and a row stored before the check (written straight
//! into the database) is still shown without its link.

use kith_storage::{ActorKind, JoinPolicy, NewActor};
use serde_json::{Value, json};

use crate::event_fixtures::follow_accepted;
use crate::events::peer_person;
use crate::instance::Instance;
use crate::mastodon::{follow, mastodon, post_mentioning};
use crate::peer::Peer;
use crate::safety::assert_page_safe;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The characters that must never reach a page from a remote name.
const HIDDEN: [char; 8] = [
    '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200D}', '\u{200F}', '\u{FEFF}',
];

fn key(actor: &Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

/// An actor of the peer with a `javascript:` profile link and a name that reads backwards.
fn mallory(peer: &Peer, template: &Value) -> Value {
    let mut actor = peer_person(peer, template, "mallory");
    actor["url"] =
        json!("javascript:fetch('/admin/settings',{method:'POST',body:'registration=open'})");
    actor["name"] = json!("\u{202E}nimda\u{200B}\u{FEFF}");
    actor["icon"] = json!({"type": "Image", "url": "javascript:alert('icon')"});
    peer.serve(&actor);
    actor
}

/// A remote actor stored before links were checked: the row written as it came.
async fn stored_unchecked(kith: &Instance, peer: &Peer) -> String {
    let id = format!("{}/users/mira", peer.base);
    let actor = NewActor {
        id: id.clone(),
        kind: ActorKind::Person,
        local: false,
        username: "mi\u{202E}ra".into(),
        domain: peer.base.trim_start_matches("http://").to_owned(),
        display_name: Some("\u{2066}Mira\u{2069}\u{200D}".into()),
        summary: None,
        url: Some("JaVaScRiPt:alert('stored before the check')".into()),
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: Some(format!("{id}/followers")),
        key_id: format!("{id}#main-key"),
        public_key_pem: peer.public_pem.clone(),
        private_key_pem: None,
        manually_approves_followers: false,
        data: None,
    };
    kith.ctx.db.upsert_remote_actor(&actor).await.unwrap();
    id
}

/// A `Create{Event}` whose links are script and data URLs and whose names read backwards.
fn hostile_event(host: &Value) -> (String, Value) {
    let host_id = host["id"].as_str().unwrap();
    let id = format!("{host_id}/events/1");
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let end = start + jiff::SignedDuration::from_hours(2);
    let event = json!({
        "id": id, "type": "Event", "attributedTo": host_id, "actor": host_id,
        "name": "\u{202E}ytraP\u{200B}",
        "startTime": start.to_string(), "endTime": end.to_string(),
        "url": "javascript:alert('event page')",
        "joinMode": "external",
        "externalParticipationUrl": "vbscript:msgbox('register')",
        "attachment": [{"type": "Link", "name": "Visio",
                        "href": "data:text/html,<script>alert('online')</script>"}],
        "location": {"type": "Place", "name": "\u{202E}krap eht"},
        "to": [PUBLIC], "cc": [],
    });
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": host_id,
        "object": event, "to": [PUBLIC], "cc": [],
    });
    (id, create)
}

/// Mastodon's post mentioning the group, by `actor`.
fn post_by(peer: &Peer, actor: &Value, group: &str, handle: &str, n: u32) -> Value {
    let mut create = post_mentioning(peer, actor, group, handle, n);
    create["actor"] = actor["id"].clone();
    create["object"]["attributedTo"] = actor["id"].clone();
    create
}

/// A page as anyone sees it: safe by `assert_page_safe`, and without hidden characters.
async fn page(url: &str) -> String {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let html = response.text().await.unwrap();
    assert_page_safe(&html, url);
    for c in HIDDEN {
        assert!(!html.contains(c), "U+{:04X} on {url}", c as u32);
    }
    html
}

#[tokio::test]
async fn remote_script_links_and_hidden_characters_never_reach_a_page() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let inbox = format!("{}/inbox", kith.base);
    let (peer, felix) = mastodon().await;
    let handle = kith.handle("runners");

    // Mallory joins and posts a Lemmy-style page with a script url and a reversed title.
    let mallory = mallory(&peer, &felix);
    let mallory_id = mallory["id"].as_str().unwrap().to_owned();
    let f = follow(&peer, &mallory, &group.id);
    assert_eq!(peer.send(&key(&mallory), &group.inbox_url, &f).await, 202);
    let mut create = post_by(&peer, &mallory, &group.id, &handle, 1);
    create["object"]["type"] = json!("Page");
    create["object"]["name"] = json!("\u{202E}eltit");
    create["object"]["url"] = json!(" javascript:alert('post')");
    let post_id = peer.fixture_note(&create);
    assert_eq!(peer.send(&key(&mallory), &inbox, &create).await, 202);

    // Mira's row was stored before the check; she joins and posts too.
    let mira_id = stored_unchecked(&kith, &peer).await;
    let mira = json!({"id": mira_id, "followers": format!("{mira_id}/followers")});
    let mira_key = format!("{mira_id}#main-key");
    let mut f = follow(&peer, &mira, &group.id);
    f["id"] = json!(format!("{mira_id}/follows/1"));
    assert_eq!(peer.send(&mira_key, &group.inbox_url, &f).await, 202);
    let create = post_by(&peer, &mira, &group.id, &handle, 2);
    let mira_post = peer.fixture_note(&create);
    assert_eq!(peer.send(&mira_key, &inbox, &create).await, 202);

    // A followed organiser's event.
    let mut host = peer_person(&peer, &felix, "organisers");
    host["type"] = json!("Group");
    peer.serve(&host);
    follow_accepted(&kith, &group.id, &host).await;
    let (event_id, create) = hostile_event(&host);
    assert_eq!(peer.send(&key(&host), &inbox, &create).await, 202);
    kith.settled().await;

    // Stored: no link that is not http(s), names without their hidden characters.
    let stored = kith.ctx.db.actor(&mallory_id).await.unwrap();
    assert_eq!(stored.url, None);
    assert_eq!(stored.display_name.as_deref(), Some("nimda"));
    let post = kith.ctx.db.object(&post_id).await.unwrap();
    assert_eq!(post.url, None);
    assert_eq!(post.name.as_deref(), Some("eltit"));
    let event = kith.ctx.db.event(&event_id).await.unwrap();
    assert_eq!(event.object.url, None);
    assert_eq!(event.object.name.as_deref(), Some("ytraP"));
    assert_eq!(event.fields.online_url, None);
    assert_eq!(event.fields.external_url, None);
    assert_eq!(event.fields.place_name.as_deref(), Some("krap eht"));

    // Rendered: the authors link to their ids (the profile links are no links); the
    // event to its id.
    let group_page = page(&group.id).await;
    assert!(group_page.contains(&format!("href=\"{mallory_id}\">nimda</a>")));
    assert!(group_page.contains(&format!("href=\"{mira_id}\">Mira</a>")));
    assert!(group_page.contains("<h3>eltit</h3>"));
    for id in [&post_id, &mira_post] {
        let thread = format!("{}/thread?id={}", kith.base, encode(id));
        let html = page(&thread).await;
        assert!(html.contains("href=\"http://"), "{html}");
    }
    for url in [format!("{}/events", kith.base), format!("{}/", kith.base)] {
        let html = page(&url).await;
        assert!(
            html.contains(&format!(
                "<a href=\"{event_id}\"><strong>ytraP</strong></a>"
            )),
            "{url}: {html}"
        );
        assert!(html.contains("krap eht"), "{url}");
    }
    kith.stop().await;
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
