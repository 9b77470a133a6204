//! Accounts through the router, on every test database: registration modes, sessions and their
//! cookie flags, CSRF on forms and on cookie-authenticated API calls, the login throttle,
//! password changes, and local posting policy.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use kith_federation::actions::{accounts::create_account, tokens::create_token};
use kith_storage::testing;
use support::{Reply, send, send_from, state_with_group};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("content-type", "application/json");

/// The CSRF cookie and token a visitor gets with a page.
async fn visitor_csrf(state: &kith_web::AppState) -> (String, String) {
    let page = send(state, "GET", "/login", &[], "").await;
    let cookie = page.cookie("kith_csrf").expect("a CSRF cookie");
    let token = cookie.split_once('=').unwrap().1.to_owned();
    assert!(page.body.contains(&format!("value=\"{token}\"")));
    (cookie, token)
}

/// A login through the API over a connection from `client`.
async fn api_login(state: &kith_web::AppState, name: &str, password: &str, client: &str) -> Reply {
    let body = serde_json::json!({"username": name, "password": password}).to_string();
    let peer = format!("{client}:40000");
    send_from(
        state,
        Some(&peer),
        "POST",
        "/api/v1/sessions",
        &[JSON],
        &body,
    )
    .await
}

#[tokio::test]
async fn sessions_use_safe_cookies_and_forms_need_their_csrf_token() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        // Not a development instance: cookies are Secure, always HttpOnly and SameSite=Lax.
        let page = send(&state, "GET", "/login", &[], "").await;
        let csrf = page
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("kith_csrf="))
            .unwrap();
        for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(csrf.contains(flag), "{flag} in {csrf}");
        }
        let (cookie, token) = visitor_csrf(&state).await;
        // A login form without the token, or with another one, is refused and sets no session.
        for sent in ["", "forged-token-from-elsewhere"] {
            let body = format!("csrf={sent}&username=ann&password=long+enough");
            let r = send(
                &state,
                "POST",
                "/login",
                &[FORM, ("cookie", &cookie)],
                &body,
            )
            .await;
            assert_eq!(r.status, 403, "{}", t.label);
            assert!(r.body.contains("reload the page"));
            assert!(r.cookie("kith_session").is_none());
        }
        // With it, a session cookie (Secure, HttpOnly, 30 days) and a redirect.
        let body = format!("csrf={token}&username=ann&password=long+enough&next=%2Fg%2Frunners");
        let r = send(
            &state,
            "POST",
            "/login",
            &[FORM, ("cookie", &cookie)],
            &body,
        )
        .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.headers["location"], "/g/runners");
        let set = r
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("kith_session="))
            .unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("Secure") && set.contains("Max-Age=2592000")
        );
        let session = r.cookie("kith_session").unwrap();
        // Logged in, the page carries the session's token, not the visitor's.
        let page = send(&state, "GET", "/g/runners", &[("cookie", &session)], "").await;
        assert!(
            page.body.contains("Log out") && !page.body.contains(&format!("value=\"{token}\""))
        );
        // Open redirects are not followed.
        let body =
            format!("csrf={token}&username=ann&password=long+enough&next=%2F%2Fevil.example");
        let r = send(
            &state,
            "POST",
            "/login",
            &[FORM, ("cookie", &cookie)],
            &body,
        )
        .await;
        assert_eq!(r.headers["location"], "/");
    }
}

#[tokio::test]
async fn the_api_takes_a_session_with_its_csrf_header_or_a_bearer_token() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        let r = api_login(&state, "ann", "long enough", "192.0.2.1").await;
        assert_eq!(r.status, 201, "{}", r.body);
        let csrf = r.json()["csrf_token"].as_str().unwrap().to_owned();
        let session = r.cookie("kith_session").unwrap();
        let me = send(&state, "GET", "/api/v1/me", &[("cookie", &session)], "").await;
        assert_eq!(me.json()["handle"], "@ann@kith.test");
        // A change without the CSRF header is refused with a stable code.
        let body = r#"{"text": "Hello runners"}"#;
        let path = "/api/v1/groups/runners/posts";
        let r = send(&state, "POST", path, &[JSON, ("cookie", &session)], body).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["error"], "forbidden");
        let r = send(
            &state,
            "POST",
            path,
            &[JSON, ("cookie", &session), ("x-csrf-token", &csrf)],
            body,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(
            r.json()["content"]
                .as_str()
                .unwrap()
                .contains("Hello runners")
        );
        // A bearer token needs no CSRF header.
        let token = create_token(&state.ctx, "ann", "test").await.unwrap();
        let auth = format!("Bearer {token}");
        let r = send(
            &state,
            "GET",
            "/api/v1/groups/runners/posts",
            &[("authorization", &auth)],
            "",
        )
        .await;
        assert_eq!(r.json().as_array().unwrap().len(), 1);
        // Nothing at all: 401 as JSON.
        let r = send(&state, "POST", "/api/v1/groups/runners/join", &[], "").await;
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (401, Some("unauthorized"))
        );
        // Logging out ends the session.
        let r = send(
            &state,
            "DELETE",
            "/api/v1/sessions",
            &[("cookie", &session), ("x-csrf-token", &csrf)],
            "",
        )
        .await;
        assert_eq!(r.status, 204);
        let me = send(&state, "GET", "/api/v1/me", &[("cookie", &session)], "").await;
        assert_eq!(me.status, 401);
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_address_and_name() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        for _ in 0..5 {
            let r = api_login(&state, "ann", "wrong password", "198.51.100.7").await;
            assert_eq!(
                (r.status, r.json()["error"].as_str()),
                (401, Some("unauthorized"))
            );
        }
        // The sixth try is refused even with the right password, and says when to come back.
        let r = api_login(&state, "ann", "long enough", "198.51.100.7").await;
        assert_eq!(r.status, 429, "{}", t.label);
        assert_eq!(r.json()["error"], "rate_limited");
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait));
        // Another address is not held back by it.
        let r = api_login(&state, "ann", "long enough", "203.0.113.9").await;
        assert_eq!(r.status, 201);
    }
}

#[tokio::test]
async fn registration_follows_the_instance_mode() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        create_account(&state.ctx, "rhea", "admin password", true)
            .await
            .unwrap();
        let admin = format!(
            "Bearer {}",
            create_token(&state.ctx, "rhea", "t").await.unwrap()
        );
        let register = |body: serde_json::Value| {
            let state = state.clone();
            async move {
                send(
                    &state,
                    "POST",
                    "/api/v1/accounts",
                    &[JSON],
                    &body.to_string(),
                )
                .await
            }
        };
        // The default is approval: an application is needed, and the account waits.
        let r = register(serde_json::json!({"username": "cara", "password": "password 1"})).await;
        assert_eq!(r.status, 400);
        let r = register(serde_json::json!({"username": "cara", "password": "password 1", "application": "I run"})).await;
        assert_eq!(
            (r.status, r.json()["approved"].as_bool()),
            (201, Some(false))
        );
        let r = api_login(&state, "cara", "password 1", "192.0.2.2").await;
        assert_eq!(r.status, 403);
        assert!(r.json()["message"].as_str().unwrap().contains("approval"));
        let list = send(
            &state,
            "GET",
            "/api/v1/admin/applications",
            &[("authorization", &admin)],
            "",
        )
        .await;
        assert_eq!(list.json()[0]["application"], "I run");
        let r = send(
            &state,
            "POST",
            "/api/v1/admin/applications/approve",
            &[JSON, ("authorization", &admin)],
            r#"{"username":"cara"}"#,
        )
        .await;
        assert_eq!(r.status, 204);
        assert_eq!(
            api_login(&state, "cara", "password 1", "192.0.2.2")
                .await
                .status,
            201
        );
        // Non-administrators cannot change the mode.
        let cara = format!(
            "Bearer {}",
            create_token(&state.ctx, "cara", "t").await.unwrap()
        );
        let body = r#"{"registration": "open"}"#;
        let r = send(
            &state,
            "PUT",
            "/api/v1/admin/settings",
            &[JSON, ("authorization", &cara)],
            body,
        )
        .await;
        assert_eq!(r.status, 403);
        // Invite codes: one use each.
        let body = r#"{"registration": "invite", "about": "Runners of the river."}"#;
        let r = send(
            &state,
            "PUT",
            "/api/v1/admin/settings",
            &[JSON, ("authorization", &admin)],
            body,
        )
        .await;
        assert_eq!(r.json()["registration"], "invite");
        let invite = send(
            &state,
            "POST",
            "/api/v1/admin/invites",
            &[JSON, ("authorization", &admin)],
            r#"{"uses":1,"days":7}"#,
        )
        .await;
        let code = invite.json()["code"].as_str().unwrap().to_owned();
        let r = register(serde_json::json!({"username": "dev", "password": "password 2"})).await;
        assert_eq!(r.status, 403);
        let r = register(
            serde_json::json!({"username": "dev", "password": "password 2", "invite": code}),
        )
        .await;
        assert_eq!(
            (r.status, r.json()["approved"].as_bool()),
            (201, Some(true))
        );
        let r = register(
            serde_json::json!({"username": "eve", "password": "password 3", "invite": code}),
        )
        .await;
        assert_eq!(r.status, 403, "the code is used up");
        // A taken name gives the use back.
        let invite = send(
            &state,
            "POST",
            "/api/v1/admin/invites",
            &[JSON, ("authorization", &admin)],
            r#"{}"#,
        )
        .await;
        let code = invite.json()["code"].as_str().unwrap().to_owned();
        let r = register(
            serde_json::json!({"username": "runners", "password": "password 4", "invite": code}),
        )
        .await;
        assert_eq!(r.status, 409);
        let r = register(
            serde_json::json!({"username": "fay", "password": "password 4", "invite": code}),
        )
        .await;
        assert_eq!(r.status, 201);
        // Open: anyone; the front page shows the about text.
        let body = r#"{"registration": "open", "about": "Runners of the river."}"#;
        send(
            &state,
            "PUT",
            "/api/v1/admin/settings",
            &[JSON, ("authorization", &admin)],
            body,
        )
        .await;
        let r = register(serde_json::json!({"username": "gus", "password": "password 5"})).await;
        assert_eq!(r.status, 201);
        let front = send(&state, "GET", "/", &[], "").await;
        assert!(front.body.contains("Runners of the river."));
    }
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        let one = api_login(&state, "ann", "long enough", "192.0.2.3").await;
        let two = api_login(&state, "ann", "long enough", "192.0.2.3").await;
        let (s1, c1) = (
            one.cookie("kith_session").unwrap(),
            one.json()["csrf_token"].as_str().unwrap().to_owned(),
        );
        let s2 = two.cookie("kith_session").unwrap();
        let wrong = r#"{"current": "not it", "new": "a new password"}"#;
        let r = send(
            &state,
            "POST",
            "/api/v1/me/password",
            &[JSON, ("cookie", &s1), ("x-csrf-token", &c1)],
            wrong,
        )
        .await;
        assert_eq!(r.status, 403);
        let body = r#"{"current": "long enough", "new": "a new password"}"#;
        let r = send(
            &state,
            "POST",
            "/api/v1/me/password",
            &[JSON, ("cookie", &s1), ("x-csrf-token", &c1)],
            body,
        )
        .await;
        assert_eq!(r.status, 204, "{}", t.label);
        assert_eq!(
            send(&state, "GET", "/api/v1/me", &[("cookie", &s1)], "")
                .await
                .status,
            200
        );
        assert_eq!(
            send(&state, "GET", "/api/v1/me", &[("cookie", &s2)], "")
                .await
                .status,
            401
        );
        assert_eq!(
            api_login(&state, "ann", "a new password", "192.0.2.3")
                .await
                .status,
            201
        );
        let stored = state.ctx.db.account_by_username("ann").await.unwrap();
        assert!(stored.password_hash.starts_with("$argon2id$"));
    }
}

#[tokio::test]
async fn local_people_meet_the_groups_posting_policy() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        create_account(&state.ctx, "zed", "long enough", false)
            .await
            .unwrap();
        let zed = format!(
            "Bearer {}",
            create_token(&state.ctx, "zed", "t").await.unwrap()
        );
        let ann = format!(
            "Bearer {}",
            create_token(&state.ctx, "ann", "t").await.unwrap()
        );
        // Not a member of a members-only group: held for the organisers.
        let post = |who: String| {
            let state = state.clone();
            async move {
                send(
                    &state,
                    "POST",
                    "/api/v1/groups/runners/posts",
                    &[JSON, ("authorization", &who)],
                    r#"{"text":"hi"}"#,
                )
                .await
            }
        };
        let r = post(zed.clone()).await;
        assert_eq!(r.status, 201, "{}", t.label);
        assert_eq!(r.json()["held"], "the author is not a member");
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let held = send(
            &state,
            "GET",
            "/api/v1/groups/runners/held",
            &[("authorization", &ann)],
            "",
        )
        .await;
        assert_eq!(held.json()[0]["id"], id.as_str());
        // zed cannot see the queue; ann releases the post.
        let r = send(
            &state,
            "GET",
            "/api/v1/groups/runners/held",
            &[("authorization", &zed)],
            "",
        )
        .await;
        assert_eq!(r.status, 403);
        let body = serde_json::json!({"post": id}).to_string();
        let r = send(
            &state,
            "POST",
            "/api/v1/groups/runners/held/release",
            &[JSON, ("authorization", &ann)],
            &body,
        )
        .await;
        assert_eq!(r.status, 204);
        let posts = send(&state, "GET", "/api/v1/groups/runners/posts", &[], "").await;
        assert_eq!(posts.json()[0]["id"], id.as_str());
        // Joining makes the next post go straight in.
        let r = send(
            &state,
            "POST",
            "/api/v1/groups/runners/join",
            &[("authorization", &zed)],
            "",
        )
        .await;
        assert_eq!(r.json()["state"], "accepted");
        assert!(post(zed.clone()).await.json()["held"].is_null());
        // The directory finds the group by name, case-insensitively, with its members.
        let r = send(&state, "GET", "/api/v1/groups?q=RUNN", &[], "").await;
        assert_eq!(r.json()[0]["members"], 2);
        assert_eq!(
            send(&state, "GET", "/api/v1/groups?q=%25", &[], "")
                .await
                .json(),
            serde_json::json!([])
        );
    }
}
