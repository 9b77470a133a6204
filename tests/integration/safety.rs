//! Hostile input and hostile targets: the OWASP XSS filter-evasion payloads (see
//! `tests/fixtures/xss`) posted from a Mastodon-shaped peer are neutralised in what is stored and
//! in the pages that show it; the SSRF guard refuses private targets, directly, through names
//! that resolve to them, and through redirects.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::{Router, response::Redirect, routing::get};
use kith_federation::context::client::{self, Guard};
use kith_storage::JoinPolicy;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::instance::Instance;
use crate::mastodon::{follow, mastodon, post_mentioning};

/// Every tag in an HTML text with its attributes (names lower-cased), in order.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(start) = html[i..].find('<').map(|p| p + i) {
        i = start + 1;
        let name: String = html[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            continue;
        }
        i += name.len();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' || html[i..].starts_with("/>") {
                break;
            }
            let attr: String = html[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '=' && *c != '>')
                .collect();
            i += attr.len().max(1);
            let mut value = String::new();
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                let quote = bytes[i];
                if quote == b'"' || quote == b'\'' {
                    let end = html[i + 1..].find(quote as char).unwrap() + i + 1;
                    value = html[i + 1..end].to_owned();
                    i = end + 1;
                } else {
                    value = html[i..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '>')
                        .collect();
                    i += value.len();
                }
            }
            attrs.push((attr.to_ascii_lowercase(), value));
        }
        out.push((name.to_ascii_lowercase(), attrs));
    }
    out
}

pub fn dangerous_url(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| v.starts_with(s))
}

/// Stored content keeps only the allowlist of docs/protocol.md (Untrusted input): its tags, `href` to web or mail links,
/// `rel`, and the mention classes.
fn assert_stored_safe(html: &str, payload: &str) {
    const TAGS: [&str; 16] = [
        "p",
        "span",
        "br",
        "a",
        "del",
        "pre",
        "code",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "blockquote",
    ];
    for (tag, attrs) in tags(html) {
        assert!(
            TAGS.contains(&tag.as_str()),
            "<{tag}> kept from {payload:?}: {html}"
        );
        for (name, value) in attrs {
            assert!(
                ["href", "rel", "class", "start", "reversed", "value"].contains(&name.as_str()),
                "{name}= kept from {payload:?}: {html}"
            );
            if name == "href" {
                assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| value.starts_with(s)),
                    "href {value:?} kept from {payload:?}"
                );
            }
            if name == "rel" {
                assert_eq!(value, "nofollow ugc noopener");
            }
        }
    }
}

/// A rendered page runs nothing it did not write itself: no event handlers, no script URLs, no
/// embedding tags, and only Kith's own script.
pub fn assert_page_safe(html: &str, url: &str) {
    for (tag, attrs) in tags(html) {
        assert!(
            ![
                "iframe", "frame", "frameset", "object", "embed", "svg", "math", "style", "base",
                "img", "bgsound"
            ]
            .contains(&tag.as_str()),
            "<{tag}> on {url}"
        );
        for (name, value) in &attrs {
            assert!(!name.starts_with("on"), "{name}= on <{tag}> on {url}");
            assert!(
                ![
                    "formaction",
                    "srcdoc",
                    "style",
                    "dynsrc",
                    "background",
                    "http-equiv"
                ]
                .contains(&name.as_str()),
                "{name}= on {url}"
            );
            if ["href", "src", "action"].contains(&name.as_str()) {
                assert!(!dangerous_url(value), "{name}={value:?} on {url}");
            }
        }
        if tag == "script" {
            assert_eq!(
                attrs.first().map(|a| a.1.as_str()),
                Some("/static/kith.js"),
                "a script on {url}"
            );
        }
    }
}

#[tokio::test]
async fn xss_payloads_are_neutralised_in_stored_and_rendered_content() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let key = felix["publicKey"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        peer.send(&key, &group.inbox_url, &follow(&peer, &felix, &group.id))
            .await,
        202
    );
    let payloads = include_str!("../fixtures/xss/owasp_filter_evasion.txt");
    let mut notes = Vec::new();
    for (n, payload) in payloads
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let mut create = post_mentioning(
            &peer,
            &felix,
            &group.id,
            &kith.handle("runners"),
            100 + n as u32,
        );
        create["object"]["content"] = json!(format!("<p>{payload}</p>"));
        // The content warning is plain text: shown escaped, whatever it holds.
        create["object"]["summary"] = json!(payload);
        create["object"]["name"] = Value::Null;
        let note = peer.fixture_note(&create);
        assert_eq!(
            peer.send(&key, &format!("{}/inbox", kith.base), &create)
                .await,
            202,
            "{payload}"
        );
        notes.push((note, payload));
    }
    assert_eq!(notes.len(), 50);
    kith.settled().await;
    for (note, payload) in &notes {
        let stored = kith.ctx.db.object(note).await.unwrap();
        assert_stored_safe(stored.content.as_deref().unwrap_or_default(), payload);
        let url = format!("{}/thread?id={}", kith.base, url_encode(note));
        let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
        assert!(
            page.contains("<details class=\"cw\">"),
            "the warning folds the post on {url}"
        );
        assert_page_safe(&page, &url);
    }
    let page = reqwest::get(&group.id).await.unwrap().text().await.unwrap();
    assert_page_safe(&page, &group.id);
    kith.stop().await;
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_ssrf_guard_refuses_private_targets_directly_by_name_and_via_redirect() {
    // A service inside the operator's network, on loopback, that must never be reached.
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let inside = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inside_port = inside.local_addr().unwrap().port();
    let secret = Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "secret" }
    });
    tokio::spawn(async move { axum::serve(inside, secret).await.unwrap() });

    // A server the operator allowed (127.0.0.2, as a LAN peer would be) that redirects inward.
    let outside = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let outside_addr = outside.local_addr().unwrap();
    let to_loopback = format!("http://127.0.0.1:{inside_port}/secret");
    let to_localhost = format!("http://localhost:{inside_port}/secret");
    let redirects = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/to-loopback", get(move || redirect(to_loopback.clone())))
        .route("/to-localhost", get(move || redirect(to_localhost.clone())))
        .route(
            "/to-metadata",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        );
    tokio::spawn(async move { axum::serve(outside, redirects).await.unwrap() });

    // The guard of a public instance, allowing http only so the test needs no TLS.
    let guard = Guard {
        allow_http: true,
        allow_private: false,
        allowed_private: vec!["127.0.0.2".parse().unwrap()],
    };
    let http = client::build(&guard, "kith.test").unwrap();
    let base = format!("http://{outside_addr}");
    let ok = http.get(format!("{base}/ok")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the allowed address is reachable");
    for path in ["/to-loopback", "/to-localhost", "/to-metadata"] {
        let answer = http.get(format!("{base}{path}")).send().await.unwrap();
        assert!(
            answer.status().is_redirection(),
            "{path}: the redirect is not followed"
        );
    }
    // Directly: literal private addresses and names resolving to loopback.
    for url in [
        format!("http://127.0.0.1:{inside_port}/secret"),
        format!("http://[::1]:{inside_port}/secret"),
        "http://10.0.0.1/".to_owned(),
        format!("http://localhost:{inside_port}/secret"),
    ] {
        // What Kith's fetches and deliveries do: check the URL, then connect.
        let parsed = reqwest::Url::parse(&url).unwrap();
        if guard.check_url(&parsed).is_ok() {
            assert!(http.get(&url).send().await.is_err(), "{url} was reached");
        }
    }
    // The client alone (no URL check before it) refuses a name at the resolver.
    let by_name = http
        .get(format!("http://localhost:{inside_port}/secret"))
        .send()
        .await;
    assert!(
        by_name.is_err(),
        "a name resolving to loopback is refused when connecting"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the inside service was never reached"
    );

    // Kith's own fetches outside development mode refuse private targets before connecting.
    let db = kith_storage::testing::sqlite().await;
    let ctx = kith_federation::Context::new(
        db.db.clone(),
        kith_federation::FederationSettings::new("kith.test", false),
    )
    .unwrap();
    let err = kith_federation::outbound::fetch::fetch_json(
        &ctx,
        &format!("https://127.0.0.1:{inside_port}/secret"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, kith_federation::FederationError::Forbidden(_)),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

async fn redirect(to: String) -> Redirect {
    Redirect::temporary(&to)
}
