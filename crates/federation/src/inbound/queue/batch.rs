//! The inbox's half of the queue: group commit, on a thread of its own.
//!
//! Each queued activity needs its received id recorded and its row written. One transaction per
//! request made concurrent requests queue on the database's write lock (SQLite sleeping in its
//! busy handler); instead, requests put their activity in a shared batch and a writer task
//! commits the whole batch at once, then answers each request (one writer on SQLite, a few on
//! PostgreSQL). On PostgreSQL a write waits, briefly, for requests still being checked
//! ([`Checking`], [`LINGER`]), so that a burst is written in fewer, larger writes.
//!
//! **Its own thread (PostgreSQL).** Every request in a burst waits on these writes, so on
//! PostgreSQL they run on a thread that does nothing else, whose connections commit without
//! waiting for the WAL flush (`Database::inbound_writer_with_own_pools`: the durability SQLite gives every
//! write); what each step gained is in docs/performance.md (fifth round). Until
//! [`start_writer`] runs (and after [`WriterThread::stop`]) the writes run on the caller's
//! runtime, durably. On SQLite they always do: its connection answers from a thread of its own
//! already, and the extra hop only cost time.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kith_storage::{Backend, Database, InboundWriter, NewInbound};
use tokio::sync::oneshot;

use crate::context::Counters;
use crate::context::inbound_queue::{Batch, Ingress, Reply};
use crate::{Context, FederationError, Result};

/// Activities committed by one write at most.
const WRITE_BATCH: usize = 256;

/// A write goes once this many activities wait for it, ...
const FULL: usize = 12;

/// ... or once no request being checked is about to join it, or once the first has waited this
/// long (PostgreSQL only). Each PostgreSQL write has a fixed cost before its first row (a round
/// trip, a statement, a commit, and the writer thread's wake-ups), so a write that took whatever
/// was waiting the moment the writer was free wrote few activities at a time. With the machine
/// saturated a request waits its turn for the CPU anyway, so waiting for the batch to fill costs
/// it next to nothing; alone, a request never waits (nothing else is being checked). SQLite's
/// writes are in-process, cheap to start and one at a time: a writer waiting there leaves the
/// machine half idle, so on SQLite a write goes as soon as the writer is free. The values tried
/// and what they gave: docs/performance.md, sixth round.
const LINGER: Duration = Duration::from_millis(1);

/// How long a write may wait for more activities on `db`.
fn linger(db: &Database) -> Duration {
    match db.backend() {
        Backend::Sqlite => Duration::ZERO,
        Backend::Postgres => LINGER,
    }
}

impl Batch {
    /// Whether the pending activities should be written now, or how long until they should
    /// (see [`LINGER`]).
    fn ready(&self, checking: usize, linger: Duration) -> std::result::Result<(), Duration> {
        let waited = self
            .pending
            .first()
            .map_or(Duration::ZERO, |(_, _, arrived)| arrived.elapsed());
        if self.pending.len() >= FULL || checking == 0 || waited >= linger {
            return Ok(());
        }
        Err(linger - waited)
    }
}

/// A request for a queued kind being checked: a batch being collected waits for it (a
/// little), and stops waiting once it is queued or refused.
#[derive(Debug)]
pub struct Checking<'a> {
    ingress: &'a Ingress,
    counted: bool,
}

impl<'a> Checking<'a> {
    /// Counts a request of `ctx` as being checked until it is queued or dropped.
    pub fn start(ctx: &'a Context) -> Checking<'a> {
        let ingress = ctx.ingress();
        ingress.checking.fetch_add(1, Ordering::Relaxed);
        Checking {
            ingress,
            counted: true,
        }
    }

    /// Counts it out; true when it was counted.
    fn finish(&mut self) -> bool {
        let counted = std::mem::take(&mut self.counted);
        if counted {
            self.ingress.checking.fetch_sub(1, Ordering::Relaxed);
        }
        counted
    }
}

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        // Refused (or gone away): the batch being collected need not wait for it.
        if self.finish()
            && self.ingress.checking.load(Ordering::Relaxed) == 0
            && let Ok(batch) = self.ingress.batch.lock()
            && batch.collecting
        {
            self.ingress.ready.notify_one();
        }
    }
}

/// Batched writes in flight at once. SQLite writes one at a time anyway. On PostgreSQL a
/// request arriving while batches are being written joins the next at once instead of waiting
/// for one in flight to end; more writers than a few only make batches smaller (each a
/// statement and a commit) without making them sooner. Figures per writer count:
/// docs/performance.md, fourth and fifth rounds.
fn max_writers(db: &Database) -> usize {
    match db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => 3,
    }
}

/// Records `activity` (whose request `checking` counted) as received and queues it, in the
/// next batched write; `false` when it was received before (a duplicate, not queued).
pub async fn queue(
    ctx: &Context,
    activity: NewInbound,
    mut checking: Checking<'_>,
) -> Result<bool> {
    let (reply, answer) = oneshot::channel();
    let ingress = ctx.ingress();
    let (new_writer, wake) = {
        let mut batch = ingress
            .batch
            .lock()
            .map_err(|_| FederationError::Internal("the inbound batch lock".into()))?;
        checking.finish();
        batch.pending.push((activity, reply, Instant::now()));
        if batch.collecting {
            let checking = ingress.checking.load(Ordering::Relaxed);
            (None, batch.ready(checking, linger(&ctx.db)).is_ok())
        } else if batch.writers < max_writers(&ctx.db) {
            batch.writers += 1;
            (Some(batch.thread.clone()), false)
        } else {
            (None, false)
        }
    };
    if wake {
        ingress.ready.notify_one();
    }
    if let Some(thread) = new_writer {
        // Its own task: a request that goes away (the sender hung up) must not take the batch
        // of every other request with it. The guard is made here, so that a task dropped
        // before it first runs still counts itself out.
        let guard = WriterGuard {
            ctx: Some(ctx.clone()),
            collecting: false,
        };
        match thread {
            Some((handle, db)) => drop(handle.spawn(write_batches(guard, db))),
            None => drop(tokio::spawn(write_batches(guard, ctx.db.inbound_writer()))),
        }
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

/// Commits pending activities, a batch at a time, until none are left (or another writer is
/// collecting the next batch).
async fn write_batches(mut guard: WriterGuard, writer: InboundWriter) {
    let Some(ctx) = guard.ctx.clone() else { return };
    let ingress = ctx.ingress();
    loop {
        let taken: std::result::Result<Vec<(NewInbound, Reply, Instant)>, Duration> = {
            let Ok(mut batch) = ingress.batch.lock() else {
                return;
            };
            if batch.pending.is_empty() || (batch.collecting && !guard.collecting) {
                batch.writers = batch.writers.saturating_sub(1);
                guard.ctx = None;
                return;
            }
            match batch.ready(ingress.checking.load(Ordering::Relaxed), linger(&ctx.db)) {
                Ok(()) => {
                    batch.collecting = false;
                    guard.collecting = false;
                    let n = batch.pending.len().min(WRITE_BATCH);
                    Ok(batch.pending.drain(..n).collect())
                }
                Err(wait) => {
                    batch.collecting = true;
                    guard.collecting = true;
                    Err(wait)
                }
            }
        };
        let taken = match taken {
            Ok(taken) => taken,
            Err(wait) => {
                // Woken when the batch is full enough or nothing more is being checked.
                let _ = tokio::time::timeout(wait, ingress.ready.notified()).await;
                continue;
            }
        };
        let (rows, replies): (Vec<NewInbound>, Vec<Reply>) = taken
            .into_iter()
            .map(|(row, reply, _)| (row, reply))
            .unzip();
        match writer.accept_inbound(&rows).await {
            Ok(queued) => {
                Counters::bump(&ctx.counters().inbox_writes);
                for (reply, new) in replies.into_iter().zip(queued) {
                    let _ = reply.send(Ok(new));
                }
                ingress.wakeup.notify_one();
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
struct WriterGuard {
    ctx: Option<Context>,
    /// This writer is the one collecting the next batch.
    collecting: bool,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if let Some(ctx) = self.ctx.take()
            && let Ok(mut batch) = ctx.ingress().batch.lock()
        {
            batch.writers = batch.writers.saturating_sub(1);
            if self.collecting {
                batch.collecting = false;
            }
        }
    }
}

/// The thread the inbox's batched writes run on, from [`start_writer`] until
/// [`WriterThread::stop`].
#[derive(Debug)]
pub struct WriterThread {
    ctx: Context,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// Starts the thread that writes `ctx`'s inbox batches on PostgreSQL, at the caller's priority,
/// with its own connections (a connection belongs to the runtime that opened it); `None` on
/// SQLite, where the batches are written from the request threads.
pub fn start_writer(ctx: &Context) -> std::io::Result<Option<WriterThread>> {
    if ctx.db.backend() == Backend::Sqlite {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let writer = ctx
        .db
        .inbound_writer_with_own_pools(max_writers(&ctx.db) as u32);
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = runtime.handle().clone();
    let pools = writer.clone();
    let thread = std::thread::Builder::new()
        .name("kith-inbox-writer".into())
        .spawn(move || {
            runtime.block_on(async move {
                let _ = stopped.await;
                // Its own pools, closed on the runtime that drives them.
                pools.close().await;
            });
        })?;
    if let Ok(mut batch) = ctx.ingress().batch.lock() {
        batch.thread = Some((handle, writer));
    }
    Ok(Some(WriterThread {
        ctx: ctx.clone(),
        stop,
        thread,
    }))
}

impl WriterThread {
    /// Stops the thread; call it once the server has answered its last request. Writes that
    /// come later run on the caller's runtime.
    pub async fn stop(self) {
        if let Ok(mut batch) = self.ctx.ingress().batch.lock() {
            batch.thread = None;
        }
        let _ = self.stop.send(());
        let thread = self.thread;
        if let Ok(Err(_)) = tokio::task::spawn_blocking(move || thread.join()).await {
            tracing::error!("the inbox writer thread panicked");
        }
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
