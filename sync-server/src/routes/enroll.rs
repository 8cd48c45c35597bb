//! `POST /v1/enroll`: exchange a one-time code for a device token.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gridwalk_shared::wire::{self, EnrollRequest, EnrollResponse};

use crate::app::AppState;
use crate::auth;
use crate::error::AppError;
use crate::store::{Store, StoreError};

/// Enrols a device.
#[tracing::instrument(skip_all)]
pub async fn enroll<S: Store>(
    State(state): State<AppState<S>>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<Json<EnrollResponse>, AppError> {
    let Json(request) =
        body.map_err(|e| AppError::new(StatusCode::BAD_REQUEST, "malformed_body", e.body_text()))?;
    if request.device_name.chars().count() > 200
        || request.app_version.chars().count() > wire::MAX_APP_VERSION_CHARS
    {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            "device name or app version is too long",
        ));
    }
    let token = auth::new_token();
    let device = state
        .store
        .enroll(
            auth::enroll_code_hash(&request.code),
            request.device_name,
            request.app_version,
            auth::sha256_hex(token.as_bytes()),
        )
        .await
        .map_err(|e| match e {
            StoreError::Refused(why) => {
                AppError::new(StatusCode::UNAUTHORIZED, "invalid_code", why)
            }
            other => other.into(),
        })?;
    tracing::info!(device = %device.device_id, role = device.user.role.as_str(), "enrolled");
    Ok(Json(EnrollResponse {
        device_id: device.device_id,
        token,
        user: device.user,
    }))
}
