//! The web error: a status code, a stable machine-readable code and a message safe to show.
//! Internal causes are logged, never sent.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use kith_federation::FederationError;
use kith_storage::StorageError;

/// An error a handler answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Nothing at this address.
    #[error("not found")]
    NotFound,
    /// The request is malformed; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials or signature; the message says what is wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// Understood, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// It conflicts with what is already there (a name taken, an activity received before).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than accepted.
    #[error("{0}")]
    TooLarge(String),
    /// Another server failed us; worth retrying later.
    #[error("{0}")]
    BadGateway(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// The database or another dependency is down.
    #[error("service unavailable")]
    Unavailable,
    /// A fault of ours; the cause goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::BadGateway(_) => (StatusCode::BAD_GATEWAY, "bad_gateway"),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The message safe to show (internal causes are not).
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "something went wrong on our side".to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<FederationError> for ApiError {
    fn from(err: FederationError) -> Self {
        match err {
            FederationError::Storage(e) => e.into(),
            FederationError::NotFound(_) => ApiError::NotFound,
            FederationError::BadRequest(reason) => ApiError::BadRequest(reason),
            e @ (FederationError::InvalidName { .. } | FederationError::Password(_)) => {
                ApiError::BadRequest(e.to_string())
            }
            e @ FederationError::UnknownAccount(_) => ApiError::BadRequest(e.to_string()),
            FederationError::Unauthorized(reason) => ApiError::Unauthorized(reason),
            e @ FederationError::Signature(_) => ApiError::Unauthorized(e.to_string()),
            FederationError::Forbidden(reason) => ApiError::Forbidden(reason),
            e @ (FederationError::Duplicate(_) | FederationError::NameTaken(_)) => {
                ApiError::Conflict(e.to_string())
            }
            e @ FederationError::TooLarge(_) => ApiError::TooLarge(e.to_string()),
            FederationError::RateLimited(secs) => ApiError::RateLimited(secs),
            e @ (FederationError::Remote(_) | FederationError::Gone(_)) => {
                ApiError::BadGateway(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let message = self.public_message();
        let mut response = (
            status,
            Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response();
        if let ApiError::RateLimited(secs) = self
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
