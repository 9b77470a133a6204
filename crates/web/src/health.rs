//! `/healthz`: whether this process can serve, for load balancers and systemd watchdogs.

use axum::{Router, extract::State, routing::get};

use crate::{ApiError, AppState};

/// The health route.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(get_health))
}

/// 200 `ok` when the database answers, 503 otherwise.
async fn get_health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.ctx.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check: database does not answer");
        ApiError::Unavailable
    })?;
    Ok("ok")
}
