//! Events as ActivityPub documents: the superset shape Kith sends (DESIGN §6: FEP-8a8e, the keys
//! Mobilizon and Gancio read, a summary line for Mastodon) and what Kith reads from Mobilizon,
//! Gancio, Friendica and other Kith servers.

use kith_storage::{
    EventFields, EventStatus, JoinMode, RsvpCounts, RsvpStyle, StoredEvent, Visibility,
};
use serde_json::{Map, Value, json};

use super::{local_rfc3339, summary_line};
use crate::protocol::{ACTIVITY_STREAMS, PUBLIC, id_of, ids_of, parse_rfc3339, rfc3339};
use crate::sanitize;
use crate::urls::Urls;

/// The poll options Mastodon members vote with, and what each means.
pub const POLL_OPTIONS: [(&str, kith_storage::RsvpStatus); 3] = [
    ("Going", kith_storage::RsvpStatus::Going),
    ("Maybe", kith_storage::RsvpStatus::Maybe),
    ("Not going", kith_storage::RsvpStatus::NotGoing),
];

/// The `@context` of event documents: the two built-in contexts, and every event term defined
/// inline (schema.org, Mobilizon, iCalendar) so no receiver fetches anything (DESIGN §9).
pub fn event_context() -> Value {
    json!([
        ACTIVITY_STREAMS,
        "https://w3id.org/security/v1",
        {
            "sc": "http://schema.org/",
            "mz": "https://joinmobilizon.org/ns#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "toot": "http://joinmastodon.org/ns#",
            "Hashtag": "as:Hashtag",
            "sensitive": "as:sensitive",
            "votersCount": "toot:votersCount",
            "PostalAddress": "sc:PostalAddress",
            "address": {"@id": "sc:address", "@type": "@id"},
            "streetAddress": "sc:streetAddress",
            "category": "sc:category",
            "eventStatus": {"@id": "sc:eventStatus", "@type": "@id"},
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "previousStartTime": "sc:previousStartDate",
            "timezone": "mz:timezone",
            "joinMode": "mz:joinMode",
            "externalParticipationUrl": "mz:externalParticipationUrl",
            "isOnline": "mz:isOnline",
            "participantCount": "mz:participantCount",
            "anonymousParticipationEnabled": "mz:anonymousParticipationEnabled",
            "repliesModerationOption": "mz:repliesModerationOption",
            "draft": "mz:draft",
            "status": "ical:status",
        }
    ])
}

/// What an event document is built from besides the stored event.
pub struct EventContext<'a> {
    /// The organising group's id.
    pub group_id: &'a str,
    /// Current answers (for `participantCount` and `remainingAttendeeCapacity`).
    pub counts: RsvpCounts,
    /// The start before a reschedule, sent once in the `Update`.
    pub previous_start: Option<i64>,
}

/// The document of a local event.
pub fn event_document(event: &StoredEvent, cx: &EventContext<'_>) -> Value {
    let o = &event.object;
    let f = &event.fields;
    let (start, end) = (
        o.start_time.unwrap_or_default(),
        o.end_time.unwrap_or_default(),
    );
    let status = EventStatus::parse(&f.status).unwrap_or(EventStatus::Confirmed);
    let ical_status = status.as_str().to_uppercase();
    let mut doc = json!({
        "@context": event_context(),
        "id": o.id,
        "type": "Event",
        "url": o.url.clone().unwrap_or_else(|| o.id.clone()),
        "name": o.name,
        "summary": summary_line(start, end, f),
        "content": o.content.clone().unwrap_or_default(),
        "mediaType": "text/html",
        "startTime": local_rfc3339(start, &f.timezone),
        "endTime": local_rfc3339(end, &f.timezone),
        "timezone": f.timezone,
        "attributedTo": cx.group_id,
        "actor": f.organizer_id.as_deref().unwrap_or(cx.group_id),
        "audience": cx.group_id,
        "to": [PUBLIC],
        "cc": [Urls::followers(cx.group_id)],
        "published": rfc3339(o.published_at),
        "status": ical_status,
        "ical:status": ical_status,
        "eventStatus": match status {
            EventStatus::Cancelled => "https://schema.org/EventCancelled",
            _ if cx.previous_start.is_some() => "https://schema.org/EventRescheduled",
            _ => "https://schema.org/EventScheduled",
        },
        "joinMode": wire_join_mode(&f.join_mode),
        "isOnline": f.online_url.is_some() && f.place_name.is_none() && f.place_address.is_none(),
        "participantCount": cx.counts.going,
        "anonymousParticipationEnabled": false,
        "repliesModerationOption": "allow_all",
        "commentsEnabled": true,
        "draft": false,
        "sensitive": false,
        "attachment": attachments(f),
        "tag": hashtags(&f.tags),
    });
    let Some(map) = doc.as_object_mut() else {
        return doc;
    };
    if let Some(updated) = o.updated_at {
        map.insert("updated".into(), rfc3339(updated).into());
    }
    if let Some(place) = place(f) {
        map.insert("location".into(), place);
    }
    if let Some(capacity) = f.capacity {
        map.insert("maximumAttendeeCapacity".into(), capacity.into());
        let left = (capacity - cx.counts.going).max(0);
        map.insert("remainingAttendeeCapacity".into(), left.into());
    }
    if let Some(category) = &f.category {
        map.insert("category".into(), category.clone().into());
    }
    if let Some(url) = &f.external_url {
        map.insert("externalParticipationUrl".into(), url.clone().into());
    }
    if let Some(previous) = cx.previous_start {
        map.insert(
            "previousStartTime".into(),
            local_rfc3339(previous, &f.timezone).into(),
        );
    }
    doc
}

/// Kith's join modes as Mobilizon spells them.
fn wire_join_mode(mode: &str) -> &'static str {
    match JoinMode::parse(mode) {
        Some(JoinMode::Approval) => "restricted",
        Some(JoinMode::External) => "external",
        Some(JoinMode::None) => "none",
        _ => "free",
    }
}

/// A single `Place` (Mobilizon fails on an array of locations).
fn place(f: &EventFields) -> Option<Value> {
    if f.place_name.is_none() && f.place_address.is_none() && f.latitude.is_none() {
        return None;
    }
    let mut place = json!({
        "type": "Place",
        "name": f.place_name.clone().or_else(|| f.place_address.clone()),
    });
    if let Some(map) = place.as_object_mut() {
        if let Some(address) = &f.place_address {
            map.insert(
                "address".into(),
                json!({"type": "PostalAddress", "streetAddress": address}),
            );
        }
        if let (Some(lat), Some(lon)) = (f.latitude, f.longitude) {
            map.insert("latitude".into(), lat.into());
            map.insert("longitude".into(), lon.into());
        }
    }
    Some(place)
}

/// The online link, with a `mediaType` (Gancio crashes on attachments without one).
fn attachments(f: &EventFields) -> Value {
    let mut list = Vec::new();
    if let Some(url) = &f.online_url {
        list.push(
            json!({"type": "Link", "name": "Website", "mediaType": "text/html", "href": url}),
        );
    }
    if let Some(url) = &f.external_url {
        list.push(
            json!({"type": "Link", "name": "Registration", "mediaType": "text/html",
            "href": url}),
        );
    }
    Value::Array(list)
}

fn hashtags(tags: &str) -> Value {
    let tags: Vec<String> = serde_json::from_str(tags).unwrap_or_default();
    tags.iter()
        .map(|t| json!({"type": "Hashtag", "name": format!("#{t}")}))
        .collect()
}

/// The poll Mastodon members answer an event with (Mastodon cannot send `Join`): a `Question`
/// by the group, closing when the event starts; a vote arrives as `Create{Note{name}}`.
pub fn question_document(
    event: &StoredEvent,
    question_id: &str,
    group_id: &str,
    counts: RsvpCounts,
) -> Value {
    let o = &event.object;
    let start = o.start_time.unwrap_or_default();
    let end = o.end_time.unwrap_or_default();
    let title = crate::documents::escape_html(o.name.as_deref().unwrap_or("the event"));
    let line = crate::documents::escape_html(&summary_line(start, end, &event.fields));
    let votes = [counts.going, counts.maybe, counts.not_going];
    let options: Vec<Value> = POLL_OPTIONS
        .iter()
        .zip(votes)
        .map(|((name, _), n)| {
            json!({"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}})
        })
        .collect();
    json!({
        "@context": event_context(),
        "id": question_id,
        "type": "Question",
        "attributedTo": group_id,
        "to": [PUBLIC],
        "cc": [Urls::followers(group_id)],
        "content": format!(
            "<p>Are you coming to <a href=\"{}\">{title}</a>?</p><p>{line}</p>",
            crate::documents::escape_html(&o.id)
        ),
        "url": o.id,
        "published": rfc3339(o.published_at),
        "endTime": rfc3339(start),
        "oneOf": options,
        "votersCount": votes.iter().sum::<i64>(),
        "sensitive": false,
        "tag": [],
    })
}

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
pub fn parse_event(doc: &Value) -> Result<IncomingEvent, String> {
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
        .and_then(|a| a.get("href").and_then(Value::as_str).map(str::to_owned));
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
        name: text("name").unwrap_or_else(|| "Event".into()),
        content: text("content").map(|c| sanitize::html(&c)),
        start,
        end,
        published: text("published").as_deref().and_then(parse_rfc3339),
        url: doc.get("url").and_then(id_of).map(str::to_owned),
        visibility,
        fields: EventFields {
            organizer_id: doc.get("actor").and_then(id_of).map(str::to_owned),
            timezone,
            status: status.as_str().to_owned(),
            join_mode: join_mode.as_str().to_owned(),
            external_url: text("externalParticipationUrl"),
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
            rsvp_style: rsvp_style.as_str().to_owned(),
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
    let name = place.get("name").and_then(Value::as_str).map(str::to_owned);
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
