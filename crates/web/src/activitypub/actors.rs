//! `GET` on actor ids and on the collections hung on them.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use kith_federation::{
    outbound::documents, outbound::documents::PageRequest,
    outbound::instance_actor::ensure_instance_actor,
};
use kith_storage::{Actor, ActorKind, ObjectKind, StorageError};
use serde::Deserialize;

use super::{
    activity_json, page_with_calendar, plain_page, reader, vary_by_reader, wants_activity_json,
};
use crate::access::{self, Asker};
use crate::auth::Viewer;
use crate::pages::{self, groups::DoneQuery};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actor", get(get_instance_actor))
        .route("/u/{name}", get(get_person))
        .route("/g/{name}", get(get_group))
        .route("/u/{name}/{collection}", get(get_person_collection))
        .route("/g/{name}/{collection}", get(get_group_collection))
        .route("/g/{name}/activities/{id}", get(get_group_activity))
        .route("/g/{name}/relay", get(get_group_relay))
        .route("/o/{key}", get(get_object))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<String>,
    cursor: Option<String>,
    object: Option<String>,
}

impl PageQuery {
    fn request(&self) -> PageRequest {
        PageRequest {
            page: self.page.is_some() || self.cursor.is_some(),
            cursor: self.cursor.clone(),
        }
    }
}

async fn local_actor(state: &AppState, name: &str, kind: ActorKind) -> Result<Actor, ApiError> {
    match state.ctx.db.local_actor_by_username(name).await {
        Ok(actor) if actor.kind == kind => Ok(actor),
        Ok(_) | Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(other) => Err(other.into()),
    }
}

async fn actor_response(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    viewer: &Viewer,
    (done, readable): (Option<&str>, bool),
) -> Result<Response, ApiError> {
    let calendar = (actor.kind == ActorKind::Group).then(|| format!("{}/events.ics", actor.id));
    if wants_activity_json(headers) {
        // Only a group that approves its members is served in another form (to Lemmy).
        let varies = actor.kind == ActorKind::Group && actor.manually_approves_followers;
        let dialect = if varies {
            reader(state, headers).await.dialect
        } else {
            kith_federation::outbound::software::Dialect::Unknown
        };
        let doc = documents::actor_document_for(&state.ctx, actor, dialect).await?;
        let mut response = activity_json(&doc);
        if varies {
            vary_by_reader(&mut response);
        }
        if let Some(link) = calendar
            .as_deref()
            .and_then(crate::events::calendar_link_header)
        {
            response
                .headers_mut()
                .insert(axum::http::header::LINK, link);
        }
        return Ok(response);
    }
    match actor.kind {
        ActorKind::Group => return pages::group_page(state, viewer, actor, (done, readable)).await,
        ActorKind::Person => return pages::person_page(state, viewer, actor, done).await,
        _ => {}
    }
    let title = actor.display_name.as_deref().unwrap_or(&actor.username);
    let handle = format!("@{}@{}", actor.username, state.ctx.urls().domain());
    let summary = actor
        .summary
        .as_deref()
        .map(kith_federation::sanitize::plain_to_html)
        .unwrap_or_default();
    Ok(page_with_calendar(
        title,
        &handle,
        &summary,
        &actor.id,
        calendar.as_deref(),
    ))
}

async fn get_instance_actor(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    let actor = ensure_instance_actor(&state.ctx).await?;
    actor_response(&state, &actor, &headers, &viewer, (None, true)).await
}

async fn get_person(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    viewer: Viewer,
    Query(done): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    let actor = local_actor(&state, &name, ActorKind::Person).await?;
    let done = done.done.as_deref();
    actor_response(&state, &actor, &headers, &viewer, (done, true)).await
}

async fn get_group(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    viewer: Viewer,
    Query(done): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    let actor = local_actor(&state, &name, ActorKind::Group).await?;
    // A hidden group is 404 to anyone but its members, their servers and invitees' servers; a
    // members-only group's page shows others its name, description, rules and join button
    // alone.
    let asker = Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    // An invitee's server learns the group's public part, enough to follow it.
    let standing = access::standing(&state, &actor, asker).await?;
    if !standing.know {
        return Err(ApiError::NotFound);
    }
    let readable = standing.read;
    let done = done.done.as_deref();
    let response = actor_response(&state, &actor, &headers, &viewer, (done, readable)).await?;
    Ok(access::mark(&actor, response))
}

/// A collection of a local person (`outbox`, `followers`) or group (also `featured`,
/// `moderators`, `replies`).
async fn collection(
    state: &AppState,
    actor: &Actor,
    which: &str,
    query: &PageQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let group = actor.kind == ActorKind::Group;
    let doc = match which {
        // A group's outbox pages are served to Lemmy in its shapes (`forms`).
        "outbox" if group && query.request().page => {
            let dialect = reader(state, headers).await.dialect;
            let doc = documents::outbox(ctx, actor, &query.request(), dialect).await?;
            let mut response = activity_json(&doc);
            vary_by_reader(&mut response);
            return Ok(response);
        }
        "outbox" => {
            let unknown = kith_federation::outbound::software::Dialect::Unknown;
            documents::outbox(ctx, actor, &query.request(), unknown).await?
        }
        "followers" => documents::followers(ctx, actor).await?,
        "featured" if group => documents::featured(actor)?,
        "moderators" if group => documents::moderators(ctx, actor).await?,
        "replies" if group => {
            let object_id = query
                .object
                .as_deref()
                .ok_or_else(|| ApiError::BadRequest("the object parameter is missing".into()))?;
            let object = ctx.db.object(object_id).await?;
            documents::replies(ctx, actor, &object, &query.request()).await?
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(activity_json(&doc))
}

async fn get_person_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = local_actor(&state, &name, ActorKind::Person).await?;
    collection(&state, &actor, &which, &query, &headers).await
}

async fn get_group_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    let actor = local_actor(&state, &name, ActorKind::Group).await?;
    if which == "followers_synchronization" {
        // Signed by a member's server only, and for it alone (FEP-8fcf).
        return super::followers_sync::partial_followers(&state, &actor, &headers, &uri).await;
    }
    let asker = Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &actor, asker).await?;
    let response = collection(&state, &actor, &which, &query, &headers).await?;
    Ok(access::mark(&actor, response))
}

/// The relay a group follows other servers' groups through (kith-federation `actions::relay`).
async fn get_group_relay(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    let group = local_actor(&state, &name, ActorKind::Group).await?;
    let asker = Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    access::require_known(&state, &group, asker).await?;
    let relay = state
        .ctx
        .db
        .actor(&kith_federation::actions::relay::relay_id(&group))
        .await?;
    let doc = documents::actor_document(&state.ctx, &relay).await?;
    Ok(activity_json(&doc))
}

async fn get_group_activity(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    let group = local_actor(&state, &name, ActorKind::Group).await?;
    let asker = Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &group, asker).await?;
    let announce_id = format!("{}/activities/{id}", group.id);
    let object = state.ctx.db.object_by_announce_id(&announce_id).await?;
    if object.deleted_at.is_some() {
        return Ok(access::mark(
            &group,
            activity_json(&documents::tombstone(&object)?),
        ));
    }
    if object.held_reason.is_some() {
        return Err(ApiError::NotFound);
    }
    // A non-public group's activity id names its own copy of the post (never an `Announce` of
    // a non-public post: Mastodon-family servers drop those).
    if !group.is_public() {
        let copy = kith_federation::outbound::announce::served_copy(
            &state.ctx,
            &group,
            &object,
            &announce_id,
        )
        .await?;
        return Ok(access::mark(&group, activity_json(&copy)));
    }
    let announce =
        kith_federation::outbound::announce::announce_object(&group, &object, &announce_id);
    Ok(access::mark(&group, activity_json(&announce)))
}

async fn get_object(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(done): Query<DoneQuery>,
    headers: HeaderMap,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    // The message an action's redirect names (only known codes are shown).
    let done = done.done.as_deref();
    let object = state.ctx.db.object(&state.ctx.urls().object(&key)).await?;
    // A members-only or hidden group's post, event or tombstone: to its members and their
    // servers alone. The group row comes from memory (its visibility seldom changes); the
    // membership is read on each request.
    let group = match object.group_id.as_deref() {
        Some(id) => Some(state.ctx.db.actor_by_id_cached(id).await?),
        None => None,
    };
    if let Some(group) = group.as_ref().filter(|g| !g.is_public()) {
        let asker = Asker {
            account: viewer.account(),
            headers: &headers,
            uri: &uri,
        };
        access::require_read(&state, group, asker).await?;
        // A post kept from before, or one a remote member addressed widely, is served to
        // members' servers addressed to the members alone, as it was delivered.
        if wants_activity_json(&headers)
            && object.held_reason.is_none()
            && object.local
            && object.visibility != kith_storage::Visibility::Direct
            && !matches!(object.kind, ObjectKind::Event | ObjectKind::Question)
        {
            let mut doc = kith_federation::actions::posts::object_document(&object)?;
            kith_federation::outbound::addressing::address_to_members(&mut doc, &group.id);
            return Ok(access::mark(group, activity_json(&doc)));
        }
        let response = object_response(&state, &object, &headers, &viewer, done).await?;
        if wants_activity_json(&headers) {
            return Ok(access::mark(group, to_members(response, &group.id).await));
        }
        return Ok(access::mark(group, response));
    }
    object_response(&state, &object, &headers, &viewer, done).await
}

/// A private group's event or poll document, readdressed to the members as it was delivered
/// (`addressing::address_to_members`); any other answer as it is.
async fn to_members(response: Response, group_id: &str) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 * 1024 * 1024).await else {
        return ApiError::Internal("an event document too large to serve".into()).into_response();
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut doc) if parts.status.is_success() => {
            kith_federation::outbound::addressing::address_to_members(&mut doc, group_id);
            let mut response = activity_json(&doc);
            for (name, value) in &parts.headers {
                if name != axum::http::header::CONTENT_LENGTH {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
            response
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// A post, event or poll at its id, once the asker may read it.
async fn object_response(
    state: &AppState,
    object: &kith_storage::StoredObject,
    headers: &HeaderMap,
    viewer: &Viewer,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    // A direct message (the group's answer to one person, perhaps with an event's online link)
    // went to its addressee alone and is served to nobody.
    if !object.local || object.visibility == kith_storage::Visibility::Direct {
        return Err(ApiError::NotFound);
    }
    // A post held for the group's moderators is not published: they see it in their queue;
    // at its id, as a page or a document, it does not exist until it is released.
    if object.held_reason.is_some() {
        return Err(ApiError::NotFound);
    }
    if object.deleted_at.is_none()
        && matches!(object.kind, ObjectKind::Event | ObjectKind::Question)
    {
        return crate::events::event_or_poll(state, object, headers, viewer, done).await;
    }
    if wants_activity_json(headers) {
        return Ok(activity_json(
            &kith_federation::actions::posts::object_document(object)?,
        ));
    }
    if object.deleted_at.is_some() {
        return Ok(plain_page(
            "Deleted",
            "",
            "<p>This post was deleted.</p>",
            &object.id,
        ));
    }
    pages::thread_page(state, viewer, object, done).await
}
