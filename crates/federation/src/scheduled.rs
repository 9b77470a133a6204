//! Periodic jobs that one process runs for all: with several Kith processes sharing a
//! PostgreSQL database, each asks for the job's turn (kith-storage `turns.rs`) every
//! [`LOOK_EVERY`] or its period if shorter, and the one that gets it runs the job; the others
//! skip it until its period is over. On SQLite there is one server process, which gets every
//! turn.

use std::time::Duration;

use tokio::sync::watch;

use crate::{Context, Result};

/// How often each process asks for a job's turn, at most: a turn not taken because its
/// process died mid-job (PostgreSQL rolls it back) is taken by another within this.
pub const LOOK_EVERY: Duration = Duration::from_secs(60);

/// Runs `work` about once per `every` across every process sharing the database, starting now
/// (unless another process ran it within `every`), until `shutdown`. A run that fails is logged;
/// on PostgreSQL it is not counted, so the job is tried again at the next look.
pub async fn run_once_per<F, Fut>(
    ctx: Context,
    job: &'static str,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut work: F,
) where
    F: FnMut(Context) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    loop {
        match ctx.db.take_turn(job, every).await {
            Ok(Some(turn)) => {
                tracing::info!(job, "running a job for every process (this one's turn)");
                match work(ctx.clone()).await {
                    Ok(()) => {
                        if let Err(error) = turn.finish().await {
                            tracing::warn!(job, %error, "recording a job's turn failed");
                        }
                    }
                    Err(error) => {
                        drop(turn);
                        tracing::warn!(job, %error, "a job failed");
                    }
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(job, %error, "asking for a job's turn failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every.min(LOOK_EVERY)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
