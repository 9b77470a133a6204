//! An event's online link between two Kith servers (issue 23): a person on Kith B going to an
//! online event of a group on Kith A gets the link from the group in a direct message; B keeps
//! it for that person alone and shows it on the event's page to them, and (looked for as
//! outsiders would) nowhere else: not to anonymous visitors or other people on B, not in B's
//! lists, feeds or API, not as an object of its own, not in any cache. B runs on PostgreSQL when
//! the suite has one.

use kith_federation::actions::By;
use kith_federation::actions::events::{self, EventPatch};
use kith_federation::actions::{rsvp, sessions, tokens};
use kith_storage::{Account, JoinPolicy, RsvpStatus};

use crate::events::draft;
use crate::instance::{Instance, eventually};
use crate::online_link::{LINK, get};

const NEW_LINK: &str = "https://meet.example/circle-room-5530";

async fn cookie(kith: &Instance, account: &Account) -> String {
    let session = sessions::open_session(&kith.ctx, account.clone())
        .await
        .unwrap();
    format!("kith_session={}", session.secret)
}

/// Whether `body` shows either link.
fn shows_a_link(body: &str) -> bool {
    body.contains(LINK) || body.contains(NEW_LINK) || body.contains("circle-room")
}

#[tokio::test]
async fn a_person_on_another_kith_going_sees_the_online_link_on_the_event_page_alone() {
    // B, which keeps the message, on PostgreSQL when the suite has one.
    let mut databases = kith_storage::testing::all().await;
    let b = Instance::start_on(databases.pop().unwrap()).await;
    let a = Instance::start().await;
    eprintln!("instance A runs on {}, B on {}", a.label, b.label);
    a.person("olga").await;
    a.group("circle", "olga", JoinPolicy::Open).await;
    let mut d = draft("Circle evening", 3, None);
    d.online_url = Some(LINK.into());
    let event = events::create_event(&a.ctx, "circle", By::Operator, &d)
        .await
        .unwrap();
    let id = event.object.id.clone();

    // Bob on B answers; A accepts him and writes him the link.
    let bob = b.person("bob").await;
    let carol = b.person("carol").await;
    rsvp::rsvp(&b.ctx, &bob, &id, Some(RsvpStatus::Going))
        .await
        .unwrap();
    let kept = eventually("the link kept on B for bob", || async {
        let list = b.ctx.db.event_messages_for(&id, &bob.actor_id).await.ok()?;
        list.into_iter().next()
    })
    .await;
    assert!(kept.content.contains(LINK), "{}", kept.content);
    assert_eq!(
        b.ctx.db.rsvp(&id, &bob.actor_id).await.unwrap().status,
        RsvpStatus::Going
    );
    // Kept apart from every object: no page or feed that lists objects can show it.
    assert!(b.ctx.db.object(&kept.id).await.is_err());

    // Bob's page of the event shows it, kept by no cache.
    let page_url = format!("{}/thread?id={}", b.base, kith_web_encode(&id));
    let bob_session = cookie(&b, &bob).await;
    let (status, cache, page) = get(&page_url, &[("cookie", &bob_session)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("href=\"{LINK}\"")), "{page}");
    assert!(page.contains("For you only"));
    // The event's time and place, which B keeps from the Event document.
    assert!(
        page.contains("When:") && page.contains("(Europe/London)"),
        "{page}"
    );
    assert!(
        page.contains("Victoria Park, Grove Road, London E3 5TB"),
        "{page}"
    );
    assert!(
        cache.contains("private") && cache.contains("no-store"),
        "{cache}"
    );

    // Bob's notifications point him there, without the link.
    let (_, _, notices) = get(
        &format!("{}/notifications", b.base),
        &[("cookie", &bob_session)],
    )
    .await;
    assert!(
        notices.contains("A message for you alone about Circle evening"),
        "{notices}"
    );
    assert!(notices.contains(&kith_web_encode(&id)), "{notices}");
    assert!(!shows_a_link(&notices));

    // Nobody else on B sees it: anonymous visitors (twice: the second may come from the
    // cache), Carol, B's lists, feeds and API.
    let carol_session = cookie(&b, &carol).await;
    let carol_token = tokens::create_token(&b.ctx, "carol", "t").await.unwrap();
    let carol_auth = format!("Bearer {carol_token}");
    let mut seen = Vec::new();
    for _ in 0..2 {
        for url in [
            page_url.clone(),
            format!("{}/events", b.base),
            format!("{}/events.ics", b.base),
            format!("{}/", b.base),
            format!("{}/u/bob", b.base),
            format!("{}/notifications", b.base),
        ] {
            seen.push((url.clone(), get(&url, &[("accept", "text/html")]).await));
            seen.push((
                format!("{url} (carol)"),
                get(&url, &[("cookie", &carol_session)]).await,
            ));
        }
    }
    for url in [
        format!("{}/u/bob", b.base),
        format!("{}/u/bob/outbox?page=true", b.base),
    ] {
        seen.push((
            format!("{url} (JSON)"),
            get(&url, &[("accept", "application/activity+json")]).await,
        ));
    }
    let carol_calendar = tokens::create_calendar_link(&b.ctx, &carol).await.unwrap();
    seen.push(("carol's calendar".into(), get(&carol_calendar, &[]).await));
    seen.push((
        "the API, for carol".into(),
        get(
            &format!("{}/api/v1/events", b.base),
            &[("authorization", &carol_auth)],
        )
        .await,
    ));
    for (what, (_, _, body)) in &seen {
        assert!(!shows_a_link(body), "{what} shows the link:\n{body}");
    }
    // The event is on B's page for anonymous readers too, only without the link.
    let (_, _, anonymous) = get(&page_url, &[]).await;
    assert!(anonymous.contains("Circle evening"), "{anonymous}");
    assert!(!anonymous.contains("For you only"));

    // A changes the link: Bob's page shows the new one first.
    let patch = EventPatch {
        online_url: Some(NEW_LINK.into()),
        ..EventPatch::default()
    };
    events::update_event(&a.ctx, &id, By::Operator, &patch)
        .await
        .unwrap();
    eventually("the new link kept on B", || async {
        let list = b.ctx.db.event_messages_for(&id, &bob.actor_id).await.ok()?;
        (list.len() == 2).then_some(())
    })
    .await;
    let (_, _, page) = get(&page_url, &[("cookie", &bob_session)]).await;
    let (new, old) = (page.find(NEW_LINK).unwrap(), page.find(LINK).unwrap());
    assert!(new < old, "the newest message comes first");
    let (_, _, page) = get(&page_url, &[("cookie", &carol_session)]).await;
    assert!(!shows_a_link(&page), "{page}");

    // A deletes the event: B keeps nothing of what it told Bob alone.
    events::delete_event(&a.ctx, &id, By::Operator)
        .await
        .unwrap();
    eventually("the event's messages gone on B", || async {
        let list = b.ctx.db.event_messages_for(&id, &bob.actor_id).await.ok()?;
        list.is_empty().then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// Percent-encodes a query value.
fn kith_web_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
