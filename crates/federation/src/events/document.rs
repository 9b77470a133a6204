//! Events as ActivityPub documents: the superset shape Kith sends (docs/protocol.md, Events:
//! FEP-8a8e, the keys Mobilizon and Gancio read, a summary line for Mastodon) and what Kith reads
//! from Mobilizon, Gancio, Friendica and other Kith servers.

use kith_storage::{EventFields, EventStatus, JoinMode, RsvpCounts, StoredEvent};
use serde_json::{Value, json};

use super::{local_rfc3339, summary_line};
use crate::protocol::{ACTIVITY_STREAMS, PUBLIC, rfc3339};
use crate::urls::Urls;

/// The poll options Mastodon members vote with, and what each means.
pub const POLL_OPTIONS: [(&str, kith_storage::RsvpStatus); 3] = [
    ("Going", kith_storage::RsvpStatus::Going),
    ("Maybe", kith_storage::RsvpStatus::Maybe),
    ("Not going", kith_storage::RsvpStatus::NotGoing),
];

/// The `@context` of event documents: the two built-in contexts, and every event term defined
/// inline (schema.org, Mobilizon, iCalendar) so no receiver fetches anything (docs/protocol.md,
/// Untrusted input).
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
    /// The event's picture (`image`, and a `Document` among the attachments).
    pub picture: Option<crate::protocol::ImageRef>,
}

/// The document of a local event.
pub fn event_document(event: &StoredEvent, cx: &EventContext<'_>) -> Value {
    let o = &event.object;
    let f = &event.fields;
    let (start, end) = (
        o.start_time.unwrap_or_default(),
        o.end_time.unwrap_or_default(),
    );
    let status = f.status;
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
        "joinMode": wire_join_mode(f.join_mode),
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
    if let Some(picture) = &cx.picture {
        // Mobilizon takes the first `Document` attachment (or the one named "Banner") as the
        // event's picture, Mastodon a `Document` as a media attachment with `name` as its
        // description; `image` is the plain ActivityStreams form.
        let document = json!({"type": "Document", "mediaType": picture.media_type,
            "url": picture.url, "name": picture.name});
        if let Some(list) = map.get_mut("attachment").and_then(Value::as_array_mut) {
            list.insert(0, document);
        }
        if let Ok(image) = serde_json::to_value(picture) {
            map.insert("image".into(), image);
        }
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
fn wire_join_mode(mode: JoinMode) -> &'static str {
    match mode {
        JoinMode::Approval => "restricted",
        JoinMode::External => "external",
        JoinMode::None => "none",
        JoinMode::Free => "free",
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

/// The registration link, with a `mediaType` (Gancio crashes on attachments without one).
/// Never the online link: this document is public (served to anyone, sent to every follower),
/// and the link is for the people who are going (`actions::online_link`), who get it in a
/// message addressed to them alone.
fn attachments(f: &EventFields) -> Value {
    let mut list = Vec::new();
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
    let title = crate::sanitize::escape_html(o.name.as_deref().unwrap_or("the event"));
    let line = crate::sanitize::escape_html(&summary_line(start, end, &event.fields));
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
            crate::sanitize::escape_html(&o.id)
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
