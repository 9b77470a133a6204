//! The inbound queue's in-memory state, one per process: the batch of checked activities
//! waiting for their write, the requests still being checked, and the wake-ups. Only the data
//! lives here, so that the context can hold it; the writer and the worker that use it are
//! `crate::inbound::queue`.

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use kith_storage::{InboundWriter, NewInbound};
use tokio::runtime::Handle;
use tokio::sync::{Notify, oneshot};

pub(crate) type Reply = oneshot::Sender<std::result::Result<bool, String>>;

/// The inbox's side of the queue: the shared batch and the worker's wake-up.
#[derive(Default)]
pub struct Ingress {
    pub(crate) batch: Mutex<Batch>,
    /// Wakes the inbox worker when a batch was queued.
    pub(crate) wakeup: Notify,
    /// Requests for queued kinds being checked, not yet in the batch (`crate::inbound::queue::Checking`).
    pub(crate) checking: AtomicUsize,
    /// Wakes the writer collecting the next batch once it is ready.
    pub(crate) ready: Notify,
}

#[derive(Default)]
pub(crate) struct Batch {
    /// Activities waiting for a write, each with its answer and when it arrived.
    pub(crate) pending: Vec<(NewInbound, Reply, Instant)>,
    /// Writer tasks running (each takes pending activities until none are left).
    pub(crate) writers: usize,
    /// One of them is waiting for the next batch to fill.
    pub(crate) collecting: bool,
    /// The writer thread's runtime and its database handle, while it runs.
    pub(crate) thread: Option<(Handle, InboundWriter)>,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress").finish_non_exhaustive()
    }
}
