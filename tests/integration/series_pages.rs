//! A repeating series is one thing, not one per date (issue 23): the group page, the front page
//! and `/events` list it once with its next dates; the group's timeline (page, Atom, API) holds
//! its first date only; and members' servers get one post for it — the dates created with it
//! and those the hourly run adds later are not delivered.

use kith_federation::actions::By;
use kith_federation::actions::{events, series};
use kith_storage::JoinPolicy;

use crate::events::draft;
use crate::forms::{all_sent, join, looked_up, of_type};
use crate::instance::Instance;
use crate::shapes::Shape;

#[tokio::test]
async fn a_series_is_one_entry_with_its_next_dates_and_one_post_for_members() {
    for db in kith_storage::testing::all().await {
        let kith = Instance::start_on(db).await;
        kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let mastodon = join(&group, Shape::Mastodon).await;
        looked_up(&kith, &mastodon.peer).await;

        let mut weekly = draft("Thursday run", 2, None);
        weekly.repeat = Some("FREQ=WEEKLY".into());
        let first = events::create_event(&kith.ctx, "runners", By::Operator, &weekly)
            .await
            .unwrap();
        let series_id = first.fields.series_id.clone().unwrap();
        let created = kith.ctx.db.series_occurrences(&series_id).await.unwrap();
        assert!(created.len() >= 7, "eight weeks ahead: {created:?}");
        // One more single event, to show the series does not hide others.
        events::create_event(
            &kith.ctx,
            "runners",
            By::Operator,
            &draft("Picnic", 3, None),
        )
        .await
        .unwrap();

        // The hourly run, three weeks on, adds dates quietly.
        let later = kith_storage::now_millis() + 21 * 86_400_000;
        let stored = kith.ctx.db.series(&series_id).await.unwrap();
        assert!(
            series::extend_series(&kith.ctx, &stored, later)
                .await
                .unwrap()
                > 0
        );
        all_sent(&kith).await;

        let event_creates: Vec<String> = of_type(&mastodon.peer, "Create")
            .into_iter()
            .filter(|c| c["object"]["type"] == "Event")
            .map(|c| c["object"]["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            event_creates,
            ["Thursday run", "Picnic"],
            "{}: one post for the series",
            kith.label
        );
        let polls = of_type(&mastodon.peer, "Create")
            .into_iter()
            .filter(|c| c["object"]["type"] == "Question")
            .count();
        assert_eq!(polls, 2, "one poll for the series, one for the picnic");

        // Listed once, with its next dates.
        for path in ["/g/runners", "/events", "/"] {
            let html = reqwest::get(format!("{}{path}", kith.base))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(
                html.matches("<strong>Thursday run</strong>").count(),
                1,
                "{path}: {html}"
            );
            assert!(html.contains("<strong>Picnic</strong>"), "{path}");
            let next = html.split("Repeats · next: ").nth(1).unwrap_or_default();
            let next = next.split("</span>").next().unwrap_or_default();
            assert_eq!(next.matches("<a href=").count(), 4, "{path}: {next}");
        }

        // The timeline holds the first date only.
        let timeline = kith
            .ctx
            .db
            .group_posts_page(&group.id, None, 50)
            .await
            .unwrap();
        let names: Vec<&str> = timeline.iter().filter_map(|o| o.name.as_deref()).collect();
        assert_eq!(names, ["Picnic", "Thursday run"], "{}", kith.label);
        assert!(timeline.iter().any(|o| o.id == first.object.id));
        kith.stop().await;
    }
}
