//! Organisers' event forms: announce (once or repeating), edit and reschedule, cancel, delete.
//! The rules are the actions' (`EventDraft::problems`, `recurrence::simple_rule`); a form with
//! problems comes back with each beside its field and what was typed kept.

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kith_federation::FederationError;
use kith_federation::actions::By;
use kith_federation::actions::{events, membership, series_edit};
use kith_federation::events::patch::{draft_of, patched};
use kith_federation::events::{
    EventDraft, FieldProblem, local_rfc3339, recurrence, wall_clock_rfc3339, zone,
};
use kith_storage::{Actor, StoredEvent};
use serde::Deserialize;

use super::views::display_name;
use super::{CsrfForm, Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/g/{name}/events/new", get(new_event_page))
        .route("/g/{name}/events", post(create_event))
        .route("/o/{key}/edit", get(edit_event_page).post(update_event))
        .route("/o/{key}/cancel", post(cancel_event))
        .route("/o/{key}/delete", post(delete_event))
}

/// Zones offered first in the form (any IANA name is accepted).
const COMMON_ZONES: [&str; 12] = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// What the form holds, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventForm {
    csrf: String,
    title: String,
    description: String,
    start: String,
    end: String,
    timezone: String,
    place: String,
    address: String,
    online_url: String,
    capacity: String,
    join_mode: String,
    external_url: String,
    /// `none`, `weekly` or `monthly` (new events only).
    repeat: String,
    /// The last day of a repeat, `YYYY-MM-DD`.
    repeat_until: String,
    /// How many times it happens.
    repeat_count: String,
    /// Editing a date of a series: `this` date alone, or it and every `later` one.
    scope: String,
}

/// The problems of a form: beside their fields, and one above the form for the rest.
#[derive(Default)]
struct Problems {
    fields: Vec<FieldProblem>,
    general: Option<String>,
}

impl Problems {
    /// The problem with `field`, if any.
    fn of(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct EventFormPage {
    layout: Layout,
    group_url: String,
    group_title: String,
    /// Where the form posts.
    action: String,
    /// Editing an event (no repeat section).
    editing: bool,
    /// The event is one date of a series (an edit changes that date only).
    in_series: bool,
    /// A new, untouched form: the script may put the browser's zone in.
    fresh: bool,
    v: EventForm,
    problems: Problems,
    zones: Vec<&'static str>,
}

impl EventFormPage {
    /// The form announcing a new event in `group`.
    fn announcing(state: &AppState, viewer: &Viewer, group: &Actor) -> Self {
        let action = format!("{}/events", group.id);
        EventFormPage::new(state, viewer, group, "Announce an event", action)
    }

    /// The form editing `event` of `group`.
    fn editing(state: &AppState, viewer: &Viewer, group: &Actor, event: &StoredEvent) -> Self {
        let action = format!("{}/edit", event.object.id);
        let mut page = EventFormPage::new(state, viewer, group, "Edit the event", action);
        page.editing = true;
        page.in_series = event.fields.series_id.is_some();
        page
    }

    fn new(state: &AppState, viewer: &Viewer, group: &Actor, title: &str, action: String) -> Self {
        EventFormPage {
            layout: Layout::new(state, viewer, title),
            // A local group: its page is its id.
            group_url: group.id.clone(),
            group_title: display_name(group),
            action,
            editing: false,
            in_series: false,
            fresh: false,
            v: EventForm::default(),
            problems: Problems::default(),
            zones: COMMON_ZONES.to_vec(),
        }
    }

    /// The page, with status 400 when it shows problems.
    fn respond(self, viewer: &Viewer) -> Result<Response, ApiError> {
        let status = match self.problems.any() {
            true => StatusCode::BAD_REQUEST,
            false => StatusCode::OK,
        };
        Ok((status, render(viewer, &self)?).into_response())
    }
}

fn filled(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Keeps the first problem of each field.
fn first_per_field(problems: Vec<FieldProblem>) -> Vec<FieldProblem> {
    let mut kept: Vec<FieldProblem> = Vec::new();
    for p in problems {
        if !kept.iter().any(|k| k.field == p.field) {
            kept.push(p);
        }
    }
    kept
}

impl EventForm {
    /// The draft the form describes, or the problems of the fields the draft is made from
    /// (times in the chosen zone, a whole number of places, the repeat).
    fn draft(&self, repeat: bool) -> (EventDraft, Vec<FieldProblem>) {
        let mut problems = Vec::new();
        let timezone = self.timezone.trim().to_owned();
        let mut time = |field: &'static str, what: &str, value: &str| {
            if zone(&timezone).is_err() {
                // The zone's own problem is shown beside it.
                return String::new();
            }
            wall_clock_rfc3339(what, value, &timezone).unwrap_or_else(|e| {
                problems.push(FieldProblem::from_error(field, e));
                String::new()
            })
        };
        let start = time("start", "the start", &self.start);
        let end = time("end", "the end", &self.end);
        let capacity = filled(&self.capacity).and_then(|c| {
            c.parse::<i64>()
                .map_err(|_| {
                    problems.push(FieldProblem::new(
                        "capacity",
                        "the number of places must be a whole number",
                    ))
                })
                .ok()
        });
        let rule = match repeat {
            true => recurrence::simple_rule(
                &self.repeat,
                filled(&self.repeat_until).as_deref(),
                filled(&self.repeat_count).as_deref(),
                &timezone,
            )
            .unwrap_or_else(|p| {
                problems.push(p);
                None
            }),
            false => None,
        };
        let draft = EventDraft {
            title: self.title.clone(),
            description: filled(&self.description),
            start,
            end,
            timezone,
            place: filled(&self.place),
            address: filled(&self.address),
            online_url: filled(&self.online_url),
            capacity,
            join_mode: filled(&self.join_mode),
            external_url: filled(&self.external_url),
            repeat: rule,
            ..EventDraft::default()
        };
        (draft, problems)
    }

    /// The form of an existing event.
    fn of(event: &StoredEvent) -> Self {
        let d = draft_of(event);
        // `datetime-local` takes the wall-clock time without seconds or offset.
        let local = |ms: Option<i64>| {
            let text = local_rfc3339(ms.unwrap_or_default(), &d.timezone);
            text.get(..16).unwrap_or_default().to_owned()
        };
        EventForm {
            title: d.title.clone(),
            description: d.description.clone().unwrap_or_default(),
            start: local(event.object.start_time),
            end: local(event.object.end_time),
            timezone: d.timezone.clone(),
            place: d.place.clone().unwrap_or_default(),
            address: d.address.clone().unwrap_or_default(),
            online_url: d.online_url.clone().unwrap_or_default(),
            capacity: d.capacity.map(|c| c.to_string()).unwrap_or_default(),
            join_mode: d.join_mode.clone().unwrap_or_default(),
            external_url: d.external_url.clone().unwrap_or_default(),
            ..EventForm::default()
        }
    }

    /// The edit as a patch: every field the form has, an empty one cleared.
    fn patch(&self, draft: &EventDraft) -> events::EventPatch {
        events::EventPatch {
            title: Some(draft.title.clone()),
            description: Some(self.description.clone()),
            start: Some(draft.start.clone()),
            end: Some(draft.end.clone()),
            timezone: Some(draft.timezone.clone()),
            place: Some(self.place.clone()),
            address: Some(self.address.clone()),
            online_url: Some(self.online_url.clone()),
            // 0 removes the limit.
            capacity: Some(draft.capacity.unwrap_or(0)),
            join_mode: Some(self.join_mode.clone()),
            external_url: Some(self.external_url.clone()),
            ..events::EventPatch::default()
        }
    }
}

/// The problems of a draft: the form's own, then the action's rules, one per field.
fn all_problems(mut own: Vec<FieldProblem>, draft: &EventDraft) -> Vec<FieldProblem> {
    own.extend(draft.problems().into_iter().filter(|p| {
        // A time the form could not read (or not place in an unknown zone) is not checked
        // again: its own problem, or the zone's, says why.
        !(p.field == "start" && draft.start.is_empty() || p.field == "end" && draft.end.is_empty())
    }));
    first_per_field(own)
}

/// An action's refusal shown above the form; other errors are an error page.
fn refusal(error: FederationError) -> Result<String, FederationError> {
    match error {
        FederationError::BadRequest(reason) => Ok(reason),
        other => Err(other),
    }
}

async fn new_event_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let mut page = EventFormPage::announcing(&state, &viewer, &group);
    page.fresh = true;
    page.v.timezone = "UTC".into();
    page.respond(&viewer).or_page(&state, &viewer)
}

async fn create_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let (draft, own) = form.draft(true);
    let mut problems = Problems {
        fields: all_problems(own, &draft),
        general: None,
    };
    if problems.fields.is_empty() {
        match events::create_event(&state.ctx, &name, By::Account(account), &draft).await {
            Ok(event) => return Ok(see_other(&format!("{}?done=created", event.object.id))),
            Err(e) => problems.general = Some(refusal(e).or_page(&state, &viewer)?),
        }
    }
    let mut page = EventFormPage::announcing(&state, &viewer, &group);
    page.v = form;
    page.problems = problems;
    page.respond(&viewer).or_page(&state, &viewer)
}

async fn edit_event_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let (event, group) = events::organised_event(&state.ctx, &key, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    if event.object.deleted_at.is_some() {
        return Err(PageError::new(&state, &viewer, ApiError::NotFound));
    }
    let mut page = EventFormPage::editing(&state, &viewer, &group, &event);
    page.v = EventForm::of(&event);
    page.respond(&viewer).or_page(&state, &viewer)
}

async fn update_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let (event, group) = events::organised_event(&state.ctx, &key, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let (draft, own) = form.draft(false);
    let patch = form.patch(&draft);
    // Checked as the action will check it: the patch over the event's own draft.
    let mut problems = Problems {
        fields: all_problems(own, &patched(draft_of(&event), &patch)),
        general: None,
    };
    if problems.fields.is_empty() {
        let scope = series_edit::SeriesScope::parse(&form.scope).or_page(&state, &viewer)?;
        let id = &event.object.id;
        match series_edit::update_dates(&state.ctx, id, By::Account(account), &patch, scope).await {
            Ok(updated) => return Ok(see_other(&format!("{}?done=updated", updated.object.id))),
            Err(e) => problems.general = Some(refusal(e).or_page(&state, &viewer)?),
        }
    }
    let mut page = EventFormPage::editing(&state, &viewer, &group, &event);
    page.v = form;
    page.problems = problems;
    page.respond(&viewer).or_page(&state, &viewer)
}

async fn cancel_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let event = events::cancel_event(&state.ctx, &key, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}?done=cancelled", event.object.id)))
}

async fn delete_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let (_, group) = events::organised_event(&state.ctx, &key, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    events::delete_event(&state.ctx, &key, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}?done=deleted", group.id)))
}
