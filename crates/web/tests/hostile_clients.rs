//! Clients that try their luck, through the router: passwords guessed from many addresses,
//! `X-Forwarded-For` written by the client itself, a `next` that leads off the site after login,
//! and pages framed, sniffed or scripted from elsewhere (the security headers on every response).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use kith_federation::{Context, FederationSettings, actions::accounts::create_account};
use kith_storage::testing;
use kith_web::{AppState, TrustedProxies, WebSettings};
use support::{Reply, send, send_from, state_with_group};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("content-type", "application/json");

/// A login through the API over a connection from `peer`, with `X-Forwarded-For` when given.
async fn login(state: &AppState, peer: &str, forwarded: Option<&str>, name: &str, pw: &str) -> u16 {
    let body = serde_json::json!({"username": name, "password": pw}).to_string();
    let mut headers = vec![JSON];
    if let Some(forwarded) = forwarded {
        headers.push(("x-forwarded-for", forwarded));
    }
    send_from(
        state,
        Some(peer),
        "POST",
        "/api/v1/sessions",
        &headers,
        &body,
    )
    .await
    .status
}

#[tokio::test]
async fn guesses_from_rotating_addresses_end_at_the_per_account_cap() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        create_account(&state.ctx, "bob", "bob password", false)
            .await
            .unwrap();
        // Ten wrong passwords for ann, each from an address of its own: each address is far
        // below its own limits.
        for n in 0..10 {
            let peer = format!("198.51.100.{n}:40000");
            assert_eq!(login(&state, &peer, None, "ann", "guess").await, 401);
        }
        // From an eleventh address, even the right password is refused for now.
        let body = serde_json::json!({"username": "ann", "password": "long enough"}).to_string();
        let r = send_from(
            &state,
            Some("203.0.113.50:40000"),
            "POST",
            "/api/v1/sessions",
            &[JSON],
            &body,
        )
        .await;
        assert_eq!(r.status, 429, "{}", t.label);
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait));
        // Another account, from the same address, is not held back.
        assert_eq!(
            login(&state, "203.0.113.50:40000", None, "bob", "bob password").await,
            201
        );
        // Names that do not exist are throttled alike (the answer does not tell them apart).
        for n in 0..10 {
            let peer = format!("192.0.2.{n}:40000");
            assert_eq!(login(&state, &peer, None, "nobody", "guess").await, 401);
        }
        assert_eq!(
            login(&state, "192.0.2.99:40000", None, "nobody", "guess").await,
            429
        );
    }
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        create_account(&state.ctx, "cara", "cara password", false)
            .await
            .unwrap();
        // No trusted proxy (the default, loopback included): a new X-Forwarded-For on every
        // guess changes nothing, all five count against the peer, and the sixth is refused.
        for n in 0..5 {
            let fake = format!("198.51.100.{n}");
            let status = login(&state, "127.0.0.1:40000", Some(&fake), "ann", "guess").await;
            assert_eq!(status, 401, "{}", t.label);
        }
        let status = login(&state, "127.0.0.1:40000", Some("198.51.100.77"), "ann", "x").await;
        assert_eq!(status, 429, "{}: the header was believed", t.label);

        // Behind a trusted proxy on loopback, the header names the client.
        let mut web = WebSettings::new("Test Kith");
        web.trusted_proxies = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        let proxied = AppState::new(state.ctx.clone(), web);
        for _ in 0..5 {
            let status = login(
                &proxied,
                "127.0.0.1:40000",
                Some("203.0.113.5"),
                "cara",
                "x",
            )
            .await;
            assert_eq!(status, 401);
        }
        let status = login(
            &proxied,
            "127.0.0.1:40000",
            Some("203.0.113.5"),
            "cara",
            "x",
        )
        .await;
        assert_eq!(status, 429, "{}: counted against 203.0.113.5", t.label);
        // Another client behind the same proxy is not held back by it…
        let status = login(
            &proxied,
            "127.0.0.1:40000",
            Some("203.0.113.6"),
            "cara",
            "cara password",
        )
        .await;
        assert_eq!(status, 201, "{}", t.label);
        // …and a client that writes another address into the header itself gains nothing:
        // the proxy appends the address it saw, the rightmost that is not a proxy.
        let status = login(
            &proxied,
            "127.0.0.1:40000",
            Some("203.0.113.6, 203.0.113.5"),
            "cara",
            "cara password",
        )
        .await;
        assert_eq!(status, 429, "{}", t.label);
        // A peer that is not a trusted proxy is never believed, even with a trusted list.
        let status = login(
            &proxied,
            "198.51.100.200:40000",
            Some("203.0.113.6"),
            "ann",
            "long enough",
        )
        .await;
        assert_eq!(status, 201, "{}", t.label);
    }
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_escape_the_inbox_limit() {
    let t = testing::sqlite().await;
    let mut settings = FederationSettings::new("kith.test", false);
    settings.limits.inbox_per_ip_per_minute = 3;
    let state = AppState::new(
        Context::new(t.db.clone(), settings).unwrap(),
        WebSettings::new("Test Kith"),
    );
    let mut statuses = Vec::new();
    for n in 0..6 {
        let fake = format!("198.51.100.{n}");
        let r = send_from(
            &state,
            Some("127.0.0.1:40000"),
            "POST",
            "/inbox",
            &[
                ("content-type", "application/activity+json"),
                ("x-forwarded-for", &fake),
            ],
            "{}",
        )
        .await;
        statuses.push(r.status);
    }
    assert!(statuses[..3].iter().all(|s| *s != 429), "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
}

/// Logs ann in through the form with `next` as it is written in the form body; the redirect.
async fn login_form(state: &AppState, next_in_body: &str) -> String {
    let page = send(state, "GET", "/login", &[], "").await;
    let cookie = page.cookie("kith_csrf").unwrap();
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let body = format!("csrf={token}&username=ann&password=long+enough&next={next_in_body}");
    let r = send(state, "POST", "/login", &[FORM, ("cookie", &cookie)], &body).await;
    assert_eq!(r.status, 303, "{next_in_body}: {}", r.body);
    assert!(r.cookie("kith_session").is_some());
    r.headers["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn login_sends_people_only_to_paths_on_this_site() {
    let t = testing::sqlite().await;
    let state = state_with_group(&t.db).await;
    let base = url::Url::parse("https://kith.test/").unwrap();
    for (next, expected) in [
        // A tab, which browsers drop: `/\t/evil.example` is `//evil.example`.
        ("/%09/evil.example/phish", "/"),
        ("/%0A/evil.example", "/"),
        // A backslash, which browsers read as a slash.
        ("/%5Cevil.example", "/"),
        ("%5C%5Cevil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("https%3A%2F%2Fevil.example%2F", "/"),
        ("/%2F%2Fevil", "/"),
        ("/.//evil.example", "/"),
        ("javascript:alert(1)", "/"),
        // Still encoded once decoded: a path on this site.
        ("/%252F%252Fevil", "/%2F%2Fevil"),
        // Paths and queries here are kept, normalised.
        ("/g/x?y=1", "/g/x?y=1"),
        ("/g/x%3Fy%3D1", "/g/x?y=1"),
        ("https%3A%2F%2Fkith.test%2Fg%2Frunners", "/g/runners"),
        ("/g/a/../runners", "/g/runners"),
        ("", "/"),
    ] {
        let location = login_form(&state, next).await;
        assert_eq!(location, expected, "next={next}");
        let followed = base.join(&location).unwrap();
        assert_eq!(followed.origin(), base.origin(), "next={next}: {location}");
    }
}

/// The headers a response must carry, and its policy.
fn assert_protected(r: &Reply, what: &str) -> String {
    let header = |name: &str| {
        r.headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "same-origin", "{what}");
    let policy = header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            policy.contains(directive),
            "{what}: {directive} in {policy}"
        );
    }
    assert!(!policy.contains("unsafe"), "{what}: {policy}");
    policy
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let t = testing::sqlite().await;
    let state = state_with_group(&t.db).await;
    let html = ("accept", "text/html");
    let ap = ("accept", "application/activity+json");
    // Method, path, headers, body, status.
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str, u16);
    let cases: Vec<Case> = vec![
        ("GET", "/", vec![html], "", 200),
        ("GET", "/login", vec![html], "", 200),
        ("GET", "/g/runners", vec![ap], "", 200),
        // Again: now from the document cache.
        ("GET", "/g/runners", vec![ap], "", 200),
        ("GET", "/g/runners/feed.atom", vec![], "", 200),
        ("GET", "/static/kith.js", vec![], "", 200),
        ("GET", "/static/kith.css", vec![], "", 200),
        ("GET", "/.well-known/nodeinfo", vec![], "", 200),
        ("GET", "/api/v1/me", vec![], "", 401),
        ("GET", "/g/nobody", vec![html], "", 404),
        ("GET", "/no/such/route", vec![], "", 404),
        (
            "POST",
            "/login",
            vec![FORM],
            "csrf=&username=a&password=b",
            403,
        ),
        ("POST", "/inbox", vec![JSON], "not json", 400),
    ];
    for (method, uri, headers, body, status) in cases {
        let what = format!("{method} {uri}");
        let r = send(&state, method, uri, &headers, body).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        let policy = assert_protected(&r, &what);
        assert!(policy.contains("form-action 'self';"), "{what}: {policy}");
    }
    // The group page of a visitor not logged in has the remote-join form, whose answer is a
    // redirect to the visitor's server: forms may go on to https (and nothing else widens).
    let r = send(&state, "GET", "/g/runners", &[html], "").await;
    assert!(r.body.contains("/remote-join"));
    let policy = assert_protected(&r, "the group page");
    assert!(policy.contains("form-action 'self' https:;"), "{policy}");
    assert!(!policy.contains("http:"), "{policy}");
}
