//! This serving process among the others sharing the database (kith-storage `processes.rs`):
//! where it serves, its registration as it starts, the heartbeat that also takes back what gone
//! processes held (and wakes the workers for it), and its hand-back as it stops.
//!
//! A restart in place (the same host, network namespace and listening address) takes back the
//! claims of the process before it as it registers, so after a `kill -9` its deliveries and
//! queued activities go out as soon as the workers start; a process that died and is not
//! restarted there loses its claims to any live one within [`STALE_AFTER`] and a heartbeat.

use std::net::SocketAddr;
use std::time::Duration;

use kith_storage::{Database, HEARTBEAT, STALE_AFTER, TakenBack};
use tokio::sync::watch;

use crate::{Context, Result};

/// Where this process serves: the host's name, the network namespace (two containers may share
/// a host name, never a namespace) and the listening address. Only one process at a time can
/// listen at one node, which is what lets a successor take the claims of the process before.
pub fn node(listen: SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let namespace = std::fs::read_link("/proc/self/ns/net")
        .map(|link| link.display().to_string())
        .unwrap_or_default();
    format!("{host} {namespace} {listen}")
}

/// Registers this process, listening on `listen`; what a process before it at the same node
/// left claimed is due again at once.
pub async fn register(db: &Database, listen: SocketAddr) -> Result<()> {
    let node = node(listen);
    let taken = db.register_process(&node).await?;
    if taken.any() {
        tracing::info!(
            deliveries = taken.deliveries,
            inbound = taken.inbound,
            "took back what the process before this one held"
        );
    }
    tracing::info!(process = db.process_id(), %node, "registered");
    Ok(())
}

/// Beats every [`HEARTBEAT`] through `beats` (a handle of its own, so that a busy pool never
/// delays a beat) until `shutdown`, taking back the claims of processes stale for
/// [`STALE_AFTER`] and waking this process's workers for them.
pub async fn run(ctx: Context, beats: Database, mut shutdown: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.changed() => break,
        }
        match beats.beat(STALE_AFTER).await {
            Ok(taken) => took_back(&ctx, taken),
            Err(error) => tracing::error!(%error, "recording this process's heartbeat failed"),
        }
    }
    if beats.backend() == kith_storage::Backend::Postgres {
        // Its own pool, closed on the runtime that drives it (SQLite's are shared).
        beats.close().await;
    }
}

fn took_back(ctx: &Context, taken: TakenBack) {
    if taken.processes > 0 {
        tracing::warn!(
            processes = taken.processes,
            deliveries = taken.deliveries,
            inbound = taken.inbound,
            "took back what processes without a heartbeat for {}s held",
            STALE_AFTER.as_secs()
        );
    }
    if taken.deliveries > 0 {
        ctx.wake_delivery();
    }
    if taken.inbound > 0 {
        crate::inbound::queue::wake_worker(ctx);
    }
}

/// Says that this process is stopping: a successor leaves its claims to it meanwhile.
pub async fn stopping(db: &Database) {
    if let Err(error) = db.process_stopping().await {
        tracing::warn!(%error, "marking this process as stopping failed");
    }
}

/// Hands back what this process still holds, once its workers are done, and leaves the
/// registry.
pub async fn leave(db: &Database) {
    match db.deregister_process().await {
        Ok(taken) if taken.any() => tracing::info!(
            deliveries = taken.deliveries,
            inbound = taken.inbound,
            "handed back unfinished work"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "leaving the registry of processes failed"),
    }
}

/// How long after a process's death its claims wait at most, when it is not restarted in
/// place: the staleness limit, then the next beat of a live process.
pub const RECOVERY_BOUND: Duration = STALE_AFTER.saturating_add(HEARTBEAT);
