//! Fetching from other servers: documents by id (signed with the instance actor, for servers in
//! authorized-fetch mode), remote actors and their keys, and WebFinger handles.

use kith_storage::{Actor, ActorKind, NewActor, NewKey, StorageError, now_millis};
use serde_json::Value;
use url::Url;

use crate::context::client::MAX_BODY;
use crate::protocol::{Handle, RemoteActor, host_of};
use crate::untrusted;
use crate::{ACTIVITY_JSON, Context, FederationError, Result, signatures};

/// How long a stored remote actor is trusted before it is fetched again.
const ACTOR_REFRESH_MS: i64 = 24 * 60 * 60 * 1000;

/// Fetches an ActivityPub document. The document's `id` must be on the host it came from.
pub async fn fetch_json(ctx: &Context, url: &str) -> Result<Value> {
    let key = instance_key(ctx).await?;
    fetch_json_with(ctx, url, &key).await
}

/// [`fetch_json`] signed as a local actor: a members-only group fetching a member's
/// non-public post, which Mastodon serves only to its author's followers and the actors it
/// mentions (`StatusPolicy#show?`), never to the instance actor.
pub async fn fetch_json_as(ctx: &Context, url: &str, signer: &Actor) -> Result<Value> {
    let key = ctx.signing_key(signer).await?;
    fetch_json_with(ctx, url, &key).await
}

async fn fetch_json_with(
    ctx: &Context,
    url: &str,
    key: &std::sync::Arc<signatures::SigningKey>,
) -> Result<Value> {
    let parsed = Url::parse(url).map_err(|e| FederationError::BadRequest(format!("{url}: {e}")))?;
    ctx.guard().check_url(&parsed)?;
    refuse_blocked(ctx, url).await?;
    let accept = format!(
        "{ACTIVITY_JSON}, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
    );
    let mut response = crate::outbound::knock::get(ctx, key, &parsed, &accept).await?;
    match response.status().as_u16() {
        200..=299 => {}
        404 => return Err(FederationError::NotFound(url.to_owned())),
        410 => return Err(FederationError::Gone(url.to_owned())),
        status => return Err(FederationError::Remote(format!("GET {url}: HTTP {status}"))),
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FederationError::Remote(format!("GET {url}: {e}")))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FederationError::TooLarge(MAX_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| FederationError::Remote(format!("GET {url}: not JSON: {e}")))?;
    let id = value.get("id").and_then(Value::as_str).unwrap_or_default();
    if host_of(id).is_none() || host_of(id) != host_of(response.url().as_str()) {
        return Err(FederationError::Forbidden(format!(
            "{url} served a document with id {id:?} from another host"
        )));
    }
    Ok(value)
}

/// The instance actor's signing key: cached after the first fetch, so fetching costs no
/// database read (the actor is made on first use, for admin commands run before any `serve`).
async fn instance_key(ctx: &Context) -> Result<std::sync::Arc<signatures::SigningKey>> {
    match ctx.signing_key_of(&ctx.urls().instance_actor()).await {
        Err(FederationError::Storage(StorageError::NotFound)) => {
            let instance = crate::outbound::instance_actor::ensure_instance_actor(ctx).await?;
            ctx.signing_key(&instance).await
        }
        other => other,
    }
}

/// A remote actor, from the database when fresh, else fetched and stored. `refresh` forces a
/// fetch (a signature failed: the key may have rotated).
pub async fn resolve_actor(ctx: &Context, id: &str, refresh: bool) -> Result<Actor> {
    match ctx.db.actor(id).await {
        Ok(actor) if actor.local => return Ok(actor),
        Ok(actor)
            if !refresh && actor.fetched_at.unwrap_or(0) + ACTOR_REFRESH_MS > now_millis() =>
        {
            return Ok(actor);
        }
        Ok(_) | Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let doc = fetch_json(ctx, id).await?;
    store_actor(ctx, &doc).await
}

/// Stores an actor document that was fetched from its own host.
pub async fn store_actor(ctx: &Context, doc: &Value) -> Result<Actor> {
    let remote: RemoteActor = serde_json::from_value(doc.clone())
        .map_err(|e| FederationError::BadRequest(format!("not an actor: {e}")))?;
    let kind = ActorKind::parse(&remote.kind).ok_or_else(|| {
        FederationError::BadRequest(format!("{} is not an actor type", remote.kind))
    })?;
    let domain = host_of(&remote.id)
        .ok_or_else(|| FederationError::BadRequest(format!("bad actor id {}", remote.id)))?;
    if domain == ctx.urls().domain() {
        return Err(FederationError::Forbidden(format!(
            "{} claims to be a local actor",
            remote.id
        )));
    }
    // Every key the actor publishes as its own, on its host; the first (`publicKey`, RSA on
    // every server known) is its main key.
    let keys: Vec<NewKey> = remote
        .published_keys()
        .into_iter()
        .map(|k| NewKey {
            key_id: k.id,
            public_key: k.public_key,
        })
        .collect();
    let main = keys.first().cloned().ok_or_else(|| {
        FederationError::BadRequest(format!("{} publishes no key of its own", remote.id))
    })?;
    // Names and the profile link are shown on pages: hidden controls dropped, and the link
    // kept only when it is http(s) (a `javascript:` profile link was stored XSS).
    let username = untrusted::clean_name_of(remote.preferred_username.as_deref())
        .unwrap_or_else(|| untrusted::clean_name(remote.id.rsplit('/').next().unwrap_or_default()));
    let actor = NewActor {
        username,
        display_name: untrusted::clean_name_of(remote.name.as_deref()),
        summary: remote
            .summary
            .as_deref()
            .map(|html| crate::sanitize::html(ctx.counters(), &remote.id, html)),
        url: untrusted::safe_link_of(remote.url.as_deref()),
        inbox_url: remote.inbox.clone(),
        shared_inbox_url: remote
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.clone()),
        outbox_url: remote.outbox.clone(),
        followers_url: remote.followers.clone(),
        key_id: main.key_id,
        public_key_pem: main.public_key,
        private_key_pem: None,
        manually_approves_followers: remote.manually_approves_followers.unwrap_or(false),
        data: Some(doc.to_string()),
        id: remote.id,
        kind,
        local: false,
        domain,
    };
    Ok(ctx.db.upsert_remote_actor_with_keys(&actor, &keys).await?)
}

/// The WebFinger document (JRD) of a remote handle (`@name@host` or `name@host`), parsed
/// strictly first ([`Handle`]): nothing but a name and a host reaches the URL.
pub async fn webfinger(ctx: &Context, handle: &str) -> Result<Value> {
    let scheme = if ctx.settings().dev { "http" } else { "https" };
    let handle = Handle::parse(handle, scheme)?;
    let url = handle.webfinger_url(scheme)?;
    ctx.guard().check_url(&url)?;
    refuse_blocked(ctx, url.as_str()).await?;
    let response = ctx
        .client()
        .get(url.clone())
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|e| FederationError::Remote(format!("WebFinger {handle}: {e}")))?;
    if !response.status().is_success() {
        return Err(FederationError::NotFound(format!(
            "WebFinger {handle}: HTTP {}",
            response.status()
        )));
    }
    response
        .json()
        .await
        .map_err(|e| FederationError::Remote(format!("WebFinger {handle}: {e}")))
}

/// Finds a remote actor by handle (`@name@host` or `name@host`) through WebFinger.
pub async fn webfinger_actor(ctx: &Context, handle: &str) -> Result<Actor> {
    let jrd = webfinger(ctx, handle).await?;
    let href = actor_link(&jrd)
        .ok_or_else(|| FederationError::NotFound(format!("{handle} has no ActivityPub actor")))?;
    resolve_actor(ctx, href, false).await
}

/// The actor a WebFinger document (JRD) points to: the `href` of its first `links` entry with
/// `rel` `self` and an ActivityPub media type. Anything else in the document is ignored.
pub fn actor_link(jrd: &Value) -> Option<&str> {
    jrd.get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|l| {
            l.get("rel").and_then(Value::as_str) == Some("self")
                && l.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with(ACTIVITY_JSON) || t.contains("activitystreams"))
        })
        .and_then(|l| l.get("href").and_then(Value::as_str))
}

/// Nothing is fetched from a blocked server: what it serves is not ingested.
async fn refuse_blocked(ctx: &Context, url: &str) -> Result<()> {
    let host = crate::protocol::host_of(url).unwrap_or_default();
    if ctx.db.domain_severity_cached(&host).await? == Some(kith_storage::DomainSeverity::Block) {
        return Err(FederationError::Forbidden(format!("{host} is blocked")));
    }
    Ok(())
}
