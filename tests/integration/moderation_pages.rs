//! Moderation in place (issue 23), by form posts with a session cookie: organisers remove a
//! post from the group page and act on a report from the report itself (remove the post, ban
//! the person); a report closes when acted on, wherever; authors delete their own posts; other
//! people are refused. The navigation counts what waits.

use kith_federation::actions::{posts, reports};
use kith_storage::{Account, Actor, JoinPolicy, MemberRole, MemberState, StoredObject};

use crate::event_pages::Browser;
use crate::instance::Instance;

async fn member(kith: &Instance, group: &Actor, name: &str) -> Account {
    let account = kith.person(name).await;
    kith.ctx
        .db
        .upsert_membership(
            &group.id,
            &account.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    account
}

async fn post(kith: &Instance, group: &Actor, who: &Account, text: &str) -> StoredObject {
    let actor = kith.ctx.db.actor(&who.actor_id).await.unwrap();
    posts::post_to_group(&kith.ctx, &actor, group, text, None)
        .await
        .unwrap()
}

async fn report(kith: &Instance, by: &Account, post: &StoredObject) -> String {
    let request = reports::ReportRequest {
        post: Some(post.id.clone()),
        person: None,
        comment: "not kind".into(),
    };
    reports::report(&kith.ctx, by, &request).await.unwrap().id
}

async fn state_of(kith: &Instance, report: &str) -> (String, Option<String>) {
    let r = kith.ctx.db.report(report).await.unwrap();
    (r.state.as_str().to_owned(), r.resolution)
}

#[tokio::test]
async fn organisers_remove_and_ban_in_place_and_reports_close_when_acted_on() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let mia = member(&kith, &group, "mia").await;
    let carl = member(&kith, &group, "carl").await;
    let dan = member(&kith, &group, "dan").await;
    let reporter = member(&kith, &group, "rita").await;
    let mias = post(&kith, &group, &mia, "Mia's own words").await;
    let carls = post(&kith, &group, &carl, "Carl's rude words").await;
    let dans = post(&kith, &group, &dan, "Dan's spam").await;
    let carl_report = report(&kith, &reporter, &carls).await;
    let dan_report = report(&kith, &reporter, &dans).await;
    let organiser = Browser::of(&kith, &olga).await;
    let author = Browser::of(&kith, &mia).await;

    // The navigation counts what waits for organisers: the two reports.
    let (_, page) = organiser.get(&kith, "/").await;
    assert!(page.contains("title=\"2 waiting\""), "{page}");
    let (_, page) = author.get(&kith, "/events").await;
    assert!(!page.contains(" waiting\""), "nothing waits for a member");

    // The group page offers organisers Remove on each post, authors Delete on their own.
    let (_, page) = organiser.get(&kith, "/g/runners").await;
    assert_eq!(
        page.matches("action=\"/posts/remove\"").count(),
        3,
        "{page}"
    );
    let (_, page) = author.get(&kith, "/g/runners").await;
    assert_eq!(
        page.matches("action=\"/posts/delete\"").count(),
        1,
        "{page}"
    );
    assert!(!page.contains("action=\"/posts/remove\""));

    // Others are refused: a member removing, an author deleting someone else's post.
    let (status, _, _) = author
        .post(&kith, "/posts/remove", &[("post", &carls.id)])
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = author
        .post(&kith, "/posts/delete", &[("post", &carls.id)])
        .await;
    assert_eq!(status, 403);
    assert!(
        kith.ctx
            .db
            .object(&carls.id)
            .await
            .unwrap()
            .deleted_at
            .is_none()
    );

    // The author deletes her post.
    let (status, location, _) = author
        .post(&kith, "/posts/delete", &[("post", &mias.id)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{}?done=post-deleted", group.id));
    assert!(
        kith.ctx
            .db
            .object(&mias.id)
            .await
            .unwrap()
            .deleted_at
            .is_some()
    );

    // The moderation page offers Remove and Ban on the reports.
    let (_, page) = organiser.get(&kith, "/moderation").await;
    assert!(
        page.contains(&format!("name=\"post\" value=\"{}\"", carls.id)),
        "{page}"
    );
    assert!(page.contains(&format!("name=\"who\" value=\"{}\"", dan.actor_id)));

    // Removing the post from the report closes the report.
    let (status, location, _) = organiser
        .post(
            &kith,
            "/posts/remove",
            &[
                ("post", &carls.id),
                ("reason", "rude"),
                ("back", "moderation"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/moderation?done=removed");
    assert!(
        kith.ctx
            .db
            .object(&carls.id)
            .await
            .unwrap()
            .deleted_at
            .is_some()
    );
    assert_eq!(
        state_of(&kith, &carl_report).await,
        ("resolved".into(), Some("post removed".into()))
    );

    // Banning the person closes the report about them.
    let (status, _, _) = organiser
        .post(
            &kith,
            "/moderation/bans",
            &[
                ("group", "runners"),
                ("who", &dan.actor_id),
                ("decision", "ban"),
                ("reason", "spam"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        state_of(&kith, &dan_report).await,
        ("resolved".into(), Some("banned".into()))
    );
    let (_, page) = organiser.get(&kith, "/moderation").await;
    assert!(page.contains("No report waits."), "{page}");
    assert!(!page.contains(" waiting\""), "nothing waits any more");
    kith.stop().await;
}
