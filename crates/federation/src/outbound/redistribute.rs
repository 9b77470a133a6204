//! A group's posts redistributed as they change: a held post released and announced, and an
//! edit or deletion passed on — the FEP-1b12 forms and the microblog boost (`announce`) for a
//! public group, the group's own copies (`private_changes`) for a members-only or hidden one.

use kith_storage::{Actor, StoredObject};
use serde_json::Value;

use crate::outbound::announce::{Redistribution, announce_object, announced_forms};
use crate::outbound::change::Change;
use crate::outbound::plan::{Form, Plan};
use crate::outbound::private_changes;
use crate::outbound::software::Readers;
use crate::protocol::{OutgoingActivity, PUBLIC};
use crate::urls::Urls;
use crate::{Context, Result};

/// Publishes a post (a held one released) and redistributes it to the group's members, in
/// one transaction.
pub async fn redistribute_post(
    ctx: &Context,
    group: &Actor,
    object: &StoredObject,
    create: &Value,
) -> Result<()> {
    let redistribution = Redistribution::plan(ctx, group, object, create).await?;
    let mut change = Change::begin(ctx).await?;
    redistribution.write(&mut change, &object.id).await?;
    change.commit().await?;
    Ok(())
}

/// Plans the redistribution of an edit or a deletion of a post the group published (FEP-1b12
/// form) to the members and `extra` inboxes (a removed post's author), and for a deletion the
/// withdrawal of the microblog boost with `Undo{Announce}` (which Lemmy refuses: it is not sent
/// there). Reads only: the caller queues it with the edit or deletion. `object` is the post
/// as it is after the change. A members-only or hidden group's copies are updated or deleted
/// instead (`private_changes`).
pub async fn plan_change(
    ctx: &Context,
    group: &Actor,
    object: &StoredObject,
    change: &Value,
    deleted: bool,
    extra: Vec<String>,
) -> Result<Plan> {
    if !group.is_public() {
        return private_changes::plan_change(ctx, group, object, change, deleted, extra).await;
    }
    let inboxes = ctx.db.member_inboxes(&group.id).await?;
    let mut targets = inboxes.clone();
    targets.extend(extra);
    let mut plan = Plan::new(ctx, targets).await?;
    plan.add(group, &announced_forms(group, change))?;
    if deleted && let Some(announce_id) = &object.announce_id {
        let announce =
            serde_json::to_value(announce_object(group, object, announce_id)).unwrap_or_default();
        let mut undo = OutgoingActivity::new(
            "Undo",
            Urls::new_activity(&group.id),
            &group.id,
            announce,
            vec![PUBLIC.to_owned()],
        );
        undo.cc = vec![Urls::followers(&group.id)];
        plan.add_to(
            group,
            &[Form::for_readers(undo, Readers::microblogs_and_unknown())],
            &inboxes,
        )?;
    }
    Ok(plan)
}
