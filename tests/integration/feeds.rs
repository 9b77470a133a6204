//! iCalendar feeds, read back with an independent parser (the `ical` crate): per event, per
//! group, per instance and private; the right instants through `TZID` and `VTIMEZONE`; a
//! recurring event as one `RRULE`; pages and documents advertise their feed.

use std::collections::HashMap;

use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use kith_federation::actions::By;
use kith_federation::actions::{events, rsvp, tokens};
use kith_federation::events::EventDraft;
use kith_storage::{JoinPolicy, RsvpStatus};

use crate::cli_members::remote_person;
use crate::events::draft;
use crate::instance::Instance;
use crate::support::{kith, sites, text};

async fn fetch(url: &str) -> (String, String) {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (kind, response.text().await.unwrap())
}

pub fn parse(text: &str) -> IcalCalendar {
    let mut reader = ical::IcalParser::new(text.as_bytes());
    let calendar = reader
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(reader.next().is_none());
    calendar
}

pub fn props(event: &IcalEvent) -> HashMap<String, (Option<String>, String)> {
    event
        .properties
        .iter()
        .map(|p| {
            let tzid = p.params.as_ref().and_then(|ps| {
                ps.iter()
                    .find(|(k, _)| k == "TZID")
                    .map(|(_, v)| v[0].clone())
            });
            (p.name.clone(), (tzid, p.value.clone().unwrap_or_default()))
        })
        .collect()
}

/// The instant a `DTSTART;TZID=…:YYYYMMDDTHHMMSS` names.
pub fn instant(tzid: &str, local: &str) -> i64 {
    let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", local).unwrap();
    civil
        .to_zoned(jiff::tz::TimeZone::get(tzid).unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

#[tokio::test]
async fn feeds_parse_and_carry_the_right_instants() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    kith.group("runners", "olga", JoinPolicy::Open).await;
    // One in London summer time, one in New York, one cancelled, one weekly series.
    let summer = EventDraft {
        start: "2027-07-03T09:30:00+01:00".into(),
        end: "2027-07-03T11:00:00+01:00".into(),
        ..draft("Summer run", 0, Some(20))
    };
    let london = events::create_event(&kith.ctx, "runners", By::Operator, &summer)
        .await
        .unwrap();
    let new_york = EventDraft {
        start: "2027-01-10T18:00:00-05:00".into(),
        end: "2027-01-10T20:00:00-05:00".into(),
        timezone: "America/New_York".into(),
        latitude: None,
        longitude: None,
        ..draft("Winter meetup", 0, None)
    };
    let ny = events::create_event(&kith.ctx, "runners", By::Operator, &new_york)
        .await
        .unwrap();
    events::cancel_event(&kith.ctx, &ny.object.id, By::Operator)
        .await
        .unwrap();
    let weekly = EventDraft {
        repeat: Some("FREQ=WEEKLY;COUNT=3".into()),
        ..draft("Tuesday run", 2, None)
    };
    let first = events::create_event(&kith.ctx, "runners", By::Operator, &weekly)
        .await
        .unwrap();
    let series = first.fields.series_id.clone().unwrap();

    let (kind, group_feed) = fetch(&format!("{}/g/runners/events.ics", kith.base)).await;
    assert!(kind.starts_with("text/calendar"));
    let calendar = parse(&group_feed);
    // Two single events, plus the series once (its three occurrences are one RRULE).
    assert_eq!(calendar.events.len(), 3, "{group_feed}");
    assert!(calendar.timezones.len() >= 2);
    let by_uid: HashMap<String, HashMap<String, (Option<String>, String)>> = calendar
        .events
        .iter()
        .map(|e| {
            let p = props(e);
            (p["UID"].1.clone(), p)
        })
        .collect();
    let l = &by_uid[&london.object.id];
    let (tz, local) = l["DTSTART"].clone();
    assert_eq!(
        (tz.as_deref(), local.as_str()),
        (Some("Europe/London"), "20270703T093000")
    );
    assert_eq!(
        instant("Europe/London", &local),
        london.object.start_time.unwrap()
    );
    assert_eq!(l["STATUS"].1, "CONFIRMED");
    assert_eq!(l["URL"].1, london.object.id);
    assert_eq!(l["GEO"].1, "51.536200;-0.039300");
    assert!(l["LOCATION"].1.starts_with("Victoria Park"));
    let n = &by_uid[&ny.object.id];
    assert_eq!(n["DTSTART"].0.as_deref(), Some("America/New_York"));
    assert_eq!(
        instant("America/New_York", &n["DTSTART"].1),
        ny.object.start_time.unwrap()
    );
    assert_eq!(n["STATUS"].1, "CANCELLED");
    let s = by_uid
        .iter()
        .find(|(uid, _)| uid.ends_with(&series))
        .unwrap()
        .1;
    assert_eq!(s["RRULE"].1, "FREQ=WEEKLY;COUNT=3");
    assert_eq!(
        instant("Europe/London", &s["DTSTART"].1),
        first.object.start_time.unwrap()
    );
    // The offsets in the VTIMEZONE agree with the zone database for the London event.
    let london_tz = calendar
        .timezones
        .iter()
        .find(|t| {
            t.properties
                .iter()
                .any(|p| p.value.as_deref() == Some("Europe/London"))
        })
        .unwrap();
    let offsets: Vec<String> = london_tz
        .transitions
        .iter()
        .flat_map(|t| t.properties.iter())
        .filter(|p| p.name == "TZOFFSETTO")
        .filter_map(|p| p.value.clone())
        .collect();
    assert!(offsets.contains(&"+0100".to_owned()) && offsets.contains(&"+0000".to_owned()));

    // The instance feed lists the same; the event feed one event.
    let (_, instance_feed) = fetch(&format!("{}/events.ics", kith.base)).await;
    assert_eq!(parse(&instance_feed).events.len(), 3);
    let (_, one) = fetch(&format!("{}/calendar.ics", london.object.id)).await;
    assert_eq!(parse(&one).events.len(), 1);

    // The private feed lists what Olga answered, occurrences one by one.
    rsvp::rsvp(&kith.ctx, &olga, &london.object.id, Some(RsvpStatus::Going))
        .await
        .unwrap();
    rsvp::rsvp(&kith.ctx, &olga, &first.object.id, Some(RsvpStatus::Maybe))
        .await
        .unwrap();
    let link = tokens::create_calendar_link(&kith.ctx, &olga)
        .await
        .unwrap();
    let (_, private) = fetch(&link).await;
    let mine = parse(&private);
    assert_eq!(mine.events.len(), 2);
    assert!(mine.events.iter().all(|e| !props(e).contains_key("RRULE")));
    let wrong = reqwest::get(format!("{}/calendar/not-a-token", kith.base))
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);

    // Pages and documents advertise their feed.
    let page = reqwest::get(&london.object.id)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"text/calendar\""));
    let page = reqwest::get(format!("{}/events", kith.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("href=\"{}/events.ics\"", kith.base)));
    assert!(page.contains("Summer run"));
    let group_doc = reqwest::Client::new()
        .get(format!("{}/g/runners", kith.base))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let link = group_doc.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("events.ics") && link.contains("text/calendar"));
    kith.stop().await;
}

#[tokio::test]
async fn organisers_create_and_cancel_events_from_the_command_line() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        assert!(kith(dir, url, &["user", "create", "olga"]).status.success());
        assert!(
            kith(dir, url, &["group", "create", "runners", "--owner", "olga"])
                .status
                .success()
        );
        // A Mastodon member, so the event has somewhere to go.
        let db = kith_storage::Database::connect(url).await.unwrap();
        let group = db.local_actor_by_username("runners").await.unwrap();
        let member = db.upsert_remote_actor(&remote_person("sam")).await.unwrap();
        db.upsert_membership(
            &group.id,
            &member.id,
            kith_storage::MemberState::Accepted,
            kith_storage::MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        let out = kith(
            dir,
            url,
            &[
                "event",
                "create",
                "--group",
                "runners",
                "--title",
                "Park run",
                "--start",
                "2027-03-06T09:30:00+00:00",
                "--end",
                "2027-03-06T11:00:00+00:00",
                "--timezone",
                "Europe/London",
                "--place",
                "Victoria Park",
                "--capacity",
                "12",
                "--online-url",
                "https://meet.example/run",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let id = String::from_utf8(out.stdout.clone())
            .unwrap()
            .trim()
            .to_owned();
        assert!(id.contains("/o/"), "{id}");
        let out = kith(dir, url, &["event", "update", &id, "--capacity", "15"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = kith(dir, url, &["event", "cancel", &id]);
        assert!(out.status.success(), "{}", text(&out));
        let out = kith(dir, url, &["event", "show", &id]);
        let shown = text(&out);
        assert!(
            shown.contains("cancelled") && shown.contains("capacity  15"),
            "{shown}"
        );
        // Bad input is refused with a clear message and changes nothing.
        let out = kith(
            dir,
            url,
            &[
                "event",
                "create",
                "--group",
                "runners",
                "--title",
                "X",
                "--start",
                "soon",
                "--end",
                "2027-03-06T11:00:00+00:00",
                "--timezone",
                "Europe/London",
            ],
        );
        assert!(!out.status.success());
        assert!(text(&out).contains("RFC 3339"));
        // Create, Announce, poll, two Updates: queued for the member, for the running server's
        // worker (it polls the queue every second); the event is stored once.
        assert_eq!(db.pending_deliveries().await.unwrap(), 5);
        let listed = db
            .calendar_events(kith_storage::CalendarScope::Instance, 0, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
    }
}
