//! HTTP handlers, one file per resource.

pub mod blob_range;
pub mod blobs;
pub mod enroll;
pub mod events;
pub mod health;
pub mod metrics;
pub mod sync;

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// Marks an answer given before the request body was read to its end. The server drops
/// such a connection, so `Connection: close` tells the client not to reuse it (otherwise
/// its next request on that connection fails with "connection closed").
pub fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
