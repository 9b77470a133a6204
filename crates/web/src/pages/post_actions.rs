//! Moderation in place: an organiser removes a post from where it is shown, and an author
//! edits or deletes their own; both go back to the group's page. Open reports of the post close with it
//! (the action closes them in its transaction). And where a mention in a post leads.

use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{group_safety, post_edits};
use serde::Deserialize;

use super::{OrPage, PageError, see_other};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/remove", post(remove_post))
        .route("/posts/delete", post(delete_post))
        .route("/posts/edit", post(edit_post))
        .route("/mention/{handle}", get(mention))
}

/// A mention's link (`linkify`): to the person or group's page here, or their profile
/// elsewhere, when Kith knows them; nothing is fetched for a page view.
async fn mention(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(handle): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    let actor = kith_federation::actions::acting::find_actor(&state.ctx, &handle)
        .await
        .or_page(&state, &viewer)?;
    // A hidden group is not known to outsiders: no redirect that would tell it exists.
    let asker = crate::access::Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    crate::access::require_known(&state, &actor, asker)
        .await
        .or_page(&state, &viewer)?;
    match super::views::actor_url(&actor) {
        Some(url) => Ok(see_other(&url)),
        None => Err(PageError::new(&state, &viewer, crate::ApiError::NotFound)),
    }
}

#[derive(Deserialize)]
struct PostForm {
    csrf: String,
    /// The post's id.
    post: String,
    #[serde(default)]
    reason: String,
    /// `moderation` to go back to the moderation page (acting on a report) instead.
    #[serde(default)]
    back: String,
}

/// Back to the group the post was in, or to the moderation page.
fn back(object: &kith_storage::StoredObject, to: &str, done: &str) -> Response {
    let page = match to {
        "moderation" => "/moderation",
        _ => object.group_id.as_deref().unwrap_or("/"),
    };
    see_other(&format!("{page}?done={done}"))
}

async fn remove_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PostForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let reason = Some(form.reason.as_str());
    let object = group_safety::remove_post(&state.ctx, &form.post, reason, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    Ok(back(&object, &form.back, "removed"))
}

async fn delete_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PostForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let object = group_safety::delete_own_post(&state.ctx, &form.post, account)
        .await
        .or_page(&state, &viewer)?;
    Ok(back(&object, &form.back, "post-deleted"))
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    /// The post's id.
    post: String,
    text: String,
}

/// An author edits their post: back to its thread.
async fn edit_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let object = post_edits::edit_own_post(&state.ctx, &form.post, &form.text, account)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!(
        "{}?done=saved",
        super::views::thread_url(&object)
    )))
}
