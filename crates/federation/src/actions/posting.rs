//! What every post arriving from another server goes through: origin checks, addressing,
//! the group's posting policy, and storage.

use kith_storage::{
    Actor, ActorKind, DomainSeverity, MemberState, NewObject, ObjectKind, PostPolicy, StorageError,
    StoredObject, Tx, Visibility, now_millis,
};
use serde_json::Value;

use crate::protocol::{IncomingObject, host_of, is_public, parse_rfc3339};
use crate::{Context, FederationError, Result, outbound::fetch, sanitize, untrusted};

/// The object of an activity, trusted only when it comes from its author's host: an embedded
/// object from elsewhere, or one sent by id, is fetched from its own id.
pub async fn verified_object(ctx: &Context, object: &Value, sender: &Actor) -> Result<Value> {
    verified_object_as(ctx, object, sender, None).await
}

/// [`verified_object`], fetched signed as `signer` when given (a members-only group fetching
/// its member's non-public post), else as the instance actor.
pub async fn verified_object_as(
    ctx: &Context,
    object: &Value,
    sender: &Actor,
    signer: Option<&Actor>,
) -> Result<Value> {
    let id = crate::protocol::id_of(object)
        .ok_or_else(|| FederationError::BadRequest("an activity without an object".into()))?;
    let embedded = object.is_object() && object.get("type").is_some();
    let value = if embedded && host_of(id).as_deref() == Some(sender.domain.as_str()) {
        object.clone()
    } else if let Some(signer) = signer {
        fetch::fetch_json_as(ctx, id, signer).await?
    } else {
        fetch::fetch_json(ctx, id).await?
    };
    let author = value.get("attributedTo").and_then(crate::protocol::id_of);
    if let Some(author) = author
        && host_of(author) != host_of(id)
    {
        return Err(FederationError::Forbidden(format!(
            "{id} is attributed to an actor on another host"
        )));
    }
    Ok(value)
}

/// Reads a post document.
pub fn parse_post(document: &Value) -> Result<IncomingObject> {
    serde_json::from_value(document.clone())
        .map_err(|e| FederationError::BadRequest(format!("unreadable object: {e}")))
}

/// The stored post an incoming one answers, when Kith has it.
pub async fn parent_of(ctx: &Context, post: &IncomingObject) -> Option<StoredObject> {
    let id = post.in_reply_to.as_deref()?;
    match ctx.db.object(id).await {
        Ok(parent) => Some(parent),
        // A reply to a members-only group's own copy of a post answers the post.
        Err(_) => ctx.db.object_by_announce_id(id).await.ok(),
    }
}

/// Replaces a stored post's content with an edited document (sanitised).
pub async fn apply_edit(ctx: &Context, tx: &mut Tx, id: &str, document: &Value) -> Result<()> {
    let edit = Edit::of(ctx, id, document)?;
    edit.write(tx, id, document).await
}

/// An edited post's fields, sanitised once: written with the edit, and read by what the edit
/// sends (a members-only group's `Update` of its copy).
#[derive(Clone, Debug)]
pub struct Edit {
    name: Option<String>,
    summary: Option<String>,
    content: Option<String>,
}

impl Edit {
    /// The edit an edited document of post `id` makes.
    pub fn of(ctx: &Context, id: &str, document: &Value) -> Result<Edit> {
        let edited = parse_post(document)?;
        Ok(Edit {
            name: untrusted::clean_name_of(edited.name.as_deref()),
            summary: edited.summary,
            content: edited
                .content
                .as_deref()
                .map(|html| sanitize::html(ctx.counters(), id, html)),
        })
    }

    /// The stored post as it reads once edited (now).
    pub fn applied_to(&self, stored: &StoredObject) -> StoredObject {
        StoredObject {
            name: self.name.clone(),
            summary: self.summary.clone(),
            content: self.content.clone(),
            updated_at: Some(now_millis()),
            ..stored.clone()
        }
    }

    /// Writes the edit in the change's transaction.
    pub async fn write(&self, tx: &mut Tx, id: &str, document: &Value) -> Result<()> {
        tx.update_object_content(
            id,
            self.name.as_deref(),
            self.summary.as_deref(),
            self.content.as_deref(),
            &document.to_string(),
        )
        .await?;
        Ok(())
    }
}

/// Who a post was addressed to, by Mastodon's rules (`to`/`cc` of the object).
pub fn visibility(post: &IncomingObject, author: &Actor) -> Visibility {
    let followers = author.followers_url.as_deref();
    if post.to.iter().any(|t| is_public(t)) {
        Visibility::Public
    } else if post.cc.iter().any(|t| is_public(t)) {
        Visibility::Unlisted
    } else if followers.is_some_and(|f| post.to.iter().chain(&post.cc).any(|t| t == f)) {
        Visibility::Followers
    } else {
        Visibility::Direct
    }
}

/// The local group a post is for: one it addresses or mentions (to, cc, audience, a `Mention`
/// tag) or the group of the post it answers. `None` when it concerns no local group.
pub async fn target_group(
    ctx: &Context,
    post: &IncomingObject,
    parent: Option<&StoredObject>,
) -> Result<Option<Actor>> {
    for id in post.recipients() {
        if host_of(id).as_deref() != Some(ctx.urls().domain()) {
            continue;
        }
        match ctx.db.actor(id).await {
            Ok(actor) if actor.local && actor.kind == ActorKind::Group => return Ok(Some(actor)),
            Ok(_) | Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(group_id) = parent.and_then(|p| p.group_id.as_deref()) {
        let group = ctx.db.actor(group_id).await?;
        if group.local {
            return Ok(Some(group));
        }
    }
    Ok(None)
}

/// What the group's posting policy says about a post by `author`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Shown and redistributed.
    Publish,
    /// Kept for a moderator to decide.
    Hold(String),
    /// Not kept.
    Refuse(String),
}

/// Applies the group's posting policy (docs/protocol.md, Membership and posting).
pub async fn decide(ctx: &Context, group: &Actor, author: &Actor) -> Result<Decision> {
    let settings = ctx.db.group_settings(&group.id).await?;
    let membership = match ctx.db.membership(&group.id, &author.id).await {
        Ok(m) => Some(m),
        Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let state = membership.as_ref().map(|m| m.state);
    if state == Some(MemberState::Banned) || ctx.db.is_banned(&group.id, &author.id).await? {
        return Ok(Decision::Refuse(
            "the author is banned from the group".into(),
        ));
    }
    if !author.local
        && ctx.db.domain_severity_cached(&author.domain).await? == Some(DomainSeverity::Silence)
    {
        return Ok(Decision::Hold("the author's server is silenced".into()));
    }
    let member = state == Some(MemberState::Accepted);
    let moderator = member && membership.as_ref().is_some_and(|m| m.is_moderator());
    Ok(match settings.post_policy {
        PostPolicy::Anyone => Decision::Publish,
        PostPolicy::Moderators if moderator => Decision::Publish,
        PostPolicy::Moderators => Decision::Refuse("only moderators post in this group".into()),
        PostPolicy::Members if member => Decision::Publish,
        PostPolicy::Members => Decision::Hold("the author is not a member".into()),
    })
}

/// Stores a post; `None` when its id was stored before (a redelivery or a second apply).
#[allow(clippy::too_many_arguments)]
pub async fn store_post(
    ctx: &Context,
    post: &IncomingObject,
    parent: Option<StoredObject>,
    document: &Value,
    group_id: &str,
    visibility: Visibility,
    held_reason: Option<String>,
    create: Option<&Value>,
) -> Result<Option<StoredObject>> {
    let new = new_post(
        ctx,
        post,
        parent,
        document,
        group_id,
        visibility,
        held_reason,
        create,
    )?;
    match ctx.db.insert_object(&new).await {
        Ok(stored) => Ok(Some(stored)),
        Err(StorageError::Conflict { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The row of a post arriving from another server: its HTML sanitised, its link and title
/// made safe, its thread found from its parent.
#[allow(clippy::too_many_arguments)]
pub fn new_post(
    ctx: &Context,
    post: &IncomingObject,
    parent: Option<StoredObject>,
    document: &Value,
    group_id: &str,
    visibility: Visibility,
    held_reason: Option<String>,
    create: Option<&Value>,
) -> Result<NewObject> {
    let author = post
        .attributed_to
        .clone()
        .ok_or_else(|| FederationError::BadRequest(format!("{} has no author", post.id)))?;
    Ok(NewObject {
        id: post.id.clone(),
        // The type was checked against the kinds of post Kith keeps as the activity came in.
        kind: ObjectKind::parse(&post.kind).ok_or_else(|| {
            FederationError::BadRequest(format!("{} is not a kind of post", post.kind))
        })?,
        local: false,
        attributed_to: author,
        group_id: Some(group_id.to_owned()),
        in_reply_to: post.in_reply_to.clone(),
        thread_root: parent.map(|p| p.thread_root.unwrap_or(p.id)),
        visibility,
        // The link and the title are shown on pages (see `untrusted`).
        url: untrusted::safe_link_of(post.url.as_deref()),
        name: untrusted::clean_name_of(post.name.as_deref()),
        summary: post.summary.clone(),
        content: post
            .content
            .as_deref()
            .map(|html| sanitize::html(ctx.counters(), &post.id, html)),
        sensitive: post.sensitive.unwrap_or(false),
        start_time: None,
        end_time: None,
        data: document.to_string(),
        published_at: post
            .published
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or_else(now_millis),
        announce_id: None,
        activity: create.map(Value::to_string),
        held_reason,
    })
}
