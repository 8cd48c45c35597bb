//! Blob downloads that honour one `Range: bytes=…` request, so an `<audio>` element can seek.

use super::blobs::{blob_response, open_blob};
use crate::blobs::{Blobs, Held};
use crate::error::AppError;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A byte range asked for: inclusive `(first, last)` within the blob, or unsatisfiable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// These bytes, inclusive.
    Bytes(u64, u64),
    /// Outside the blob: 416.
    Unsatisfiable,
}

/// The range `Range: bytes=…` asks of a `size`-byte blob; `None` (serve it whole) for a
/// header this server does not handle (several ranges, other units, garbage).
pub fn wanted(text: &str, size: u64) -> Option<Wanted> {
    let spec = text.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let number = |t: &str| t.trim().parse::<u64>().ok();
    let (first, last) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => match number(last)? {
            0 => return Some(Wanted::Unsatisfiable),
            n => (size.saturating_sub(n), size.checked_sub(1)?),
        },
        (false, true) => (number(first)?, size.saturating_sub(1)),
        (false, false) => (number(first)?, number(last)?.min(size.saturating_sub(1))),
        (true, true) => return None,
    };
    if first >= size || last < first {
        return Some(Wanted::Unsatisfiable);
    }
    Some(Wanted::Bytes(first, last))
}

/// Blob `hash`, whole (200, `Accept-Ranges: bytes`) or the one range `headers` ask for
/// (206), read from the store as a ranged read; 404 `blob_missing` when not held whole.
pub async fn ranged_blob_response(
    blobs: &Blobs,
    hash: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let missing = || {
        AppError::new(
            StatusCode::NOT_FOUND,
            "blob_missing",
            "this blob has not been uploaded yet",
        )
    };
    let mut response = match asked {
        None => blob_response(hash, open_blob(blobs, hash, None).await?),
        Some(text) => {
            let size = match blobs.store.held(hash).await? {
                Held::Whole(size) => size,
                _ => return Err(missing()),
            };
            match wanted(text, size) {
                None => blob_response(hash, open_blob(blobs, hash, None).await?),
                Some(Wanted::Unsatisfiable) => unsatisfiable(size),
                Some(Wanted::Bytes(first, last)) => {
                    let part = open_blob(blobs, hash, Some(first..last + 1)).await?;
                    let mut partial = blob_response(hash, part);
                    *partial.status_mut() = StatusCode::PARTIAL_CONTENT;
                    partial.headers_mut().insert(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes {first}-{last}/{size}"))
                            .unwrap_or(HeaderValue::from_static("")),
                    );
                    partial
                }
            }
        }
    };
    response
        .headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    Ok(response)
}

/// 416 `bad_range` for a `size`-byte blob.
fn unsatisfiable(size: u64) -> Response {
    let mut refused = AppError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "bad_range",
        format!("the blob has {size} bytes"),
    )
    .into_response();
    refused.headers_mut().insert(
        header::CONTENT_RANGE,
        HeaderValue::from_str(&format!("bytes */{size}")).unwrap_or(HeaderValue::from_static("")),
    );
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_browsers_send_them() {
        assert_eq!(wanted("bytes=0-", 100), Some(Wanted::Bytes(0, 99)));
        assert_eq!(wanted("bytes=10-19", 100), Some(Wanted::Bytes(10, 19)));
        assert_eq!(wanted("bytes=90-200", 100), Some(Wanted::Bytes(90, 99)));
        assert_eq!(wanted("bytes=-10", 100), Some(Wanted::Bytes(90, 99)));
        assert_eq!(wanted("bytes=-500", 100), Some(Wanted::Bytes(0, 99)));
        assert_eq!(wanted("bytes=100-", 100), Some(Wanted::Unsatisfiable));
        assert_eq!(wanted("bytes=20-10", 100), Some(Wanted::Unsatisfiable));
        assert_eq!(wanted("bytes=-0", 100), Some(Wanted::Unsatisfiable));
        assert_eq!(wanted("bytes=0-1,5-6", 100), None);
        assert_eq!(wanted("items=0-1", 100), None);
        assert_eq!(wanted("bytes=x-1", 100), None);
    }
}
