//! The JSON API for events: organisers create, edit, cancel and delete events and decide on
//! answers; anyone signed in answers an event (here or elsewhere) and gets a private calendar.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{events, online_link, rsvp, series_edit, tokens};
use kith_federation::events::{EventDraft, local_rfc3339};
use kith_storage::PictureRole;
use kith_storage::{Account, Rsvp, RsvpStatus, StoredEvent};
use serde::{Deserialize, Serialize};

use crate::auth::{Authed, MaybeAuthed};
use crate::{ApiError, AppState, access};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{name}/events", post(create_event))
        .route(
            "/api/v1/events/{key}",
            get(get_event).patch(update_event).delete(delete_event),
        )
        .route("/api/v1/events/{key}/cancel", post(cancel_event))
        .route("/api/v1/events/{key}/answers", get(list_answers))
        .route("/api/v1/events/{key}/answers/approve", post(approve_answer))
        .route("/api/v1/events/{key}/answers/reject", post(reject_answer))
        .route("/api/v1/rsvp", post(answer_event))
        .route("/api/v1/me/calendar", post(new_calendar_link))
}

/// An event as the API shows it.
#[derive(Serialize)]
struct EventView {
    id: String,
    title: Option<String>,
    summary: Option<String>,
    start: String,
    end: String,
    timezone: String,
    status: kith_storage::EventStatus,
    join_mode: kith_storage::JoinMode,
    place: Option<String>,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    capacity: Option<i64>,
    going: i64,
    maybe: i64,
    waitlisted: i64,
    pending: i64,
    series: Option<String>,
    calendar: String,
    /// The event's picture (`{type, url, mediaType, name}`, `name` the alt text), if any; the
    /// answer itself is given only to those who may read the event's group.
    picture: Option<kith_federation::protocol::ImageRef>,
}

/// The event as `viewer` sees it: the online link only for those going and its organisers
/// (kith-federation `online_link`).
async fn view(
    state: &AppState,
    e: StoredEvent,
    viewer: Option<&Account>,
) -> Result<EventView, ApiError> {
    let counts = state.ctx.db.rsvp_counts(&e.object.id).await?;
    let online_url =
        online_link::online_link_for(&state.ctx, &e, viewer.map(|a| a.actor_id.as_str())).await?;
    let picture = state
        .ctx
        .db
        .pictures_of(&e.object.id)
        .await?
        .iter()
        .find(|p| p.role == PictureRole::Event)
        .map(|p| kith_federation::actions::pictures::image_ref(&state.ctx, p));
    let f = e.fields;
    let o = e.object;
    Ok(EventView {
        calendar: format!("{}/calendar.ics", o.id),
        start: local_rfc3339(o.start_time.unwrap_or_default(), &f.timezone),
        end: local_rfc3339(o.end_time.unwrap_or_default(), &f.timezone),
        id: o.id,
        title: o.name,
        summary: o.summary,
        timezone: f.timezone,
        status: f.status,
        join_mode: f.join_mode,
        place: f.place_name,
        address: f.place_address,
        latitude: f.latitude,
        longitude: f.longitude,
        online_url,
        capacity: f.capacity,
        going: counts.going,
        maybe: counts.maybe,
        waitlisted: counts.waitlisted,
        pending: counts.pending,
        series: f.series_id,
        picture,
    })
}

async fn create_event(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(draft): Json<EventDraft>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    let event = events::create_event(&state.ctx, &name, By::Account(&account), &draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, event, Some(&account)).await?),
    ))
}

async fn get_event(
    State(state): State<AppState>,
    viewer: MaybeAuthed,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let event = state.ctx.db.event(&state.ctx.urls().object(&key)).await?;
    if !event.object.local || event.object.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    // A members-only or hidden group's event (and its picture) is its readers' alone.
    let group = state
        .ctx
        .db
        .actor_by_id_cached(event.object.group_id.as_deref().unwrap_or_default())
        .await?;
    let asker = access::Asker {
        account: viewer.0.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &group, asker).await?;
    let answer = Json(view(&state, event, viewer.0.as_ref()).await?).into_response();
    Ok(access::mark(&group, answer))
}

/// Which dates of a series a `PATCH` changes: `?dates=this` (the default) or `later`.
#[derive(Deserialize)]
struct DatesQuery {
    #[serde(default)]
    dates: String,
}

async fn update_event(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
    Query(q): Query<DatesQuery>,
    Json(patch): Json<events::EventPatch>,
) -> Result<Json<EventView>, ApiError> {
    let scope = series_edit::SeriesScope::parse(&q.dates)?;
    let event =
        series_edit::update_dates(&state.ctx, &key, By::Account(&account), &patch, scope).await?;
    Ok(Json(view(&state, event, Some(&account)).await?))
}

async fn cancel_event(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
) -> Result<Json<EventView>, ApiError> {
    let event = events::cancel_event(&state.ctx, &key, By::Account(&account)).await?;
    Ok(Json(view(&state, event, Some(&account)).await?))
}

async fn delete_event(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    events::delete_event(&state.ctx, &key, By::Account(&account)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One answer, as organisers and the person see it.
#[derive(Serialize)]
struct AnswerView {
    event: String,
    person: String,
    status: kith_storage::RsvpStatus,
    since: i64,
}

impl From<Rsvp> for AnswerView {
    fn from(r: Rsvp) -> Self {
        AnswerView {
            event: r.event_id,
            person: r.actor_id,
            status: r.status,
            since: r.updated_at,
        }
    }
}

async fn list_answers(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
) -> Result<Json<Vec<AnswerView>>, ApiError> {
    let (_, list) = rsvp::answers(&state.ctx, &key, By::Account(&account)).await?;
    Ok(Json(list.into_iter().map(|(_, r)| r.into()).collect()))
}

#[derive(Deserialize)]
struct MemberBody {
    /// An actor id or `@name@host`.
    member: String,
}

async fn approve_answer(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
    Json(body): Json<MemberBody>,
) -> Result<Json<AnswerView>, ApiError> {
    let r = rsvp::decide(&state.ctx, &key, &body.member, true, By::Account(&account)).await?;
    Ok(Json(r.into()))
}

async fn reject_answer(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
    Json(body): Json<MemberBody>,
) -> Result<Json<AnswerView>, ApiError> {
    let r = rsvp::decide(&state.ctx, &key, &body.member, false, By::Account(&account)).await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize)]
struct RsvpBody {
    /// The event's id (here or on another server).
    event: String,
    /// `going`, `maybe`, `not_going`, or `none` to withdraw.
    status: String,
}

async fn answer_event(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<RsvpBody>,
) -> Result<Json<Option<AnswerView>>, ApiError> {
    let status = match body.status.as_str() {
        "none" => None,
        other => match RsvpStatus::parse(other) {
            Some(s @ (RsvpStatus::Going | RsvpStatus::Maybe | RsvpStatus::NotGoing)) => Some(s),
            _ => {
                return Err(ApiError::BadRequest(
                    "status is going, maybe, not_going or none".into(),
                ));
            }
        },
    };
    let answer = rsvp::rsvp(&state.ctx, &account, &body.event, status).await?;
    Ok(Json(answer.map(Into::into)))
}

#[derive(Serialize)]
struct CalendarLink {
    url: String,
}

async fn new_calendar_link(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<CalendarLink>, ApiError> {
    let url = tokens::create_calendar_link(&state.ctx, &account).await?;
    Ok(Json(CalendarLink { url }))
}
