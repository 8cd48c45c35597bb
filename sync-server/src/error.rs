//! The HTTP error type: each failure maps to a status, a stable code and a readable message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridwalk_shared::wire::{ErrorBody, WireError};

use crate::store::StoreError;

/// A request failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Readable message.
    pub message: String,
}

impl AppError {
    /// Builds an error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401: no or unknown credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            StoreError::Refused(why) => Self::new(StatusCode::CONFLICT, "refused", why),
            StoreError::Conflict(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the records changed meanwhile; send the request again",
            ),
            StoreError::Other(why) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "storage_failure", why)
            }
        }
    }
}

impl From<crate::sync::SyncError> for AppError {
    fn from(e: crate::sync::SyncError) -> Self {
        use crate::sync::SyncError;
        let message = e.to_string();
        match e {
            SyncError::TooManyChanges { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_changes",
                message,
            ),
            SyncError::ShuttingDown => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", message)
            }
            SyncError::Internal(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
            }
            SyncError::Store(e) => e.into(),
        }
    }
}

impl From<WireError> for AppError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Malformed(_) => {
                Self::new(StatusCode::BAD_REQUEST, "malformed_body", e.to_string())
            }
            WireError::TooLarge { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                e.to_string(),
            ),
            WireError::BadCompression(_) => {
                Self::new(StatusCode::BAD_REQUEST, "bad_compression", e.to_string())
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}
