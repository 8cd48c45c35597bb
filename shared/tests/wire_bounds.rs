//! Element counts and lengths a CBOR body declares cost nothing before the bytes are there:
//! an array of four billion elements, a byte string of 2^62 bytes or nesting ten thousand
//! deep, in a body of a few bytes, is refused as malformed without allocating what it claims.

use gridwalk_shared::wire::{self, SyncRequest, SyncResponse};
use serde_bytes::ByteBuf;

/// A CBOR map with one text key.
fn map_with(key: &str, value: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xa1, 0x60 + key.len() as u8];
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(value);
    bytes
}

#[test]
fn a_huge_declared_array_is_refused_without_allocating_it() {
    // `docs`: an array declaring 2^32 - 1 elements, then nothing.
    let body = map_with("docs", &[0x9a, 0xff, 0xff, 0xff, 0xff]);
    assert!(matches!(
        wire::decode::<SyncRequest>(&body),
        Err(wire::WireError::Malformed(_))
    ));
    let body = map_with(
        "docs",
        &[0x9b, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    assert!(wire::decode::<SyncResponse>(&body).is_err());
}

#[test]
fn a_huge_declared_byte_string_is_refused_without_allocating_it() {
    // One byte string declaring 2^62 bytes, followed by four.
    let mut body = vec![0x81, 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(b"abcd");
    assert!(wire::decode::<Vec<ByteBuf>>(&body).is_err());
    // A text string too.
    let body = [0x81, 0x7b, 0x40, 0, 0, 0, 0, 0, 0, 0, b'a'];
    assert!(wire::decode::<Vec<String>>(&body).is_err());
}

#[test]
fn deep_nesting_is_refused_not_followed() {
    // Ten thousand nested one-element arrays: no stack overflow, a clean refusal.
    let mut body = vec![0x81; 10_000];
    body.push(0x00);
    assert!(wire::decode::<SyncRequest>(&body).is_err());
    assert!(wire::decode::<serde_json::Value>(&body).is_err());
}
