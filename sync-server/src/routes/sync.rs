//! `POST /v1/sync`: the batched change-log sync (docs/protocol.md).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gridwalk_shared::wire::{self, SyncRequest};

use crate::app::AppState;
use crate::error::AppError;
use crate::store::BlobRefs;
use crate::{auth, sync};

fn protocol_mismatch(got: &str) -> AppError {
    AppError::new(
        StatusCode::UPGRADE_REQUIRED,
        "protocol_mismatch",
        format!(
            "this server speaks sync protocol {}, the app sent `{got}`: please update the app",
            wire::PROTOCOL_VERSION
        ),
    )
}

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().starts_with(token)))
}

/// 429 with `Retry-After` (whole seconds, at least 1).
fn rate_limited(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many sync rounds from this device; try again in {seconds} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Decodes the (possibly gzip-compressed) CBOR body of `POST /v1/sync` and checks its
/// protocol version and fields: every refusal is a 4xx with a stable code. Public as the
/// entry point of the `sync_body` fuzz target (docs/fuzzing.md).
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<SyncRequest, AppError> {
    let request: SyncRequest = if header_has(headers, header::CONTENT_ENCODING, "gzip") {
        wire::decode(&wire::gunzip(body, wire::MAX_DECODED_BYTES)?)?
    } else {
        wire::decode(body)?
    };
    if request.protocol != wire::PROTOCOL_VERSION {
        return Err(protocol_mismatch(&request.protocol.to_string()));
    }
    if request
        .app_version
        .as_ref()
        .is_some_and(|v| v.chars().count() > wire::MAX_APP_VERSION_CHARS)
    {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!(
                "app_version is longer than {} characters",
                wire::MAX_APP_VERSION_CHARS
            ),
        ));
    }
    Ok(request)
}

/// Handles one sync round.
#[tracing::instrument(skip_all)]
pub async fn sync<S: BlobRefs>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    // Refused before anything else: the server stops reading and drops the connection.
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            let refused = AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("{} (limit {} bytes)", e.body_text(), wire::MAX_BODY_BYTES),
            );
            return Ok(super::closing(refused.into_response()));
        }
    };
    let version = headers
        .get(wire::PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if version != wire::PROTOCOL_VERSION.to_string() {
        return Err(protocol_mismatch(version));
    }
    let device = auth::authenticate(&state.store, &headers).await?;
    if let Err(wait) = state
        .rounds
        .take(device.device_id, std::time::Instant::now())
    {
        return Ok(rate_limited(wait));
    }
    let request = decode_body(&headers, &body)?;
    // What the device still holds unsent once this round's uploads are settled (accepted,
    // or refused and kept aside as conflict copies), for the admin web's device list.
    let uploaded: u64 = request.docs.iter().map(|d| d.changes.len() as u64).sum();
    let pending = request.pending.map(|p| p.saturating_sub(uploaded));
    let app_version = request.app_version.clone();
    let engine = sync::Engine {
        locks: &state.locks,
        checks: &state.checks,
        limits: state.limits,
        live: &state.live,
    };
    let round = state.metrics.round();
    let response = sync::sync(&state.store, &engine, &device, request).await?;
    round.done(
        response.accepted.len(),
        response.rejected.len(),
        response.docs.len(),
    );
    if let Some(pending) = pending {
        if let Err(e) = state.store.note_pending(device.device_id, pending).await {
            tracing::warn!(error = %e, "could not record the device's pending changes");
        }
    }
    if let Some(version) = app_version.filter(|v| *v != device.app_version) {
        if let Err(e) = state
            .store
            .note_app_version(device.device_id, version)
            .await
        {
            tracing::warn!(error = %e, "could not record the device's app version");
        }
    }

    // A rejected document makes the round a 422, but the body is still the whole
    // response: accepted documents are stored and the page is there to apply.
    let status = if response.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let encoded = wire::encode(&response);
    let gzip = encoded.len() >= wire::COMPRESS_FROM_BYTES
        && header_has(&headers, header::ACCEPT_ENCODING, "gzip");
    let mut reply = if gzip {
        let mut r = wire::gzip(&encoded).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        encoded.into_response()
    };
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(wire::CONTENT_TYPE),
    );
    Ok(reply)
}
