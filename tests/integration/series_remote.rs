//! A remote Kith learns every date of a series (issue 23): a group on Kith A with a member on
//! Kith B announces a weekly series; B gets the first date announced like any event and the
//! other dates quietly (group servers alone get them: a Mastodon member still gets one post),
//! then the dates A's hourly run adds later; B keeps them all and lists them on its pages.
//! B runs on PostgreSQL when the suite has one.

use kith_federation::actions::By;
use kith_federation::actions::{events, series};
use kith_storage::{CalendarScope, FollowState, JoinPolicy};

use crate::events::draft;
use crate::forms::{all_sent, join, looked_up, of_type};
use crate::instance::{Instance, eventually};
use crate::shapes::Shape;

/// The ids of the series' dates stored on `kith`, earliest first.
async fn dates_on(kith: &Instance, group_id: &str, ids: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    for e in kith
        .ctx
        .db
        .calendar_events(CalendarScope::Group(group_id), 0, 500)
        .await
        .unwrap()
    {
        if ids.contains(&e.object.id) {
            kept.push(e.object.id);
        }
    }
    kept
}

#[tokio::test]
async fn a_remote_kith_member_gets_every_date_of_a_series_and_those_added_later() {
    let mut databases = kith_storage::testing::all().await;
    let b = Instance::start_on(databases.pop().unwrap()).await;
    let a = Instance::start().await;
    eprintln!("instance A runs on {}, B on {}", a.label, b.label);
    a.person("olga").await;
    let group = a.group("runners", "olga", JoinPolicy::Open).await;
    let mastodon = join(&group, Shape::Mastodon).await;
    looked_up(&a, &mastodon.peer).await;

    // Bob on B joins A's group; A looks B up (a Kith: a group server).
    b.person("bob").await;
    let bob = b.actor("bob").await;
    kith_federation::actions::following::follow_remote_group(&b.ctx, &bob, &a.handle("runners"))
        .await
        .unwrap();
    eventually("A's Accept on B", || async {
        let f = b.ctx.db.follow(&bob.id, &group.id).await.ok()?;
        (f.state == FollowState::Accepted).then_some(())
    })
    .await;
    eventually("B looked up by A", || async {
        let rows = a
            .ctx
            .db
            .host_software(&[b.domain().to_owned()])
            .await
            .ok()?;
        rows.first().and_then(|r| r.checked_at).map(|_| ())
    })
    .await;

    let mut weekly = draft("Thursday run", 2, None);
    weekly.repeat = Some("FREQ=WEEKLY".into());
    let first = events::create_event(&a.ctx, "runners", By::Operator, &weekly)
        .await
        .unwrap();
    let series_id = first.fields.series_id.clone().unwrap();
    let on_a = |a: &Instance| {
        let (ctx, group, series_id) = (a.ctx.clone(), group.id.clone(), series_id.clone());
        async move {
            let mut list: Vec<(i64, String)> = ctx
                .db
                .calendar_events(CalendarScope::Group(&group), 0, 500)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.fields.series_id.as_deref() == Some(series_id.as_str()))
                .map(|e| (e.object.start_time.unwrap(), e.object.id))
                .collect();
            list.sort();
            list.into_iter().map(|(_, id)| id).collect::<Vec<String>>()
        }
    };
    let created = on_a(&a).await;
    assert!(created.len() >= 6, "{created:?}");
    eventually("every date kept on B", || async {
        (dates_on(&b, &group.id, &created).await.len() == created.len()).then_some(())
    })
    .await;

    // The hourly run, three weeks on, adds dates: B learns them too.
    let stored = a.ctx.db.series(&series_id).await.unwrap();
    let later = kith_storage::now_millis() + 21 * 86_400_000;
    assert!(series::extend_series(&a.ctx, &stored, later).await.unwrap() > 0);
    let all = on_a(&a).await;
    assert!(all.len() > created.len());
    eventually("the later dates kept on B", || async {
        (dates_on(&b, &group.id, &all).await.len() == all.len()).then_some(())
    })
    .await;
    let kept = b.ctx.db.event(all.last().unwrap()).await.unwrap();
    assert_eq!(kept.object.name.as_deref(), Some("Thursday run"));
    assert!(!kept.object.local);

    // B lists a later date on its events page.
    let html = reqwest::get(format!("{}/events", b.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(all[created.len()].as_str()), "{html}");

    // The Mastodon member still got one post for the series.
    all_sent(&a).await;
    let event_creates = of_type(&mastodon.peer, "Create")
        .into_iter()
        .filter(|c| c["object"]["type"] == "Event")
        .count();
    assert_eq!(event_creates, 1);
    a.stop().await;
    b.stop().await;
}
