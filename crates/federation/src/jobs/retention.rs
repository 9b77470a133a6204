//! Forgetting received activity ids once no sender will retry them. The inbox records every
//! activity's id (`received_activities`) so that a redelivery has no second effect; an id only
//! guards against something while its sender may still send it again.
//!
//! Mastodon retries a failed delivery 16 times, waiting `count⁴ + 15` seconds plus up to half
//! as much again and Sidekiq's own few seconds of jitter before retry `count`
//! (mastodon/mastodon app/workers/activitypub/delivery_worker.rb, `sidekiq_retry_in`): about
//! two days in all, three at most. Sidekiq's default schedule for other workers (25 retries,
//! `count⁴ + 15` s) spans about three weeks. Kith itself gives up after 13 tries, the gaps
//! growing fourfold up to a day (`delivery.rs`): six and a half days at most, three for a host
//! that fails throughout; its inbox worker retries within an hour. Ids are kept
//! [`KEEP_RECEIVED`], 30 days, comfortably above all of these.
//!
//! Once an hour one process sharing the database (`Database::take_turn`: a shared record of
//! the last run, and on PostgreSQL an advisory lock held while it runs) deletes the older ids in batches of
//! [`RetentionSettings::batch`], oldest first through the index on the received time, so a large
//! table is never held by one long statement and requests' writes go between the batches.

use std::time::Duration;

use kith_storage::now_millis;
use tokio::sync::watch;

use crate::{Context, Result};

/// How long a received id is remembered.
pub const KEEP_RECEIVED: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The job's name in `job_turns`.
const TASK: &str = "prune-received-activities";

/// How often and how much is pruned.
#[derive(Clone, Debug)]
pub struct RetentionSettings {
    /// How long a received id is remembered.
    pub keep_received: Duration,
    /// How often one process (of all sharing the database) prunes.
    pub every: Duration,
    /// Ids deleted by one statement.
    pub batch: i64,
    /// The pause between two batches, for other writers.
    pub pause: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            keep_received: KEEP_RECEIVED,
            every: Duration::from_secs(3600),
            batch: 1_000,
            pause: Duration::from_millis(50),
        }
    }
}

/// Prunes now if it is this process's turn, then asks again every `settings.every` (at most
/// `scheduled::LOOK_EVERY`) until `shutdown`.
pub async fn run(ctx: Context, settings: RetentionSettings, mut shutdown: watch::Receiver<bool>) {
    loop {
        match prune_received(&ctx, &settings, now_millis(), &shutdown).await {
            Ok(Some(0)) | Ok(None) => {}
            Ok(Some(n)) => tracing::info!(forgotten = n, "old received activity ids forgotten"),
            Err(e) => tracing::warn!(error = %e, "forgetting old received activity ids failed"),
        }
        // Asked again sooner than the period: a turn whose process died mid-run is not
        // counted (PostgreSQL), and another process takes it at its next look.
        tokio::select! {
            _ = tokio::time::sleep(settings.every.min(crate::scheduled::LOOK_EVERY)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Forgets the ids received before `now - keep_received`, batch by batch, if no process did
/// within the last `every`; returns how many went, or `None` when it was not this process's
/// turn. Stops between batches once `shutdown` is set.
pub async fn prune_received(
    ctx: &Context,
    settings: &RetentionSettings,
    now: i64,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<u64>> {
    let Some(turn) = ctx.db.take_turn(TASK, settings.every).await? else {
        return Ok(None);
    };
    let keep = i64::try_from(settings.keep_received.as_millis()).unwrap_or(i64::MAX);
    let before = now.saturating_sub(keep);
    let mut total = 0;
    let outcome = loop {
        match ctx
            .db
            .prune_received_activities(before, settings.batch)
            .await
        {
            Ok(n) => {
                total += n;
                if n < u64::try_from(settings.batch).unwrap_or(0) || *shutdown.borrow() {
                    break Ok(Some(total));
                }
            }
            Err(e) => break Err(e.into()),
        }
        tokio::time::sleep(settings.pause).await;
    };
    // A failed run is not counted (PostgreSQL): the next look tries again.
    if outcome.is_ok() {
        turn.finish().await?;
    }
    outcome
}
