//! Edits and deletions of a post in a members-only or hidden group reach every copy of it
//! (issue 26; FEDERATION.md, Non-public groups).
//!
//! Mastodon-family members' servers (and servers not known yet) got the group's own
//! followers-only copy of the post (`private_copy`), each server its own, recorded when it was
//! queued (storage `private_copies`). When the author edits or deletes the post, or a
//! moderator removes it, those servers, and only those, get `Update{copy}` or `Delete{copy}`,
//! queued in the transaction that applies the change:
//!
//! - a deletion goes to every server that received the copy, members still or not: dropping a
//!   copy reveals nothing, and a server whose members left still holds it;
//! - an edit goes only to those of them that still hold an accepted member: the new text is
//!   the members' alone, and a server that never got the copy has nothing to update;
//! - Lemmy, PieFed and Kith members get the FEP-1b12 `Announce` of the author's (or
//!   moderator's) activity, addressed to the members, as before.

use std::collections::BTreeSet;

use kith_storage::{Actor, StoredObject};
use serde_json::{Value, json};

use crate::outbound::announce;
use crate::outbound::plan::{Form, Plan};
use crate::protocol::{OutgoingActivity, host_of};
use crate::urls::Urls;
use crate::{Context, Result};

/// Plans what a members-only or hidden group sends when a post it shared changes: `object` is
/// the post as it is after the change (edited content, or as it was for a deletion), `change`
/// the author's or moderator's activity, `extra` other inboxes told of it (a removed post's
/// author). Reads only: the caller queues it with the change.
pub async fn plan_change(
    ctx: &Context,
    group: &Actor,
    object: &StoredObject,
    change: &Value,
    deleted: bool,
    extra: Vec<String>,
) -> Result<Plan> {
    let members = ctx.db.member_inboxes(&group.id).await?;
    let copies = match &object.announce_id {
        Some(_) => ctx.db.copy_inboxes(&object.id).await?,
        None => Vec::new(),
    };
    let copy_targets = if deleted {
        copies
    } else {
        let member_hosts: BTreeSet<String> = members.iter().filter_map(|i| host_of(i)).collect();
        copies
            .into_iter()
            .filter(|inbox| host_of(inbox).is_some_and(|h| member_hosts.contains(&h)))
            .collect()
    };
    let mut told = members;
    told.extend(extra);
    let mut targets = told.clone();
    targets.extend(copy_targets.iter().cloned());
    let mut plan = Plan::new(ctx, targets).await?;
    plan.add_to(group, &announce::announced_forms(group, change), &told)?;
    if let Some(copy_id) = &object.announce_id
        && !copy_targets.is_empty()
    {
        let activity = if deleted {
            delete_copy(group, copy_id)
        } else {
            let copy = announce::served_copy(ctx, group, object, copy_id).await?;
            update_copy(group, &copy)
        };
        plan.add_to(group, &[Form::for_all(activity)], &copy_targets)?;
    }
    Ok(plan)
}

/// The group's `Update` of its copy, to its followers, the author (a member) in `cc`.
pub fn update_copy(group: &Actor, copy: &Value) -> OutgoingActivity {
    let mut update = OutgoingActivity::new(
        "Update",
        Urls::new_activity(&group.id),
        &group.id,
        copy.clone(),
        vec![Urls::followers(&group.id)],
    );
    update.cc = copy["cc"]
        .as_array()
        .map(|cc| {
            cc.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    update.audience = Some(group.id.clone());
    update
}

/// The group's `Delete` of its copy (a `Tombstone`, as Mastodon sends), to its followers.
pub fn delete_copy(group: &Actor, copy_id: &str) -> OutgoingActivity {
    let mut delete = OutgoingActivity::new(
        "Delete",
        Urls::new_activity(&group.id),
        &group.id,
        json!({"id": copy_id, "type": "Tombstone"}),
        vec![Urls::followers(&group.id)],
    );
    delete.audience = Some(group.id.clone());
    delete
}
