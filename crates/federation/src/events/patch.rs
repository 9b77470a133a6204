//! Edits: an organiser's changes applied over the draft an event was made from, so the
//! edited event is checked by the same rules as a new one.

use kith_storage::{EventStatus, StoredEvent};
use serde::Deserialize;

use super::{EventDraft, local_rfc3339};

/// Changes to an event; absent fields stay as they are, an empty text clears a field, and a
/// capacity of 0 removes the limit.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EventPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub timezone: Option<String>,
    pub place: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub capacity: Option<i64>,
    pub join_mode: Option<String>,
    pub external_url: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<String>,
}

/// The draft an existing event was made from (so a patch can be applied and checked again).
pub fn draft_of(event: &StoredEvent) -> EventDraft {
    let o = &event.object;
    let f = &event.fields;
    let tz = &f.timezone;
    EventDraft {
        title: o.name.clone().unwrap_or_default(),
        description: o.content.as_deref().map(crate::sanitize::text),
        start: local_rfc3339(o.start_time.unwrap_or_default(), tz),
        end: local_rfc3339(o.end_time.unwrap_or_default(), tz),
        timezone: tz.clone(),
        place: f.place_name.clone(),
        address: f.place_address.clone(),
        latitude: f.latitude,
        longitude: f.longitude,
        online_url: f.online_url.clone(),
        capacity: f.capacity,
        join_mode: Some(f.join_mode.as_str().to_owned()),
        external_url: f.external_url.clone(),
        category: f.category.clone(),
        tags: serde_json::from_str(&f.tags).unwrap_or_default(),
        status: (f.status != EventStatus::Cancelled).then(|| f.status.as_str().to_owned()),
        repeat: None,
    }
}

/// The draft with the patch applied over it.
pub fn patched(mut d: EventDraft, p: &EventPatch) -> EventDraft {
    let text = |v: &Option<String>, old: Option<String>| match v {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.clone()),
        None => old,
    };
    if let Some(title) = &p.title {
        d.title = title.clone();
    }
    d.description = text(&p.description, d.description);
    d.start = p.start.clone().unwrap_or(d.start);
    d.end = p.end.clone().unwrap_or(d.end);
    d.timezone = p.timezone.clone().unwrap_or(d.timezone);
    d.place = text(&p.place, d.place);
    d.address = text(&p.address, d.address);
    d.latitude = p.latitude.or(d.latitude);
    d.longitude = p.longitude.or(d.longitude);
    d.online_url = text(&p.online_url, d.online_url);
    d.capacity = match p.capacity {
        Some(0) => None,
        Some(n) => Some(n),
        None => d.capacity,
    };
    d.join_mode = text(&p.join_mode, d.join_mode);
    d.external_url = text(&p.external_url, d.external_url);
    d.category = text(&p.category, d.category);
    d.tags = p.tags.clone().unwrap_or(d.tags);
    d.status = text(&p.status, d.status);
    d
}
