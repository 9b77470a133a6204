//! The inbound queue's two halves: the batched write the inbox makes before it answers
//! `202 Accepted`, and the inbox worker that applies what was queued (docs/performance.md).
//!
//! Content activities (`Create`, `Update`, `Delete`, `Announce`) are queued: a burst of them is
//! taken in at the speed of a signature check and a share of one write, as Mastodon's inbox
//! takes them (it verifies, hands the activity to a job queue and answers at once). What people
//! wait on — a `Follow`'s `Accept`, an RSVP, an `Undo` — is still applied before the answer
//! (never behind a slow queue: docs/protocol.md, Membership and posting).
//!
//! **Group commit** (`batch.rs`): requests put their activity in a shared batch, which a writer
//! on a thread of its own commits at once.
//!
//! **The worker** claims queued activities with a lease (several processes sharing PostgreSQL
//! take different rows; a dying process loses nothing), applies each batch with one task per
//! sender, in arrival order within a sender, and removes the rows. An activity that fails for a
//! passing reason (the sender's server or the database unavailable) is tried again with
//! backoff; one that fails otherwise is logged, counted and forgotten, so a later copy of it is
//! applied.
//!
//! **The time budget:** a batch is finished when its slowest sender is, so one activity that
//! takes long (a sender's server that answers the fetches slowly, or a document that is
//! expensive to read) would hold up every other sender's. Each activity is given
//! `Limits::apply_budget`; past it, it is cancelled where it waits (its writes are transactions,
//! which roll back), logged, counted (`inbox_timed_out`) and set aside to be tried again later
//! like a passing failure, and the worker moves on.

mod batch;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kith_storage::{Inbound, now_millis};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::context::Counters;
use crate::inbound::activities::{self, Outcome};
use crate::outbound::change;
use crate::protocol::Activity;
use crate::{Context, FederationError, Result};

pub use batch::{Checking, WriterThread, queue, start_writer};

/// Activity types queued rather than applied while the sender waits.
pub const QUEUED_KINDS: [&str; 4] = ["Create", "Update", "Delete", "Announce"];

/// Queued activities claimed by the worker at once.
const CLAIM_BATCH: i64 = 128;

/// Senders whose activities are applied at the same time. More would not apply faster (they
/// share one database writer) and would queue ahead of the inbox's own writes, which a request
/// waits on.
const APPLY_TASKS: usize = 8;

/// How long a claim lasts before another worker may take the row.
const LEASE: Duration = Duration::from_secs(120);

/// How often the worker looks for due rows when not woken (retries, other processes' rows).
const POLL: Duration = Duration::from_secs(1);

/// Attempts before an activity that keeps failing for a passing reason is given up.
const MAX_ATTEMPTS: i64 = 6;

/// Runs the inbox worker until `shutdown` completes; a batch being applied is finished first.
pub async fn run(ctx: Context, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let lease = LEASE.as_millis() as i64;
        let claimed = match ctx.db.claim_inbound(CLAIM_BATCH, lease).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "claiming received activities failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                () = &mut shutdown => return,
                () = ctx.ingress().wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        let done = apply_batch(&ctx, claimed).await;
        if let Err(error) = ctx.db.finish_inbound(&done).await {
            tracing::error!(%error, "removing applied activities from the queue failed");
        }
    }
}

/// Applies a claimed batch, one task per sender; returns the rows that are finished.
async fn apply_batch(ctx: &Context, rows: Vec<Inbound>) -> Vec<i64> {
    let mut by_sender: BTreeMap<String, Vec<Inbound>> = BTreeMap::new();
    for row in rows {
        by_sender.entry(row.actor_id.clone()).or_default().push(row);
    }
    let mut tasks = JoinSet::new();
    let turns = Arc::new(Semaphore::new(APPLY_TASKS));
    for (_, rows) in by_sender {
        let (ctx, turns) = (ctx.clone(), turns.clone());
        tasks.spawn(async move {
            let Ok(_turn) = turns.acquire_owned().await else {
                return Vec::new();
            };
            let mut done = Vec::with_capacity(rows.len());
            for row in rows {
                if apply_row(&ctx, &row).await {
                    done.push(row.id);
                }
            }
            done
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(ids) => done.extend(ids),
            Err(error) => tracing::error!(%error, "applying received activities failed"),
        }
    }
    done
}

/// Applies one queued activity within its time budget; `false` when it was put back to be
/// tried again.
async fn apply_row(ctx: &Context, row: &Inbound) -> bool {
    let counters = ctx.counters();
    let budget = ctx.settings().limits.apply_budget;
    let applying = change::applying(row.id, apply_stored(ctx, row));
    let Ok(applied) = tokio::time::timeout(budget, applying).await else {
        Counters::bump(&counters.inbox_timed_out);
        tracing::warn!(
            id = row.activity_id,
            sender = row.actor_id,
            ?budget,
            "applying took longer than its budget: set aside"
        );
        if row.attempts + 1 < MAX_ATTEMPTS {
            return !retry_later(ctx, row).await;
        }
        give_up(ctx, row).await;
        return true;
    };
    match applied {
        // A handler never queues; counted as applied if one did.
        Ok(Outcome::Applied | Outcome::Queued) => Counters::bump(&counters.inbox_accepted),
        Ok(Outcome::Ignored(reason)) => {
            Counters::bump(&counters.inbox_ignored);
            tracing::info!(id = row.activity_id, %reason, "activity ignored");
        }
        Err(error) if passing(&error) && row.attempts + 1 < MAX_ATTEMPTS => {
            tracing::warn!(id = row.activity_id, %error, "applying failed, tried again later");
            if retry_later(ctx, row).await {
                return false;
            }
        }
        Err(error) => {
            tracing::warn!(id = row.activity_id, %error, "activity could not be applied");
            give_up(ctx, row).await;
        }
    }
    true
}

/// Puts an activity back to be tried again after a growing delay; `false` if that failed.
async fn retry_later(ctx: &Context, row: &Inbound) -> bool {
    let delay = 10_000 * 4i64.pow(row.attempts.clamp(0, 8) as u32);
    match ctx.db.retry_inbound(row.id, now_millis() + delay).await {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(%error, "putting an activity back failed");
            false
        }
    }
}

/// Counts an activity that could not be applied and forgets it was received, so that the
/// sender's next copy of it is applied.
async fn give_up(ctx: &Context, row: &Inbound) {
    Counters::bump(&ctx.counters().inbox_failed);
    if let Err(error) = ctx.db.forget_received_activity(&row.activity_id).await {
        tracing::error!(%error, "forgetting a failed activity failed");
    }
}

async fn apply_stored(ctx: &Context, row: &Inbound) -> Result<Outcome> {
    let value = serde_json::from_str(&row.body)
        .map_err(|e| FederationError::BadRequest(format!("malformed JSON: {e}")))?;
    let activity = Activity::from_value(value)
        .map_err(|e| FederationError::BadRequest(format!("not an activity: {e}")))?;
    let sender = ctx.db.actor(&row.actor_id).await?;
    activities::apply(ctx, &activity, &sender).await
}

/// Failures worth another try: the sender's server or the database was unavailable.
fn passing(error: &FederationError) -> bool {
    matches!(
        error,
        FederationError::Remote(_) | FederationError::Storage(_)
    )
}

/// Wakes the inbox worker: queued activities are due now (taken back from a process that is
/// gone, `crate::jobs::processes`).
pub(crate) fn wake_worker(ctx: &Context) {
    ctx.ingress().wakeup.notify_one();
}
