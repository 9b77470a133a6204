//! `kith serve`: open the database, make sure the instance actor exists, and serve HTTP and run
//! the delivery worker until SIGINT or SIGTERM.

use anyhow::Context as _;
use kith_federation::{
    outbound::delivery::DeliverySettings, outbound::instance_actor::ensure_instance_actor,
};
use kith_web::{AppState, WebSettings};
use tokio::net::TcpListener;

use crate::{admin::open_context, config::Config};

/// Runs the server until a shutdown signal; in-flight requests finish first.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let trusted_proxies = config.trusted_proxies()?;
    let ctx = open_context(&config).await?;
    ensure_instance_actor(&ctx)
        .await
        .context("creating the instance actor")?;
    if config.dev {
        tracing::warn!("development mode: plain-http and loopback peers are allowed");
    }
    let mut web = WebSettings::new(config.instance_name.clone());
    web.trusted_proxies = trusted_proxies;
    let state = AppState::new(ctx.clone(), web);
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, domain = %config.domain, "listening on http://{addr}");
    kith_web::run(
        listener,
        state,
        DeliverySettings::default(),
        shutdown_signal(),
    )
    .await
    .context("serving HTTP")?;
    ctx.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, container runtimes).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
