//! Queueing outgoing activities. Everything Kith sends goes through the database queue (DESIGN
//! §8); the delivery worker is woken at once, so replies such as `Accept` leave immediately.

use kith_storage::{Actor, NewDelivery};

use crate::protocol::OutgoingActivity;
use crate::{Context, FederationError, Result};

/// Queues `activity`, signed by the local `actor`, for `inboxes` (duplicates are sent once).
pub async fn enqueue(
    ctx: &Context,
    actor: &Actor,
    activity: &OutgoingActivity,
    inboxes: Vec<String>,
) -> Result<usize> {
    let inboxes: Vec<String> = inboxes
        .into_iter()
        .filter(|inbox| !is_local(ctx, inbox))
        .collect();
    if inboxes.is_empty() {
        return Ok(0);
    }
    // Nothing goes to a blocked server, whatever list the caller built.
    let hosts: Vec<String> = inboxes
        .iter()
        .filter_map(|i| crate::protocol::host_of(i))
        .collect();
    let blocked = ctx.db.blocked_among_cached(&hosts).await?;
    let inboxes: Vec<String> = inboxes
        .into_iter()
        .filter(|i| !crate::protocol::host_of(i).is_some_and(|h| blocked.contains(&h)))
        .collect();
    if inboxes.is_empty() {
        return Ok(0);
    }
    let body = serde_json::to_string(activity)
        .map_err(|e| FederationError::BadRequest(format!("serialising an activity: {e}")))?;
    let queued = ctx
        .db
        .enqueue_delivery(&NewDelivery {
            activity_id: activity.id.clone(),
            actor_id: actor.id.clone(),
            body,
            inboxes,
        })
        .await?;
    ctx.wake_delivery();
    Ok(queued)
}

/// The inbox that reaches a remote actor: its shared inbox where it has one.
pub fn inbox_of(actor: &Actor) -> String {
    actor
        .shared_inbox_url
        .clone()
        .unwrap_or_else(|| actor.inbox_url.clone())
}

/// Local actors are never sent anything over HTTP: their state is already in the database.
fn is_local(ctx: &Context, inbox: &str) -> bool {
    crate::protocol::host_of(inbox).as_deref() == Some(ctx.urls().domain())
}
