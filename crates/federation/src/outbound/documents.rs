//! The ActivityPub documents Kith serves at its ids: actors and the collections hung on them.

use kith_storage::{Actor, ActorKind, MemberState, PostPolicy, StoredObject};
use serde_json::Value;

use crate::outbound::software::Dialect;
use crate::protocol::{
    ActorDocument, Collection, CollectionPage, Endpoints, ImageRef, PublicKey, context, rfc3339,
};
use activitypub_federation::protocol::tombstone::Tombstone;
use url::Url;

use crate::sanitize::plain_to_html;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, names, outbound::announce};

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// The document of a local actor.
pub async fn actor_document(ctx: &Context, actor: &Actor) -> Result<ActorDocument> {
    actor_document_for(ctx, actor, Dialect::Unknown).await
}

/// A group's avatar and banner as its document's `icon` and `image`. A hidden group's are
/// named by their capability URL (`media::capability_url`): its documents reach only its
/// members and their servers, and Mastodon fetches avatars unsigned, so the plain URL (its
/// members' alone) would show them nothing.
pub(crate) fn group_pictures(
    ctx: &Context,
    group: &Actor,
    pictures: &[kith_storage::Picture],
) -> (Option<ImageRef>, Option<ImageRef>) {
    let of = |role: kith_storage::PictureRole| {
        pictures.iter().find(|p| p.role == role).map(|p| ImageRef {
            kind: "Image",
            url: match &p.capability {
                Some(cap) if group.is_hidden() => {
                    crate::media::capability_url(ctx, cap, &p.hash, &p.content_type)
                }
                _ => crate::media::url(ctx, &p.hash, &p.content_type),
            },
            media_type: p.content_type.clone(),
            name: p.alt.clone(),
        })
    };
    (
        of(kith_storage::PictureRole::Avatar),
        of(kith_storage::PictureRole::Banner),
    )
}

/// The document of a local actor as `reader` is served it. A Lemmy reader is told that a group
/// does not approve its members: Lemmy 1.0 reads `manuallyApprovesFollowers: true` as a
/// private community and then refuses the group's public posts
/// (LemmyNet/lemmy `crates/apub/objects/src/utils/functions.rs`, `community_visibility` and
/// `verify_visibility`), while a Lemmy user's follow waits for Kith's `Accept` anyway, so an
/// organiser still approves each of them. Every other reader gets the flag as it is (Mastodon
/// shows a pending request by it). A members-only or hidden group is told to Lemmy as it is:
/// a private community, whose content Lemmy takes only when not public.
pub async fn actor_document_for(
    ctx: &Context,
    actor: &Actor,
    reader: Dialect,
) -> Result<ActorDocument> {
    if !actor.local {
        return Err(FederationError::NotFound(actor.id.clone()));
    }
    // Every actor Kith serves has a name every server reads (no `:` or `/`).
    names::check_served(&actor.username)?;
    let group = actor.kind == ActorKind::Group;
    let restricted = if group {
        let settings = ctx.db.group_settings(&actor.id).await?;
        Some(settings.post_policy == PostPolicy::Moderators)
    } else {
        None
    };
    let pictures = if group {
        ctx.db.pictures_of(&actor.id).await?
    } else {
        Vec::new()
    };
    let (icon, image) = group_pictures(ctx, actor, &pictures);
    // A hidden group goes by its secret name, which only its members' and invitees' servers
    // learn: Mastodon confirms the name with an unsigned WebFinger look-up, answered to
    // whoever asks by it (`actions::invitations::follow_name`).
    let preferred_username = if group {
        crate::actions::invitations::follow_name(ctx, actor).await?
    } else {
        actor.username.clone()
    };
    Ok(ActorDocument {
        context: context(),
        id: actor.id.clone(),
        kind: actor.kind.as_str().to_owned(),
        preferred_username,
        name: Some(
            actor
                .display_name
                .clone()
                .unwrap_or_else(|| actor.username.clone()),
        ),
        summary: actor.summary.as_deref().map(plain_to_html),
        url: actor.url.clone().unwrap_or_else(|| actor.id.clone()),
        inbox: actor.inbox_url.clone(),
        outbox: Urls::outbox(&actor.id),
        followers: Urls::followers(&actor.id),
        featured: group.then(|| Urls::featured(&actor.id)),
        attributed_to: group.then(|| Urls::moderators(&actor.id)),
        endpoints: Endpoints {
            shared_inbox: Some(ctx.urls().shared_inbox()),
        },
        // A members-only or hidden group is a private community to Lemmy 1.0, which then
        // takes only its non-public posts (`private_copy`).
        manually_approves_followers: actor.manually_approves_followers
            && !(group && reader == Dialect::Lemmy && actor.is_public()),
        // Directories and search are for public groups (a private one's pages are `noindex`).
        discoverable: actor.kind != ActorKind::Application && (!group || actor.is_public()),
        posting_restricted_to_mods: restricted,
        icon,
        image,
        public_key: PublicKey {
            id: actor.key_id.clone(),
            owner: actor.id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
        published: rfc3339(actor.created_at),
    })
}

/// Which page of a collection is asked for.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    /// `?page=…` was given: serve a page, not the collection.
    pub page: bool,
    /// The keyset cursor from the previous page's `next`.
    pub cursor: Option<String>,
}

/// A group's followers collection: how many accepted members it has, never who they are. No
/// server needs the list to deliver to the group (Lemmy serves its communities' followers the
/// same way, `totalItems` only), and a list anyone can read tells strangers who belongs to a
/// support circle. Moderators see the members on the group's pages.
pub async fn followers(ctx: &Context, actor: &Actor) -> Result<Value> {
    let total = ctx
        .db
        .count_members(&actor.id, MemberState::Accepted)
        .await?;
    to_value(Collection {
        first: None,
        ..collection(&Urls::followers(&actor.id), total)
    })
}

/// A group's outbox: what it announced, newest first, paged by publication time; a Lemmy
/// `reader` gets the items in Lemmy's shape.
pub async fn outbox(
    ctx: &Context,
    actor: &Actor,
    req: &PageRequest,
    reader: Dialect,
) -> Result<Value> {
    let id = Urls::outbox(&actor.id);
    let total = ctx.db.count_group_outbox(&actor.id).await?;
    if !req.page {
        return to_value(collection(&id, total));
    }
    let before = req.cursor.as_deref().and_then(|c| c.parse().ok());
    let rows = ctx
        .db
        .group_outbox_page(&actor.id, before, PAGE_SIZE)
        .await?;
    let next = (rows.len() as i64 == PAGE_SIZE)
        .then(|| {
            rows.last()
                .map(|o| page_url(&id, &o.published_at.to_string()))
        })
        .flatten();
    let items = rows
        .iter()
        .map(|o| announce::outbox_item(actor, o, reader))
        .collect::<Result<Vec<_>>>()?;
    to_value(page(&id, req, total, next, items))
}

/// A group's moderators (its owner and moderators), unpaged.
pub async fn moderators(ctx: &Context, actor: &Actor) -> Result<Value> {
    let items: Vec<Value> = ctx
        .db
        .moderators(&actor.id)
        .await?
        .into_iter()
        .map(Value::String)
        .collect();
    to_value(Collection {
        ordered_items: Some(items.clone()),
        ..collection(&Urls::moderators(&actor.id), items.len() as i64)
    })
}

/// A group's pinned posts. Pinning is not offered yet, so the collection is empty; Mastodon
/// reads it for every group it shows.
pub fn featured(actor: &Actor) -> Result<Value> {
    to_value(Collection {
        ordered_items: Some(Vec::new()),
        ..collection(&Urls::featured(&actor.id), 0)
    })
}

/// The replies a group keeps for one of its posts, oldest first, paged by publication time.
pub async fn replies(
    ctx: &Context,
    group: &Actor,
    object: &StoredObject,
    req: &PageRequest,
) -> Result<Value> {
    if object.group_id.as_deref() != Some(group.id.as_str()) || object.held_reason.is_some() {
        return Err(FederationError::NotFound(object.id.clone()));
    }
    let id = Urls::replies(&group.id, &object.id);
    let total = ctx.db.count_replies(&object.id).await?;
    if !req.page {
        return to_value(collection(&id, total));
    }
    let after = req.cursor.as_deref().and_then(|c| c.parse().ok());
    let rows = ctx.db.replies_page(&object.id, after, PAGE_SIZE).await?;
    let next = (rows.len() as i64 == PAGE_SIZE)
        .then(|| {
            rows.last()
                .map(|o| page_url(&id, &o.published_at.to_string()))
        })
        .flatten();
    let items = rows.into_iter().map(|o| Value::String(o.id)).collect();
    to_value(page(&id, req, total, next, items))
}

fn collection(id: &str, total: i64) -> Collection {
    Collection {
        context: context(),
        id: id.to_owned(),
        kind: "OrderedCollection",
        total_items: total,
        first: Some(first_page(id)),
        ordered_items: None,
    }
}

fn page(
    id: &str,
    req: &PageRequest,
    total: i64,
    next: Option<String>,
    items: Vec<Value>,
) -> CollectionPage {
    CollectionPage {
        context: context(),
        id: req
            .cursor
            .as_deref()
            .map_or_else(|| first_page(id), |c| page_url(id, c)),
        kind: "OrderedCollectionPage",
        part_of: id.to_owned(),
        total_items: total,
        next,
        ordered_items: items,
    }
}

fn separator(id: &str) -> char {
    if id.contains('?') { '&' } else { '?' }
}

fn first_page(id: &str) -> String {
    format!("{id}{}page=true", separator(id))
}

fn page_url(id: &str, cursor: &str) -> String {
    let mut url = format!("{id}{}page=true&cursor=", separator(id));
    url.extend(url::form_urlencoded::byte_serialize(cursor.as_bytes()));
    url
}

fn to_value(doc: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(doc).map_err(|e| FederationError::BadRequest(e.to_string()))
}

/// The tombstone served at a deleted object's id.
pub fn tombstone(object: &StoredObject) -> Result<Value> {
    /// activitypub_federation's tombstone, with what Mastodon also reads: the type the object
    /// had and when it was deleted.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Served<'a> {
        #[serde(rename = "@context")]
        context: Value,
        #[serde(flatten)]
        tombstone: Tombstone,
        former_type: &'a str,
        deleted: Option<String>,
    }
    let id = Url::parse(&object.id)
        .map_err(|e| FederationError::Internal(format!("stored id {:?}: {e}", object.id)))?;
    to_value(Served {
        context: context(),
        tombstone: Tombstone::new(id),
        former_type: object.kind.as_str(),
        deleted: object.deleted_at.map(rfc3339),
    })
}
