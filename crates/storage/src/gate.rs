//! Requests before background work: who writes next, and when background work may go on.
//!
//! Requests (an inbox's batched write, a `Follow` answered at once, a form sent) and the
//! background workers (applying queued activities, signing and recording deliveries) share the
//! database and the machine. In arrival order, requests waited behind whatever the workers had
//! queued: with the workers busy after a burst, inbox latency went from 17 ms to over 100 on
//! SQLite, and on PostgreSQL the workers took half the database's backends and a fifth of the
//! machine signing while the inbox waited (docs/performance.md, third and fourth rounds). Thread
//! priorities do not settle it: they order Kith's threads, not Kith against PostgreSQL.
//!
//! So requests mark themselves busy — while their write waits or runs, and an inbox request
//! for as long as it is handled ([`Database::request_busy`]) — and background work yields:
//!
//! - **SQLite** has one writer at a time and Kith gives it one connection (`db.rs`): the gate
//!   hands it to requests before background writes. A background write still gets every gap,
//!   and one that has waited [`MAX_DEFER`] goes in its turn like a request's.
//! - **PostgreSQL** takes concurrent writers, so requests' writes go in together. A background
//!   write, and on both databases a piece of background work such as signing a delivery
//!   ([`Database::yield_to_requests`]), goes while no request is busy; while some are, one goes
//!   per [`BACKGROUND_SLOT`], and any that has waited [`MAX_DEFER`] goes. A flood of requests
//!   thus slows the workers to a trickle without stopping them (deliveries still leave,
//!   `Accept`s too), and a steady load leaves them the gaps.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::Database;

/// How long a piece of background work lets requests go first, at most.
pub(crate) const MAX_DEFER: Duration = Duration::from_secs(1);

/// While requests are busy, background work goes one piece at a time, at most this often
/// (beside what has waited [`MAX_DEFER`]).
pub(crate) const BACKGROUND_SLOT: Duration = Duration::from_millis(10);

/// The order of writes (SQLite's one connection) and of background work.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// PostgreSQL: writes do not exclude each other; background ones only yield to requests.
    shared: bool,
    state: Mutex<GateState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct GateState {
    /// A write holds the connection (SQLite).
    held: bool,
    /// Requests busy: waiting to write, writing (PostgreSQL), or marked busy.
    requests: usize,
    /// When a piece of background work last went.
    background_went: Option<Instant>,
}

impl GateState {
    /// Whether a piece of background work waiting since `since` may go now (and if so, it is
    /// counted as gone); else how long to wait before asking again.
    fn background_turn(&mut self, since: Instant) -> Option<Duration> {
        let now = Instant::now();
        let slot_left = self.background_went.map_or(Duration::ZERO, |went| {
            BACKGROUND_SLOT.saturating_sub(now - went)
        });
        let defer_left = MAX_DEFER.saturating_sub(now - since);
        if self.requests > 0 && !slot_left.is_zero() && !defer_left.is_zero() {
            return Some(slot_left.min(defer_left));
        }
        self.background_went = Some(now);
        None
    }
}

/// The right to write, or a request counted busy; given back when dropped.
#[derive(Debug)]
pub(crate) enum Pass {
    /// The one connection is held (SQLite).
    Held(Arc<Gate>),
    /// A request is busy.
    Counted(Arc<Gate>),
}

impl Drop for Pass {
    fn drop(&mut self) {
        let gate = match self {
            Pass::Held(gate) => {
                gate.lock().held = false;
                gate
            }
            Pass::Counted(gate) => {
                let mut state = gate.lock();
                state.requests = state.requests.saturating_sub(1);
                drop(state);
                gate
            }
        };
        gate.changed.notify_waiters();
    }
}

/// A request counted busy until dropped ([`Database::request_busy`]).
#[derive(Debug)]
pub struct RequestBusy {
    _pass: Pass,
}

impl Gate {
    /// A gate for SQLite's one write connection (`shared` false) or PostgreSQL (`shared`).
    pub(crate) fn new(shared: bool) -> Gate {
        Gate {
            shared,
            ..Gate::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Nothing panics while holding it; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count_request(self: &Arc<Self>) -> Pass {
        self.lock().requests += 1;
        Pass::Counted(self.clone())
    }

    /// Waits for a write's turn; `None` when it holds nothing (PostgreSQL's background).
    pub(crate) async fn enter(self: &Arc<Self>, background: bool) -> Option<Pass> {
        if self.shared {
            if background {
                self.background_turn().await;
                return None;
            }
            return Some(self.count_request());
        }
        let since = Instant::now();
        // A request's place in the queue, counted while it waits (and uncounted if the request
        // goes away while waiting, so background work is never held up by a request gone).
        let mut waiting = None;
        loop {
            // Registered before looking, so a release between the look and the wait is seen.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                let others_first = background && state.requests > 0 && since.elapsed() < MAX_DEFER;
                if !state.held && !others_first {
                    state.held = true;
                    drop(state);
                    drop(waiting.take());
                    return Some(Pass::Held(self.clone()));
                }
                if !background && waiting.is_none() {
                    drop(state);
                    waiting = Some(self.count_request());
                }
            }
            // Woken by a change, or when the wait has lasted long enough to go anyway.
            let left = MAX_DEFER.saturating_sub(since.elapsed());
            let _ = tokio::time::timeout(left.max(Duration::from_millis(1)), changed).await;
        }
    }

    /// Waits until a piece of background work may go (see the module's docs).
    async fn background_turn(&self) {
        let since = Instant::now();
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let Some(wait) = self.lock().background_turn(since) else {
                return;
            };
            let _ = tokio::time::timeout(wait.max(Duration::from_millis(1)), changed).await;
        }
    }
}

impl Database {
    /// Counts a request busy until the returned guard is dropped: background work yields to
    /// it. The inbox holds one for each request it handles.
    pub fn request_busy(&self) -> RequestBusy {
        RequestBusy {
            _pass: self.gate.count_request(),
        }
    }

    /// Waits, in background work, for its turn beside busy requests: at once when none is,
    /// else one piece per [`BACKGROUND_SLOT`], or after [`MAX_DEFER`]. The delivery worker
    /// calls it before signing.
    pub async fn yield_to_requests(&self) {
        self.gate.background_turn().await;
    }

    /// Waits for a write's turn; held until the write ends.
    pub(crate) async fn pass(&self) -> Option<Pass> {
        self.gate.enter(self.background).await
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
