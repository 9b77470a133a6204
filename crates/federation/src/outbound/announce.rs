//! How a group redistributes: `Announce{object: <post id>}` for microblog servers (Mastodon
//! fetches the id and shows one boost) and `Announce{object: <the member's activity>}` for
//! FEP-1b12 servers (PieFed, NodeBB, another Kith), in Lemmy's shape for Lemmy (`forms`). Each
//! member's server gets the form its software reads (`software`), and one not known yet gets
//! both (docs/protocol.md, Membership and posting).

use kith_storage::{Actor, ReplyPolicy, StoredObject};
use serde_json::Value;

use crate::outbound::change::Change;
use crate::outbound::plan::{Form, Plan};
use crate::outbound::private_copy;
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::{OutgoingActivity, PUBLIC, rfc3339};
use crate::urls::Urls;
use crate::{Context, Result, outbound::forms, outbound::plan};

/// `Announce{object: <post id>}`, the form Mastodon understands.
pub fn announce_object(
    group: &Actor,
    object: &StoredObject,
    announce_id: &str,
) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        "Announce",
        announce_id.to_owned(),
        &group.id,
        Value::String(object.id.clone()),
        vec![PUBLIC.to_owned()],
    );
    activity.cc = vec![Urls::followers(&group.id), object.attributed_to.clone()];
    activity.published = Some(rfc3339(object.published_at));
    activity
}

/// `Announce{object: <activity>}`, the FEP-1b12 form: the member's activity, unchanged.
pub fn announce_activity(group: &Actor, inner: &Value, id: String) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        "Announce",
        id,
        &group.id,
        inner.clone(),
        vec![PUBLIC.to_owned()],
    );
    activity.cc = vec![Urls::followers(&group.id)];
    activity.audience = Some(group.id.clone());
    activity
}

/// The FEP-1b12 forms of a member's activity: as it is for the group servers (and hosts not
/// known yet), and in Lemmy's shape for Lemmy where that differs.
pub fn announced_forms(group: &Actor, inner: &Value) -> Vec<Form> {
    let wrapped = announce_activity(group, inner, Urls::new_activity(&group.id));
    match forms::lemmy_post(inner, &group.id) {
        Some(lemmy) => vec![
            Form::for_readers(
                wrapped,
                Readers::groups_and_unknown().without(Dialect::Lemmy),
            ),
            Form::for_readers(
                announce_activity(group, &lemmy, Urls::new_activity(&group.id)),
                Readers::of(&[Dialect::Lemmy]),
            ),
        ],
        None => vec![Form::for_readers(wrapped, Readers::groups_and_unknown())],
    }
}

/// A post's redistribution, planned: the group's `Announce` id (none for a reply it keeps in
/// its thread without boosting) and the deliveries to members.
#[derive(Debug)]
pub struct Redistribution {
    announce_id: Option<String>,
    plan: Plan,
    /// The inboxes a non-public group's own copy goes to, recorded with it (so that an edit
    /// or deletion reaches them: `private_changes`).
    copy_inboxes: Vec<String>,
}

impl Redistribution {
    /// Plans the redistribution of a newly published post (or reply) to the group's members
    /// (reads only). Top-level posts get both forms; replies reach FEP-1b12 servers, and
    /// microblog timelines only when the group's reply policy says so (Mastodon copies the
    /// group mention into every reply: boosting them all floods timelines).
    pub async fn plan(
        ctx: &Context,
        group: &Actor,
        object: &StoredObject,
        create: &Value,
    ) -> Result<Redistribution> {
        if !group.is_public() {
            return Redistribution::plan_private(ctx, group, object, create).await;
        }
        let announce_id = boosted(ctx, group, object)
            .await?
            .then(|| Urls::new_activity(&group.id));
        let inboxes = ctx.db.member_inboxes(&group.id).await?;
        let mut targets = inboxes.clone();
        if announce_id.is_some()
            && let Ok(author) = ctx.db.actor(&object.attributed_to).await
        {
            // The author hears of the boost even when not a member (open groups).
            targets.push(plan::inbox_of(&author));
        }
        let mut plan = Plan::new(ctx, targets).await?;
        if let Some(id) = &announce_id {
            let boost = announce_object(group, object, id);
            plan.add(
                group,
                &[Form::for_readers(boost, Readers::microblogs_and_unknown())],
            )?;
        }
        plan.add_to(group, &announced_forms(group, create), &inboxes)?;
        Ok(Redistribution {
            announce_id,
            plan,
            copy_inboxes: Vec::new(),
        })
    }

    /// A members-only or hidden group's redistribution (`private_copy`): every post and reply
    /// to accepted members alone, as the group's own copy (whose id is recorded as the post's
    /// group activity) or a followers-only `Announce{Create}`.
    async fn plan_private(
        ctx: &Context,
        group: &Actor,
        object: &StoredObject,
        create: &Value,
    ) -> Result<Redistribution> {
        let copy_id = Urls::new_activity(&group.id);
        let copy = served_copy(ctx, group, object, &copy_id).await?;
        let inboxes = ctx.db.member_inboxes(&group.id).await?;
        let mut plan = Plan::new(ctx, inboxes).await?;
        plan.add(group, &private_copy::private_forms(group, &copy, create))?;
        // The copy's form is read by microblogs and hosts not known yet (`private_forms`).
        let copy_inboxes = plan
            .dialects()
            .filter(|(_, dialect)| Readers::microblogs_and_unknown().contains(*dialect))
            .map(|(inbox, _)| inbox.to_owned())
            .collect();
        Ok(Redistribution {
            announce_id: Some(copy_id),
            plan,
            copy_inboxes,
        })
    }

    /// Publishes the post (recording the `Announce` id) and queues the deliveries, in the
    /// change's transaction.
    pub async fn write(self, change: &mut Change<'_>, object_id: &str) -> Result<()> {
        change
            .tx()
            .publish_object(object_id, self.announce_id.as_deref())
            .await?;
        change
            .tx()
            .record_copy_inboxes(object_id, &self.copy_inboxes)
            .await?;
        change.queue(self.plan).await?;
        Ok(())
    }
}

/// A non-public group's own copy of a post (`private_copy`), as sent and as served at
/// `copy_id`: naming its author, under the group's copy of the post it answers.
pub async fn served_copy(
    ctx: &Context,
    group: &Actor,
    object: &StoredObject,
    copy_id: &str,
) -> Result<Value> {
    let author = match ctx.db.actor(&object.attributed_to).await {
        Ok(author) => Some(author),
        Err(kith_storage::StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let parent_copy = match &object.in_reply_to {
        Some(parent) => match ctx.db.object(parent).await {
            Ok(parent) if parent.group_id.as_deref() == Some(group.id.as_str()) => {
                parent.announce_id
            }
            Ok(_) | Err(kith_storage::StorageError::NotFound) => None,
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    Ok(private_copy::group_copy(
        group,
        object,
        author.as_ref(),
        copy_id,
        parent_copy.as_deref(),
    ))
}

/// Whether the group boosts this post to microblog timelines: top-level posts always, replies
/// when its reply policy says so.
pub async fn boosted(ctx: &Context, group: &Actor, object: &StoredObject) -> Result<bool> {
    if object.in_reply_to.is_none() {
        return Ok(true);
    }
    let settings = ctx.db.group_settings(&group.id).await?;
    Ok(settings.reply_policy == ReplyPolicy::Boost)
}

/// One item of a group's outbox: the FEP-1b12 form when the member's `Create` was kept
/// (Lemmy reads outboxes to fill a newly followed community; a Lemmy `reader` gets it in
/// Lemmy's shape), else the microblog form.
pub fn outbox_item(group: &Actor, object: &StoredObject, reader: Dialect) -> Result<Value> {
    let announce_id = object.announce_id.clone().unwrap_or_default();
    let create: Option<Value> = object
        .activity
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .map(|create: Value| match reader {
            Dialect::Lemmy => forms::lemmy_post(&create, &group.id).unwrap_or(create),
            _ => create,
        });
    let activity = match create {
        Some(create) if !group.is_public() => {
            private_copy::announce_to_members(group, &create, format!("{announce_id}/create"))
        }
        Some(create) => announce_activity(group, &create, format!("{announce_id}/create")),
        None => announce_object(group, object, &announce_id),
    };
    serde_json::to_value(activity).map_err(|e| crate::FederationError::BadRequest(e.to_string()))
}
