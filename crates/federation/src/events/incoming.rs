//! Events as other servers send them: Mobilizon, Gancio, Friendica, Kith, or anything shaped
//! like FEP-8a8e. Every field may be missing or oddly typed; what cannot be read is left out.

use kith_storage::{EventFields, EventStatus, JoinMode, RsvpStyle, Visibility};
use serde_json::{Map, Value};

use crate::protocol::{id_of, ids_of, parse_rfc3339};
use crate::untrusted::{clean_name_of, safe_link, safe_link_of};
use crate::{Counters, sanitize};

/// An event read from another server, ready to store.
#[derive(Clone, Debug)]
pub struct IncomingEvent {
    /// The event id.
    pub id: String,
    /// Who published it (`attributedTo`, else `actor`).
    pub attributed_to: String,
    /// Title.
    pub name: String,
    /// Sanitised HTML description.
    pub content: Option<String>,
    /// Start, milliseconds.
    pub start: i64,
    /// End, milliseconds (an hour after the start when the sender gives none).
    pub end: i64,
    /// `published`, milliseconds.
    pub published: Option<i64>,
    /// The page for people.
    pub url: Option<String>,
    /// Who it is addressed to.
    pub visibility: Visibility,
    /// The event fields.
    pub fields: EventFields,
}

/// Reads an `Event` from Mobilizon, Gancio, Friendica, Kith (or anything FEP-8a8e shaped).
/// Its description is sanitised, what the bounds took counted in `counters`.
pub fn parse_event(doc: &Value, counters: &Counters) -> Result<IncomingEvent, String> {
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_owned);
    if doc.get("type").and_then(Value::as_str) != Some("Event") {
        return Err("not an Event".into());
    }
    let id = text("id").ok_or("an Event without id")?;
    let attributed_to = doc
        .get("attributedTo")
        .map(ids_of)
        .and_then(|ids| ids.into_iter().next())
        .or_else(|| doc.get("actor").and_then(id_of).map(str::to_owned))
        .ok_or("an Event without author")?;
    let start = text("startTime")
        .as_deref()
        .and_then(parse_rfc3339)
        .ok_or("an Event without a readable startTime")?;
    let end = text("endTime")
        .as_deref()
        .and_then(parse_rfc3339)
        .filter(|end| *end > start)
        .unwrap_or(start + 3_600_000);
    let timezone = text("timezone")
        .filter(|tz| super::zone(tz).is_ok())
        .unwrap_or_else(|| "UTC".into());
    let status = text("ical:status")
        .or_else(|| text("status"))
        .map(|s| s.to_lowercase())
        .and_then(|s| EventStatus::parse(&s))
        .or_else(|| {
            text("eventStatus")
                .filter(|s| s.ends_with("EventCancelled"))
                .map(|_| EventStatus::Cancelled)
        })
        .unwrap_or(EventStatus::Confirmed);
    let join_mode = match text("joinMode").as_deref() {
        Some("restricted" | "invite") => JoinMode::Approval,
        Some("external") => JoinMode::External,
        Some("none") => JoinMode::None,
        _ => JoinMode::Free,
    };
    // Mobilizon and Kith take `Join`; servers without join modes (Friendica) take `Accept`.
    let rsvp_style = if doc.get("joinMode").is_some() {
        RsvpStyle::Join
    } else {
        RsvpStyle::Accept
    };
    let location = match doc.get("location") {
        Some(Value::Array(items)) => items.first().cloned(),
        other => other.cloned(),
    };
    let (place_name, place_address, latitude, longitude) = read_place(location.as_ref());
    let online_url = list(doc.get("attachment"))
        .into_iter()
        .find(|a| {
            a.get("type").and_then(Value::as_str) == Some("Link")
                && a.get("name").and_then(Value::as_str) != Some("Registration")
        })
        .and_then(|a| a.get("href").and_then(Value::as_str).and_then(safe_link));
    let tags: Vec<String> = list(doc.get("tag"))
        .iter()
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(|n| n.trim_start_matches('#').to_owned())
        .take(10)
        .collect();
    let to = doc.get("to").map(ids_of).unwrap_or_default();
    let cc = doc.get("cc").map(ids_of).unwrap_or_default();
    let visibility = if to.iter().any(|t| crate::protocol::is_public(t)) {
        Visibility::Public
    } else if cc.iter().any(|t| crate::protocol::is_public(t)) {
        Visibility::Unlisted
    } else {
        Visibility::Followers
    };
    Ok(IncomingEvent {
        name: clean_name_of(text("name").as_deref()).unwrap_or_else(|| "Event".into()),
        content: text("content").map(|c| sanitize::html(counters, &id, &c)),
        start,
        end,
        published: text("published").as_deref().and_then(parse_rfc3339),
        // Links are shown on pages and in calendars: http(s) only.
        url: safe_link_of(doc.get("url").and_then(id_of)),
        visibility,
        fields: EventFields {
            organizer_id: doc.get("actor").and_then(id_of).map(str::to_owned),
            timezone,
            status,
            join_mode,
            external_url: safe_link_of(text("externalParticipationUrl").as_deref()),
            place_name,
            place_address,
            latitude,
            longitude,
            online_url,
            capacity: doc.get("maximumAttendeeCapacity").and_then(Value::as_i64),
            category: text("category").filter(|c| c.len() <= 40),
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
            question_id: None,
            series_id: None,
            occurrence: None,
            rsvp_style,
        },
        id,
        attributed_to,
    })
}

fn list(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

type PlaceParts = (Option<String>, Option<String>, Option<f64>, Option<f64>);

fn read_place(location: Option<&Value>) -> PlaceParts {
    let Some(Value::Object(place)) = location else {
        return (None, None, None, None);
    };
    let name = clean_name_of(place.get("name").and_then(Value::as_str));
    let address = match place.get("address") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(a)) => {
            let parts: Vec<&str> = [
                "streetAddress",
                "postalCode",
                "addressLocality",
                "addressRegion",
                "addressCountry",
            ]
            .iter()
            .filter_map(|k| a.get(*k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    };
    let coordinate = |map: &Map<String, Value>, key: &str| match map.get(key) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let lat = coordinate(place, "latitude").filter(|v| (-90.0..=90.0).contains(v));
    let lon = coordinate(place, "longitude").filter(|v| (-180.0..=180.0).contains(v));
    let (lat, lon) = match (lat, lon) {
        (Some(lat), Some(lon)) => (Some(lat), Some(lon)),
        _ => (None, None),
    };
    (name, address, lat, lon)
}
