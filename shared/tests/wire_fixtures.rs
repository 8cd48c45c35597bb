//! Frozen wire format: golden encodings of protocol-1 bodies, and inputs that must be refused.
//! Set `GRIDWALK_BLESS=1` to rewrite the golden files after a deliberate protocol change
//! (which also means bumping `PROTOCOL_VERSION`).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::path::PathBuf;

use gridwalk_shared::model::RecordKind;
use gridwalk_shared::wire::{self, Cursor, DocUpload, Rejection, SyncRequest, SyncResponse};
use serde_bytes::ByteBuf;
use uuid::Uuid;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn golden_request() -> SyncRequest {
    SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor: Some(Cursor {
            epoch: id(1),
            seq: 42,
            snapshot_after: None,
        }),
        reference_version: 3,
        docs: vec![DocUpload {
            doc_id: id(2),
            kind: RecordKind::Visit,
            scope: id(3),
            changes: vec![ByteBuf::from(vec![0x85, 0x6f, 0x4a, 0x83])],
        }],
        want_full: vec![id(4)],
        pending: None,
        app_version: None,
    }
}

fn golden_response() -> SyncResponse {
    SyncResponse {
        protocol: wire::PROTOCOL_VERSION,
        accepted: vec![id(2)],
        rejected: vec![Rejection {
            doc_id: id(5),
            code: "out_of_scope".into(),
            reason: "incident is outside your scope".into(),
            server_copy: None,
        }],
        docs: vec![],
        cursor: Cursor {
            epoch: id(1),
            seq: 43,
            snapshot_after: Some(id(6)),
        },
        more: true,
        reference: None,
    }
}

fn check_golden(name: &str, encoded: &[u8]) {
    let path = fixtures().join(name);
    if std::env::var_os("GRIDWALK_BLESS").is_some() {
        std::fs::write(&path, encoded).unwrap();
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with GRIDWALK_BLESS=1 once)", path.display()));
    assert_eq!(
        encoded,
        golden.as_slice(),
        "{name}: the wire encoding changed; protocol {} is frozen",
        wire::PROTOCOL_VERSION
    );
}

#[test]
fn request_encoding_is_frozen() {
    let encoded = wire::encode(&golden_request());
    check_golden("sync_request_v1.cbor", &encoded);
    let decoded: SyncRequest = wire::decode(&encoded).unwrap();
    assert_eq!(decoded, golden_request());
}

#[test]
fn response_encoding_is_frozen() {
    let encoded = wire::encode(&golden_response());
    check_golden("sync_response_v1.cbor", &encoded);
    let decoded: SyncResponse = wire::decode(&encoded).unwrap();
    assert_eq!(decoded, golden_response());
}

#[test]
fn malformed_inputs_are_refused() {
    let dir = fixtures().join("malformed");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // crashes found by a fuzz target, per target (docs/fuzzing.md)
        }
        let bytes = std::fs::read(&path).unwrap();
        let result: Result<SyncRequest, _> = wire::decode(&bytes);
        assert!(
            result.is_err(),
            "{} decoded but must be refused",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 4, "the malformed corpus is there");
}

#[test]
fn gzip_round_trips_and_refuses_bombs() {
    let body = wire::encode(&golden_request());
    assert_eq!(wire::gunzip(&wire::gzip(&body), 1 << 20).unwrap(), body);
    let bomb = wire::gzip(&vec![0u8; 4 << 20]);
    assert!(matches!(
        wire::gunzip(&bomb, 1 << 20),
        Err(wire::WireError::TooLarge { .. })
    ));
    assert!(matches!(
        wire::gunzip(b"\x1f\x8b\x08garbage", 1 << 20),
        Err(wire::WireError::BadCompression(_))
    ));
}
