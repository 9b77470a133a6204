//! Property tests of the reading of remote events (`parse_event`): Mobilizon-shaped documents
//! with fields replaced by wrong types, huge or deeply nested values, hostile strings and nulls,
//! and arbitrary JSON. Whatever is read is within the rules pages and calendars rely on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz_support;

use fuzz_support::{config, json, mutated, text, url_like};
use kith_federation::Counters;
use kith_federation::events::incoming::parse_event;
use kith_federation::sanitize::{MAX_BYTES, within_bounds};
use kith_federation::untrusted::{is_hidden_control, safe_link};
use proptest::prelude::*;
use serde_json::{Value, json};

fn event_doc() -> Value {
    json!({
        "id": "https://m.example/events/1",
        "type": "Event",
        "attributedTo": "https://m.example/@runners",
        "actor": "https://m.example/@ann",
        "name": "Long run",
        "content": "<p>Bring <strong>water</strong></p>",
        "startTime": "2026-05-01T08:00:00+02:00",
        "endTime": "2026-05-01T10:00:00+02:00",
        "timezone": "Europe/Paris",
        "published": "2026-04-01T08:00:00Z",
        "url": "https://m.example/events/1",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
        "joinMode": "free",
        "ical:status": "CONFIRMED",
        "maximumAttendeeCapacity": 20,
        "category": "SPORTS",
        "externalParticipationUrl": "https://m.example/join",
        "location": {
            "type": "Place", "name": "Park",
            "address": {"streetAddress": "1 Rue", "addressLocality": "Paris"},
            "latitude": 48.85, "longitude": 2.35,
        },
        "attachment": [{"type": "Link", "name": "Online", "href": "https://v.example/room"}],
        "tag": [{"type": "Hashtag", "name": "#running"}],
    })
}

const EVENT_FIELDS: &[&str] = &[
    "id",
    "type",
    "attributedTo",
    "actor",
    "name",
    "content",
    "startTime",
    "endTime",
    "timezone",
    "url",
    "to",
    "cc",
    "joinMode",
    "ical:status",
    "status",
    "maximumAttendeeCapacity",
    "category",
    "externalParticipationUrl",
    "location",
    "attachment",
    "tag",
];

/// Places and links inside an event, with their fields replaced.
fn inner_edits() -> impl Strategy<Value = (Value, Value, String)> {
    let place = mutated(
        event_doc()["location"].clone(),
        &["name", "address", "latitude", "longitude"],
    );
    let link = mutated(
        event_doc()["attachment"][0].clone(),
        &["type", "name", "href"],
    );
    let time = prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})",
        text(),
    ];
    (place, link, time)
}

proptest! {
    #![proptest_config(config(4))]

    /// Whatever an event document holds, it is read or refused, and what is read keeps the
    /// rules: an end after the start, http(s) links only, names without hidden controls,
    /// sanitised and bounded HTML, coordinates on Earth, a short category, ten tags at most.
    #[test]
    fn events_read_within_the_rules(
        doc in prop_oneof![4 => mutated(event_doc(), EVENT_FIELDS), 1 => json()],
        (place, link, time) in inner_edits(),
        link_href in url_like(),
        which in 0u8..4,
    ) {
        let mut doc = doc;
        if doc.is_object() {
            match which {
                0 => doc["location"] = place,
                1 => doc["attachment"] = json!([link, {"type": "Link", "href": link_href}]),
                2 => doc["startTime"] = Value::from(time),
                _ => doc["endTime"] = Value::from(time),
            }
        }
        let counters = Counters::default();
        let Ok(event) = parse_event(&doc, &counters) else { return Ok(()) };
        prop_assert_eq!(Some(event.id.as_str()), doc["id"].as_str());
        prop_assert!(event.end > event.start);
        for link in [&event.url, &event.fields.external_url, &event.fields.online_url]
            .into_iter()
            .flatten()
        {
            prop_assert_eq!(safe_link(link), Some(link.clone()), "{}", link);
        }
        for name in [Some(&event.name), event.fields.place_name.as_ref()].into_iter().flatten() {
            prop_assert!(!name.is_empty() && !name.chars().any(is_hidden_control), "{:?}", name);
        }
        if let Some(html) = &event.content {
            prop_assert!(html.len() <= MAX_BYTES && within_bounds(html));
            prop_assert!(!html.to_ascii_lowercase().contains("<script"));
        }
        if let (Some(lat), Some(lon)) = (event.fields.latitude, event.fields.longitude) {
            prop_assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
        } else {
            prop_assert!(event.fields.latitude.is_none() && event.fields.longitude.is_none());
        }
        prop_assert!(event.fields.category.as_ref().is_none_or(|c| c.len() <= 40));
        let tags: Vec<String> = serde_json::from_str(&event.fields.tags).unwrap();
        prop_assert!(tags.len() <= 10);
        prop_assert!(kith_federation::events::zone(&event.fields.timezone).is_ok());
    }
}
