//! Devices: enrolment codes (shown as a QR code), the device list, revocation.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use gridwalk_shared::model::Role;
use qrcode::render::svg;
use qrcode::QrCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::json::{forbidden, invalid, ApiJson};
use crate::app::AppState;
use crate::auth;
use crate::error::AppError;
use crate::store::{AdminStore, DeviceInfo, StoreError};

/// Documentation of `GET /api/devices`.
pub const LIST: Doc = Doc {
    id: "listDevices",
    summary: "Devices of the users within your scope, with last sync and app version",
    tag: "devices",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<Vec<DeviceRow>>(),
};
/// Documentation of `POST /api/users/{id}/enroll-codes`.
pub const ISSUE_CODE: Doc = Doc {
    id: "issueEnrollCode",
    summary: "Issue a one-time enrolment code for a user, with its QR code (SVG)",
    tag: "devices",
    public: false,
    query: &[(
        "ttl_hours",
        "Hours the code stays valid (1–168, default 72)",
    )],
    body: None,
    reply: Reply::json::<EnrollCode>(),
};
/// Documentation of `POST /api/devices/{id}/revoke`.
pub const REVOKE: Doc = Doc {
    id: "revokeDevice",
    summary: "Revoke a device: its token stops working at once",
    tag: "devices",
    public: false,
    query: &[],
    body: None,
    reply: Reply::Empty,
};

/// A device as listed.
#[derive(Serialize, specta::Type)]
pub struct DeviceRow {
    #[serde(flatten)]
    device: DeviceInfo,
    login: String,
    user_name: String,
    role: Role,
}

/// Lists devices of the users the caller administers.
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
) -> Result<ApiJson<Vec<DeviceRow>>, AppError> {
    caller.require_admin()?;
    let users: Vec<_> = caller
        .reference
        .users
        .iter()
        .filter(|u| caller.manages_user(u))
        .collect();
    let devices = state
        .store
        .devices_of(users.iter().map(|u| u.id).collect())
        .await?;
    Ok(ApiJson(
        devices
            .into_iter()
            .filter_map(|device| {
                let user = users.iter().find(|u| u.id == device.user_id)?;
                Some(DeviceRow {
                    login: user.login.clone(),
                    user_name: user.name.clone(),
                    role: user.role,
                    device,
                })
            })
            .collect(),
    ))
}

/// How long a code lives.
#[derive(Deserialize)]
pub struct CodeQuery {
    ttl_hours: Option<i64>,
}

/// A new enrolment code.
#[derive(Serialize, specta::Type)]
pub struct EnrollCode {
    code: String,
    user_id: Uuid,
    login: String,
    expires_at: i64,
    /// What the QR code holds: `gridwalk://enroll?server=…&code=…`.
    payload: String,
    /// The QR code as an SVG document.
    qr_svg: String,
}

/// The URL devices reach this server at, from the request's `Host`.
fn server_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Renders `payload` as an SVG QR code.
pub fn qr_svg(payload: &str) -> Result<String, AppError> {
    let code = QrCode::new(payload.as_bytes()).map_err(|e| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "qr_failed",
            e.to_string(),
        )
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// Issues a one-time enrolment code for a user.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn issue_code<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(query): Query<CodeQuery>,
) -> Result<ApiJson<EnrollCode>, AppError> {
    caller.require_admin()?;
    let user = caller
        .reference
        .user(id)
        .cloned()
        .ok_or_else(|| AppError::from(StoreError::NotFound(format!("user {id}"))))?;
    if !caller.manages_user(&user) {
        return Err(forbidden("that user is outside your scope"));
    }
    let ttl = query.ttl_hours.unwrap_or(72);
    if !(1..=168).contains(&ttl) {
        return Err(invalid("a code lives 1 to 168 hours"));
    }
    let code = auth::new_enroll_code();
    state
        .store
        .issue_enroll_code(id, auth::enroll_code_hash(&code), ttl)
        .await?;
    let payload = format!(
        "gridwalk://enroll?server={}&code={code}",
        server_url(&headers)
    );
    caller
        .audit(
            &state.store,
            "device.enroll_code",
            user.login.clone(),
            json!({ "user": id, "ttl_hours": ttl }),
        )
        .await?;
    Ok(ApiJson(EnrollCode {
        qr_svg: qr_svg(&payload)?,
        payload,
        code,
        user_id: id,
        login: user.login,
        expires_at: chrono::Utc::now().timestamp_millis() + ttl * 3_600_000,
    }))
}

/// Revokes a device.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn revoke<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    caller.require_admin()?;
    let device = state
        .store
        .device(id)
        .await?
        .ok_or_else(|| AppError::from(StoreError::NotFound(format!("device {id}"))))?;
    let managed = caller
        .reference
        .user(device.user_id)
        .is_some_and(|u| caller.manages_user(u));
    if !managed {
        return Err(forbidden(
            "that device belongs to a user outside your scope",
        ));
    }
    state.store.revoke_device(id).await?;
    caller
        .audit(
            &state.store,
            "device.revoke",
            id.to_string(),
            json!({ "user": device.user_id, "name": device.name }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
