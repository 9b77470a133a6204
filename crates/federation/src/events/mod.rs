//! Events: what organisers fill in, how it is checked, and the forms it is published in
//! (ActivityPub documents, iCalendar feeds, the one-line summary Mastodon shows).

pub mod calendar;
mod check;
pub mod document;
pub mod forms;
pub mod incoming;
pub mod patch;
pub mod recurrence;

use jiff::{Timestamp, tz::TimeZone};
use kith_storage::{EventFields, EventStatus};
use serde::{Deserialize, Serialize};

use crate::{FederationError, Result};

pub use check::{FieldProblem, MAX_DESCRIPTION, MAX_TITLE};

/// An event as an organiser describes it (CLI, JSON API). Times are RFC 3339 with an offset;
/// `timezone` is the IANA zone people see them in.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventDraft {
    /// Title.
    pub title: String,
    /// Description, plain text (paragraphs separated by blank lines).
    #[serde(default)]
    pub description: Option<String>,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// IANA time zone, e.g. `Europe/London`.
    pub timezone: String,
    /// The place's name.
    #[serde(default)]
    pub place: Option<String>,
    /// The place's address, one line.
    #[serde(default)]
    pub address: Option<String>,
    /// Latitude in degrees.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// The link for an online or hybrid event.
    #[serde(default)]
    pub online_url: Option<String>,
    /// How many may come.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// `free` (default), `approval`, `external` or `none`.
    #[serde(default)]
    pub join_mode: Option<String>,
    /// Where people register, for `external`.
    #[serde(default)]
    pub external_url: Option<String>,
    /// Category id, e.g. `SPORTS` (upper case).
    #[serde(default)]
    pub category: Option<String>,
    /// Hashtags, without `#`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `confirmed` (default) or `tentative`.
    #[serde(default)]
    pub status: Option<String>,
    /// An RFC 5545 `RRULE` value for a recurring event, e.g. `FREQ=WEEKLY;COUNT=10`.
    #[serde(default)]
    pub repeat: Option<String>,
}

/// A checked event: what is stored and published.
#[derive(Clone, Debug)]
pub struct CheckedEvent {
    /// Title.
    pub title: String,
    /// Description as HTML (escaped from plain text).
    pub content: Option<String>,
    /// Start, milliseconds.
    pub start: i64,
    /// End, milliseconds.
    pub end: i64,
    /// The stored event fields.
    pub fields: EventFields,
}

fn bad(reason: impl Into<String>) -> FederationError {
    FederationError::BadRequest(reason.into())
}

/// Reads an RFC 3339 time (with offset) as milliseconds, to the whole second (the precision
/// of `startTime` on the wire, so every server holds the same instant).
pub fn parse_time(what: &str, text: &str) -> Result<i64> {
    text.trim()
        .parse::<Timestamp>()
        .map(|t| t.as_second() * 1000)
        .map_err(|_| {
            bad(format!(
                "{what} must be an RFC 3339 time such as 2026-12-05T09:30:00+00:00"
            ))
        })
}

/// A wall-clock time as a browser's `datetime-local` field gives it (`2026-12-05T09:30`) in
/// an IANA zone, as RFC 3339 with that zone's offset then. A time that falls in a
/// daylight-saving gap moves forward, as calendar apps do.
pub fn wall_clock_rfc3339(what: &str, local: &str, zone_name: &str) -> Result<String> {
    let tz = zone(zone_name)?;
    let civil: jiff::civil::DateTime = local.trim().parse().map_err(|_| {
        bad(format!(
            "{what} must be a date and time such as 2026-12-05T09:30"
        ))
    })?;
    let zoned = civil
        .to_zoned(tz)
        .map_err(|e| bad(format!("{what}: {e}")))?;
    Ok(zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// An IANA time zone by name.
pub fn zone(name: &str) -> Result<TimeZone> {
    TimeZone::get(name).map_err(|_| bad(format!("{name:?} is not an IANA time zone")))
}

/// A time in the event's zone, with its offset (`2026-12-05T09:30:00+00:00`): what
/// `startTime`/`endTime` carry, so servers that ignore `timezone` still show the right instant.
pub fn local_rfc3339(millis: i64, zone_name: &str) -> String {
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    Timestamp::from_millisecond(millis)
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default()
}

/// When an event happens, in its zone, without the zone's name (`Sat 5 Dec 2026, 09:30–11:00`;
/// both dates when it ends on another day).
pub fn when_line(start: i64, end: i64, zone_name: &str) -> String {
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    let at = |ms: i64| Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()));
    let (Ok(s), Ok(e)) = (at(start), at(end)) else {
        return String::new();
    };
    if s.date() == e.date() {
        format!(
            "{}–{}",
            s.strftime("%a %-d %b %Y, %H:%M"),
            e.strftime("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            s.strftime("%a %-d %b %Y, %H:%M"),
            e.strftime("%a %-d %b %Y, %H:%M")
        )
    }
}

/// The one plain line Mastodon shows under an event's name: date, time, zone and place
/// (`Sat 5 Dec 2026, 09:30–11:00 (Europe/London) · Victoria Park, E9 7BT`).
pub fn summary_line(start: i64, end: i64, fields: &EventFields) -> String {
    let mut line = when_line(start, end, &fields.timezone);
    if line.is_empty() {
        return line;
    }
    line.push_str(&format!(" ({})", fields.timezone));
    let place = [
        fields.place_name.as_deref(),
        fields.place_address.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    match (place.is_empty(), fields.online_url.is_some()) {
        (false, true) => line.push_str(&format!(" · {place} and online")),
        (false, false) => line.push_str(&format!(" · {place}")),
        (true, true) => line.push_str(" · online"),
        (true, false) => {}
    }
    if fields.status == EventStatus::Cancelled {
        line = format!("CANCELLED · {line}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> EventDraft {
        EventDraft {
            title: "Park run".into(),
            start: "2026-12-05T09:30:00Z".into(),
            end: "2026-12-05T11:00:00Z".into(),
            timezone: "Europe/London".into(),
            place: Some("Victoria Park".into()),
            ..EventDraft::default()
        }
    }

    #[test]
    fn drafts_are_checked() {
        let checked = draft().check().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(checked.end - checked.start, 90 * 60 * 1000);
        assert_eq!(
            summary_line(checked.start, checked.end, &checked.fields),
            "Sat 5 Dec 2026, 09:30–11:00 (Europe/London) · Victoria Park"
        );
        for broken in [
            EventDraft {
                end: "2026-12-05T09:00:00Z".into(),
                ..draft()
            },
            EventDraft {
                timezone: "Mars/Olympus".into(),
                ..draft()
            },
            EventDraft {
                start: "tomorrow".into(),
                ..draft()
            },
            EventDraft {
                capacity: Some(0),
                ..draft()
            },
            EventDraft {
                join_mode: Some("external".into()),
                ..draft()
            },
            EventDraft {
                online_url: Some("javascript:alert(1)".into()),
                ..draft()
            },
            EventDraft {
                latitude: Some(95.0),
                longitude: Some(0.0),
                ..draft()
            },
            EventDraft {
                category: Some("sports".into()),
                ..draft()
            },
        ] {
            assert!(broken.check().is_err(), "{broken:?}");
        }
    }

    #[test]
    fn every_problem_is_named_with_its_field_and_descriptions_have_a_limit() {
        let long = EventDraft {
            title: String::new(),
            description: Some("a".repeat(MAX_DESCRIPTION + 1)),
            end: "2026-12-05T09:00:00Z".into(),
            timezone: "Mars/Olympus".into(),
            ..draft()
        };
        let fields: Vec<&str> = long.problems().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["title", "description", "end", "timezone"]);
        let message = long
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("title"), "{message}");
        let just_fits = EventDraft {
            description: Some("é".repeat(MAX_DESCRIPTION)),
            ..draft()
        };
        assert!(just_fits.problems().is_empty());
    }

    #[test]
    fn local_times_carry_the_zone_offset() {
        let summer = parse_time("t", "2026-07-01T17:30:00Z").unwrap_or_default();
        assert_eq!(
            local_rfc3339(summer, "Europe/Paris"),
            "2026-07-01T19:30:00+02:00"
        );
        assert_eq!(local_rfc3339(summer, "UTC"), "2026-07-01T17:30:00+00:00");
    }
}
