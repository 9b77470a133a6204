//! Accepting and serving HTTP/1.1 connections (hyper), with the limits `axum::serve` does not
//! set: a connection must send a request's head within the header timeout, counted from when
//! the server starts waiting for it — on a new connection, and again between requests on a
//! kept-alive one — or it is closed. So neither a client that sends half a head and stalls
//! nor an idle kept-alive connection holds a socket and a task for ever.
//!
//! Shutting down stops accepting, closes idle connections, lets requests in flight finish and
//! waits for them at most [`SHUTDOWN_GRACE`].

use std::net::SocketAddr;
use std::time::Duration;

use axum::{Extension, Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::net::{TcpListener, TcpStream};
use tower::Layer;

/// The longest wait for requests in flight once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` resolves, then drains the connections.
/// Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = serve_connection(stream, peer, router.clone(), header_timeout);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                // Timeouts and clients going away end connections too; not the server's fault.
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open {SHUTDOWN_GRACE:?} after shutdown began; leaving them");
        }
    }
}

/// One connection, with the header timeout, and the peer address for the handlers.
fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
) -> http1::Connection<TokioIo<TcpStream>, TowerToHyperService<AddPeer>> {
    let service = Extension(ConnectInfo(peer)).layer(router);
    http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
}

/// The router with the connection's peer address added to each request.
type AddPeer = axum::middleware::AddExtension<Router, ConnectInfo<SocketAddr>>;

/// After a failed `accept`: errors of one connection are skipped; others (out of file
/// descriptors) are logged and accepting pauses for a second, as `axum::serve` does.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
