//! Running a Kith instance on a listener: HTTP, the delivery worker and the inbox worker side
//! by side, stopped together. The `kith serve` command and the multi-instance tests both start instances here.

use kith_federation::delivery::{self, DeliverySettings};
use tokio::net::TcpListener;

use crate::AppState;

/// Serves HTTP on `listener` and runs the delivery and inbox workers until `shutdown` resolves;
/// requests in flight finish, the delivery worker gets a few seconds for sends in flight and the
/// inbox worker finishes the batch it is applying.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    delivery: DeliverySettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker_ctx = state.ctx.clone();
    let mut worker_stop = stopped.clone();
    let worker = tokio::spawn(async move {
        delivery::run(worker_ctx, delivery, async move {
            let _ = worker_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });
    // Content activities the inbox queued are applied here (kith_federation::ingress).
    let ingress_ctx = state.ctx.clone();
    let mut ingress_stop = stopped.clone();
    let ingress = tokio::spawn(async move {
        kith_federation::ingress::run(ingress_ctx, async move {
            let _ = ingress_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });
    // Occurrences of recurring events are created ahead, checked hourly.
    let series_ctx = state.ctx.clone();
    let series = tokio::spawn(kith_federation::events::recurrence::run(
        series_ctx,
        std::time::Duration::from_secs(3600),
        stopped.clone(),
    ));
    // The peer address keys the login throttle (see `auth`).
    let app = crate::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
        })
        .await;
    let _ = stop.send(true);
    drop(stopped);
    let _ = series.await;
    if let Err(error) = ingress.await {
        tracing::error!(%error, "the inbox worker failed");
    }
    if let Err(error) = worker.await {
        tracing::error!(%error, "the delivery worker failed");
    }
    served
}
