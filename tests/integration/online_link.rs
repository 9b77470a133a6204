//! An event's online link reaches only the people it is promised to (issue 23): looked for, as
//! an outsider would, on every path — the page (anonymous, cached, other members), the event's
//! ActivityPub document (unsigned and signed by a member's server), the iCalendar and Atom
//! feeds, the JSON API, private calendars and what remote members receive — and found only
//! where it belongs: the pages, API answers and private calendars of people going and
//! organisers, and one direct message to each remote person going, sent again when it changes.
//! People waiting to join, or banned, cannot answer.

use kith_federation::actions::events::EventPatch;
use kith_federation::actions::{bans, events, online_link, rsvp, sessions, tokens};
use kith_storage::{Account, JoinPolicy, MemberRole, MemberState, RsvpStatus};
use serde_json::{Value, json};

use crate::events::{draft, join, peer_person};
use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::{follow, mastodon};
use crate::peer::Peer;

const LINK: &str = "https://meet.example/circle-room-4821";
const NEW_LINK: &str = "https://meet.example/circle-room-9917";

/// GETs `url` with optional headers; the status, `Cache-Control` and body.
async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
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
    let event = events::create_event(&kith.ctx, "circle", None, &d)
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
    assert_eq!(answer(&bea).await.unwrap().unwrap().status, "going");
    assert_eq!(answer(&dan).await.unwrap().unwrap().status, "waitlisted");
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
    bans::ban(&kith.ctx, "circle", &bea.actor_id, None, None)
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

fn key_of(actor: &Value) -> &str {
    actor["publicKey"]["id"].as_str().unwrap()
}

/// Whether a delivery carries `link` anywhere.
fn carries(m: &Value, link: &str) -> bool {
    m.to_string().contains(link)
}

/// A signed GET of `url` by `key_id` (Mastodon's draft-cavage form).
async fn signed_get(peer: &Peer, key_id: &str, url: &str) -> Value {
    let parsed = reqwest::Url::parse(url).unwrap();
    let host = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let signed = format!(
        "(request-target): get {}\nhost: {host}\ndate: {date}",
        parsed.path()
    );
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",\
         signature=\"{}\"",
        peer.sign(signed.as_bytes())
    );
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .header("date", date)
        .header("signature", signature)
        .header(
            "user-agent",
            "Mastodon/4.3.0 (http.rb/5.2.0; +https://peer/)",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_remote_person_going_gets_the_online_link_addressed_to_them_alone() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let ada = peer_person(&peer, &felix, "ada");
    let inbox = format!("{}/inbox", kith.base);
    for who in [&felix, &ada] {
        let mut f = follow(&peer, who, &group.id);
        f["id"] = json!(format!("{}/follows/1", who["id"].as_str().unwrap()));
        assert_eq!(peer.send(key_of(who), &group.inbox_url, &f).await, 202);
    }
    eventually("both members", || async {
        let n = kith
            .ctx
            .db
            .count_members(&group.id, MemberState::Accepted)
            .await
            .unwrap();
        (n == 3).then_some(())
    })
    .await;

    let mut d = draft("Online run club", 3, Some(1));
    d.online_url = Some(LINK.into());
    let event = events::create_event(&kith.ctx, "runners", None, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();
    peer.wait_for("Create{Event}", |m| {
        m["type"] == "Create" && m["object"]["type"] == "Event"
    })
    .await;
    // The member server's own view of the event: signed by a member, no link either.
    let doc = signed_get(&peer, key_of(&felix), &id).await;
    assert_eq!(doc["type"], "Event");
    assert!(!carries(&doc, LINK), "{doc}");

    // Felix joins (Mobilizon's `Join`) and has the place; Ada waits.
    assert_eq!(
        peer.send(key_of(&felix), &inbox, &join(&felix, &id, 1))
            .await,
        202
    );
    kith.settled().await;
    assert_eq!(
        peer.send(key_of(&ada), &inbox, &join(&ada, &id, 2)).await,
        202
    );
    kith.settled().await;
    let to_felix = peer
        .wait_for("Felix's link", |m| carries(m, LINK))
        .await
        .body;
    assert_eq!(to_felix["type"], "Create");
    assert_eq!(to_felix["to"], json!([felix["id"]]));
    assert_eq!(to_felix["object"]["to"], json!([felix["id"]]));
    assert!(
        to_felix
            .get("cc")
            .is_none_or(|cc| cc.as_array().is_none_or(Vec::is_empty))
    );
    let note_id = to_felix["object"]["id"].as_str().unwrap().to_owned();
    // The message is nobody else's to fetch, nor listed among the event's replies.
    let (status, _) = get_activity_json(&note_id).await;
    assert_eq!(status, 404);
    let (_, _, page) = get(&note_id, &[("accept", "text/html")]).await;
    assert!(!page.contains(LINK));
    let replies = format!(
        "{}?page=true",
        kith_federation::urls::Urls::replies(&group.id, &id)
    );
    let (_, replies) = get_activity_json(&replies).await;
    assert!(!carries(&replies, &note_id), "{replies}");

    // An edit of the link: Felix alone gets the new one, once; the Update has neither.
    let patch = EventPatch {
        online_url: Some(NEW_LINK.into()),
        ..EventPatch::default()
    };
    events::update_event(&kith.ctx, &id, None, &patch)
        .await
        .unwrap();
    let update = peer
        .wait_for("Update{Event}", |m| m["type"] == "Update")
        .await
        .body;
    assert!(!carries(&update, NEW_LINK) && !carries(&update, LINK));
    let new = peer
        .wait_for("the new link", |m| carries(m, NEW_LINK))
        .await
        .body;
    assert_eq!(new["to"], json!([felix["id"]]));

    // Felix leaves; Ada moves up from the waitlist and is sent the link, to her alone.
    let leave = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/leave/1", felix["id"].as_str().unwrap()),
        "type": "Leave", "actor": felix["id"], "object": id,
    });
    assert_eq!(peer.send(key_of(&felix), &inbox, &leave).await, 202);
    kith.settled().await;
    let to_ada = peer
        .wait_for("Ada's link", |m| {
            carries(m, NEW_LINK) && m["to"] == json!([ada["id"]])
        })
        .await
        .body;
    assert_eq!(to_ada["object"]["to"], json!([ada["id"]]));

    // Exactly the three direct messages carry a link: none to followers, none twice.
    kith.settled().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let with_link: Vec<Value> = peer
        .received()
        .into_iter()
        .map(|r| r.body)
        .filter(|m| carries(m, "circle-room"))
        .collect();
    let felix_old = with_link.iter().filter(|m| carries(m, LINK)).count();
    let felix_new = with_link
        .iter()
        .filter(|m| carries(m, NEW_LINK) && m["to"] == json!([felix["id"]]))
        .count();
    let ada_new = with_link
        .iter()
        .filter(|m| m["to"] == json!([ada["id"]]))
        .count();
    assert_eq!(
        (felix_old, felix_new, ada_new, with_link.len()),
        (1, 1, 1, 3)
    );
    kith.stop().await;
}

#[tokio::test]
async fn remote_people_waiting_to_join_or_banned_are_refused_an_answer() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let (peer, felix) = mastodon().await;
    let gus = peer_person(&peer, &felix, "gus");
    let inbox = format!("{}/inbox", kith.base);
    // Felix asks to join and waits; Gus is banned.
    let f = follow(&peer, &felix, &group.id);
    assert_eq!(peer.send(key_of(&felix), &group.inbox_url, &f).await, 202);
    eventually("Felix's request", || async {
        let n = kith
            .ctx
            .db
            .count_members(&group.id, MemberState::Pending)
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
    bans::ban(&kith.ctx, "circle", gus["id"].as_str().unwrap(), None, None)
        .await
        .unwrap();
    let mut d = draft("Circle evening", 3, None);
    d.online_url = Some(LINK.into());
    let event = events::create_event(&kith.ctx, "circle", None, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();

    for (n, who) in [&felix, &gus].into_iter().enumerate() {
        assert_eq!(
            peer.send(key_of(who), &inbox, &join(who, &id, n + 10))
                .await,
            202
        );
        kith.settled().await;
        peer.wait_for("the Reject{Join}", |m| {
            m["type"] == "Reject" && m["object"]["type"] == "Join" && m["to"] == json!([who["id"]])
        })
        .await;
        let answered = kith.ctx.db.rsvp(&id, who["id"].as_str().unwrap()).await;
        assert!(answered.is_err(), "{answered:?}");
    }
    assert!(!peer.received().iter().any(|r| carries(&r.body, LINK)));
    kith.stop().await;
}
