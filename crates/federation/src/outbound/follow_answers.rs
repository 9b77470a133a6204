//! `Accept` and `Reject` of a follower's `Follow`: the `Follow` embedded whole, since Mastodon
//! matches the answer by the embedded id, and sent to the follower's own inbox.

use kith_storage::Actor;
use serde_json::json;

use crate::outbound::change;
use crate::outbound::plan::{self, Plan};
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, Result};

/// `Accept` or `Reject` of a follower's `Follow` (embedded, as Mastodon matches it by id).
pub fn follow_answer(
    kind: &'static str,
    target: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> OutgoingActivity {
    let follow = json!({
        "id": follow_id,
        "type": "Follow",
        "actor": follower.id,
        "object": target.id,
    });
    OutgoingActivity::new(
        kind,
        Urls::new_activity(&target.id),
        &target.id,
        follow,
        vec![follower.id.clone()],
    )
}

/// Sends `Accept` or `Reject` of a follower's `Follow` to the follower's own inbox.
pub async fn send_answer(
    ctx: &Context,
    kind: &'static str,
    target: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> Result<()> {
    let plan = plan_answer(ctx, kind, target, follower, follow_id).await?;
    change::queue_alone(ctx, plan).await?;
    Ok(())
}

/// Plans `Accept` or `Reject` of a follower's `Follow`, to be queued with the membership it
/// answers.
pub async fn plan_answer(
    ctx: &Context,
    kind: &'static str,
    target: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> Result<Plan> {
    let answer = follow_answer(kind, target, follower, follow_id);
    plan::plan(ctx, target, &answer, vec![follower.inbox_url.clone()]).await
}
