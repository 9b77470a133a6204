//! Running a Kith instance on a listener: HTTP, the inbox's batch writer on a thread of its
//! own (PostgreSQL), and beside them (on a runtime of lower priority) the delivery worker, the
//! inbox worker, the heartbeat, the recurring-event task, the pruning of old received ids and
//! the look-up of other hosts' software, stopped together; the process registered among those
//! sharing the database before, and out of it after. The `kith serve` command and the
//! multi-instance tests both start instances here.

use kith_federation::outbound::delivery::{self, DeliverySettings};
use tokio::net::TcpListener;

use crate::AppState;

/// Serves HTTP on `listener` and runs the delivery and inbox workers until `shutdown` resolves;
/// requests in flight finish (within `connections::SHUTDOWN_GRACE`), the delivery worker gets a
/// few seconds for sends in flight and the inbox worker finishes the batch it is applying.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    delivery: DeliverySettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // This process among those sharing the database: what a process that served at this
    // address before left claimed is due again before the workers start.
    let db = state.ctx.db.clone();
    kith_federation::jobs::processes::register(&db, listener.local_addr()?)
        .await
        .map_err(std::io::Error::other)?;
    // The workers run on a runtime of their own at a lower priority, with their own HTTP
    // client and PostgreSQL connections (kith_federation::context::background): requests come first.
    let background = kith_federation::context::background::runtime(0)?;
    let bg = state
        .ctx
        .for_background(BACKGROUND_CONNECTIONS)
        .map_err(std::io::Error::other)?;
    // The inbox's batched writes, which requests wait on, on a thread of their own on
    // PostgreSQL (kith_federation::inbound::queue).
    let writer = kith_federation::inbound::queue::start_writer(&state.ctx)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker_ctx = bg.clone();
    let mut worker_stop = stopped.clone();
    let worker = background.spawn(async move {
        delivery::run(worker_ctx, delivery, async move {
            let _ = worker_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });
    // Content activities the inbox queued are applied here (kith_federation::inbound::queue).
    let ingress_ctx = bg.clone();
    let mut ingress_stop = stopped.clone();
    let ingress = background.spawn(async move {
        kith_federation::inbound::queue::run(ingress_ctx, async move {
            let _ = ingress_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });
    // The heartbeat, on a connection of its own (kith_federation::jobs::processes), until the
    // workers are done.
    let (stop_beats, beats_stopped) = tokio::sync::watch::channel(false);
    let beats = background.spawn(kith_federation::jobs::processes::run(
        bg.clone(),
        db.for_other_runtime(1),
        beats_stopped,
    ));
    // Occurrences of recurring events are created ahead, hourly, by one process of those
    // sharing the database.
    let series = background.spawn(kith_federation::actions::series::run(
        bg.clone(),
        std::time::Duration::from_secs(3600),
        stopped.clone(),
    ));
    // Remote HTML stored before the sanitiser's bounds is checked once (and brought within
    // them), on the background runtime.
    let legacy_html = background.spawn(kith_federation::jobs::legacy_html::run(
        bg.clone(),
        stopped.clone(),
    ));
    // Received ids older than any sender retries are forgotten, by one process at a time.
    let retention = background.spawn(kith_federation::jobs::retention::run(
        bg.clone(),
        kith_federation::jobs::retention::RetentionSettings::default(),
        stopped.clone(),
    ));
    // What software other hosts run, looked up from their NodeInfo (kith_federation::outbound::software).
    let lookups = background.spawn(kith_federation::outbound::software::lookup::run(
        bg.clone(),
        kith_federation::outbound::software::lookup::LookupSettings::default(),
        stopped.clone(),
    ));
    // Outgoing mail from its queue, and the hourly reminders and digests (kith_federation::actions::mail).
    let mail = background.spawn(kith_federation::outbound::smtp::run(
        bg.clone(),
        stopped.clone(),
    ));
    let mail_jobs = background.spawn(kith_federation::actions::mail::digest::run(
        bg.clone(),
        std::time::Duration::from_secs(3600),
        stopped.clone(),
    ));
    // Connections with a header timeout; the peer address keys the login throttle and the
    // inbox's per-address limit (see `connections`, `client_addr`).
    let header_timeout = state.web.header_timeout;
    let shutdown = {
        let db = db.clone();
        async move {
            shutdown.await;
            // Before the address is free: a successor there leaves this one's claims.
            kith_federation::jobs::processes::stopping(&db).await;
        }
    };
    crate::connections::serve(listener, crate::router(state), header_timeout, shutdown).await;
    if let Some(writer) = writer {
        writer.stop().await;
    }
    let _ = stop.send(true);
    drop(stopped);
    let _ = series.await;
    let _ = legacy_html.await;
    let _ = retention.await;
    let _ = lookups.await;
    let _ = mail.await;
    let _ = mail_jobs.await;
    if let Err(error) = ingress.await {
        tracing::error!(%error, "the inbox worker failed");
    }
    if let Err(error) = worker.await {
        tracing::error!(%error, "the delivery worker failed");
    }
    let _ = stop_beats.send(true);
    let _ = beats.await;
    kith_federation::jobs::processes::leave(&db).await;
    if bg.db.backend() == kith_storage::Backend::Postgres {
        // Its own pools, closed on the runtime that drives them (SQLite's are shared).
        let _ = background.spawn(async move { bg.db.close().await }).await;
    }
    // Not dropped here: dropping a runtime waits for its threads, which an async context
    // must not do.
    background.shutdown_background();
    Ok(())
}

/// PostgreSQL connections the background runtime opens at most (beside the server's own).
const BACKGROUND_CONNECTIONS: u32 = 8;
