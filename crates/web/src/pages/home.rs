//! The front page (about, a searchable group directory, what is coming up) and the list of
//! coming events.

use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    response::Response,
    routing::get,
};
use kith_federation::actions::registration::instance_settings;
use kith_storage::{CalendarScope, now_millis};
use serde::Deserialize;

use super::views::{EventItem, GroupCard, event_items, group_card, paragraphs};
use super::{Alternate, Layout, OrPage, PageError, render};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(front_page))
        .route("/events", get(events_page))
}

#[derive(Deserialize)]
struct HomeQuery {
    #[serde(default)]
    q: String,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    about: String,
    query: String,
    groups: Vec<GroupCard>,
    events: Vec<EventItem>,
}

/// How many groups the directory shows.
const DIRECTORY_LIMIT: i64 = 50;

fn calendar_alternate(state: &AppState) -> Alternate {
    Alternate {
        media_type: "text/calendar",
        title: "Events".into(),
        href: format!("{}events.ics", state.ctx.urls().base()),
    }
}

async fn front_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HomeQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let ctx = &state.ctx;
    // Lemmy reads an instance from `https://DOMAIN/` as ActivityPub JSON: the instance actor.
    if crate::activitypub::wants_activity_json(&headers) {
        return crate::activitypub::instance_actor_json(&state)
            .await
            .or_page(&state, &viewer);
    }
    let settings = instance_settings(ctx).await.or_page(&state, &viewer)?;
    let q: String = query.q.trim().chars().take(100).collect();
    let listings = ctx
        .db
        .search_local_groups(&q, DIRECTORY_LIMIT)
        .await
        .or_page(&state, &viewer)?;
    let events = ctx
        .db
        .calendar_events(CalendarScope::Instance, now_millis(), 60)
        .await
        .or_page(&state, &viewer)?;
    let mut layout = super::layout_with_waiting(&state, &viewer, state.web.instance_name.clone())
        .await
        .or_page(&state, &viewer)?
        .with_notice(query.done.as_deref());
    layout.json_href = Some(ctx.urls().instance_actor());
    layout.alternates.push(calendar_alternate(&state));
    let page = HomePage {
        layout,
        about: paragraphs(Some(&settings.about)),
        query: q,
        groups: listings
            .iter()
            .map(|l| group_card(&l.group, l.members, ""))
            .collect(),
        events: event_items(&events, 10),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    layout: Layout,
    events: Vec<EventItem>,
}

async fn events_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let events = state
        .ctx
        .db
        .calendar_events(CalendarScope::Instance, now_millis(), 200)
        .await
        .or_page(&state, &viewer)?;
    let mut layout = super::layout_with_waiting(&state, &viewer, "Coming events")
        .await
        .or_page(&state, &viewer)?;
    layout.alternates.push(calendar_alternate(&state));
    let page = EventsPage {
        layout,
        events: event_items(&events, 200),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}
