//! The actor behind a signature's `keyId`, in every shape servers publish keys:
//!
//! - `<actor>#main-key` (Mastodon, Lemmy, Kith, Fedify): the key's URL answers the actor;
//! - a key URL of its own answering a *stub actor* — `{id, type, preferredUsername, publicKey:
//!   {id, owner, publicKeyPem}}` with no `inbox` (GoToSocial's `/users/NAME/main-key`);
//! - a key object with a top-level `owner` (or FEP-521a `controller`);
//! - `publicKey` as an array, and FEP-521a `assertionMethod` Multikeys beside it.
//!
//! Whatever the key document says, the owner is fetched as a full actor and must publish the
//! key itself, on the key's host. A `keyId`'s query string names no other key: the key is
//! looked up with and without it, and the owner may publish either. A `keyId` that failed to
//! resolve is not fetched again for [`FAILED_KEY_TTL`](crate::signatures::FAILED_KEY_TTL) (a bounded negative cache), so unknown
//! keys cannot make Kith fetch on every request.

use kith_storage::{Actor, StorageError};
use url::Url;

use crate::outbound::fetch::{fetch_json, resolve_actor, store_actor};
use crate::protocol::{host_of, key_owner};
use crate::signatures::{Reason, Refusal};
use crate::{Context, FederationError};

/// A key's owner, and the key's id as the owner publishes it.
#[derive(Debug)]
pub struct KeyOwner {
    /// The actor that publishes the key.
    pub actor: Actor,
    /// The key's id as stored (the `keyId` itself, or it without its query).
    pub key_id: String,
}

/// A `keyId` without its query and fragment: what the negative cache is keyed by.
fn normalised(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.into()
}

/// The ids a `keyId` may be stored under: itself, then without its query.
fn candidate_ids(key_id: &str, url: &Url) -> Vec<String> {
    let mut ids = vec![key_id.to_owned()];
    if url.query().is_some() {
        let mut plain = url.clone();
        plain.set_query(None);
        ids.push(plain.into());
    }
    ids
}

/// The actor that owns a `keyId` (see the module). `refresh` fetches the key again even when
/// known (a signature failed to verify: the key may have rotated).
pub async fn actor_for_key(
    ctx: &Context,
    key_id: &str,
    refresh: bool,
) -> Result<KeyOwner, Refusal> {
    let url = Url::parse(key_id)
        .map_err(|e| Refusal::new(Reason::Malformed, format!("keyId {key_id:?}: {e}")))?;
    let candidates = candidate_ids(key_id, &url);
    if !refresh {
        for id in &candidates {
            match ctx.db.actor_by_key_id_cached(id).await {
                Ok(actor) => {
                    return Ok(KeyOwner {
                        actor,
                        key_id: id.clone(),
                    });
                }
                Err(StorageError::NotFound) => {}
                Err(other) => return Err(internal(other.into())),
            }
        }
    }
    let cache_key = normalised(&url);
    if let Some(failure) = ctx.failed_keys().get(&cache_key).await {
        return Err(failure.refusal());
    }
    let result = fetch_owner(ctx, key_id, &url, &candidates).await;
    if let Err(refusal) = &result
        && let Some(failure) = crate::signatures::KeyFailure::from_refusal(refusal)
    {
        ctx.failed_keys().insert(cache_key, failure).await;
    }
    result
}

async fn fetch_owner(
    ctx: &Context,
    key_id: &str,
    url: &Url,
    candidates: &[String],
) -> Result<KeyOwner, Refusal> {
    let mut document = url.clone();
    document.set_fragment(None);
    let doc = fetch_json(ctx, document.as_str())
        .await
        .map_err(fetch_refusal)?;
    let actor = if doc.get("inbox").is_some() {
        store_actor(ctx, &doc).await.map_err(fetch_refusal)?
    } else {
        let owner = candidates
            .iter()
            .find_map(|id| key_owner(&doc, id))
            .ok_or_else(|| {
                Refusal::new(
                    Reason::KeyShapeUnsupported,
                    format!("{key_id} answers a document that names no owner"),
                )
            })?;
        if host_of(&owner) != host_of(key_id) {
            return Err(Refusal::new(
                Reason::KeyOwnedElsewhere,
                format!("{key_id} names an owner on another host, {owner}"),
            ));
        }
        resolve_actor(ctx, &owner, true)
            .await
            .map_err(fetch_refusal)?
    };
    let published = ctx
        .db
        .keys_of_actor(&actor.id)
        .await
        .map_err(|e| internal(e.into()))?;
    let stored = candidates
        .iter()
        .find(|id| published.iter().any(|k| &k.key_id == *id))
        .ok_or_else(|| {
            Refusal::new(
                Reason::KeyNotPublished,
                format!("{} does not publish the key {key_id}", actor.id),
            )
        })?;
    Ok(KeyOwner {
        key_id: stored.clone(),
        actor,
    })
}

/// Why fetching a key or its owner failed, as a counted refusal.
fn fetch_refusal(error: FederationError) -> Refusal {
    let reason = match &error {
        FederationError::NotFound(_) | FederationError::Gone(_) => Reason::KeyNotFound,
        FederationError::Remote(_) => Reason::KeyUnreachable,
        FederationError::Storage(_) | FederationError::Internal(_) => return internal(error),
        FederationError::Forbidden(_) => Reason::KeyOwnedElsewhere,
        _ => Reason::KeyShapeUnsupported,
    };
    match error {
        // Kept as they are: 404/410 let a deleted actor's farewell through, 502 asks for a retry.
        FederationError::NotFound(_) | FederationError::Gone(_) | FederationError::Remote(_) => {
            Refusal::with_error(reason, error)
        }
        other => Refusal::new(reason, other),
    }
}

fn internal(error: FederationError) -> Refusal {
    Refusal::with_error(Reason::Internal, error)
}
