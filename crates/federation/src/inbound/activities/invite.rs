//! `Invite` to a remote group, for local people (FEDERATION.md, Personal invitations): another
//! Kith's organiser, or Smithereen's member, invites someone here. Kept only when it comes from
//! the group itself or a person on the group's own server (which vouches for its groups as it
//! signs for them); an invitation from anyone else (a stranger naming someone else's group) is
//! ignored, logged and counted, and nobody here hears of it. Each local person it is addressed
//! to gets a notification leading to following the group (`actions::invite_person`).

use kith_storage::{Actor, ActorKind, StorageError};

use super::Outcome;
use crate::protocol::{Activity, host_of};
use crate::{Context, FederationError, Result, outbound::fetch};

/// At most this many people one `Invite` may name (Smithereen sends one).
const MAX_INVITEES: usize = 20;

/// Tells the local people an `Invite` names that a remote group invites them.
pub async fn receive_invite(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let Some(group_id) = activity.object_id() else {
        return Ok(Outcome::ignored("an Invite without an object"));
    };
    if sender.id != group_id && host_of(&sender.id) != host_of(group_id) {
        return Ok(Outcome::ignored(format!(
            "an Invite to {group_id} from {}, neither the group nor its server",
            sender.id
        )));
    }
    let mut people = Vec::new();
    for id in activity.to.iter().chain(&activity.cc).take(MAX_INVITEES) {
        match ctx.db.actor(id).await {
            Ok(actor) if actor.local && actor.kind == ActorKind::Person => people.push(actor),
            Ok(_) | Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    if people.is_empty() {
        return Ok(Outcome::ignored("an Invite for nobody here"));
    }
    // Looked up (signed as this instance) only now: a hidden group answers this server only
    // while one of its people holds the invitation.
    let group = match fetch::resolve_actor(ctx, group_id, false).await {
        Ok(group) => group,
        Err(FederationError::NotFound(_)) => {
            return Ok(Outcome::ignored(format!(
                "an Invite to {group_id}, which cannot be looked up"
            )));
        }
        Err(other) => return Err(other),
    };
    if group.local || group.kind != ActorKind::Group {
        return Ok(Outcome::ignored(format!(
            "an Invite to {group_id}, which is not a remote group"
        )));
    }
    crate::actions::invite_person::invited_here(ctx, &group, &people).await?;
    tracing::info!(group = %group.id, by = %sender.id, people = people.len(), "invitation received");
    Ok(Outcome::Applied)
}
