//! Editing a repeating series from the pages (issue 23): an organiser edits one date and chooses
//! "this date" or "this and all later dates". Later dates take the new title, place, online link
//! and time of day (moved by as much as the chosen date), each with its own `Update` to members,
//! earlier dates stay as they were, and the dates the hourly run creates afterwards follow the
//! edit. Runs on SQLite and PostgreSQL.

use jiff::{Timestamp, tz::TimeZone};
use kith_federation::actions::series;
use kith_storage::{CalendarScope, JoinPolicy, StoredEvent};

use crate::event_pages::{Browser, local_in};
use crate::forms::{all_sent, join, looked_up, of_type};
use crate::instance::Instance;
use crate::shapes::Shape;

const HOUR: i64 = 3_600_000;

/// A time as a `datetime-local` field in Paris gives it.
fn paris(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned(TimeZone::get("Europe/Paris").unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The dates of a series, earliest first.
async fn dates(kith: &Instance, group: &str, series: &str) -> Vec<StoredEvent> {
    let mut list: Vec<StoredEvent> = kith
        .ctx
        .db
        .calendar_events(CalendarScope::Group(group), 0, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.fields.series_id.as_deref() == Some(series))
        .collect();
    list.sort_by_key(|e| e.object.start_time);
    list
}

fn key(event: &StoredEvent) -> &str {
    event.object.id.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn an_organiser_edits_this_date_or_this_and_all_later_dates_of_a_series() {
    for db in kith_storage::testing::all().await {
        let kith = Instance::start_on(db).await;
        let olga = kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let mastodon = join(&group, Shape::Mastodon).await;
        looked_up(&kith, &mastodon.peer).await;
        let organiser = Browser::of(&kith, &olga).await;

        let (start, end) = (local_in(48, "Europe/Paris"), local_in(49, "Europe/Paris"));
        let fields = [
            ("title", "Thursday run"),
            ("description", "Bring water."),
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("timezone", "Europe/Paris"),
            ("place", "Parc des Buttes-Chaumont"),
            ("join_mode", "free"),
            ("repeat", "weekly"),
        ];
        let (status, location, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
        assert_eq!(status, 303, "{page}");
        let first = kith
            .ctx
            .db
            .event(location.split('?').next().unwrap())
            .await
            .unwrap();
        let series_id = first.fields.series_id.clone().unwrap();
        let before = dates(&kith, &group.id, &series_id).await;
        assert!(before.len() >= 6, "{}", before.len());
        all_sent(&kith).await;
        let updates_before = of_type(&mastodon.peer, "Update").len();

        // The form of a date offers the choice.
        let chosen = &before[2];
        let (status, page) = organiser
            .get(&kith, &format!("/o/{}/edit", key(chosen)))
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("This and all later dates"), "{page}");

        // A time zone cannot change for all later dates: said above the form, nothing changed.
        let old_start = chosen.object.start_time.unwrap();
        let (new_start, new_end) = (paris(old_start + HOUR / 2), paris(old_start + 2 * HOUR));
        let mut edit = vec![
            ("title", "Thursday run, new route"),
            ("description", "Bring water and a torch."),
            ("start", new_start.as_str()),
            ("end", new_end.as_str()),
            ("timezone", "Europe/Paris"),
            ("place", "Canal Saint-Martin"),
            ("online_url", "https://meet.example/run-stream"),
            ("join_mode", "free"),
            ("scope", "later"),
        ];
        let mut wrong_zone = edit.clone();
        wrong_zone[4] = ("timezone", "Europe/London");
        let path = format!("/o/{}/edit", key(chosen));
        let (status, _, page) = organiser.post(&kith, &path, &wrong_zone).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("changed one date at a time"), "{page}");
        assert!(
            page.contains("Thursday run, new route"),
            "what was typed is kept"
        );
        let unchanged = dates(&kith, &group.id, &series_id).await;
        assert!(
            unchanged
                .iter()
                .all(|d| d.object.name.as_deref() == Some("Thursday run"))
        );

        // This and all later dates: half an hour later, 90 minutes long, a new place.
        let (status, location, page) = organiser.post(&kith, &path, &edit).await;
        assert_eq!(status, 303, "{page}");
        assert!(location.starts_with(&chosen.object.id), "{location}");
        let after = dates(&kith, &group.id, &series_id).await;
        assert_eq!(after.len(), before.len());
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(old.object.id, new.object.id);
            let o = &new.object;
            if old.object.start_time < chosen.object.start_time {
                assert_eq!(o.name.as_deref(), Some("Thursday run"), "{}", kith.label);
                assert_eq!(o.start_time, old.object.start_time);
                assert_eq!(new.fields.place_name, old.fields.place_name);
            } else {
                assert_eq!(
                    o.name.as_deref(),
                    Some("Thursday run, new route"),
                    "{}",
                    kith.label
                );
                assert_eq!(
                    o.start_time.unwrap(),
                    old.object.start_time.unwrap() + HOUR / 2
                );
                assert_eq!(o.end_time.unwrap() - o.start_time.unwrap(), 3 * HOUR / 2);
                assert_eq!(new.fields.place_name.as_deref(), Some("Canal Saint-Martin"));
                assert_eq!(
                    new.fields.online_url.as_deref(),
                    Some("https://meet.example/run-stream")
                );
                assert!(o.content.as_deref().unwrap().contains("a torch"));
            }
        }
        // One `Update` for each changed date, none for the earlier ones, none with the link.
        all_sent(&kith).await;
        let updates = of_type(&mastodon.peer, "Update");
        let updated: Vec<&str> = updates[updates_before..]
            .iter()
            .filter_map(|u| u["object"]["id"].as_str())
            .collect();
        let changed: Vec<&str> = after[2..].iter().map(|e| e.object.id.as_str()).collect();
        let mut sorted = updated.clone();
        sorted.sort();
        sorted.dedup();
        let mut expected = changed.clone();
        expected.sort();
        assert_eq!(sorted, expected, "{}", kith.label);
        assert_eq!(updated.len(), changed.len(), "one each");
        assert!(
            updates
                .iter()
                .all(|u| !u.to_string().contains("run-stream"))
        );

        // Dates created later follow: the new title and time, moved from the rule's date.
        let stored = kith.ctx.db.series(&series_id).await.unwrap();
        let later = kith_storage::now_millis() + 21 * 86_400_000;
        assert!(
            series::extend_series(&kith.ctx, &stored, later)
                .await
                .unwrap()
                > 0
        );
        let extended = dates(&kith, &group.id, &series_id).await;
        assert!(extended.len() > after.len());
        for new in &extended[after.len()..] {
            assert_eq!(new.object.name.as_deref(), Some("Thursday run, new route"));
            assert_eq!(
                new.object.start_time.unwrap() - new.fields.occurrence.unwrap(),
                HOUR / 2,
                "{}",
                kith.label
            );
            assert_eq!(new.fields.place_name.as_deref(), Some("Canal Saint-Martin"));
        }

        // The group's calendar: the rule moved with the series (its time and length), the
        // earlier dates kept at their time as overrides of the moved rule, the dates created
        // since left to the rule.
        let feed = reqwest::get(format!("{}/g/runners/events.ics", kith.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let calendar = crate::feeds::parse(&feed);
        let of_series: Vec<_> = calendar
            .events
            .iter()
            .map(crate::feeds::props)
            .filter(|p| p["UID"].1.ends_with(&series_id))
            .collect();
        let at = |p: &std::collections::HashMap<String, (Option<String>, String)>, k: &str| {
            crate::feeds::instant(p[k].0.as_deref().unwrap(), &p[k].1)
        };
        let rule = of_series
            .iter()
            .find(|p| p.contains_key("RRULE"))
            .expect("the series' rule");
        let first = &extended[0];
        assert_eq!(
            at(rule, "DTSTART"),
            first.fields.occurrence.unwrap() + HOUR / 2,
            "{feed}"
        );
        assert_eq!(at(rule, "DTEND") - at(rule, "DTSTART"), 3 * HOUR / 2);
        let overrides: Vec<_> = of_series
            .iter()
            .filter(|p| p.contains_key("RECURRENCE-ID"))
            .collect();
        for date in &extended[..2] {
            let o = overrides
                .iter()
                .find(|p| at(p, "DTSTART") == date.object.start_time.unwrap())
                .unwrap_or_else(|| panic!("an earlier date kept as an override: {feed}"));
            assert_eq!(
                at(o, "RECURRENCE-ID"),
                date.fields.occurrence.unwrap() + HOUR / 2
            );
        }
        assert_eq!(
            overrides.len(),
            after.len(),
            "the dates created since follow the rule: {feed}"
        );

        // This date only: the second date alone.
        let second = &after[1];
        let s = second.object.start_time.unwrap();
        let (s_start, s_end) = (paris(s), paris(second.object.end_time.unwrap()));
        edit[0] = ("title", "Thursday run, with cake");
        edit[2] = ("start", s_start.as_str());
        edit[3] = ("end", s_end.as_str());
        edit[8] = ("scope", "this");
        let path = format!("/o/{}/edit", key(second));
        let (status, _, page) = organiser.post(&kith, &path, &edit).await;
        assert_eq!(status, 303, "{page}");
        let now = dates(&kith, &group.id, &series_id).await;
        let titles: Vec<&str> = now[..4]
            .iter()
            .map(|e| e.object.name.as_deref().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "Thursday run",
                "Thursday run, with cake",
                "Thursday run, new route",
                "Thursday run, new route"
            ]
        );

        // The API: `?dates=later` from the fourth date on.
        let token = kith_federation::actions::tokens::create_token(&kith.ctx, "olga", "t")
            .await
            .unwrap();
        let response = reqwest::Client::new()
            .patch(format!(
                "{}/api/v1/events/{}?dates=later",
                kith.base,
                key(&now[3])
            ))
            .bearer_auth(&token)
            .json(&serde_json::json!({"place": "Bassin de la Villette"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let places: Vec<Option<String>> = dates(&kith, &group.id, &series_id)
            .await
            .into_iter()
            .map(|e| e.fields.place_name)
            .collect();
        assert_eq!(places[2].as_deref(), Some("Canal Saint-Martin"));
        assert!(
            places[3..]
                .iter()
                .all(|p| p.as_deref() == Some("Bassin de la Villette")),
            "{places:?}"
        );
        kith.stop().await;
    }
}
