//! Pages tell the truth about where someone stands (issue 23): the answer given is the pressed
//! button; a reply held for the organisers says so after posting instead of vanishing; people
//! banned from a group are told why instead of being shown Join and answer buttons. Addresses
//! in posts are links.

use kith_federation::actions::By;
use kith_federation::actions::{bans, events, posts};
use kith_storage::{JoinPolicy, MemberRole, MemberState};

use crate::event_pages::Browser;
use crate::events::draft;
use crate::instance::Instance;

#[tokio::test]
async fn the_answer_given_is_pressed_held_replies_say_so_and_banned_people_see_why() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let mia = kith.person("mia").await;
    kith.ctx
        .db
        .upsert_membership(
            &group.id,
            &mia.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 3, None),
    )
    .await
    .unwrap();
    let key = event.object.id.rsplit('/').next().unwrap().to_owned();
    let member = Browser::of(&kith, &mia).await;

    // No answer yet: nothing pressed.
    let (_, page) = member.get(&kith, &format!("/o/{key}")).await;
    assert_eq!(page.matches("aria-pressed=\"true\"").count(), 0, "{page}");
    let (status, location, _) = member
        .post(&kith, &format!("/o/{key}/rsvp"), &[("answer", "maybe")])
        .await;
    assert_eq!(status, 303);
    let path = location.trim_start_matches(&kith.base).to_owned();
    let (_, page) = member.get(&kith, &path).await;
    assert!(page.contains("Your answer is recorded."), "{page}");
    assert!(
        page.contains("value=\"maybe\" aria-pressed=\"true\""),
        "{page}"
    );
    assert!(page.contains("value=\"going\" aria-pressed=\"false\""));
    assert_eq!(page.matches("aria-pressed=\"true\"").count(), 1);

    // A reply from someone outside the group (members post) is held, and they are told.
    let olga_actor = kith.ctx.db.actor(&olga.actor_id).await.unwrap();
    let text = format!(
        "Who runs Sunday? Route: https://example.org/route?a=1&b=2. Ask {}.",
        kith.handle("mia")
    );
    let post = posts::post_to_group(&kith.ctx, &olga_actor, &group, &text, None)
        .await
        .unwrap();
    // Its address is a link on the page (after sanitising), the sentence's full stop not in it.
    let (_, page) = member.get(&kith, "/g/runners").await;
    assert!(
        page.contains(
            "<a href=\"https://example.org/route?a=1&amp;b=2\" rel=\"nofollow noopener ugc\">"
        ),
        "{page}"
    );
    // The mention leads to mia's page; one of someone Kith does not know is a 404 page.
    let mention = format!("/mention/{}", kith.handle("mia"));
    assert!(
        page.contains(&format!("<a href=\"{mention}\" class=\"mention\"")),
        "{page}"
    );
    let (status, location) = member.redirect(&kith, &mention).await;
    assert_eq!((status, location), (303, format!("{}/u/mia", kith.base)));
    let (status, page) = member
        .get(&kith, "/mention/@nobody@elsewhere.example")
        .await;
    assert_eq!(status, 404);
    assert!(page.contains("Not found"), "an HTML page: {page}");
    let outsider = kith.person("zed").await;
    let zed = Browser::of(&kith, &outsider).await;
    let (status, location, _) = zed
        .post(
            &kith,
            "/thread/reply",
            &[("in_reply_to", &post.id), ("text", "Me, if I may join")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("done=held"), "{location}");
    let path = location.trim_start_matches(&kith.base).to_owned();
    let (_, page) = zed.get(&kith, &path).await;
    assert!(page.contains("held for the organisers"), "{page}");
    assert!(
        !page.contains("Me, if I may join"),
        "not shown until approved"
    );

    // Banned: told why, no buttons.
    bans::ban(
        &kith.ctx,
        "runners",
        &mia.actor_id,
        Some("spam"),
        By::Operator,
    )
    .await
    .unwrap();
    let (_, page) = member.get(&kith, "/g/runners").await;
    assert!(
        page.contains("The organisers banned you from this group"),
        "{page}"
    );
    assert!(!page.contains("/g/runners/join\""));
    let (_, page) = member.get(&kith, &format!("/o/{key}")).await;
    assert!(page.contains("You cannot answer this event"), "{page}");
    assert!(!page.contains(&format!("/o/{key}/rsvp\"")));
    kith.stop().await;
}
