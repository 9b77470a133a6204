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
    describe(ctx, &lookup_actor(ctx, resource).await?.actor).await
}

/// A local actor a WebFinger `resource` named.
#[derive(Clone, Debug)]
pub struct Found {
    /// The actor.
    pub actor: Actor,
    /// Asked for by a hidden group's secret name: whoever asks holds the name, and may know
    /// of the group (`crate::actions::invitations::follow_name`).
    pub by_secret_name: bool,
}

/// The local actor a WebFinger `resource` names (`acct:NAME@DOMAIN`, a hidden group's secret
/// `acct:NAME.SECRET@DOMAIN`, or an id), for callers that decide whether the asker may know of
/// it (a hidden group) before describing it with [`describe`].
pub async fn lookup_actor(ctx: &Context, resource: &str) -> Result<Found> {
    let found = |actor| Found {
        actor,
        by_secret_name: false,
    };
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
                return Ok(found(
                    crate::actions::group_digest::served(ctx, group).await?.1,
                ));
            }
            // Names with a dot are never a person's or a group's: a hidden group's secret one?
            Err(StorageError::NotFound) if name.contains('.') => {
                if let Some(group) = secret_named(ctx, name).await? {
                    return Ok(Found {
                        actor: group,
                        by_secret_name: true,
                    });
                }
                Err(StorageError::NotFound)
            }
            other => other,
        }
    };
    match actor {
        Ok(actor) if actor.local => {
            crate::actions::group_digest::check_served(ctx, &actor).await?;
            Ok(found(actor))
        }
        Ok(_) | Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "no actor here for {resource:?}"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// The hidden local group whose secret name this is (servers may ask in any case).
async fn secret_named(ctx: &Context, name: &str) -> Result<Option<Actor>> {
    let group_id = match ctx.db.group_of_handle(&name.to_lowercase()).await {
        Err(StorageError::NotFound) => return Ok(None),
        other => other?,
    };
    match ctx.db.actor(&group_id).await {
        Ok(group) if group.local && group.is_hidden() => Ok(Some(group)),
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The JRD of a local actor. A hidden group's subject is its secret name, the
/// `preferredUsername` its documents carry: Mastodon follows a subject that differs from the
/// name asked and requires it to name the actor (docs/protocol.md, Hidden groups).
pub async fn describe(ctx: &Context, actor: &Actor) -> Result<Jrd> {
    let name = if actor.kind == kith_storage::ActorKind::Group {
        crate::actions::invitations::follow_name(ctx, actor).await?
    } else {
        actor.username.clone()
    };
    let id = Url::parse(&actor.id)
        .map_err(|e| FederationError::Internal(format!("stored id {:?}: {e}", actor.id)))?;
    let mut jrd = build_webfinger_response_with_type(
        format!("acct:{name}@{}", ctx.urls().domain()),
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
