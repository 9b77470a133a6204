//! Local actors following remote ones: a person joining a remote group, or a local group
//! following a remote group through its relay. The follow is recorded and its `Follow` queued in
//! one change.

use kith_storage::ActorKind;
use kith_storage::{Actor, FollowState};
use serde_json::Value;

use crate::outbound::change::Change;
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::fetch, outbound::plan};

/// Makes a local actor (a person joining, or a group) follow a remote group by handle.
pub async fn follow_remote_group(ctx: &Context, follower: &Actor, handle: &str) -> Result<Actor> {
    let remote = fetch::webfinger_actor(ctx, handle).await?;
    follow_remote_actor(ctx, follower, remote, handle).await
}

/// Makes a local actor follow a remote group already looked up (`named` is how it was asked
/// for, for messages).
pub async fn follow_remote_actor(
    ctx: &Context,
    follower: &Actor,
    remote: Actor,
    named: &str,
) -> Result<Actor> {
    let handle = named;
    if remote.local {
        return Err(FederationError::BadRequest(format!(
            "{handle} is on this instance"
        )));
    }
    if remote.kind != ActorKind::Group {
        return Err(FederationError::BadRequest(format!(
            "{handle} is a {}, not a group",
            remote.kind
        )));
    }
    // A local group follows through its relay; the follow recorded is the group's.
    let sender = if follower.local && follower.kind == ActorKind::Group {
        crate::actions::relay::ensure_relay(ctx, follower).await?
    } else {
        follower.clone()
    };
    let follow = OutgoingActivity::new(
        "Follow",
        Urls::new_activity(&sender.id),
        &sender.id,
        Value::String(remote.id.clone()),
        vec![remote.id.clone()],
    );
    let plan = plan::plan(ctx, &sender, &follow, vec![remote.inbox_url.clone()]).await?;
    // The follow recorded and the `Follow` sent commit together.
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .upsert_follow(&follower.id, &remote.id, FollowState::Pending, &follow.id)
        .await?;
    change.queue(plan).await?;
    change.commit().await?;
    Ok(remote)
}
