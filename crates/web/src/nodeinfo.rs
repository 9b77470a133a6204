//! NodeInfo 2.1 and 2.0: what software this is and how much it is used, with counts read from
//! the database on each request.

use axum::{
    Json, Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{ApiError, AppState};

const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
const SCHEMA_20: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";

/// The NodeInfo routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/nodeinfo", get(get_nodeinfo_links))
        .route("/nodeinfo/2.1", get(get_nodeinfo_21))
        .route("/nodeinfo/2.0", get(get_nodeinfo_20))
}

/// The discovery document that points at both versions.
async fn get_nodeinfo_links(State(state): State<AppState>) -> Json<Value> {
    let base = state.ctx.urls().base();
    Json(json!({
        "links": [
            { "rel": SCHEMA_21, "href": format!("{base}nodeinfo/2.1") },
            { "rel": SCHEMA_20, "href": format!("{base}nodeinfo/2.0") },
        ]
    }))
}

async fn get_nodeinfo_21(State(state): State<AppState>) -> Result<Response, ApiError> {
    nodeinfo(&state, "2.1").await
}

async fn get_nodeinfo_20(State(state): State<AppState>) -> Result<Response, ApiError> {
    nodeinfo(&state, "2.0").await
}

async fn nodeinfo(state: &AppState, version: &str) -> Result<Response, ApiError> {
    let usage = state.ctx.db.usage_stats().await?;
    let mut software = json!({ "name": "kith", "version": env!("CARGO_PKG_VERSION") });
    let repository = env!("CARGO_PKG_REPOSITORY");
    // `repository` and `homepage` exist only from 2.1 on (2.0 validators reject them), and are
    // optional: say nothing rather than an empty string.
    if version == "2.1" && !repository.is_empty() {
        software["repository"] = json!(repository);
        software["homepage"] = json!(repository);
    }
    let body = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": false,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {
            "nodeName": state.web.instance_name,
            "localGroups": usage.local_groups,
        },
    });
    let content_type = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    Ok(([(header::CONTENT_TYPE, content_type)], Json(body)).into_response())
}
