//! The write write_order: requests before background work — who writes next, and when a piece of
//! background work may go on.
//!
//! **The rule.** Requests (an inbox's batched write, a `Follow` answered at once, a form sent)
//! go before background work (applying queued activities, signing and recording deliveries)
//! whenever both want the database or the machine; background work still always gets the gaps,
//! so a flood of requests slows the workers without stopping them. Thread priorities cannot
//! say this: they order Kith's threads, not Kith against PostgreSQL. Requests mark themselves
//! busy — while their write waits or runs, and an inbox request for as long as it is handled
//! ([`Database::request_busy`]) — and background work yields:
//!
//! - **SQLite** has one writer at a time and Kith gives it one connection (`db.rs`): the gate
//!   hands it to requests before background writes. A background write still gets every gap,
//!   and one that has waited [`MAX_DEFER`] goes in its turn like a request's.
//! - **PostgreSQL** takes concurrent writers, so requests' writes go in together. A background
//!   write goes while requests are quiet (none busy for [`QUIET`]); while they are not, pieces
//!   wait in line and one goes per [`BACKGROUND_SLOT`], the longest waiting first. A piece
//!   waits its place in a line no longer than the workers' concurrency.
//! - **Background work that is not a write** — signing a delivery, most of its CPU — waits in
//!   the same line on both databases, through [`RequestsFirst`], where the signer asks for it
//!   (kith-federation's `knock.rs`).
//!
//! The line is a queue, not a race: only its head waits for the clock, and the next is woken
//! when it goes; only the last busy request to finish wakes anyone. Measurements behind these
//! choices, and what the earlier designs cost: docs/performance.md (third, fourth and sixth
//! rounds).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
// Tokio's clock, so the tests can pause it; the same monotonic clock otherwise.
use tokio::time::Instant;

use crate::Database;

/// How long a background write lets requests go first on SQLite, at most.
pub(crate) const MAX_DEFER: Duration = Duration::from_secs(1);

/// Requests count as busy for this long after the last one is done: in a flood the moments
/// with none in hand are brief (the senders are between two requests), and letting the whole
/// line go in each of them let background work take twice the CPU during a burst.
pub(crate) const QUIET: Duration = Duration::from_millis(10);

/// While requests are busy, background work goes one piece at a time, at most this often.
pub(crate) const BACKGROUND_SLOT: Duration = Duration::from_millis(10);

/// The order of writes (SQLite's one connection) and of background work.
#[derive(Debug, Default)]
pub(crate) struct WriteOrder {
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
    /// When the last busy request was done (requests were busy until then).
    requests_done: Option<Instant>,
    /// Pieces of background work waiting for a slot, in arrival order.
    line: VecDeque<Arc<Waiter>>,
}

/// A piece of background work in line; woken when it reaches the head.
#[derive(Debug, Default)]
struct Waiter {
    wake: Notify,
}

impl GateState {
    /// Takes `waiter` out of the line; if it was at the head, the next one is woken to wait
    /// for the slot.
    fn leave(&mut self, waiter: &Arc<Waiter>) {
        let Some(at) = self.line.iter().position(|w| Arc::ptr_eq(w, waiter)) else {
            return;
        };
        self.line.remove(at);
        if at == 0
            && let Some(next) = self.line.front()
        {
            next.wake.notify_one();
        }
    }

    /// Whether `waiter` may go now (and if so it is out of the line and counted as gone);
    /// else how long to wait before looking again (`None`: until woken).
    fn turn(&mut self, waiter: &Arc<Waiter>) -> Result<(), Option<Duration>> {
        let now = Instant::now();
        if let Some(quiet_in) = self.busy_for(now) {
            if !self.line.front().is_some_and(|w| Arc::ptr_eq(w, waiter)) {
                return Err(None);
            }
            let slot_left = self.background_went.map_or(Duration::ZERO, |went| {
                BACKGROUND_SLOT.saturating_sub(now - went)
            });
            if !slot_left.is_zero() {
                return Err(Some(slot_left.min(quiet_in)));
            }
        }
        self.background_went = Some(now);
        // The next in line is woken: it goes in the next slot, or at once if all is quiet.
        self.leave(waiter);
        Ok(())
    }

    /// `None` when requests are quiet at `now`; else the least time until they can be: what is
    /// left of [`QUIET`] since the last one was done, or all of it while one is busy.
    fn busy_for(&self, now: Instant) -> Option<Duration> {
        if self.requests > 0 {
            return Some(QUIET);
        }
        let done = self.requests_done?;
        Some(QUIET.saturating_sub(now - done)).filter(|left| !left.is_zero())
    }

    /// A request is done; true when it was the last busy one.
    fn request_done(&mut self) -> bool {
        self.requests = self.requests.saturating_sub(1);
        if self.requests > 0 {
            return false;
        }
        // The line waits for the quiet to last ([`QUIET`]); its head looks again in its slot.
        self.requests_done = Some(Instant::now());
        true
    }
}

/// Takes a waiter out of the line if its wait ends early (the work was cancelled).
struct InLine<'a> {
    write_order: &'a WriteOrder,
    waiter: Arc<Waiter>,
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.write_order.lock().leave(&self.waiter);
    }
}

/// The right to write, or a request counted busy; given back when dropped.
#[derive(Debug)]
pub(crate) enum Pass {
    /// The one connection is held (SQLite).
    Held(Arc<WriteOrder>),
    /// A request is busy.
    Counted(Arc<WriteOrder>),
}

impl Drop for Pass {
    fn drop(&mut self) {
        let gate = match self {
            Pass::Held(gate) => {
                gate.lock().held = false;
                gate
            }
            Pass::Counted(gate) => {
                // Only the last request done changes what anyone waits for; waking every
                // waiter on each of thousands of requests a second was waste.
                if !gate.lock().request_done() {
                    return;
                }
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

/// Background work's side of the gate for work that is not a write: waits for its turn
/// beside busy requests (see the module's docs). Cheap to clone; shared by every handle of
/// one database.
#[derive(Clone, Debug)]
pub struct RequestsFirst(Arc<WriteOrder>);

impl RequestsFirst {
    /// Waits for a piece of background work's turn: at once when no request is busy, else in
    /// line, one piece per [`BACKGROUND_SLOT`].
    pub async fn background_turn(&self) {
        self.0.background_turn().await;
    }
}

impl WriteOrder {
    /// A gate for SQLite's one write connection (`shared` false) or PostgreSQL (`shared`).
    pub(crate) fn new(shared: bool) -> WriteOrder {
        WriteOrder {
            shared,
            ..WriteOrder::default()
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
        let waiter = {
            let mut state = self.lock();
            let now = Instant::now();
            if state.busy_for(now).is_none() {
                state.background_went = Some(now);
                return;
            }
            let waiter = Arc::new(Waiter::default());
            state.line.push_back(waiter.clone());
            waiter
        };
        let in_line = InLine {
            write_order: self,
            waiter,
        };
        loop {
            // A wake-up between the look and the wait is kept (`notify_one` leaves a permit).
            let wait = match self.lock().turn(&in_line.waiter) {
                Ok(()) => break,
                Err(wait) => wait,
            };
            let woken = in_line.waiter.wake.notified();
            match wait {
                Some(wait) => {
                    let _ = tokio::time::timeout(wait.max(Duration::from_millis(1)), woken).await;
                }
                None => woken.await,
            }
        }
        // Out of the line already: dropping `in_line` finds nothing to take out.
    }
}

impl Database {
    /// Counts a request busy until the returned guard is dropped: background work yields to
    /// it. The inbox holds one for each request it handles.
    pub fn request_busy(&self) -> RequestBusy {
        RequestBusy {
            _pass: self.write_order.count_request(),
        }
    }

    /// The gate's line for background work that is not a write (the delivery signer's).
    pub fn requests_first(&self) -> RequestsFirst {
        RequestsFirst(self.write_order.clone())
    }

    /// Waits for a write's turn; held until the write ends.
    pub(crate) async fn pass(&self) -> Option<Pass> {
        self.write_order.enter(self.background).await
    }
}

#[cfg(test)]
#[path = "write_order_tests.rs"]
mod tests;
