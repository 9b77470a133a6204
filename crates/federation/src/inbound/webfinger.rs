//! WebFinger (RFC 7033) for local actors: people, groups and the instance actor share one
//! namespace, so `acct:NAME@DOMAIN` always names exactly one of them. Mastodon looks an actor
//! up by `preferredUsername@host` and expects the same id back (docs/protocol.md, Discovery).

use activitypub_federation::fetch::webfinger::build_webfinger_response_with_type;
use kith_storage::{Actor, StorageError};
use url::Url;

use crate::protocol::SUBSCRIBE_REL;
use crate::{Context, FederationError, Result};

/// The JSON Resource Descriptor Kith answers with: activitypub_federation's, which Lemmy serves
/// too (the self link carries the actor's type as a property, so a client can tell a person from
/// a group in a shared namespace).
pub use activitypub_federation::fetch::webfinger::{Webfinger as Jrd, WebfingerLink as JrdLink};

/// Answers a WebFinger query for `resource`: `acct:NAME@DOMAIN` (the `acct:` may be left out,
/// and a leading `@` is tolerated) or the actor's id. Unknown actors and other domains are
/// [`FederationError::NotFound`]; a resource that is neither form is
/// [`FederationError::BadRequest`].
pub async fn lookup(ctx: &Context, resource: &str) -> Result<Jrd> {
    descriptor(ctx, &lookup_actor(ctx, resource).await?)
}

/// The local actor a WebFinger `resource` names (`acct:NAME@DOMAIN` or an id), for callers
/// that decide whether the asker may know of it (a hidden group) before describing it with
/// [`describe`].
pub async fn lookup_actor(ctx: &Context, resource: &str) -> Result<Actor> {
    let resource = resource.trim();
    let actor = if resource.starts_with("https://") || resource.starts_with("http://") {
        ctx.db.actor(resource).await
    } else {
        let handle = resource.strip_prefix("acct:").unwrap_or(resource);
        let handle = handle.strip_prefix('@').unwrap_or(handle);
        let (name, domain) = handle.rsplit_once('@').ok_or_else(|| {
            FederationError::BadRequest(format!("resource {resource:?} is not acct:NAME@DOMAIN"))
        })?;
        let scheme = ctx.urls().base().scheme();
        if kith_storage::domains::parse_host(domain, scheme).as_deref() != Some(ctx.urls().domain())
        {
            return Err(FederationError::NotFound(format!(
                "{domain} is not this instance"
            )));
        }
        match ctx.db.local_actor_by_username(name).await {
            // A public group's digest actor is made when first looked up.
            Err(StorageError::NotFound)
                if crate::actions::group_digest::group_name_of(name).is_some() =>
            {
                let group = crate::actions::group_digest::group_name_of(name).unwrap_or_default();
                return Ok(crate::actions::group_digest::served(ctx, group).await?.1);
            }
            other => other,
        }
    };
    match actor {
        Ok(actor) if actor.local => {
            crate::actions::group_digest::check_served(ctx, &actor).await?;
            Ok(actor)
        }
        Ok(_) | Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "no actor here for {resource:?}"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// The JRD of a local actor.
pub fn describe(ctx: &Context, actor: &Actor) -> Result<Jrd> {
    descriptor(ctx, actor)
}

fn descriptor(ctx: &Context, actor: &Actor) -> Result<Jrd> {
    let id = Url::parse(&actor.id)
        .map_err(|e| FederationError::Internal(format!("stored id {:?}: {e}", actor.id)))?;
    let mut jrd = build_webfinger_response_with_type(
        format!("acct:{}@{}", actor.username, ctx.urls().domain()),
        vec![(id.clone(), Some(actor.kind.as_str()))],
    );
    jrd.aliases = vec![id];
    if let Some(page) = actor.url.as_deref().and_then(|p| Url::parse(p).ok()) {
        jrd.links.push(JrdLink {
            rel: Some("http://webfinger.net/rel/profile-page".into()),
            kind: Some("text/html".into()),
            href: Some(page),
            ..JrdLink::default()
        });
    }
    // Where someone of this instance answers a "follow from your account" button elsewhere.
    jrd.links.push(JrdLink {
        rel: Some(SUBSCRIBE_REL.into()),
        template: Some(format!(
            "{}authorize_interaction?uri={{uri}}",
            ctx.urls().base()
        )),
        ..JrdLink::default()
    });
    Ok(jrd)
}

/// The host-meta document (XRD) for clients that look WebFinger up through it.
pub fn host_meta(ctx: &Context) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}.well-known/webfinger?resource={{uri}}\"/>\n\
         </XRD>\n",
        ctx.urls().base()
    )
}
