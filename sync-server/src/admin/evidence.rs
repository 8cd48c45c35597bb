//! `GET /api/blobs/{sha256}` and `GET /api/blobs/missing`: the photos and audio notes records
//! reference, for signed-in admins and department staff who may see such a record, and the
//! referenced blobs devices have not uploaded yet.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gridwalk_shared::media::is_blob_hash;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::json::{forbidden, ApiJson};
use crate::app::AppState;
use crate::blobs::{missing_blobs, Blobs};
use crate::error::AppError;
use crate::routes::blob_range::ranged_blob_response;
use crate::routes::blobs::{blob_target, BlobQuery};
use crate::store::AdminStore;

/// Documentation of `GET /api/blobs/{sha256}`.
pub const DOWNLOAD: Doc = Doc {
    id: "blob",
    summary: "A photo (or its thumbnail) or audio note that a record in your scope references",
    tag: "records",
    public: false,
    query: &[(
        "thumbnail",
        "1: the photo's thumbnail (404 no_thumbnail if none)",
    )],
    body: None,
    reply: Reply::Media,
};

/// Documentation of `GET /api/blobs/missing`.
pub const MISSING: Doc = Doc {
    id: "missingBlobs",
    summary: "Photos and audio notes records in your scope reference but no device has uploaded",
    tag: "records",
    public: false,
    query: &[("limit", "Most rows (default 200, at most 1000)")],
    body: None,
    reply: Reply::json::<Vec<MissingBlob>>(),
};

/// The blob store, or 503 when the server keeps none.
pub fn blob_store<S: AdminStore>(state: &AppState<S>) -> Result<Blobs, AppError> {
    state.blobs.clone().ok_or_else(|| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "blobs_unavailable",
            "this server stores no blobs",
        )
    })
}

/// Streams a blob a record in the caller's scope references (`Range` for audio seeking).
#[tracing::instrument(skip_all, fields(user = %caller.user.id, blob = %hash))]
pub async fn download<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(hash): Path<String>,
    Query(query): Query<BlobQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !is_blob_hash(&hash) {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_hash",
            "a blob is named by its SHA-256 as 64 lowercase hex digits",
        ));
    }
    let blobs = blob_store(&state)?;
    let docs = state.store.blob_docs(vec![hash.clone()]).await?;
    if !docs.iter().any(|d| caller.sees(d.scope, d.department)) {
        return Err(forbidden(
            "no record within your scope references this photo or audio note",
        ));
    }
    let target = blob_target(&blobs, hash, query.wants_thumbnail()).await?;
    ranged_blob_response(&blobs, &target, &headers).await
}

/// Query of `GET /api/blobs/missing`.
#[derive(Deserialize)]
pub struct MissingQuery {
    limit: Option<usize>,
}

/// A referenced blob not uploaded yet, with the record and the device that should send it.
#[derive(Serialize, specta::Type)]
pub struct MissingBlob {
    hash: String,
    kind: &'static str,
    doc_id: Uuid,
    grid_id: Uuid,
    grid: String,
    partial_bytes: u64,
    device_id: Option<Uuid>,
    device_name: Option<String>,
    user_id: Option<Uuid>,
    user_name: Option<String>,
    login: Option<String>,
    since: Option<i64>,
}

/// Lists referenced blobs in the caller's scope that are not (wholly) uploaded.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn missing<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<MissingQuery>,
) -> Result<ApiJson<Vec<MissingBlob>>, AppError> {
    let blobs = blob_store(&state)?;
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    let found = missing_blobs(
        &state.store,
        blobs.store.as_ref(),
        limit,
        Some(caller.visibility()),
    )
    .await?;
    let r = &caller.reference;
    Ok(ApiJson(
        found
            .into_iter()
            .map(|m| {
                let user = m.user_id.and_then(|u| r.user(u));
                MissingBlob {
                    grid: r.unit(m.scope).map(|u| u.name.clone()).unwrap_or_default(),
                    user_name: user.map(|u| u.name.clone()),
                    login: user.map(|u| u.login.clone()),
                    hash: m.hash,
                    kind: m.kind,
                    doc_id: m.doc_id,
                    grid_id: m.scope,
                    partial_bytes: m.partial_bytes,
                    device_id: m.device_id,
                    device_name: m.device_name,
                    user_id: m.user_id,
                    since: m.since,
                }
            })
            .collect(),
    ))
}
