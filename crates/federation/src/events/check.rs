//! The rules an event draft must meet, one place for the CLI, the JSON API and the pages. Every
//! problem is named with the field it is about, so a page can show it beside that field.

use kith_storage::{EventFields, EventStatus, JoinMode, RsvpStyle};

use super::{CheckedEvent, EventDraft, parse_time, zone};
use crate::{FederationError, Result};

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest description, in characters: a page of text, not a book (a megabyte was accepted
/// and shown in full before).
pub const MAX_DESCRIPTION: usize = 10_000;
/// The longest place name, in characters.
const MAX_PLACE: usize = 200;
/// The longest address, in characters.
const MAX_ADDRESS: usize = 300;
/// The longest link, in bytes.
const MAX_LINK: usize = 2_000;

/// What is wrong with one field of a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, spelled as in [`EventDraft`] (and the page forms).
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldProblem {
            field,
            message: message.into(),
        }
    }

    /// A problem with `field` from an error (its reason without the error's kind).
    pub fn from_error(field: &'static str, error: FederationError) -> Self {
        let message = match error {
            FederationError::BadRequest(reason) => reason,
            other => other.to_string(),
        };
        FieldProblem::new(field, message)
    }
}

impl EventDraft {
    /// Checks every field and turns the draft into what is stored; the error is the first
    /// problem ([`EventDraft::problems`] lists them all).
    pub fn check(&self) -> Result<CheckedEvent> {
        self.checked()
            .map_err(|mut problems| FederationError::BadRequest(problems.swap_remove(0).message))
    }

    /// Every problem of the draft, in the order of its fields; empty when it is good.
    pub fn problems(&self) -> Vec<FieldProblem> {
        self.checked().err().unwrap_or_default()
    }

    fn checked(&self) -> std::result::Result<CheckedEvent, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(FieldProblem::new(field, message));
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            problem(
                "title",
                format!("the title must have 1 to {MAX_TITLE} characters"),
            );
        }
        if let Some(d) = &self.description
            && d.chars().count() > MAX_DESCRIPTION
        {
            problem(
                "description",
                format!(
                    "the description must have at most {MAX_DESCRIPTION} characters (it has {})",
                    d.chars().count()
                ),
            );
        }
        let start = parse_time("the start", &self.start);
        let end = parse_time("the end", &self.end);
        if let Err(e) = &start {
            problem("start", reason(e));
        }
        if let Err(e) = &end {
            problem("end", reason(e));
        }
        if let (Ok(start), Ok(end)) = (&start, &end)
            && end <= start
        {
            problem("end", "the end must come after the start".into());
        }
        if let Err(e) = zone(&self.timezone) {
            problem("timezone", reason(&e));
        }
        let join_mode = match self.join_mode.as_deref() {
            None => JoinMode::Free,
            Some(mode) => JoinMode::parse(mode).unwrap_or_else(|| {
                problem(
                    "join_mode",
                    "join mode must be free, approval, external or none".into(),
                );
                JoinMode::Free
            }),
        };
        if join_mode == JoinMode::External && self.external_url.is_none() {
            problem(
                "external_url",
                "an external join mode needs the link where people register".into(),
            );
        }
        let status = match self.status.as_deref().map(EventStatus::parse) {
            None => EventStatus::Confirmed,
            Some(Some(status @ (EventStatus::Confirmed | EventStatus::Tentative))) => status,
            Some(_) => {
                problem("status", "status must be confirmed or tentative".into());
                EventStatus::Confirmed
            }
        };
        if let Some(capacity) = self.capacity
            && !(1..=1_000_000).contains(&capacity)
        {
            problem("capacity", "capacity must be between 1 and 1000000".into());
        }
        if let Some(lat) = self.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            problem("latitude", "latitude must be between -90 and 90".into());
        }
        if let Some(lon) = self.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            problem("longitude", "longitude must be between -180 and 180".into());
        }
        if self.latitude.is_some() != self.longitude.is_some() {
            problem(
                "latitude",
                "give both latitude and longitude, or neither".into(),
            );
        }
        for (field, text, max) in [
            ("place", &self.place, MAX_PLACE),
            ("address", &self.address, MAX_ADDRESS),
        ] {
            if let Some(text) = text
                && text.chars().count() > max
            {
                problem(
                    field,
                    format!("the {field} must have at most {max} characters"),
                );
            }
        }
        for (field, url) in [
            ("online_url", &self.online_url),
            ("external_url", &self.external_url),
        ] {
            if let Some(url) = url
                && let Err(message) = web_url(url)
            {
                problem(field, message);
            }
        }
        if let Some(category) = &self.category
            && (category.is_empty()
                || category.len() > 40
                || !category.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        {
            problem(
                "category",
                "the category is an upper-case id such as SPORTS".into(),
            );
        }
        let mut tags = Vec::new();
        for tag in &self.tags {
            let tag = tag.trim_start_matches('#');
            if tag.is_empty()
                || tag.len() > 50
                || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                problem("tags", format!("{tag:?} is not a hashtag"));
            }
            tags.push(tag.to_owned());
        }
        tags.truncate(10);
        let (Ok(start), Ok(end), true) = (start, end, problems.is_empty()) else {
            return Err(problems);
        };
        Ok(CheckedEvent {
            title: title.to_owned(),
            content: self
                .description
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .map(crate::sanitize::plain_to_html),
            start,
            end,
            fields: EventFields {
                organizer_id: None,
                timezone: self.timezone.clone(),
                status,
                join_mode,
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
                rsvp_style: RsvpStyle::Join,
            },
        })
    }
}

/// An error's reason, without its kind.
fn reason(error: &FederationError) -> String {
    match error {
        FederationError::BadRequest(reason) => reason.clone(),
        other => other.to_string(),
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Organisers' links follow the rule remote ones do (`untrusted::safe_link`).
fn web_url(text: &str) -> std::result::Result<(), String> {
    if text.len() > MAX_LINK {
        return Err(format!("a link must have at most {MAX_LINK} characters"));
    }
    match crate::untrusted::safe_link(text) {
        Some(_) => Ok(()),
        None => Err(format!("{text:?} is not an http(s) link")),
    }
}
