//! Events: what organisers fill in, how it is checked, and the forms it is published in
//! (ActivityPub documents, iCalendar feeds, the one-line summary Mastodon shows).

pub mod calendar;
pub mod document;
pub mod forms;
pub mod incoming;
pub mod patch;
pub mod recurrence;

use jiff::{Timestamp, tz::TimeZone};
use kith_storage::{EventFields, EventStatus, JoinMode, RsvpStyle};
use serde::{Deserialize, Serialize};

use crate::{FederationError, Result};

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

impl EventDraft {
    /// Checks every field and turns the draft into what is stored.
    pub fn check(&self) -> Result<CheckedEvent> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(bad("the title must have 1 to 200 characters"));
        }
        let start = parse_time("start", &self.start)?;
        let end = parse_time("end", &self.end)?;
        if end <= start {
            return Err(bad("the end must come after the start"));
        }
        zone(&self.timezone)?;
        let join_mode = match self.join_mode.as_deref() {
            None => JoinMode::Free,
            Some(mode) => JoinMode::parse(mode)
                .ok_or_else(|| bad("join mode must be free, approval, external or none"))?,
        };
        if join_mode == JoinMode::External && self.external_url.is_none() {
            return Err(bad("an external join mode needs --external-url"));
        }
        let status = match self.status.as_deref() {
            None => EventStatus::Confirmed,
            Some(s) => match EventStatus::parse(s) {
                Some(EventStatus::Cancelled) | None => {
                    return Err(bad("status must be confirmed or tentative"));
                }
                Some(status) => status,
            },
        };
        if let Some(capacity) = self.capacity
            && !(1..=1_000_000).contains(&capacity)
        {
            return Err(bad("capacity must be between 1 and 1000000"));
        }
        if let Some(lat) = self.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            return Err(bad("latitude must be between -90 and 90"));
        }
        if let Some(lon) = self.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            return Err(bad("longitude must be between -180 and 180"));
        }
        if self.latitude.is_some() != self.longitude.is_some() {
            return Err(bad("give both latitude and longitude, or neither"));
        }
        for url in [&self.online_url, &self.external_url].into_iter().flatten() {
            web_url(url)?;
        }
        if let Some(category) = &self.category
            && (category.is_empty()
                || category.len() > 40
                || !category.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        {
            return Err(bad("the category is an upper-case id such as SPORTS"));
        }
        let mut tags = Vec::new();
        for tag in &self.tags {
            let tag = tag.trim_start_matches('#');
            if tag.is_empty()
                || tag.len() > 50
                || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                return Err(bad(format!("{tag:?} is not a hashtag")));
            }
            tags.push(tag.to_owned());
        }
        tags.truncate(10);
        Ok(CheckedEvent {
            title: title.to_owned(),
            content: self
                .description
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .map(crate::documents::plain_to_html),
            start,
            end,
            fields: EventFields {
                organizer_id: None,
                timezone: self.timezone.clone(),
                status: status.as_str().to_owned(),
                join_mode: join_mode.as_str().to_owned(),
                external_url: self.external_url.clone(),
                place_name: non_empty(&self.place),
                place_address: non_empty(&self.address),
                latitude: self.latitude,
                longitude: self.longitude,
                online_url: self.online_url.clone(),
                capacity: self.capacity,
                category: self.category.clone(),
                tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
                question_id: None,
                series_id: None,
                occurrence: None,
                rsvp_style: RsvpStyle::Join.as_str().to_owned(),
            },
        })
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
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

/// Organisers' links follow the rule remote ones do (`untrusted::safe_link`).
fn web_url(text: &str) -> Result<()> {
    match crate::untrusted::safe_link(text) {
        Some(_) => Ok(()),
        None => Err(bad(format!("{text:?} is not an http(s) link"))),
    }
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
    if fields.status == EventStatus::Cancelled.as_str() {
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
    fn local_times_carry_the_zone_offset() {
        let summer = parse_time("t", "2026-07-01T17:30:00Z").unwrap_or_default();
        assert_eq!(
            local_rfc3339(summer, "Europe/Paris"),
            "2026-07-01T19:30:00+02:00"
        );
        assert_eq!(local_rfc3339(summer, "UTC"), "2026-07-01T17:30:00+00:00");
    }
}
