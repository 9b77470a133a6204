//! The inbound queue's two halves: the batched write the inbox makes before it answers
//! `202 Accepted`, and the inbox worker that applies what was queued (docs/performance.md).
//!
//! Content activities (`Create`, `Update`, `Delete`, `Announce`) are queued: a burst of them is
//! taken in at the speed of a signature check and a share of one write, as Mastodon's inbox
//! takes them (it verifies, hands the activity to a job queue and answers at once). What people
//! wait on — a `Follow`'s `Accept`, an RSVP, an `Undo` — is still applied before the answer
//! (DESIGN §5: never behind a slow queue).
//!
//! **Group commit.** Each queued activity needs its received id recorded and its row written.
//! One transaction per request made concurrent requests queue on the database's write lock
//! (SQLite sleeping in its busy handler); instead, requests put their activity in a shared
//! batch and a writer task commits the whole batch at once, then answers each request (one
//! writer on SQLite, a few on PostgreSQL).
//!
//! **The worker** claims queued activities with a lease (several processes sharing PostgreSQL
//! take different rows; a dying process loses nothing), applies each batch with one task per
//! sender, in arrival order within a sender, and removes the rows. An activity that fails for a
//! passing reason (the sender's server or the database unavailable) is tried again with
//! backoff; one that fails otherwise is logged, counted and forgotten, so a later copy of it is
//! applied.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kith_storage::{Inbound, NewInbound, now_millis};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::activities::{self, Outcome};
use crate::context::Counters;
use crate::protocol::Activity;
use crate::{Context, FederationError, Result};

/// Activity types queued rather than applied while the sender waits.
pub const QUEUED_KINDS: [&str; 4] = ["Create", "Update", "Delete", "Announce"];

/// Activities committed by one write at most.
const WRITE_BATCH: usize = 256;

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

type Reply = oneshot::Sender<std::result::Result<bool, String>>;

/// The inbox's side of the queue: the shared batch and the worker's wake-up.
#[derive(Default)]
pub struct Ingress {
    batch: Mutex<Batch>,
    wakeup: Notify,
}

#[derive(Default)]
struct Batch {
    pending: Vec<(NewInbound, Reply)>,
    /// Writer tasks running (each takes pending activities until none are left).
    writers: usize,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress").finish_non_exhaustive()
    }
}

/// Batched writes in flight at once. SQLite writes one at a time anyway; PostgreSQL takes
/// several, and a request arriving while a batch is being written then joins the next write at
/// once instead of waiting for the one in flight to end (the batches stay as large as the
/// waiting requests make them).
fn max_writers(ctx: &Context) -> usize {
    match ctx.db.backend() {
        kith_storage::Backend::Sqlite => 1,
        kith_storage::Backend::Postgres => 4,
    }
}

/// Records `activity` as received and queues it, in the next batched write; `false` when it
/// was received before (a duplicate, not queued).
pub async fn queue(ctx: &Context, activity: NewInbound) -> Result<bool> {
    let (reply, answer) = oneshot::channel();
    let start_writer = {
        let ingress = ctx.ingress();
        let mut batch = ingress
            .batch
            .lock()
            .map_err(|_| FederationError::Internal("the inbound batch lock".into()))?;
        batch.pending.push((activity, reply));
        let start = batch.writers < max_writers(ctx);
        if start {
            batch.writers += 1;
        }
        start
    };
    if start_writer {
        // Its own task: a request that goes away (the sender hung up) must not take the batch
        // of every other request with it.
        tokio::spawn(write_batches(ctx.clone()));
    }
    match answer.await {
        Ok(Ok(new)) => Ok(new),
        Ok(Err(error)) => Err(FederationError::Internal(format!(
            "queueing the activity: {error}"
        ))),
        Err(_) => Err(FederationError::Internal(
            "the inbound writer stopped".into(),
        )),
    }
}

/// Commits pending activities, a batch at a time, until none are left.
async fn write_batches(ctx: Context) {
    let mut guard = WriterGuard(Some(ctx.clone()));
    loop {
        let taken: Vec<(NewInbound, Reply)> = {
            let Ok(mut batch) = ctx.ingress().batch.lock() else {
                return;
            };
            if batch.pending.is_empty() {
                batch.writers = batch.writers.saturating_sub(1);
                guard.0 = None;
                return;
            }
            let n = batch.pending.len().min(WRITE_BATCH);
            batch.pending.drain(..n).collect()
        };
        let (rows, replies): (Vec<NewInbound>, Vec<Reply>) = taken.into_iter().unzip();
        match ctx.db.accept_inbound(&rows).await {
            Ok(queued) => {
                for (reply, new) in replies.into_iter().zip(queued) {
                    let _ = reply.send(Ok(new));
                }
                ctx.ingress().wakeup.notify_one();
            }
            Err(error) => {
                tracing::error!(%error, n = rows.len(), "queueing received activities failed");
                for reply in replies {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// Counts the writer out if its task ends without doing so itself (it panicked, or the runtime
/// dropped it), so the next request starts a writer instead of waiting forever.
struct WriterGuard(Option<Context>);

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if let Some(ctx) = self.0.take()
            && let Ok(mut batch) = ctx.ingress().batch.lock()
        {
            batch.writers = batch.writers.saturating_sub(1);
        }
    }
}

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

/// Applies one queued activity; `false` when it was put back to be tried again.
async fn apply_row(ctx: &Context, row: &Inbound) -> bool {
    let counters = ctx.counters();
    match apply_stored(ctx, row).await {
        // A handler never queues; counted as applied if one did.
        Ok(Outcome::Applied | Outcome::Queued) => Counters::bump(&counters.inbox_accepted),
        Ok(Outcome::Ignored(reason)) => {
            Counters::bump(&counters.inbox_ignored);
            tracing::info!(id = row.activity_id, %reason, "activity ignored");
        }
        Err(error) if passing(&error) && row.attempts + 1 < MAX_ATTEMPTS => {
            let delay = 10_000 * 4i64.pow(row.attempts.clamp(0, 8) as u32);
            tracing::warn!(id = row.activity_id, %error, "applying failed, tried again later");
            match ctx.db.retry_inbound(row.id, now_millis() + delay).await {
                Ok(()) => return false,
                Err(error) => tracing::error!(%error, "putting an activity back failed"),
            }
        }
        Err(error) => {
            Counters::bump(&counters.inbox_failed);
            tracing::warn!(id = row.activity_id, %error, "activity could not be applied");
            // Forgotten, so that the sender's next copy of it is applied.
            if let Err(error) = ctx.db.forget_received_activity(&row.activity_id).await {
                tracing::error!(%error, "forgetting a failed activity failed");
            }
        }
    }
    true
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
