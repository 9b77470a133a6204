//! WebFinger (RFC 7033) for local actors: people, groups and the instance actor share one
//! namespace, so `acct:NAME@DOMAIN` always names exactly one of them. Mastodon looks an actor
//! up by `preferredUsername@host` and expects the same id back (docs/protocol.md, Discovery).

use kith_storage::{Actor, StorageError};
use serde::Serialize;

use crate::{ACTIVITY_JSON, Context, FederationError, Result};

/// The WebFinger relation of the remote-follow template (OStatus, still what Mastodon offers).
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";
/// The FEP-3b86 intent relation for following.
pub const FOLLOW_INTENT_REL: &str = "https://w3id.org/fep/3b86/Follow";

/// A JSON Resource Descriptor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Jrd {
    /// The `acct:` URI of the actor.
    pub subject: String,
    /// Other URIs of the actor: its id.
    pub aliases: Vec<String>,
    /// Where to find it.
    pub links: Vec<JrdLink>,
}

/// One link of a [`Jrd`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JrdLink {
    /// The relation.
    pub rel: String,
    /// The media type of the target.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The target.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub href: String,
    /// A URI template instead of a target (the remote-interaction link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// Answers a WebFinger query for `resource`: `acct:NAME@DOMAIN` (the `acct:` may be left out,
/// and a leading `@` is tolerated) or the actor's id. Unknown actors and other domains are
/// [`FederationError::NotFound`]; a resource that is neither form is
/// [`FederationError::BadRequest`].
pub async fn lookup(ctx: &Context, resource: &str) -> Result<Jrd> {
    Ok(descriptor(ctx, &lookup_actor(ctx, resource).await?))
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
pub fn describe(ctx: &Context, actor: &Actor) -> Jrd {
    descriptor(ctx, actor)
}

fn descriptor(ctx: &Context, actor: &Actor) -> Jrd {
    let mut links = vec![JrdLink {
        rel: "self".into(),
        media_type: Some(ACTIVITY_JSON.into()),
        href: actor.id.clone(),
        template: None,
    }];
    if let Some(page) = &actor.url {
        links.push(JrdLink {
            rel: "http://webfinger.net/rel/profile-page".into(),
            media_type: Some("text/html".into()),
            href: page.clone(),
            template: None,
        });
    }
    // Where someone of this instance answers a "follow from your account" button elsewhere.
    links.push(JrdLink {
        rel: SUBSCRIBE_REL.into(),
        media_type: None,
        href: String::new(),
        template: Some(format!(
            "{}authorize_interaction?uri={{uri}}",
            ctx.urls().base()
        )),
    });
    Jrd {
        subject: format!("acct:{}@{}", actor.username, ctx.urls().domain()),
        aliases: vec![actor.id.clone()],
        links,
    }
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
