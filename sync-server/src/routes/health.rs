//! `GET /health`: answers once the store is open and the server is serving.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::store::Store;

/// Liveness and identity of the server.
pub async fn health<S: Store>(State(state): State<AppState<S>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "protocol": gridwalk_shared::wire::PROTOCOL_VERSION,
        "epoch": state.store.epoch(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
