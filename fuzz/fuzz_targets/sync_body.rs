//! The server's decode of a `POST /v1/sync` body (gzip when it starts with the gzip magic, as
//! a device sends it with `Content-Encoding: gzip`): any bytes are decoded or refused with a
//! 4xx, never a panic.

#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use gridwalk_server::routes::sync::decode_body;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let mut headers = HeaderMap::new();
    if body.starts_with(&[0x1f, 0x8b]) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Err(e) = decode_body(&headers, body) {
        assert!(e.status.is_client_error(), "{}: {}", e.code, e.message);
    }
});
