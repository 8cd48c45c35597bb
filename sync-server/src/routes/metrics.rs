//! `GET /metrics` (Prometheus text format) and `GET /ready` (for the load balancer's health
//! check: the node answers and its database does).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;
use crate::store::{Gauge, Store};

/// How long `/ready` waits for the database before calling the node not ready.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// The node's metrics; asks for `Authorization: Bearer TOKEN` when a metrics token is set.
pub async fn metrics<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_ref()) {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "/metrics needs the node's metrics token (Authorization: Bearer …)",
            ));
        }
    }
    let mut gauges = vec![
        Gauge {
            name: "gridwalk_sync_checks_in_use",
            help: "Sync rounds whose uploads are being checked now (one slot per core).",
            value: state.checks.in_use() as f64,
        },
        Gauge {
            name: "gridwalk_live_streams_open",
            help: "Live-update (SSE) streams open on this node.",
            value: state.live.open_streams() as f64,
        },
    ];
    gauges.extend(state.store.gauges());
    let mut response = state.metrics.render(&gauges).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// 200 once the database answers within [`READY_WITHIN`]; 503 otherwise, so the load
/// balancer sends devices to another node.
pub async fn ready<S: Store>(State(state): State<AppState<S>>) -> Result<&'static str, AppError> {
    match tokio::time::timeout(READY_WITHIN, state.store.top_seq()).await {
        Ok(Ok(_)) => Ok("ready\n"),
        Ok(Err(e)) => Err(not_ready(format!("the database failed: {e}"))),
        Err(_) => Err(not_ready(format!(
            "the database did not answer within {} s",
            READY_WITHIN.as_secs()
        ))),
    }
}

fn not_ready(message: String) -> AppError {
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
}
