//! Background work at a lower scheduling priority than the server's requests: the workers'
//! async runtime, and the threads deliveries are signed on.
//!
//! A request waits on what Kith does for it; the delivery worker, the inbox worker and the
//! scheduled jobs wait on nobody. Sharing the request threads, they slowed an inbox burst
//! several times over, since each accepted post makes many signed deliveries and a post to store
//! (docs/performance.md, third round). Here both kinds of background thread ask the kernel for a
//! lower priority (`nice` [`NICENESS`]): when nothing else wants the CPU they use all of it (a
//! fan-out still signs on every core), and when requests come in, the kernel runs the request
//! threads first.
//!
//! Signing gets threads of its own besides: an RSA signature takes long enough to hold up
//! everything else queued on an async worker thread.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

use crate::{FederationError, Result};

/// How much lower than the server's threads background threads run (Linux `nice`, 0–19). At 10
/// the kernel gives them about a tenth of a core that request threads also want.
pub const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of signing threads, started on first use (commands that never deliver start none)
/// and ended when the last handle to it is dropped.
#[derive(Debug, Default)]
pub struct Signer {
    jobs: OnceLock<Sender<Job>>,
}

impl Signer {
    /// Runs `work` on a signing thread and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        self.jobs
            .get_or_init(start)
            .send(job)
            .map_err(|_| FederationError::Internal("the signing threads stopped".into()))?;
        answer
            .await
            .map_err(|_| FederationError::Internal("a signing thread stopped".into()))
    }
}

/// Starts one thread per core, all taking jobs from one queue.
fn start() -> Sender<Job> {
    let (jobs, queue) = channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..cores() {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("kith-sign-{n}"))
            .spawn(move || work(&queue));
        if let Err(error) = spawned {
            tracing::error!(%error, "starting a signing thread failed");
        }
    }
    jobs
}

fn work(queue: &Mutex<Receiver<Job>>) {
    lower_this_thread();
    loop {
        // The lock is held only to take one job, not while it runs.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return, // every handle was dropped
        }
    }
}

/// The async runtime background workers run on: `threads` threads (one per core when 0), at
/// the lower priority. Connections opened on it belong to it: give its tasks a context of
/// their own (`Context::for_background`).
pub fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    let threads = if threads == 0 { cores() } else { threads };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("kith-background")
        .on_thread_start(lower_this_thread)
        .enable_all()
        .build()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// On Linux a thread's priority is its own: this lowers the calling thread's, not the process's.
#[cfg(target_os = "linux")]
fn lower_this_thread() {
    if let Err(error) = rustix::process::setpriority_process(None, NICENESS) {
        tracing::warn!(%error, "lowering a background thread's priority failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_background_runtime_runs_at_the_lower_priority() {
        let runtime = runtime(1).unwrap();
        let nice = runtime.block_on(async { tokio::spawn(async { rustix_nice() }).await.unwrap() });
        assert_eq!(nice, Some(NICENESS));
        #[cfg(target_os = "linux")]
        assert_ne!(
            rustix_nice(),
            Some(NICENESS),
            "the caller's thread is left alone"
        );
    }

    fn rustix_nice() -> Option<i32> {
        #[cfg(target_os = "linux")]
        return rustix::process::getpriority_process(None).ok();
        #[cfg(not(target_os = "linux"))]
        return Some(NICENESS);
    }

    #[tokio::test]
    async fn runs_work_on_a_lower_priority_thread() {
        let signer = Signer::default();
        let (name, nice) = signer
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                (name, rustix_nice())
            })
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("kith-sign-"));
        assert_eq!(nice, Some(NICENESS));
        #[cfg(target_os = "linux")]
        assert_ne!(
            rustix_nice(),
            Some(NICENESS),
            "the server's thread is left alone"
        );
    }

    #[tokio::test]
    async fn many_jobs_at_once_each_get_their_own_answer() {
        let signer = Arc::new(Signer::default());
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..64u64 {
            let signer = signer.clone();
            tasks.spawn(async move { (n, signer.run(move || n * 2).await.unwrap()) });
        }
        let mut seen = 0;
        while let Some(joined) = tasks.join_next().await {
            let (n, doubled) = joined.unwrap();
            assert_eq!(doubled, n * 2);
            seen += 1;
        }
        assert_eq!(seen, 64);
    }
}
