//! Taking the write connection: on SQLite, requests before background work.
//!
//! SQLite has one writer at a time, and Kith gives it one connection (`db.rs`). Requests (an
//! inbox's batched write, a `Follow` answered at once, a form sent) and the background workers
//! (applying queued activities, recording deliveries) all write through it. In arrival order, a
//! request waited behind every write the workers had queued: with the workers busy after a
//! burst, inbox latency went from 17 ms to over 100 (docs/performance.md, third round). So the
//! connection is taken through a gate: a background write waits while a request's write waits,
//! and requests go first. Background work still gets every gap between requests' writes, and a
//! background write that has waited [`MAX_DEFER`] goes in its turn like a request's, so a flood
//! of requests slows the workers without stopping them (deliveries still leave, `Accept`s too).
//!
//! A write holds the gate for one statement or, through [`WriteTx`], for its transaction.
//! PostgreSQL has no gate: it takes concurrent writers, and background work has its own pool.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::Notify;

use crate::{Database, Result};

/// How long a background write lets requests' writes go first.
pub(crate) const MAX_DEFER: Duration = Duration::from_secs(1);

/// The order of writes on SQLite's one connection.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct GateState {
    /// A write holds the connection.
    held: bool,
    /// Requests' writes waiting for it.
    requests_waiting: usize,
}

/// The right to write, given back when dropped.
#[derive(Debug)]
struct Pass(Arc<Gate>);

impl Drop for Pass {
    fn drop(&mut self) {
        self.0.lock().held = false;
        self.0.changed.notify_waiters();
    }
}

/// A request's place in the queue, counted while it waits (and uncounted if the request goes
/// away while waiting, so background work is never held up by a request no longer there).
struct Waiting<'a>(&'a Gate);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.requests_waiting = state.requests_waiting.saturating_sub(1);
        drop(state);
        // Background writes may go now.
        self.0.changed.notify_waiters();
    }
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Nothing panics while holding it; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn enter(self: &Arc<Self>, background: bool) -> Pass {
        let since = Instant::now();
        let mut waiting = None;
        loop {
            // Registered before looking, so a release between the look and the wait is seen.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                let others_first =
                    background && state.requests_waiting > 0 && since.elapsed() < MAX_DEFER;
                if !state.held && !others_first {
                    state.held = true;
                    drop(state);
                    drop(waiting.take());
                    return Pass(self.clone());
                }
                if !background && waiting.is_none() {
                    state.requests_waiting += 1;
                    waiting = Some(Waiting(self));
                }
            }
            changed.await;
        }
    }
}

/// The write connection, for one statement.
#[derive(Debug)]
pub(crate) struct WriteConn {
    conn: PoolConnection<Any>,
    _pass: Option<Pass>,
}

impl Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// A transaction on the write connection; rolled back if dropped before [`WriteTx::commit`].
#[derive(Debug)]
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _pass: Option<Pass>,
}

impl WriteTx {
    /// Commits, then lets the next write in.
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Database {
    async fn pass(&self) -> Option<Pass> {
        match &self.gate {
            Some(gate) => Some(gate.enter(self.background).await),
            None => None,
        }
    }

    /// The write connection for one statement: `.execute(&mut *self.write().await?)`.
    pub(crate) async fn write(&self) -> Result<WriteConn> {
        let pass = self.pass().await;
        Ok(WriteConn {
            conn: self.writer.acquire().await?,
            _pass: pass,
        })
    }

    /// A transaction on the write connection.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        let pass = self.pass().await;
        Ok(WriteTx {
            tx: self.writer.begin().await?,
            _pass: pass,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A background write waiting when a request's write arrives goes after it.
    #[tokio::test]
    async fn requests_write_before_background_work() {
        let gate = Arc::new(Gate::default());
        let held = gate.enter(false).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let (g, o) = (gate.clone(), order.clone());
        let background = tokio::spawn(async move {
            let _pass = g.enter(true).await;
            o.lock().unwrap().push("background");
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (g, o) = (gate.clone(), order.clone());
        let request = tokio::spawn(async move {
            let _pass = g.enter(false).await;
            o.lock().unwrap().push("request");
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        request.await.unwrap();
        background.await.unwrap();
        assert_eq!(*order.lock().unwrap(), ["request", "background"]);
    }

    /// Background work waits for requests, but not forever.
    #[tokio::test]
    async fn background_work_goes_in_its_turn_after_a_while() {
        let gate = Arc::new(Gate::default());
        let held = gate.enter(false).await;
        // A request waits, and keeps waiting (it holds its place as long as this test wants).
        gate.lock().requests_waiting += 1;
        let g = gate.clone();
        let background = tokio::spawn(async move { g.enter(true).await });
        tokio::time::sleep(MAX_DEFER + Duration::from_millis(20)).await;
        drop(held);
        let pass = tokio::time::timeout(Duration::from_secs(5), background).await;
        assert!(pass.is_ok(), "the background write went in");
    }

    /// A request that gives up waiting does not keep background work waiting.
    #[tokio::test]
    async fn a_request_gone_away_stops_counting() {
        let gate = Arc::new(Gate::default());
        let held = gate.enter(false).await;
        let g = gate.clone();
        let gone = tokio::time::timeout(Duration::from_millis(20), async move {
            let _pass = g.enter(false).await;
        })
        .await;
        assert!(gone.is_err());
        assert_eq!(gate.lock().requests_waiting, 0);
        drop(held);
        let background = tokio::time::timeout(Duration::from_secs(5), gate.enter(true)).await;
        assert!(background.is_ok());
    }
}
