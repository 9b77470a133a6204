//! An event's online link reaches only the people it is promised to (issue 23): looked for, as
//! an outsider would, on every path — the page (anonymous, cached, other members), the event's
//! ActivityPub document (unsigned and signed by a member's server), the iCalendar and Atom
//! feeds, the JSON API, private calendars and what remote members receive — and found only
//! where it belongs: the pages, API answers and private calendars of people going and
//! organisers (what remote people receive: `online_link_remote.rs`). People waiting to join, or
//! banned, cannot answer.

use kith_federation::actions::By;
use kith_federation::actions::{bans, events, online_link, rsvp, sessions, tokens};
use kith_storage::{Account, JoinPolicy, MemberRole, MemberState, RsvpStatus};
use serde_json::{Value, json};

use crate::events::draft;
use crate::instance::Instance;

/// The online link the tests look for.
pub const LINK: &str = "https://meet.example/circle-room-4821";

/// GETs `url` with optional headers; the status, `Cache-Control` and body.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // iCalendar folds long lines (RFC 5545 §3.1): unfolded, so a folded link is found too.
    let body = response.text().await.unwrap().replace("\r\n ", "");
    (status, cache, body)
}

/// A session cookie for `account`.
async fn cookie(kith: &Instance, account: &Account) -> String {
    let session = sessions::open_session(&kith.ctx, account.clone())
        .await
        .unwrap();
    format!("kith_session={}", session.secret)
}

/// A local person, accepted into `group` (or waiting, as `state` says).
async fn member(kith: &Instance, name: &str, group: &str, state: MemberState) -> Account {
    let account = kith.person(name).await;
    kith.ctx
        .db
        .upsert_membership(group, &account.actor_id, state, MemberRole::Member, None)
        .await
        .unwrap();
    account
}

/// Everything an outsider or a member who is not going can read about the event.
async fn public_paths(kith: &Instance, event_id: &str, key: &str) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let base = &kith.base;
    for (what, url, accept) in [
        ("page", event_id.to_owned(), "text/html"),
        ("JSON", event_id.to_owned(), "application/activity+json"),
        ("event feed", format!("{event_id}/calendar.ics"), "*/*"),
        ("group feed", format!("{base}/g/circle/events.ics"), "*/*"),
        ("site feed", format!("{base}/events.ics"), "*/*"),
        ("Atom", format!("{base}/g/circle/feed.atom"), "*/*"),
        ("API", format!("{base}/api/v1/events/{key}"), "*/*"),
        ("group page", format!("{base}/g/circle"), "text/html"),
        ("events page", format!("{base}/events"), "text/html"),
    ] {
        // Twice: the second may come from the one-second cache.
        for _ in 0..2 {
            let (status, _, body) = get(&url, &[("accept", accept)]).await;
            assert_eq!(status, 200, "{what}: {body}");
            seen.push((what.to_owned(), body));
        }
    }
    seen
}

fn assert_no_link(seen: &[(String, String)], who: &str) {
    for (what, body) in seen {
        assert!(
            !body.contains(LINK) && !body.contains("circle-room"),
            "{who}: the {what} shows the link:\n{body}"
        );
    }
}

#[tokio::test]
async fn the_online_link_is_shown_only_to_people_going_and_organisers() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let bea = member(&kith, "bea", &group.id, MemberState::Accepted).await;
    let dan = member(&kith, "dan", &group.id, MemberState::Accepted).await;
    let eve = member(&kith, "eve", &group.id, MemberState::Accepted).await;
    let cal = member(&kith, "cal", &group.id, MemberState::Pending).await;
    let stranger = kith.person("sam").await;
    let mut d = draft("Circle evening", 3, Some(1));
    d.online_url = Some(LINK.into());
    let event = events::create_event(&kith.ctx, "circle", By::Operator, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();
    let key = id.rsplit('/').next().unwrap().to_owned();

    // Bea takes the one place; Dan waits; Cal (waiting to join) and Sam (outside an approval
    // group) are refused, with the reason.
    let answer = |who: &Account| {
        let (ctx, who, id) = (kith.ctx.clone(), who.clone(), id.clone());
        async move { rsvp::rsvp(&ctx, &who, &id, Some(RsvpStatus::Going)).await }
    };
    assert_eq!(
        answer(&bea).await.unwrap().unwrap().status,
        RsvpStatus::Going
    );
    assert_eq!(
        answer(&dan).await.unwrap().unwrap().status,
        RsvpStatus::Waitlisted
    );
    let refused = answer(&cal).await.unwrap_err().to_string();
    assert!(
        refused.contains("waiting for an organiser's approval"),
        "{refused}"
    );
    assert!(
        answer(&stranger)
            .await
            .unwrap_err()
            .to_string()
            .contains("ask to join")
    );
    let cal_token = tokens::create_token(&kith.ctx, "cal", "t").await.unwrap();
    let refused = reqwest::Client::new()
        .post(format!("{}/api/v1/rsvp", kith.base))
        .bearer_auth(&cal_token)
        .json(&json!({"event": id, "status": "going"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("approval"));

    // Anonymous readers, and the stored document the group serves and sent.
    assert_no_link(&public_paths(&kith, &id, &key).await, "anonymous");
    let stored = kith.ctx.db.object(&id).await.unwrap();
    assert!(!stored.data.contains(LINK) && !stored.activity.unwrap_or_default().contains(LINK));

    // Members who are not going: by API token and by page, each with their own session.
    for who in [&eve, &dan, &cal] {
        let token = tokens::create_token(&kith.ctx, &who.username, "t")
            .await
            .unwrap();
        let auth = format!("Bearer {token}");
        let (status, _, api) = get(
            &format!("{}/api/v1/events/{key}", kith.base),
            &[("authorization", &auth)],
        )
        .await;
        assert_eq!(status, 200);
        let session = cookie(&kith, who).await;
        let (_, _, page) = get(&id, &[("cookie", &session), ("accept", "text/html")]).await;
        let calendar = tokens::create_calendar_link(&kith.ctx, who).await.unwrap();
        let (_, _, ics) = get(&calendar, &[]).await;
        let seen = [
            ("API".into(), api),
            ("page".into(), page),
            ("calendar".into(), ics),
        ];
        assert_no_link(&seen, &who.username);
        assert!(
            seen[1]
                .1
                .contains("The link is shown to people who are going.")
        );
    }
    // Cal's page says why she cannot answer, without the buttons.
    let session = cookie(&kith, &cal).await;
    let (_, _, page) = get(&id, &[("cookie", &session)]).await;
    assert!(
        page.contains("You cannot answer this event: your request to join"),
        "{page}"
    );
    assert!(!page.contains("value=\"going\""));

    // Bea, going: her page (kept by no cache), the API and her private calendar.
    let session = cookie(&kith, &bea).await;
    let (_, cache, page) = get(&id, &[("cookie", &session)]).await;
    assert!(page.contains(&format!("href=\"{LINK}\"")), "{page}");
    assert!(
        cache.contains("private") && cache.contains("no-store"),
        "{cache}"
    );
    let (_, _, anonymous) = get(&id, &[("accept", "text/html")]).await;
    assert!(!anonymous.contains(LINK));
    let token = tokens::create_token(&kith.ctx, "bea", "t").await.unwrap();
    let (_, _, api) = get(
        &format!("{}/api/v1/events/{key}", kith.base),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&api).unwrap()["online_url"],
        LINK
    );
    let calendar = tokens::create_calendar_link(&kith.ctx, &bea).await.unwrap();
    let (_, cache, ics) = get(&calendar, &[]).await;
    assert!(ics.contains(LINK), "{ics}");
    assert!(cache.contains("private"));
    // The organiser sees it too.
    let session = cookie(&kith, &olga).await;
    let (_, _, page) = get(&id, &[("cookie", &session)]).await;
    assert!(page.contains(&format!("href=\"{LINK}\"")));

    // Banned, Bea no longer sees it, and cannot answer again.
    bans::ban(&kith.ctx, "circle", &bea.actor_id, None, By::Operator)
        .await
        .unwrap();
    let event = kith.ctx.db.event(&id).await.unwrap();
    assert!(
        !online_link::may_see_link(&kith.ctx, &event, &bea.actor_id)
            .await
            .unwrap()
    );
    let session = cookie(&kith, &bea).await;
    let (_, _, page) = get(&id, &[("cookie", &session)]).await;
    assert!(!page.contains(LINK));
    assert!(page.contains("You cannot answer this event: you are banned"));
    assert!(
        answer(&bea)
            .await
            .unwrap_err()
            .to_string()
            .contains("banned")
    );
    kith.stop().await;
}
