//! Hostile downloads: a page whose documents inflate without bound, nest without bound or
//! are not Automerge at all is applied without crashing and without storing those
//! documents; the rest of the page is stored.

use std::io::Write;

use automerge::{transaction::Transactable, ObjType, ROOT};
use gridwalk_shared::{
    doc,
    wire::{DocDownload, Rejection},
    Record, RecordKind,
};
use serde_bytes::ByteBuf;
use tempfile::TempDir;
use uuid::Uuid;

use super::fixture::*;

/// A compressed change chunk (type 2) that inflates to 64 MiB of zeros.
fn bomb() -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 64 << 20]).unwrap();
    let deflated = encoder.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = deflated.len() as u64;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend(deflated);
    chunk
}

/// A household document with a map nested 5,000 levels deep under `notes`.
fn deep(id: Uuid) -> Vec<u8> {
    let mut document = doc::create(&Record::Household(household(GRID1, "深巷1号"))).unwrap();
    let mut obj = document.put_object(ROOT, "notes", ObjType::Map).unwrap();
    for _ in 0..5_000 {
        obj = document.put_object(&obj, "x", ObjType::Map).unwrap();
    }
    document.put(ROOT, "id", id.as_bytes().to_vec()).unwrap();
    document.save()
}

fn hostile(doc_id: Uuid, data: Vec<u8>) -> DocDownload {
    DocDownload {
        doc_id,
        kind: RecordKind::Household,
        scope: GRID1,
        data: ByteBuf::from(data),
    }
}

#[test]
fn a_page_with_bombs_and_deep_nesting_stores_the_rest() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(&dir.path().join("a"), &worker1(), TestClock::new());
    let good = household(GRID1, "幸福路1号");
    let held = household(GRID1, "幸福路2号");
    let mut first = delivery(&[Record::Household(held.clone())], 1);
    client
        .apply_round(&client.prepare_round().unwrap(), first.clone())
        .unwrap();

    let (bombed, nested, junk) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    first.docs = vec![
        hostile(bombed, bomb()),
        hostile(nested, deep(nested)),
        hostile(junk, b"not automerge".to_vec()),
        // a held document, merged with a bomb
        hostile(held.id, bomb()),
    ];
    first
        .docs
        .extend(delivery(&[Record::Household(good.clone())], 2).docs);
    first.cursor.seq = 2;
    // A refusal whose server copy is a bomb: the local document is dropped, nothing loads.
    first.rejected = vec![Rejection {
        doc_id: Uuid::now_v7(),
        code: "invalid_record".into(),
        reason: "test".into(),
        server_copy: Some(ByteBuf::from(bomb())),
    }];
    let outcome = client
        .apply_round(&client.prepare_round().unwrap(), first)
        .unwrap();

    assert_eq!(outcome.downloaded_docs, 5);
    let mut incomplete = outcome.incomplete.clone();
    incomplete.sort();
    let mut expected = vec![bombed, junk, held.id];
    expected.sort();
    assert_eq!(incomplete, expected, "asked for whole next round");
    assert!(client.record(bombed).unwrap().is_none());
    assert!(client.record(junk).unwrap().is_none());
    // The deep document is kept as the server sent it, but is not read past the bound.
    match client.record(nested) {
        Err(crate::Error::Doc(e)) => assert_eq!(e.code(), "too_deep"),
        other => panic!("read past the bound: {other:?}"),
    }
    assert_eq!(
        client.record(held.id).unwrap().unwrap().record,
        Record::Household(held)
    );
    assert_eq!(
        client.record(good.id).unwrap().unwrap().record,
        Record::Household(good)
    );
}
