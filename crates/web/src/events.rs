//! Events for people and calendars: event pages, the instance's list of coming events, and the
//! iCalendar feeds (per event, per group, per instance, and a person's private feed).

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::collections::BTreeSet;

use kith_federation::actions::{events, online_link, tokens};
use kith_federation::events::calendar::{Feed, render};
use kith_storage::{
    ActorKind, CalendarScope, EventSeries, ObjectKind, StorageError, StoredEvent, StoredObject,
    now_millis,
};

use crate::access::{self, Asker};
use crate::activitypub::{activity_json, wants_activity_json};
use crate::auth::MaybeAuthed;
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
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    if object.kind == ObjectKind::Question {
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
    crate::pages::event_page(state, viewer, &event, done).await
}

/// A feed; `private` for a person's own (it may hold online links): no shared cache keeps it.
fn calendar_response(text: String, private: bool) -> Response {
    let cache = if private {
        "private, max-age=300"
    } else {
        "max-age=300"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
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

/// A feed of a calendar; `reader`: the person whose private feed it is, who sees the online
/// links of the events they may (public feeds have none).
async fn feed(
    state: &AppState,
    name: &str,
    scope: CalendarScope<'_>,
    reader: Option<&str>,
) -> Result<Response, ApiError> {
    let events = state
        .ctx
        .db
        .calendar_events(scope, now_millis() - FEED_PAST_MS, FEED_LIMIT)
        .await?;
    // Each occurrence a person answered is listed on its own, without the series rule.
    let series = match reader {
        None => series_of(state, &events).await?,
        Some(_) => Vec::new(),
    };
    let mut online_for = BTreeSet::new();
    if let Some(reader) = reader {
        for event in &events {
            if online_link::may_see_link(&state.ctx, event, reader).await? {
                online_for.insert(event.object.id.clone());
            }
        }
    }
    let base = state.ctx.urls().base().to_string();
    let text = render(&Feed {
        name,
        events: &events,
        series: &series,
        base: &base,
        online_for: &online_for,
    });
    Ok(calendar_response(text, reader.is_some()))
}

async fn get_instance_feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let name = format!("Events on {}", state.ctx.urls().domain());
    feed(&state, &name, CalendarScope::Instance, None).await
}

async fn get_group_feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
    MaybeAuthed(account): MaybeAuthed,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let group = match state.ctx.db.local_actor_by_username(&name).await {
        Ok(actor) if actor.kind == ActorKind::Group => actor,
        Ok(_) | Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &group, asker).await?;
    let title = group.display_name.clone().unwrap_or_else(|| name.clone());
    let response = feed(&state, &title, CalendarScope::Group(&group.id), None).await?;
    Ok(access::mark(&group, response))
}

async fn get_event_feed(
    State(state): State<AppState>,
    Path(key): Path<String>,
    MaybeAuthed(account): MaybeAuthed,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let event = state.ctx.db.event(&state.ctx.urls().object(&key)).await?;
    if !event.object.local || event.object.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    // A members-only or hidden group's event: its members and their servers alone.
    let group = match event.object.group_id.as_deref() {
        Some(id) => Some(state.ctx.db.actor_by_id_cached(id).await?),
        None => None,
    };
    if let Some(group) = group.as_ref().filter(|g| !g.is_public()) {
        let asker = Asker {
            account: account.as_ref(),
            headers: &headers,
            uri: &uri,
        };
        access::require_read(&state, group, asker).await?;
        let response = event_feed(&state, event).await?;
        return Ok(access::mark(group, response));
    }
    event_feed(&state, event).await
}

/// One event's calendar, once the asker may read it.
async fn event_feed(
    state: &AppState,
    event: kith_storage::StoredEvent,
) -> Result<Response, ApiError> {
    let name = event.object.name.clone().unwrap_or_else(|| "Event".into());
    let base = state.ctx.urls().base().to_string();
    let events = [event];
    // A public document: never the online link.
    let text = render(&Feed {
        name: &name,
        events: &events,
        series: &[],
        base: &base,
        online_for: &BTreeSet::new(),
    });
    Ok(calendar_response(text, false))
}

async fn get_private_feed(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let token = token.trim_end_matches(".ics");
    let account = tokens::account_for_calendar(&state.ctx, token).await?;
    let name = format!("{}'s events", account.username);
    feed(
        &state,
        &name,
        CalendarScope::Attendee(&account.actor_id),
        Some(&account.actor_id),
    )
    .await
}
