//! Organisers manage events from the pages (issue 23): announce (once or repeating), edit and
//! reschedule, cancel and delete, by plain HTML form posts with a session cookie. A form with
//! problems comes back (400) with each problem beside its field and what was typed kept, by
//! the same rules as the JSON API; nothing is stored then.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use kith_federation::actions::By;
use kith_federation::actions::{events, sessions};
use kith_federation::events::MAX_DESCRIPTION;
use kith_storage::{
    Account, CalendarScope, EventStatus, JoinPolicy, MemberRole, MemberState, StoredEvent,
};

use crate::events::draft;
use crate::instance::Instance;

/// A signed-in browser: its session cookie and the CSRF token its forms carry.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    pub async fn of(kith: &Instance, account: &Account) -> Browser {
        let session = sessions::open_session(&kith.ctx, account.clone())
            .await
            .unwrap();
        Browser {
            cookie: format!("kith_session={}", session.secret),
            csrf: session.csrf_token,
        }
    }

    /// GETs a page: its status and body.
    pub async fn get(&self, kith: &Instance, path: &str) -> (u16, String) {
        let response = client()
            .get(format!("{}{path}", kith.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// GETs a page that redirects: its status and where to.
    pub async fn redirect(&self, kith: &Instance, path: &str) -> (u16, String) {
        let response = client()
            .get(format!("{}{path}", kith.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status().as_u16(), location)
    }

    /// POSTs a form (with the CSRF token): its status, redirect and body.
    pub async fn post(
        &self,
        kith: &Instance,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        body.append_pair("csrf", &self.csrf);
        for (name, value) in fields {
            body.append_pair(name, value);
        }
        let response = client()
            .post(format!("{}{path}", kith.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.finish())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, response.text().await.unwrap())
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A wall-clock time `hours` from now in `zone`, as a `datetime-local` field gives it.
pub fn local_in(hours: i64, zone: &str) -> String {
    let at = Timestamp::now() + SignedDuration::from_hours(hours);
    at.to_zoned(TimeZone::get(zone).unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The event a redirect after a form points at.
async fn event_at(kith: &Instance, location: &str) -> StoredEvent {
    let id = location.split('?').next().unwrap();
    kith.ctx.db.event(id).await.unwrap()
}

fn form<'a>(title: &'a str, start: &'a str, end: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("description", "Bring water.\n\nWe wait ten minutes."),
        ("start", start),
        ("end", end),
        ("timezone", "Europe/Paris"),
        ("place", "Parc des Buttes-Chaumont"),
        ("address", ""),
        ("online_url", ""),
        ("capacity", "12"),
        ("join_mode", "free"),
        ("external_url", ""),
    ]
}

#[tokio::test]
async fn an_organiser_announces_edits_reschedules_cancels_and_deletes_from_the_pages() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;

    let (status, new_page) = organiser.get(&kith, "/g/runners/events/new").await;
    assert_eq!(status, 200);
    assert!(
        new_page.contains("name=\"repeat\""),
        "the form offers repeats"
    );

    let (status, location, _) = organiser
        .post(
            &kith,
            "/g/runners/events",
            &form("Park run", "2030-06-01T18:30", "2030-06-01T20:00"),
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?done=created"), "{location}");
    let event = event_at(&kith, &location).await;
    assert_eq!(event.object.name.as_deref(), Some("Park run"));
    assert_eq!(event.fields.timezone, "Europe/Paris");
    // 18:30 in Paris in summer is 16:30 UTC.
    let start: Timestamp = "2030-06-01T16:30:00Z".parse().unwrap();
    assert_eq!(event.object.start_time, Some(start.as_millisecond()));
    assert_eq!(event.fields.capacity, Some(12));
    let key = event.object.id.rsplit('/').next().unwrap().to_owned();

    // The event's page offers the organiser (only) the ways to manage it.
    let (_, page) = organiser.get(&kith, &format!("/o/{key}")).await;
    assert!(page.contains(&format!("/o/{key}/edit")), "{page}");
    assert!(page.contains(&format!("/o/{key}/cancel")));
    let member = kith.person("mia").await;
    kith.ctx
        .db
        .upsert_membership(
            &group.id,
            &member.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    let mia = Browser::of(&kith, &member).await;
    let (_, page) = mia.get(&kith, &format!("/o/{key}")).await;
    assert!(!page.contains(&format!("/o/{key}/edit")));
    let (status, _) = mia.get(&kith, &format!("/o/{key}/edit")).await;
    assert_eq!(status, 403);
    let mut edit = form("Hacked", "2030-06-01T18:30", "2030-06-01T20:00");
    let (status, _, _) = mia.post(&kith, &format!("/o/{key}/edit"), &edit).await;
    assert_eq!(status, 403);
    let (status, _, _) = mia.post(&kith, &format!("/o/{key}/cancel"), &[]).await;
    assert_eq!(status, 403);

    // The edit form shows the event as it is, in its zone.
    let (status, page) = organiser.get(&kith, &format!("/o/{key}/edit")).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"Park run\""), "{page}");
    assert!(page.contains("value=\"2030-06-01T18:30\""), "{page}");
    assert!(page.contains("We wait ten minutes."));
    assert!(
        !page.contains("name=\"repeat\""),
        "an edit changes one date"
    );

    // Rescheduled an hour later, renamed, the limit removed.
    edit = form("Park run (later)", "2030-06-01T19:30", "2030-06-01T21:00");
    edit.retain(|(name, _)| *name != "capacity");
    edit.push(("capacity", ""));
    let (status, location, _) = organiser
        .post(&kith, &format!("/o/{key}/edit"), &edit)
        .await;
    assert_eq!(status, 303, "{location}");
    let edited = event_at(&kith, &location).await;
    assert_eq!(edited.object.name.as_deref(), Some("Park run (later)"));
    assert_eq!(
        edited.object.start_time,
        Some(start.as_millisecond() + 3_600_000)
    );
    assert_eq!(edited.fields.capacity, None);

    let (status, _, _) = organiser
        .post(&kith, &format!("/o/{key}/cancel"), &[])
        .await;
    assert_eq!(status, 303);
    let cancelled = kith.ctx.db.event(&event.object.id).await.unwrap();
    assert_eq!(cancelled.fields.status, EventStatus::Cancelled);
    let (_, page) = organiser.get(&kith, &format!("/o/{key}")).await;
    assert!(page.contains("This event is cancelled."));

    let (status, location, _) = organiser
        .post(&kith, &format!("/o/{key}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{}?done=deleted", group.id));
    let deleted = kith.ctx.db.event(&event.object.id).await.unwrap();
    assert!(deleted.object.deleted_at.is_some());
    let (_, page) = organiser.get(&kith, "/g/runners?done=deleted").await;
    assert!(page.contains("The event is deleted."));
    kith.stop().await;
}

#[tokio::test]
async fn a_form_with_problems_shows_each_beside_its_field_and_keeps_what_was_typed() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;

    // The end before the start.
    let (status, _, page) = organiser
        .post(
            &kith,
            "/g/runners/events",
            &form("Park run", "2030-06-01T18:30", "2030-06-01T17:00"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"end-error\">the end must come after the start"),
        "{page}"
    );
    assert!(page.contains("value=\"Park run\""), "the title is kept");
    assert!(
        page.contains("We wait ten minutes."),
        "the description is kept"
    );
    assert!(
        page.contains("value=\"2030-06-01T17:00\""),
        "the end is kept"
    );
    assert!(page.contains("aria-describedby=\"end-error\""));
    assert!(!page.contains("That did not work"));

    // An unknown zone: said beside the zone, not as unreadable times.
    let mut fields = form("Park run", "2030-06-01T18:30", "2030-06-01T20:00");
    fields.retain(|(name, _)| *name != "timezone");
    fields.push(("timezone", "Mars/Olympus"));
    let (status, _, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"timezone-error\">&#34;Mars/Olympus&#34; is not an IANA time zone"),
        "{page}"
    );
    assert!(!page.contains("id=\"start-error\""), "{page}");
    assert!(page.contains("value=\"Mars/Olympus\""));

    // Too long a description, and places that are not a number: both shown at once.
    let long = "a".repeat(MAX_DESCRIPTION + 1);
    let mut fields = form("Park run", "2030-06-01T18:30", "2030-06-01T20:00");
    fields.retain(|(name, _)| *name != "description" && *name != "capacity");
    fields.push(("description", &long));
    fields.push(("capacity", "a dozen"));
    let (status, _, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
    assert_eq!(status, 400);
    assert!(
        page.contains(
            "id=\"description-error\">the description must have at most 10000 characters"
        ),
        "{page}"
    );
    assert!(page.contains("id=\"capacity-error\">the number of places must be a whole number"));
    assert!(page.contains("value=\"a dozen\""));

    // The action holds the same limit for the API and the CLI.
    let mut api_draft = draft("Park run", 3, None);
    api_draft.description = Some(long.clone());
    let refused = events::create_event(&kith.ctx, "runners", By::Account(&olga), &api_draft).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("at most 10000 characters")),
        "the action refuses a long description"
    );

    // A repeat with both an end date and a count.
    let mut fields = form("Park run", "2030-06-01T18:30", "2030-06-01T20:00");
    fields.extend([
        ("repeat", "weekly"),
        ("repeat_until", "2030-08-01"),
        ("repeat_count", "4"),
    ]);
    let (status, _, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"repeat_count-error\">give an end date or a number of times"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"weekly\" selected>"),
        "the repeat is kept"
    );

    // Nothing was stored.
    let group = kith.actor("runners").await;
    let listed = kith
        .ctx
        .db
        .calendar_events(CalendarScope::Group(&group.id), 0, 10)
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing stored");

    // An edit with a problem leaves the event as it was.
    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Account(&olga),
        &draft("Park run", 3, None),
    )
    .await
    .unwrap();
    let key = event.object.id.rsplit('/').next().unwrap().to_owned();
    let (status, _, page) = organiser
        .post(
            &kith,
            &format!("/o/{key}/edit"),
            &form("Renamed", "2030-06-01T18:30", "2030-06-01T17:00"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("id=\"end-error\""));
    assert!(page.contains("value=\"Renamed\""));
    let kept = kith.ctx.db.event(&event.object.id).await.unwrap();
    assert_eq!(kept.object.name.as_deref(), Some("Park run"));
    kith.stop().await;
}

#[tokio::test]
async fn a_repeating_event_from_the_form_becomes_a_series_ending_by_count_or_date() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;
    let start = local_in(48, "Europe/Paris");
    let end = local_in(49, "Europe/Paris");

    let mut fields = form("Weekly run", &start, &end);
    fields.extend([
        ("repeat", "weekly"),
        ("repeat_until", ""),
        ("repeat_count", "3"),
    ]);
    let (status, location, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
    assert_eq!(status, 303, "{page}");
    let first = event_at(&kith, &location).await;
    let series = first.fields.series_id.clone().expect("a series");
    let starts = kith.ctx.db.series_occurrences(&series).await.unwrap();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert_eq!(starts[1] - starts[0], 7 * 86_400_000);

    // Monthly until a date four months on: kept as a rule ending that day, in UTC.
    let until = local_in(48 + 24 * 120, "Europe/Paris");
    let mut fields = form("Monthly picnic", &start, &end);
    fields.extend([
        ("repeat", "monthly"),
        ("repeat_until", &until[..10]),
        ("repeat_count", ""),
    ]);
    let (status, location, page) = organiser.post(&kith, "/g/runners/events", &fields).await;
    assert_eq!(status, 303, "{page}");
    let first = event_at(&kith, &location).await;
    let series = first.fields.series_id.clone().expect("a series");
    let stored = kith.ctx.db.series(&series).await.unwrap();
    let day = until[..10].replace('-', "");
    assert!(
        stored
            .rule
            .starts_with(&format!("FREQ=MONTHLY;UNTIL={day}T2")),
        "{}",
        stored.rule
    );
    assert!(
        !kith
            .ctx
            .db
            .series_occurrences(&series)
            .await
            .unwrap()
            .is_empty()
    );
    kith.stop().await;
}
