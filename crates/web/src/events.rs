//! Events for people and calendars: event pages, the instance's list of coming events, and the
//! iCalendar feeds (per event, per group, per instance, and a person's private feed).

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use kith_federation::actions::{events, tokens};
use kith_federation::events::calendar::{Feed, render};
use kith_storage::{
    CalendarScope, EventSeries, StorageError, StoredEvent, StoredObject, now_millis,
};

use crate::activitypub::{activity_json, wants_activity_json};
use crate::{ApiError, AppState};

/// How many events a feed or list holds at most.
const FEED_LIMIT: i64 = 500;
/// Feeds keep events that ended up to this long ago (calendar apps drop what disappears).
const FEED_PAST_MS: i64 = 30 * 86_400_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events.ics", get(get_instance_feed))
        .route("/g/{name}/events.ics", get(get_group_feed))
        .route("/o/{key}/calendar.ics", get(get_event_feed))
        .route("/calendar/{token}", get(get_private_feed))
}

/// `Link: <…>; rel="alternate"; type="text/calendar"` for documents that list events.
pub fn calendar_link_header(href: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "<{href}>; rel=\"alternate\"; type=\"text/calendar\""
    ))
    .ok()
}

/// A local event or poll at its id: the live document (current counts) for servers, a page for
/// people.
pub async fn event_or_poll(
    state: &AppState,
    object: &StoredObject,
    headers: &HeaderMap,
    viewer: &crate::auth::Viewer,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    if object.kind == "Question" {
        return Ok(activity_json(
            &events::live_question_document(ctx, &object.id).await?,
        ));
    }
    let event = ctx.db.event(&object.id).await?;
    let feed = format!("{}/calendar.ics", object.id);
    if wants_activity_json(headers) {
        let doc = events::live_event_document(ctx, &event, None).await?;
        // GoToSocial and Lemmy are served the forms they read (kith-federation `events::forms`).
        let reader = crate::activitypub::reader(state, headers).await;
        let doc = events::event_document_for(ctx, &event, doc, reader.dialect).await?;
        let mut response = activity_json(&doc);
        crate::activitypub::vary_by_reader(&mut response);
        if let Some(link) = calendar_link_header(&feed) {
            response.headers_mut().insert(header::LINK, link);
        }
        return Ok(response);
    }
    crate::pages::event_page(state, viewer, object).await
}

fn calendar_response(text: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=300"),
            ),
        ],
        text,
    )
        .into_response()
}

/// The series among `events` (each once), for their `RRULE`.
async fn series_of(state: &AppState, events: &[StoredEvent]) -> Result<Vec<EventSeries>, ApiError> {
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.fields.series_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut series = Vec::new();
    for id in ids {
        match state.ctx.db.series(id).await {
            Ok(s) => series.push(s),
            Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(series)
}

async fn feed(
    state: &AppState,
    name: &str,
    scope: CalendarScope<'_>,
    with_series: bool,
) -> Result<Response, ApiError> {
    let events = state
        .ctx
        .db
        .calendar_events(scope, now_millis() - FEED_PAST_MS, FEED_LIMIT)
        .await?;
    let series = if with_series {
        series_of(state, &events).await?
    } else {
        Vec::new()
    };
    let base = state.ctx.urls().base().to_string();
    Ok(calendar_response(render(&Feed {
        name,
        events: &events,
        series: &series,
        base: &base,
    })))
}

async fn get_instance_feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let name = format!("Events on {}", state.ctx.urls().domain());
    feed(&state, &name, CalendarScope::Instance, true).await
}

async fn get_group_feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let group = match state.ctx.db.local_actor_by_username(&name).await {
        Ok(actor) if actor.kind == "Group" => actor,
        Ok(_) | Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let title = group.display_name.clone().unwrap_or_else(|| name.clone());
    feed(&state, &title, CalendarScope::Group(&group.id), true).await
}

async fn get_event_feed(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let event = state.ctx.db.event(&state.ctx.urls().object(&key)).await?;
    if !event.object.local || event.object.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    let name = event.object.name.clone().unwrap_or_else(|| "Event".into());
    let base = state.ctx.urls().base().to_string();
    let events = [event];
    Ok(calendar_response(render(&Feed {
        name: &name,
        events: &events,
        series: &[],
        base: &base,
    })))
}

async fn get_private_feed(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let token = token.trim_end_matches(".ics");
    let account = tokens::account_for_calendar(&state.ctx, token).await?;
    let name = format!("{}'s events", account.username);
    // Each occurrence the person answered is listed on its own, without the series rule.
    feed(
        &state,
        &name,
        CalendarScope::Attendee(&account.actor_id),
        false,
    )
    .await
}
