//! `HEAD`/`PUT`/`GET /v1/blobs/{sha256}`: resumable, verified blob upload and permission-
//! checked download (docs/protocol.md, "Blobs").

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::StreamExt;
use gridwalk_shared::media::{is_blob_hash, MAX_BLOB_BYTES};
use gridwalk_shared::wire;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth;
use crate::blobs::access::{may_read_blob, may_upload_blob, Upload};
use crate::blobs::{BlobError, BlobReader, BlobResult, BlobStore, Blobs, Held};
use crate::error::AppError;
use crate::store::{BlobRefs, DeviceAuth};
use crate::sync::actor;

/// Header with the bytes the server holds of a blob.
pub const OFFSET: &str = "upload-offset";
/// Header saying whether the server holds the whole blob (`1`) or part of it (`0`).
pub const COMPLETE: &str = "upload-complete";
/// Header naming the blob a download carries (a thumbnail's own hash).
pub const BLOB: &str = "x-gridwalk-blob";

/// Query of the blob routes.
#[derive(Debug, Default, Deserialize)]
pub struct BlobQuery {
    /// `GET`: the photo's thumbnail instead of the photo (`1` / `true`).
    #[serde(default)]
    pub thumbnail: Option<String>,
    /// `HEAD`/`PUT`: this blob is the thumbnail of that photo.
    #[serde(default)]
    pub thumbnail_of: Option<String>,
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::HashMismatch(_) => AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "hash_mismatch",
                format!("{e}; nothing was stored, upload it again from the start"),
            ),
            BlobError::OffsetTaken { .. } => {
                AppError::new(StatusCode::CONFLICT, "offset_mismatch", e.to_string())
            }
            BlobError::Store(e) => e.into(),
            BlobError::Io(_) | BlobError::Object(_) | BlobError::Location(_) => AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage_failure",
                e.to_string(),
            ),
        }
    }
}

fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Authenticates the device and checks the hash; the blob store must be configured.
async fn caller<S: BlobRefs>(
    state: &AppState<S>,
    headers: &HeaderMap,
    hash: &str,
) -> Result<(DeviceAuth, Blobs), AppError> {
    let version = headers
        .get(wire::PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok());
    if version.is_some_and(|v| v != wire::PROTOCOL_VERSION.to_string()) {
        return Err(AppError::new(
            StatusCode::UPGRADE_REQUIRED,
            "protocol_mismatch",
            "this server speaks another sync protocol: please update the app",
        ));
    }
    let device = auth::authenticate(&state.store, headers).await?;
    if !is_blob_hash(hash) {
        return Err(bad_request(
            "bad_hash",
            "a blob is named by its SHA-256 as 64 lowercase hex digits",
        ));
    }
    let blobs = state.blobs.clone().ok_or_else(|| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "blobs_unavailable",
            "this server stores no blobs",
        )
    })?;
    Ok((device, blobs))
}

/// Uploads (and `HEAD`) are for the device whose round first carried a reference to the
/// blob — or, for a thumbnail, to its photo.
async fn check_upload<S: BlobRefs>(
    store: &S,
    device: &DeviceAuth,
    hash: &str,
    query: &BlobQuery,
) -> Result<(), AppError> {
    let subject = match query.thumbnail_of.as_deref() {
        Some(photo) if !is_blob_hash(photo) || photo == hash => {
            return Err(bad_request(
                "bad_hash",
                "`thumbnail_of` must name another blob",
            ));
        }
        Some(photo) => photo,
        None => hash,
    };
    match may_upload_blob(store, device.device_id, &actor(device), subject).await? {
        Upload::Allowed => Ok(()),
        Upload::NotReferenced => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "not_referenced",
            format!("no record references blob {subject} yet; sync the record first"),
        )),
        Upload::NotYours => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "not_your_blob",
            format!("blob {subject} came in with another device's record; only that device uploads it (or its thumbnail)"),
        )),
    }
}

/// 503 `upload_busy` with `Retry-After`: another upload of the same blob is in progress.
pub fn upload_busy() -> Response {
    let mut busy = AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "upload_busy",
        "another upload of this blob is in progress; try again shortly",
    )
    .into_response();
    busy.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    busy
}

/// An answer that says how much of the blob the server holds.
fn holding(status: StatusCode, held: u64, whole: bool) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    headers.insert(OFFSET, HeaderValue::from(held));
    headers.insert(
        COMPLETE,
        HeaderValue::from_static(if whole { "1" } else { "0" }),
    );
    response
}

/// `HEAD`: how many bytes of the blob the server holds (404 when none).
#[tracing::instrument(skip_all, fields(blob = %hash))]
pub async fn head<S: BlobRefs>(
    State(state): State<AppState<S>>,
    Path(hash): Path<String>,
    Query(query): Query<BlobQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (device, blobs) = caller(&state, &headers, &hash).await?;
    check_upload(&state.store, &device, &hash, &query).await?;
    Ok(match blobs.store.held(&hash).await? {
        Held::Nothing => holding(StatusCode::NOT_FOUND, 0, false),
        Held::Partial(n) => holding(StatusCode::OK, n, false),
        Held::Whole(n) => holding(StatusCode::OK, n, true),
    })
}

/// `Content-Range: bytes START-END/TOTAL`, as (start, length, total).
fn content_range(headers: &HeaderMap) -> Result<(u64, u64, u64), AppError> {
    let bad = || bad_request("bad_range", "send `Content-Range: bytes START-END/TOTAL`");
    let text = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(bad)?;
    let (range, total) = text
        .strip_prefix("bytes ")
        .and_then(|r| r.split_once('/'))
        .ok_or_else(bad)?;
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let number = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
    let (start, end, total) = (number(start)?, number(end)?, number(total)?);
    if end < start || end >= total {
        return Err(bad());
    }
    if total > MAX_BLOB_BYTES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "blob_too_large",
            format!("a blob may have at most {MAX_BLOB_BYTES} bytes"),
        ));
    }
    Ok((start, end - start + 1, total))
}

/// Appends the body to the partial of `hash` held up to `at`, skipping the body's first
/// `skip` bytes (already held) and taking at most `length`; returns the bytes held after
/// and whether the body arrived whole.
async fn receive(
    body: Body,
    store: &dyn BlobStore,
    hash: &str,
    mut at: u64,
    mut skip: u64,
    length: u64,
) -> BlobResult<(u64, bool)> {
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    let mut pending = BytesMut::new();
    let gather = store.gather_bytes();
    let whole = loop {
        let chunk: Bytes = match stream.next().await {
            None => break seen == length,
            Some(Ok(chunk)) => chunk,
            Some(Err(_)) => break false,
        };
        let take = (chunk.len() as u64).min(length - seen);
        seen += take;
        let fresh = take.saturating_sub(skip);
        let from = (take - fresh) as usize;
        skip = skip.saturating_sub(take);
        pending.extend_from_slice(&chunk[from..take as usize]);
        if !pending.is_empty() && pending.len() >= gather {
            at = store.append(hash, at, pending.split().freeze()).await?;
        }
        if take < chunk.len() as u64 {
            break false;
        }
    };
    // Whatever arrived is kept (a cut connection resumes from it).
    if !pending.is_empty() {
        at = store.append(hash, at, pending.freeze()).await?;
    }
    Ok((at, whole))
}

/// 409 `offset_mismatch`: the server holds `have` bytes; the device continues from there.
fn offset_mismatch(have: u64) -> Response {
    let mut refused: Response = AppError::new(
        StatusCode::CONFLICT,
        "offset_mismatch",
        format!("the server holds {have} bytes of this blob; continue from there"),
    )
    .into_response();
    refused
        .headers_mut()
        .insert(OFFSET, HeaderValue::from(have));
    refused
}

/// `PUT` with `Content-Range`: appends to the blob; the last piece is verified against the
/// hash before the blob is kept. Idempotent: a blob held whole answers 200 at once.
///
/// An answer given before the whole body was read says `Connection: close`, so the client
/// does not reuse a connection the server is about to drop.
#[tracing::instrument(skip_all, fields(blob = %hash))]
pub async fn put<S: BlobRefs>(
    State(state): State<AppState<S>>,
    Path(hash): Path<String>,
    Query(query): Query<BlobQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut body = Some(body);
    let (response, read_whole) = match store_piece(&state, &hash, &query, &headers, &mut body).await
    {
        Ok(answer) => answer,
        Err(e) => (e.into_response(), false),
    };
    if read_whole {
        response
    } else {
        super::closing(response)
    }
}

/// The work of [`put`]; answers with whether the body was read to its end.
async fn store_piece<S: BlobRefs>(
    state: &AppState<S>,
    hash: &str,
    query: &BlobQuery,
    headers: &HeaderMap,
    body: &mut Option<Body>,
) -> Result<(Response, bool), AppError> {
    let (device, blobs) = caller(state, headers, hash).await?;
    let (start, length, total) = content_range(headers)?;
    check_upload(&state.store, &device, hash, query).await?;
    let Some(_one_upload_at_a_time) = blobs.claim(hash) else {
        return Ok((upload_busy(), false));
    };
    let have = match blobs.store.held(hash).await? {
        Held::Whole(size) => return Ok((holding(StatusCode::OK, size, true), false)),
        held => held.bytes(),
    };
    if start > have {
        return Ok((offset_mismatch(have), false));
    }
    let Some(body) = body.take() else {
        return Err(bad_request("incomplete_body", "the body was already read"));
    };
    let received = receive(body, blobs.store.as_ref(), hash, have, have - start, length).await;
    let (now, whole_body) = match received {
        Ok(received) => received,
        Err(BlobError::OffsetTaken { held }) => return Ok((offset_mismatch(held), false)),
        Err(e) => return Err(e.into()),
    };
    if !whole_body {
        tracing::info!(device = %device.device_id, held = now, "blob upload cut short");
        let mut cut: Response =
            bad_request("incomplete_body", "the body ended early").into_response();
        cut.headers_mut().insert(OFFSET, HeaderValue::from(now));
        return Ok((cut, false));
    }
    if now < total {
        return Ok((holding(StatusCode::ACCEPTED, now, false), true));
    }
    let size = blobs.store.finish(hash).await?;
    if let Some(photo) = &query.thumbnail_of {
        blobs.store.set_thumbnail(photo, hash).await?;
    }
    tracing::info!(device = %device.device_id, size, "blob stored");
    Ok((holding(StatusCode::CREATED, size, true), true))
}

/// `GET` (`?thumbnail=1` for a photo's thumbnail, one `Range` honoured): only for callers who
/// may see a record that references the blob.
#[tracing::instrument(skip_all, fields(blob = %hash))]
pub async fn get<S: BlobRefs>(
    State(state): State<AppState<S>>,
    Path(hash): Path<String>,
    Query(query): Query<BlobQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (device, blobs) = caller(&state, &headers, &hash).await?;
    if !may_read_blob(&state.store, &actor(&device), &hash).await? {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you may not see any record that references this blob",
        ));
    }
    let target = blob_target(&blobs, hash, query.wants_thumbnail()).await?;
    super::blob_range::ranged_blob_response(&blobs, &target, &headers).await
}

impl BlobQuery {
    /// Whether the photo's thumbnail is asked for (`?thumbnail=1` or `true`).
    pub fn wants_thumbnail(&self) -> bool {
        matches!(self.thumbnail.as_deref(), Some("1" | "true"))
    }
}

/// The blob to serve for `hash`: itself, or its thumbnail (404 `no_thumbnail` when none
/// was uploaded).
pub async fn blob_target(blobs: &Blobs, hash: String, thumbnail: bool) -> Result<String, AppError> {
    if !thumbnail {
        return Ok(hash);
    }
    blobs.store.thumbnail(&hash).await?.ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "no_thumbnail",
            "no thumbnail was uploaded for this photo",
        )
    })
}

/// Opens blob `hash` (or the bytes `range` of it); 404 `blob_missing` when the server does
/// not hold it whole (yet).
pub async fn open_blob(
    blobs: &Blobs,
    hash: &str,
    range: Option<std::ops::Range<u64>>,
) -> Result<BlobReader, AppError> {
    blobs.store.open(hash, range).await?.ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "blob_missing",
            "this blob has not been uploaded yet",
        )
    })
}

/// A blob as an HTTP answer: its type, size and name; cacheable forever (content-addressed);
/// `X-Content-Type-Options: nosniff`, so a browser never runs uploaded bytes as a page.
pub fn blob_response(hash: &str, reader: BlobReader) -> Response {
    let mut response =
        Body::from_stream(tokio_util::io::ReaderStream::new(reader.body)).into_response();
    let headers = response.headers_mut();
    let text = |t: &str| HeaderValue::from_str(t).unwrap_or(HeaderValue::from_static(""));
    headers.insert(header::CONTENT_TYPE, text(reader.media.mime()));
    let length = reader.range.end.saturating_sub(reader.range.start);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(BLOB, text(hash));
    headers.insert(header::ETAG, text(&format!("\"{hash}\"")));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    response
}
