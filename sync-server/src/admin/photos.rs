//! `POST /api/photos`: a photo from the admin web (department feedback, a check's evidence),
//! already downscaled to JPEG by the browser as the app does on a phone (long edge ≤ 1920 px,
//! quality 0.8) — the server never decodes images: it checks the size and the JPEG magic
//! bytes, names the blob by its SHA-256 and stores it in the same blob store as devices'
//! uploads. `?thumbnail_of=HASH` stores the browser-made thumbnail of a photo sent before.

use axum::body::Bytes;
use axum::extract::{Query, State};
use gridwalk_shared::media::{is_blob_hash, sniff, MediaType, MAX_BLOB_BYTES};
use serde::{Deserialize, Serialize};

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::blobs::Held;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `POST /api/photos`.
pub const UPLOAD: Doc = Doc {
    id: "uploadPhoto",
    summary: "Upload a JPEG photo (downscaled in the browser) or, with thumbnail_of, its thumbnail",
    tag: "workflow",
    public: false,
    query: &[("thumbnail_of", "Hash of the photo this is the thumbnail of")],
    body: Some(Body::Upload),
    reply: Reply::json::<StoredPhoto>(),
};

/// Query of `POST /api/photos`.
#[derive(Deserialize)]
pub struct PhotoQuery {
    thumbnail_of: Option<String>,
}

/// A stored photo.
#[derive(Serialize, specta::Type)]
pub struct StoredPhoto {
    hash: String,
    size: u64,
}

/// Stores a photo sent by the admin web.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, bytes = body.len()))]
pub async fn upload<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<PhotoQuery>,
    body: Bytes,
) -> Result<ApiJson<StoredPhoto>, AppError> {
    let blobs = checked(&state, &body, "photo")?;
    if sniff(&body) != MediaType::Jpeg {
        return Err(AppError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_photo",
            "send the photo as JPEG (the page converts it before sending)",
        ));
    }
    if let Some(photo) = query.thumbnail_of.as_deref() {
        let held = blobs.store.held(photo).await?;
        if !is_blob_hash(photo) || !matches!(held, Held::Whole(_)) {
            return Err(invalid("`thumbnail_of` must name a photo uploaded before"));
        }
        // A photo some record already references came from a device: its thumbnail is
        // that device's to give.
        if !state
            .store
            .blob_docs(vec![photo.to_string()])
            .await?
            .is_empty()
        {
            return Err(crate::admin::json::forbidden(
                "only the device that uploaded this photo gives its thumbnail",
            ));
        }
    }
    let stored = store(blobs, body).await?;
    if let Some(photo) = query.thumbnail_of.as_deref() {
        blobs.store.set_thumbnail(photo, &stored.hash).await?;
    }
    Ok(ApiJson(stored))
}

/// Documentation of `POST /api/documents`.
pub const DOCUMENT: Doc = Doc {
    id: "uploadDocument",
    summary: "Upload a PDF document (a notice's attachment)",
    tag: "workflow",
    public: false,
    query: &[],
    body: Some(Body::Upload),
    reply: Reply::json::<StoredPhoto>(),
};

/// Stores a PDF sent by the admin web (a notice's attachment); named by its SHA-256 like
/// every blob, and readable by a device only once a record in its scope references it.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, bytes = body.len()))]
pub async fn upload_document<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    body: Bytes,
) -> Result<ApiJson<StoredPhoto>, AppError> {
    caller.require_admin()?;
    let blobs = checked(&state, &body, "document")?;
    if sniff(&body) != MediaType::Pdf {
        return Err(AppError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_pdf",
            "attach the document as a PDF",
        ));
    }
    Ok(ApiJson(store(blobs, body).await?))
}

/// The blob store (503 when the server keeps none), once `body` (a `what`) has a size it
/// may have.
fn checked<'a, S: AdminStore>(
    state: &'a AppState<S>,
    body: &Bytes,
    what: &str,
) -> Result<&'a crate::blobs::Blobs, AppError> {
    let blobs = state.blobs.as_ref().ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_blob_store",
            "this server keeps no photos or documents",
        )
    })?;
    if body.is_empty() || body.len() as u64 > MAX_BLOB_BYTES {
        return Err(invalid(format!(
            "a {what} is 1 byte to {} MiB",
            MAX_BLOB_BYTES / 1024 / 1024
        )));
    }
    Ok(blobs)
}

/// Stores `body` under its SHA-256, continuing a partial of the same bytes.
async fn store(blobs: &crate::blobs::Blobs, body: Bytes) -> Result<StoredPhoto, AppError> {
    let hash = crate::auth::sha256_hex(&body);
    let Some(_one_upload_at_a_time) = blobs.claim(&hash) else {
        return Err(AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "upload_busy",
            "another upload of these bytes is in progress; try again shortly",
        ));
    };
    let size = match blobs.store.held(&hash).await? {
        Held::Whole(size) => size,
        held => {
            // A partial of these very bytes (an earlier attempt): continue it.
            let at = held.bytes().min(body.len() as u64);
            let rest = body.slice(at as usize..);
            blobs.store.append(&hash, at, rest).await?;
            blobs.store.finish(&hash).await?
        }
    };
    Ok(StoredPhoto { hash, size })
}
