//! Event pages: the event (when in its zone and the viewer's, where with a map link, the online
//! link for those coming, who is coming, answer buttons, add to calendar), announcing an event,
//! and answering.

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::post,
};
use kith_federation::actions::By;
use kith_federation::actions::{joining, online_link, rsvp};
use kith_federation::events::when_line;
use kith_federation::protocol::rfc3339;
use kith_storage::{EventStatus, JoinMode, RsvpStatus, StorageError, StoredEvent, now_millis};
use serde::Deserialize;

use super::views::{actor_url, display_name, handle, title};
use super::{Alternate, HandleForm, Layout, OrPage, PageError, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};
use kith_federation::untrusted::safe_link_of;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{key}/rsvp", post(answer))
        .route("/o/{key}/remote", post(remote_answer))
}

/// What the event page shows.
struct EventView {
    url: String,
    title: String,
    group_url: Option<String>,
    group_title: String,
    when: String,
    zone: String,
    start_iso: String,
    end_iso: String,
    place: String,
    address: String,
    map_url: Option<String>,
    online: bool,
    online_url: Option<String>,
    /// Why the viewer may not answer (banned, waiting to join, not a member).
    cannot_answer: Option<&'static str>,
    description: String,
    going: i64,
    maybe: i64,
    waitlisted: i64,
    capacity: Option<i64>,
    join_mode: String,
    approval: bool,
    external_url: Option<String>,
    cancelled: bool,
    past: bool,
    /// The viewer organises it: edit, cancel and delete are offered.
    organiser: bool,
    /// One date of a repeating series.
    in_series: bool,
    my_status: Option<&'static str>,
    /// The viewer's answer as the buttons spell it (`going`, `maybe`, `not_going`), or empty:
    /// that button is shown pressed.
    my_answer: &'static str,
}

/// One answer, as organisers see it.
struct AttendeeView {
    name: String,
    handle: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    layout: Layout,
    e: EventView,
    attendees: Vec<AttendeeView>,
    /// The event's picture.
    picture: Option<super::group_pictures::PictureView>,
}

/// An answer in words.
fn status_words(status: RsvpStatus) -> &'static str {
    match status {
        RsvpStatus::Going => "going",
        RsvpStatus::Maybe => "maybe",
        RsvpStatus::NotGoing => "not going",
        RsvpStatus::Waitlisted => "on the waitlist",
        RsvpStatus::Pending => "waiting for an organiser",
        RsvpStatus::Rejected => "declined by an organiser",
    }
}

/// A map link: the coordinates when known, else a search for the address.
fn map_url(lat: Option<f64>, lon: Option<f64>, address: &str) -> Option<String> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        )),
        _ if !address.trim().is_empty() => Some(format!(
            "https://www.openstreetmap.org/search?query={}",
            super::views::encode(address)
        )),
        _ => None,
    }
}

/// The page of a local event (served at its id to browsers), from the event as read once.
pub async fn event_page(
    state: &AppState,
    viewer: &Viewer,
    event: &StoredEvent,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let object = &event.object;
    let f = &event.fields;
    let counts = ctx.db.rsvp_counts(&object.id).await?;
    let group = ctx
        .db
        .actor(object.group_id.as_deref().unwrap_or_default())
        .await?;
    let account = viewer.account();
    // Who answered, for organisers only: the look-up checks that the viewer organises.
    let answers = match account {
        Some(a) => rsvp::answers_for_organiser(ctx, event, &group, By::Account(a)).await?,
        None => None,
    };
    let organiser = answers.is_some();
    let mine = match account {
        Some(a) => match ctx.db.rsvp(&object.id, &a.actor_id).await {
            Ok(r) => Some(r.status),
            Err(StorageError::NotFound) => None,
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    // The online link for those going and organisers only (kith-federation `online_link`).
    let (online_url, cannot_answer) = match account {
        Some(a) => (
            online_link::online_link_for(ctx, event, Some(&a.actor_id)).await?,
            match organiser {
                true => None,
                false => {
                    online_link::answer_refusal(ctx, object.group_id.as_deref(), &a.actor_id)
                        .await?
                }
            },
        ),
        None => (None, None),
    };
    let attendees = answers
        .unwrap_or_default()
        .into_iter()
        .map(|(actor, r)| AttendeeView {
            name: display_name(&actor),
            handle: handle(&actor),
            status: status_words(r.status),
        })
        .collect();
    let start = object.start_time.unwrap_or_default();
    let end = object.end_time.unwrap_or(start);
    let address = f.place_address.clone().unwrap_or_default();
    let view = EventView {
        url: object.id.clone(),
        title: title(object.name.as_deref()).unwrap_or_else(|| "Event".into()),
        group_url: actor_url(&group),
        group_title: display_name(&group),
        when: when_line(start, end, &f.timezone),
        zone: f.timezone.clone(),
        start_iso: rfc3339(start),
        end_iso: rfc3339(end),
        place: title(f.place_name.as_deref()).unwrap_or_default(),
        map_url: map_url(f.latitude, f.longitude, &address),
        address,
        online: f.online_url.is_some(),
        online_url: safe_link_of(online_url.as_deref()),
        cannot_answer,
        description: super::linkify::linkify(object.content.as_deref().unwrap_or_default()),
        going: counts.going,
        maybe: counts.maybe,
        waitlisted: counts.waitlisted,
        capacity: f.capacity,
        approval: f.join_mode == JoinMode::Approval,
        join_mode: f.join_mode.to_string(),
        external_url: safe_link_of(f.external_url.as_deref()),
        cancelled: f.status == EventStatus::Cancelled,
        past: end < now_millis(),
        organiser,
        in_series: f.series_id.is_some(),
        my_status: mine.map(status_words),
        my_answer: match mine {
            Some(RsvpStatus::Going) => "going",
            Some(RsvpStatus::Maybe) => "maybe",
            Some(RsvpStatus::NotGoing) => "not_going",
            _ => "",
        },
    };
    let mut layout = super::layout_with_waiting(state, viewer, view.title.clone())
        .await?
        .with_notice(done);
    layout.json_href = Some(object.id.clone());
    layout.alternates.push(Alternate {
        media_type: "text/calendar",
        title: view.title.clone(),
        href: format!("{}/calendar.ics", object.id),
    });
    let private = view.online_url.is_some();
    let picture =
        super::group_pictures::picture_of(state, &object.id, kith_storage::PictureRole::Event)
            .await?;
    let mut response = super::render_with_remote_form(
        state,
        viewer,
        &EventPage {
            layout,
            e: view,
            attendees,
            picture,
        },
    )?;
    if private {
        // A page with the link is this viewer's alone: no cache, shared or not, keeps it.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
struct AnswerForm {
    csrf: String,
    answer: String,
}

/// Reads an answer's spelling.
pub fn parse_answer(answer: &str) -> Result<Option<RsvpStatus>, ApiError> {
    match answer {
        "going" => Ok(Some(RsvpStatus::Going)),
        "maybe" => Ok(Some(RsvpStatus::Maybe)),
        "not_going" => Ok(Some(RsvpStatus::NotGoing)),
        "withdraw" => Ok(None),
        other => Err(ApiError::BadRequest(format!(
            "{other:?} is not an answer (going, maybe, not_going, withdraw)"
        ))),
    }
}

async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let status = parse_answer(&form.answer).or_page(&state, &viewer)?;
    rsvp::rsvp(&state.ctx, account, &key, status)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!(
        "{}?done=answered",
        state.ctx.urls().object(&key)
    )))
}

async fn remote_answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<HandleForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    let id = state.ctx.urls().object(&key);
    let to = joining::remote_interaction_url(&state.ctx, &form.handle, &id)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&to))
}
