//! `/g/NAME/followers_synchronization`: a members-only or hidden group's partial followers
//! collection for one server (FEP-8fcf; kith-federation `followers_sync`). Answered only to a
//! `GET` signed by an actor of a server that holds accepted members (the same rule as the
//! group's content), listing that server's own members and no one else; 404 otherwise, and
//! for a public group (which sends no `Collection-Synchronization` header).

use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use kith_federation::{inbound::authorised_fetch, outbound::followers_sync};
use kith_storage::Actor;

use super::activity_json;
use crate::access;
use crate::{ApiError, AppState};

/// The partial followers collection of `group` for the signer's server.
pub async fn partial_followers(
    state: &AppState,
    group: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Response, ApiError> {
    if group.is_public() {
        return Err(ApiError::NotFound);
    }
    let ctx = &state.ctx;
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let Some(signer) = authorised_fetch::signer_of_get(ctx, &path, headers).await else {
        return Err(ApiError::NotFound);
    };
    if !authorised_fetch::server_may_read(ctx, group, &signer).await? {
        return Err(ApiError::NotFound);
    }
    let doc = followers_sync::partial_collection(ctx, group, &signer).await?;
    Ok(access::mark(group, activity_json(&doc)))
}
