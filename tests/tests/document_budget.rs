//! Bounded cost per sync request, against the real server: hostile documents (compressed and
//! run-length bombs, oversized texts, long lists, keys outside the schema, deep nesting, a
//! document over its saved size) are refused one by one with stable codes while `/health`
//! answers and every other device keeps syncing; download pages are cut by bytes, and a
//! document larger than a page still arrives.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::HashSet;
use std::io::Write;

use automerge::{transaction::Transactable, ObjType, ROOT};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Household, Incident, IncidentAction, IncidentEvent, Member};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::budget;
use gridwalk_shared::wire::{Cursor, DocUpload};
use gridwalk_shared::Record;
use gridwalk_tests::raw::{request, upload, RawDevice};
use gridwalk_tests::{Deployment, Server};
use serde_bytes::ByteBuf;
use uuid::Uuid;

fn incident(grid: Uuid, reporter: Uuid, comments: usize, note: &str) -> Incident {
    let start = Timestamp::from_millis(1_790_000_000_000);
    let event = |i: usize, action| IncidentEvent {
        id: Uuid::now_v7(),
        at: Timestamp::from_millis(start.millis() + i as i64 * 60_000),
        by: reporter,
        action,
        note: if i == 0 { String::new() } else { note.into() },
        photos: vec![],
        location: None,
    };
    let mut events = vec![event(0, IncidentAction::Report)];
    events.extend((1..=comments).map(|i| event(i, IncidentAction::Comment)));
    Incident {
        id: Uuid::now_v7(),
        grid_id: grid,
        category: "env.garbage".into(),
        description: "楼道堆放杂物，堵塞消防通道".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: reporter,
        events,
        received: Default::default(),
    }
}

fn uleb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An Automerge chunk of `kind` around `body` (the server refuses it before the checksum).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, kind];
    uleb(body.len() as u64, &mut out);
    out.extend(body);
    out
}

/// A compressed change chunk inflating to 256 MiB.
fn compressed_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        encoder.write_all(&zeros).unwrap();
    }
    chunk(2, &encoder.finish().unwrap())
}

/// A change chunk whose action column claims 2^40 operations in a few bytes.
fn run_length_bomb() -> Vec<u8> {
    let mut body = Vec::new();
    uleb(0, &mut body); // deps
    uleb(16, &mut body);
    body.extend([7; 16]); // actor
    for field in [1, 1, 0, 0, 0] {
        uleb(field, &mut body); // seq, start op, time, message, other actors
    }
    let column = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01]; // run of 2^40 times 1
    uleb(1, &mut body);
    uleb(0x42, &mut body); // action column
    uleb(column.len() as u64, &mut body);
    body.extend(column);
    chunk(1, &body)
}

/// An upload of `record`'s document after `edit` changed it behind the schema's back.
fn edited(record: &Record, edit: impl FnOnce(&mut automerge::AutoCommit)) -> DocUpload {
    let mut document = doc::create(record).unwrap();
    edit(&mut document);
    DocUpload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        changes: document
            .get_changes(&[])
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    }
}

fn raw_upload(record: &Record, change: Vec<u8>) -> DocUpload {
    DocUpload {
        changes: vec![ByteBuf::from(change)],
        ..upload(record)
    }
}

async fn enrolled(deployment: &Deployment, server: &Server, login: &str) -> RawDevice {
    let code = deployment.enroll_code(login).unwrap();
    RawDevice::enroll(&server.url, &code).await.unwrap()
}

/// Every document id a fresh pull from `cursor` brings, and the cursor after it.
async fn pull_ids(device: &RawDevice, mut cursor: Option<Cursor>) -> (Cursor, HashSet<Uuid>) {
    let mut ids = HashSet::new();
    loop {
        let reply = device.sync(&request(vec![], cursor, 0)).await.unwrap();
        assert_eq!(reply.status, 200);
        let body = reply.body.unwrap();
        ids.extend(body.docs.iter().map(|d| d.doc_id));
        cursor = Some(body.cursor);
        if !body.more {
            return (body.cursor, ids);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_are_refused_one_by_one_and_the_grid_keeps_syncing() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let hostile = enrolled(&deployment, &server, "worker1").await;
    let neighbour = enrolled(&deployment, &server, "worker1b").await;
    let (neighbour_cursor, _) = pull_ids(&neighbour, None).await;
    let (grid, me) = (hostile.user.scope_id, hostile.user.id);
    let inc = |comments, note: &str| Record::Incident(incident(grid, me, comments, note));

    let good = inc(0, "");
    let mut cases: Vec<(&str, DocUpload)> = vec![
        // Refused before a byte is inflated (devices read received ones capped).
        (
            "compressed_change",
            raw_upload(&inc(0, ""), compressed_bomb()),
        ),
        (
            "too_many_operations",
            raw_upload(&inc(0, ""), run_length_bomb()),
        ),
    ];
    // A real compressed change: devices send changes uncompressed.
    let many = inc(40, "楼道里的杂物还没有清理，居民反映强烈，请尽快处理。");
    let mut document = doc::create(&many).unwrap();
    let compressed = document.get_changes(&[])[0].clone().bytes().to_vec();
    assert_eq!(compressed[8], 2, "automerge compressed it");
    cases.push(("compressed_change", raw_upload(&many, compressed)));
    let mut long = incident(grid, me, 0, "");
    long.description = "长".repeat(budget::MAX_TEXT + 1);
    cases.push(("field_too_long", upload(&Record::Incident(long))));
    cases.push(("list_too_long", upload(&inc(budget::MAX_EVENTS, ""))));
    let crowded = Household {
        id: Uuid::now_v7(),
        grid_id: grid,
        building_id: deployment_building(&hostile, grid).await,
        address: "幸福路99号".into(),
        head: "张三".into(),
        phone: "13800000000".into(),
        tags: vec![],
        members: (0..=budget::MAX_MEMBERS)
            .map(|n| Member {
                id: Uuid::now_v7(),
                name: format!("居民{n}"),
                relation: "子女".into(),
                birth_year: None,
                tags: vec![],
            })
            .collect(),
        notes: String::new(),
    };
    cases.push(("list_too_long", upload(&Record::Household(crowded))));
    cases.push((
        "unknown_field",
        edited(&inc(0, ""), |d| {
            d.put(ROOT, "priority", "urgent").unwrap();
        }),
    ));
    cases.push((
        "too_deep",
        edited(&inc(0, ""), |d| {
            let mut obj = d.put_object(ROOT, "extra", ObjType::Map).unwrap();
            for _ in 0..2_000 {
                obj = d.put_object(&obj, "x", ObjType::Map).unwrap();
            }
        }),
    ));
    // Every text and list within its cap, the whole over the saved size.
    let note = "记".repeat(budget::MAX_TEXT);
    let events = budget::MAX_DOC_BYTES / (note.len() / 2) + 1;
    cases.push(("document_too_large", upload(&inc(events, &note))));

    let mut docs = vec![upload(&good)];
    docs.extend(cases.iter().map(|(_, u)| u.clone()));
    let reply = hostile.sync(&request(docs, None, 0)).await.unwrap();
    assert_eq!(reply.status, 422, "refused documents make the round a 4xx");
    assert!(server.healthy(), "/health answers");
    let body = reply.body.unwrap();
    assert_eq!(body.accepted, vec![good.id()]);
    for (code, upload) in &cases {
        let refused = body
            .rejected
            .iter()
            .find(|r| r.doc_id == upload.doc_id)
            .unwrap_or_else(|| panic!("{code}: not refused"));
        assert_eq!(&refused.code, code, "{}", refused.reason);
        assert!(refused.server_copy.is_none());
    }
    assert_eq!(body.rejected.len(), cases.len());

    // The neighbour receives exactly the accepted record; the hostile device goes on.
    let (_, ids) = pull_ids(&neighbour, Some(neighbour_cursor)).await;
    assert_eq!(ids, HashSet::from([good.id()]));
    let next = inc(0, "");
    let reply = hostile
        .sync(&request(vec![upload(&next)], Some(body.cursor), 0))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.unwrap().accepted, vec![next.id()]);
    let (_, ids) = pull_ids(&neighbour, None).await;
    assert!(ids.contains(&good.id()) && ids.contains(&next.id()));
    assert!(cases.iter().all(|(_, u)| !ids.contains(&u.doc_id)));
    assert!(server.healthy());
}

/// A building of `grid`, from the reference data.
async fn deployment_building(device: &RawDevice, grid: Uuid) -> Uuid {
    let reply = device.sync(&request(vec![], None, 0)).await.unwrap();
    let reference = reply.body.unwrap().reference.unwrap();
    reference
        .buildings
        .iter()
        .find(|b| b.grid_id == grid)
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_cut_by_bytes_and_a_large_document_still_arrives() {
    const PAGE: usize = 100_000;
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--page-bytes", "100000"],
    )
    .unwrap();
    let writer = enrolled(&deployment, &server, "worker1").await;
    let reader = enrolled(&deployment, &server, "worker1b").await;
    let (cursor, _) = pull_ids(&reader, None).await;
    let (grid, me) = (writer.user.scope_id, writer.user.id);

    // Thirty incidents of ~12 KB each, and one of ~480 KB: more than four pages' worth.
    let note = "记".repeat(budget::MAX_TEXT);
    let mut uploaded: Vec<Record> = (0..30)
        .map(|_| Record::Incident(incident(grid, me, 1, &note)))
        .collect();
    uploaded.push(Record::Incident(incident(grid, me, 40, &note)));
    let reply = writer
        .sync(&request(uploaded.iter().map(upload).collect(), None, 0))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.unwrap().accepted.len(), uploaded.len());

    // The reader's log pages stay within the budget, but for a page of one document.
    let mut cursor = Some(cursor);
    let (mut pages, mut seen) = (0, HashSet::new());
    loop {
        let reply = reader.sync(&request(vec![], cursor, 0)).await.unwrap();
        let body = reply.body.unwrap();
        let bytes: usize = body.docs.iter().map(|d| d.data.len()).sum();
        assert!(
            bytes <= PAGE || body.docs.len() == 1,
            "{} documents, {bytes} bytes",
            body.docs.len()
        );
        pages += 1;
        seen.extend(body.docs.iter().map(|d| d.doc_id));
        cursor = Some(body.cursor);
        if !body.more {
            break;
        }
    }
    assert!(pages >= 6, "{pages} pages");
    let expected: HashSet<Uuid> = uploaded.iter().map(Record::id).collect();
    assert_eq!(seen, expected);

    // Refused documents' server copies share the budget: those left out are sent whole on
    // request, a page at a time.
    let refusing = uploaded.clone();
    let compressed = |record: &Record| {
        let mut document = doc::create(record).unwrap();
        let mut change = document.get_changes(&[])[0].clone();
        raw_upload(record, change.bytes().to_vec())
    };
    let reply = writer
        .sync(&request(
            refusing.iter().map(compressed).collect(),
            cursor,
            0,
        ))
        .await
        .unwrap();
    let body = reply.body.unwrap();
    assert_eq!(body.rejected.len(), refusing.len());
    assert!(body.rejected.iter().all(|r| r.code == "compressed_change"));
    let copies: usize = body
        .rejected
        .iter()
        .filter_map(|r| r.server_copy.as_ref().map(|c| c.len()))
        .sum();
    assert!(copies > 0 && copies <= PAGE, "{copies} bytes of copies");
    let left_out: Vec<Uuid> = body
        .rejected
        .iter()
        .filter(|r| r.server_copy.is_none())
        .map(|r| r.doc_id)
        .collect();
    let large = refusing.last().unwrap().id();
    assert!(left_out.contains(&large), "480 KB do not fit in 100 KB");
    assert!(
        left_out.len() < refusing.len() - 1,
        "the small ones fit in part"
    );
    assert!(body.more, "the device is told to come back");
    let (mut asked, mut got) = (left_out.clone(), HashSet::new());
    while !asked.is_empty() {
        let mut ask = request(vec![], Some(body.cursor), 0);
        ask.want_full = asked.clone();
        let answer = writer.sync(&ask).await.unwrap().body.unwrap();
        let bytes: usize = answer.docs.iter().map(|d| d.data.len()).sum();
        assert!(bytes <= PAGE || answer.docs.len() == 1);
        assert!(!answer.docs.is_empty());
        got.extend(answer.docs.iter().map(|d| d.doc_id));
        asked.retain(|id| !got.contains(id));
        assert_eq!(answer.more, !asked.is_empty());
    }
    assert_eq!(got, left_out.into_iter().collect());

    // A fresh device's snapshot pages are cut the same way and bring everything.
    let fresh = enrolled(&deployment, &server, "worker1b").await;
    let (mut cursor, mut seen, mut pages) = (None, HashSet::new(), 0);
    loop {
        let reply = fresh.sync(&request(vec![], cursor, 0)).await.unwrap();
        let body = reply.body.unwrap();
        let bytes: usize = body.docs.iter().map(|d| d.data.len()).sum();
        assert!(bytes <= PAGE || body.docs.len() == 1, "{bytes} bytes");
        pages += 1;
        seen.extend(body.docs.iter().map(|d| d.doc_id));
        cursor = Some(body.cursor);
        if !body.more {
            break;
        }
    }
    assert!(pages >= 6, "{pages} pages");
    assert!(expected.is_subset(&seen));
    assert_eq!(
        seen.len(),
        300 + expected.len(),
        "the grid's households too"
    );
    assert!(server.healthy());
}
