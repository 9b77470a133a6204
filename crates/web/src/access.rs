//! Who may read a members-only or hidden group's content (issue 26; FEDERATION.md, Non-public
//! groups): a logged-in accepted member, or a `GET` signed by an actor of a server that holds an
//! accepted member (kith-federation `authorised_fetch`). Everyone else is answered 404, as if
//! the content did not exist. Checked on every request against the database, so a leave or a
//! ban counts at once.
//!
//! A public group costs nothing here: its visibility comes with the actor row the handler
//! loaded anyway. Every answer about a non-public group says `Cache-Control: private, no-store`
//! (so the document cache, `cache.rs`, never stores nor serves it to anyone else) and
//! `X-Robots-Tag: noindex`.

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::Response;
use kith_federation::inbound::authorised_fetch;
use kith_storage::{Account, Actor, Visibility};

use crate::{ApiError, AppState};

/// Who asks, as far as a group's visibility cares.
#[derive(Clone, Copy, Debug)]
pub struct Asker<'a> {
    /// The logged-in account, if any (a session cookie or a bearer token).
    pub account: Option<&'a Account>,
    /// The request's headers (its signature, if any).
    pub headers: &'a HeaderMap,
    /// The request's path and query, as signed.
    pub uri: &'a Uri,
}

/// What the one asking may do with a group: read its content, and know that it exists.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Always for a public group; for a members-only or hidden group, an accepted member or
    /// a member's server.
    pub read: bool,
    /// Always but for a hidden group, which only its readers, local people holding an open
    /// invitation and the servers of people elsewhere holding one know exists.
    pub know: bool,
}

/// The one asking's [`Standing`] with the group, its signature checked at most once.
pub async fn standing(
    state: &AppState,
    group: &Actor,
    asker: Asker<'_>,
) -> Result<Standing, ApiError> {
    let all = Standing {
        read: true,
        know: true,
    };
    if group.is_public() {
        return Ok(all);
    }
    let outsider = Standing {
        read: false,
        know: !group.is_hidden(),
    };
    if let Some(account) = asker.account {
        let db = &state.ctx.db;
        if db.is_accepted_member(&group.id, &account.actor_id).await? {
            return Ok(all);
        }
        // A local person invited by name may see the group's page (its public part).
        if group.is_hidden()
            && db
                .is_invitee(&group.id, &account.actor_id, kith_storage::now_millis())
                .await?
        {
            return Ok(Standing {
                read: false,
                know: true,
            });
        }
    }
    let Some(signer) = signer(state, asker).await else {
        return Ok(outsider);
    };
    let server = authorised_fetch::server_standing(&state.ctx, group, &signer).await?;
    Ok(Standing {
        read: server.read,
        know: outsider.know || server.know,
    })
}

/// Whether the one asking may read the group's content ([`Standing::read`]).
pub async fn may_read(state: &AppState, group: &Actor, asker: Asker<'_>) -> Result<bool, ApiError> {
    Ok(standing(state, group, asker).await?.read)
}

/// `Ok` when the one asking may read the group's content, else [`ApiError::NotFound`].
pub async fn require_read(
    state: &AppState,
    group: &Actor,
    asker: Asker<'_>,
) -> Result<(), ApiError> {
    if may_read(state, group, asker).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `Ok` when the group may be known to the one asking ([`Standing::know`]), else
/// [`ApiError::NotFound`], as for a name never taken.
pub async fn require_known(
    state: &AppState,
    group: &Actor,
    asker: Asker<'_>,
) -> Result<(), ApiError> {
    if standing(state, group, asker).await?.know {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The remote actor whose valid signature the request carries.
async fn signer(state: &AppState, asker: Asker<'_>) -> Option<Actor> {
    let path = asker
        .uri
        .path_and_query()
        .map_or_else(|| asker.uri.path().to_owned(), |p| p.as_str().to_owned());
    authorised_fetch::signer_of_get(&state.ctx, &path, asker.headers).await
}

/// Marks an answer about a non-public group as for its asker alone, never cached nor indexed;
/// an answer about a public group is left as it is.
pub fn mark(group: &Actor, response: Response) -> Response {
    if group.is_public() {
        response
    } else {
        for_asker_alone(response)
    }
}

/// Marks an answer as for its asker alone: `Cache-Control: private, no-store` (no cache keeps
/// it, `cache.rs` included) and `X-Robots-Tag: noindex`.
pub fn for_asker_alone(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// Whether the one asking may see a kept remote object: anything public or unlisted (`false`:
/// nothing private about it); what a followed remote group shared with its followers only (a
/// private community's post, a followers-only event) only to a local person who follows that
/// group or belongs to a local group that does (`true`: a private answer, to be marked).
/// Everyone else gets [`ApiError::NotFound`].
pub async fn require_remote_visible(
    state: &AppState,
    object: &kith_storage::StoredObject,
    account: Option<&Account>,
) -> Result<bool, ApiError> {
    let open = [Visibility::Public, Visibility::Unlisted];
    if object.local || open.contains(&object.visibility) {
        return Ok(false);
    }
    let Some(group_id) = object.group_id.as_deref() else {
        return Err(ApiError::NotFound);
    };
    // A member's non-public post in a local members-only group: who may read it is the
    // group's rule ([`require_read`]), checked by the caller for the whole thread.
    if state.ctx.db.actor_by_id_cached(group_id).await?.local {
        return Ok(false);
    }
    let Some(account) = account else {
        return Err(ApiError::NotFound);
    };
    if state
        .ctx
        .db
        .may_see_remote_private(group_id, &account.actor_id)
        .await?
    {
        Ok(true)
    } else {
        Err(ApiError::NotFound)
    }
}

/// A thread as the one asking may see it ([`require_remote_visible`] for its root and for each
/// reply): `NotFound` when the root is hidden from them, a reply hidden from them left out
/// (a followed remote group's followers-only reply can sit in a public thread); whether any
/// post kept is private to them (the answer is then marked `private, no-store`).
pub async fn visible_thread(
    state: &AppState,
    root: &kith_storage::StoredObject,
    replies: Vec<kith_storage::StoredObject>,
    account: Option<&Account>,
) -> Result<(Vec<kith_storage::StoredObject>, bool), ApiError> {
    let mut private = require_remote_visible(state, root, account).await?;
    let mut kept = Vec::with_capacity(replies.len());
    for reply in replies {
        match require_remote_visible(state, &reply, account).await {
            Ok(mine) => {
                private |= mine;
                kept.push(reply);
            }
            Err(ApiError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    Ok((kept, private))
}

/// Marks an answer as for its asker alone when it shows something private to them.
pub fn mark_private(mut response: Response, private: bool) -> Response {
    if private {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}
