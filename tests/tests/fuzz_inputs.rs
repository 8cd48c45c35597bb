//! The fuzz targets' inputs on stable (docs/fuzzing.md): the seed corpus in
//! `fuzz/corpus/<target>/seed-*` is valid input for its target's entry point, so the fuzzer
//! starts deep inside it; and every crash the fuzzer found, kept in
//! `tests/fixtures/malformed/<target>/`, is now refused cleanly. `GRIDWALK_BLESS=1` rewrites
//! the seeds from the generators below.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use gridwalk_client::Client;
use gridwalk_server::admin::import::{check_rows, read_table};
use gridwalk_server::routes::sync::decode_body;
use gridwalk_server::seed;
use gridwalk_server::store::StoredDoc;
use gridwalk_server::sync::{check_upload, Receipt};
use gridwalk_shared::doc;
use gridwalk_shared::model::{
    Household, Incident, IncidentAction, IncidentEvent, OrgKind, Record, RecordKind, ReferenceData,
    Role, Visit, WorkLogDay, WorkLogEntry,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::Actor;
use gridwalk_shared::wire::{self, Cursor, DocDownload, DocUpload, Rejection, SyncResponse};
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde_bytes::ByteBuf;
use uuid::Uuid;

/// Actor of the stored households' documents: the `upload_check` target uses the same.
const STORED_ACTOR: &[u8] = b"gridwalk-stored";
/// Actor of the seeds' own changes (fixed, so re-blessing gives the same bytes).
const DEVICE_ACTOR: &[u8] = b"gridwalk-device";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, prefix: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    found.sort();
    found
}

/// The committed seeds of `target`, after writing `generated` when blessing.
fn seeds(target: &str, generated: Vec<(&str, Vec<u8>)>) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = repo().join("fuzz/corpus").join(target);
    if std::env::var_os("GRIDWALK_BLESS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &generated {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
    let found = files(&dir, "seed-");
    assert!(
        found.len() >= generated.len(),
        "{}: {} seeds, expected {} (run with GRIDWALK_BLESS=1 once)",
        dir.display(),
        found.len(),
        generated.len()
    );
    found
}

/// Crashes found in `target`, kept as fixtures; `generated` ones are written when blessing.
fn crashes(target: &str, generated: Vec<(&str, Vec<u8>)>) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = repo().join("tests/fixtures/malformed").join(target);
    if std::env::var_os("GRIDWALK_BLESS").is_some() {
        for (name, bytes) in &generated {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let found = files(&dir, "");
    assert!(found.len() >= generated.len(), "{}", dir.display());
    found
}

/// The demo street as the `upload_check` target sees it: a grid worker, and their grid's
/// households stored as documents written by [`STORED_ACTOR`].
struct World {
    reference: ReferenceData,
    actor: Actor,
    households: Vec<Household>,
    stored: HashMap<Uuid, StoredDoc>,
    receipt: Receipt,
}

fn world() -> World {
    let demo = seed::demo(7);
    let worker = demo
        .reference
        .users
        .iter()
        .find(|u| u.role == Role::GridWorker)
        .unwrap()
        .clone();
    let households: Vec<Household> = demo
        .households
        .into_iter()
        .filter(|h| h.grid_id == worker.scope_id)
        .collect();
    let stored = households
        .iter()
        .map(|h| {
            let record = Record::Household(h.clone());
            let snapshot = written(STORED_ACTOR, &record).save();
            let stored = StoredDoc {
                doc_id: h.id,
                kind: RecordKind::Household,
                scope: h.grid_id,
                department: None,
                snapshot,
                seq: 1,
            };
            (h.id, stored)
        })
        .collect();
    World {
        reference: demo.reference,
        actor: Actor {
            user_id: worker.id,
            role: worker.role,
            scope_id: worker.scope_id,
        },
        households,
        stored,
        receipt: Receipt {
            server_actor: Uuid::from_u128(0x5e),
            now: Timestamp::from_millis(1_790_000_000_000),
            recovering: false,
        },
    }
}

fn written(actor: &[u8], record: &Record) -> AutoCommit {
    let mut document = AutoCommit::new().with_actor(ActorId::from(actor));
    doc::write(&mut document, record).unwrap();
    document
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn upload(
    record: &Record,
    document: &mut AutoCommit,
    after: &[automerge::ChangeHash],
) -> DocUpload {
    DocUpload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        changes: document
            .get_changes(after)
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    }
}

/// A new record's upload, as a device sends it.
fn new_upload(record: &Record) -> DocUpload {
    upload(record, &mut written(DEVICE_ACTOR, record), &[])
}

/// New records of a worker's day, and an edit of a stored household.
fn uploads(world: &World) -> Vec<(&'static str, DocUpload)> {
    let me = world.actor.user_id;
    let grid = world.actor.scope_id;
    let at = Timestamp::from_millis(1_789_990_000_000);
    let household = &world.households[0];
    let visit = Record::Visit(Visit {
        id: id(10),
        grid_id: grid,
        household_id: household.id,
        worker_id: me,
        started_at: at,
        ended_at: Some(Timestamp::from_millis(at.millis() + 600_000)),
        location: None,
        template_id: None,
        template_version: None,
        answers: Default::default(),
        notes: "家中老人身体良好".into(),
        photos: vec![],
        audio: vec![],
        follow_up: true,
        campaign: None,
    });
    let incident = Record::Incident(Incident {
        id: id(11),
        grid_id: grid,
        category: "env.garbage".into(),
        description: "楼道堆放杂物，堵塞消防通道".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: me,
        events: vec![IncidentEvent {
            id: id(12),
            at,
            by: me,
            action: IncidentAction::Report,
            note: String::new(),
            photos: vec![],
            location: None,
        }],
        received: Default::default(),
    });
    let worklog = Record::WorkLog(WorkLogDay {
        id: id(13),
        scope_id: grid,
        worker_id: me,
        date: "2026-09-21".into(),
        entries: vec![WorkLogEntry {
            id: id(14),
            at,
            text: "走访3户".into(),
        }],
    });
    // The edit is made on the stored document, so it depends on the stored change.
    let stored = Record::Household(household.clone());
    let mut document = written(STORED_ACTOR, &stored);
    document.commit();
    let heads = document.get_heads();
    let mut document = document.with_actor(ActorId::from(DEVICE_ACTOR));
    let mut edited = household.clone();
    edited.phone = "13900000000".into();
    edited.tags.push("独居老人".into());
    let edited = Record::Household(edited);
    doc::write(&mut document, &edited).unwrap();
    vec![
        ("visit.cbor", new_upload(&visit)),
        ("incident.cbor", new_upload(&incident)),
        ("worklog.cbor", new_upload(&worklog)),
        (
            "household-edit.cbor",
            upload(&edited, &mut document, &heads),
        ),
    ]
}

#[test]
fn sync_body_seeds_decode_and_crashes_are_refused() {
    let world = world();
    let docs = uploads(&world).into_iter().map(|(_, u)| u).collect();
    let full = wire::encode(&gridwalk_tests::raw::request(docs, None, 1));
    let empty = wire::encode(&gridwalk_tests::raw::request(vec![], None, 0));
    let generated = vec![
        ("request.cbor", full.clone()),
        ("request.cbor.gz", wire::gzip(&full)),
        ("empty.cbor", empty),
    ];
    let decode = |body: &[u8]| {
        let mut headers = HeaderMap::new();
        if body.starts_with(&[0x1f, 0x8b]) {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        decode_body(&headers, body)
    };
    for (path, body) in seeds("sync_body", generated) {
        if let Err(e) = decode(&body) {
            panic!("{}: {e}", path.display());
        }
    }
    // The wire corpus (`tests/fixtures/malformed/*`) and what the fuzzer found.
    let mut refused = files(&repo().join("tests/fixtures/malformed"), "");
    refused.extend(crashes("sync_body", vec![]));
    assert!(refused.len() >= 6, "the malformed corpus is there");
    for (path, body) in refused {
        let e = decode(&body).err().unwrap();
        assert!(e.status.is_client_error(), "{}: {e}", path.display());
    }
}

#[test]
fn upload_seeds_are_accepted_and_crashes_refused() {
    let world = world();
    let check = |upload: &DocUpload| {
        let stored = world.stored.get(&upload.doc_id);
        check_upload(
            stored,
            upload,
            &world.actor,
            &world.reference,
            world.receipt,
        )
    };
    let generated = uploads(&world)
        .into_iter()
        .map(|(name, u)| (name, wire::encode(&u)))
        .collect();
    for (path, bytes) in seeds("upload_check", generated) {
        let upload: DocUpload = wire::decode(&bytes).unwrap();
        match check(&upload) {
            Ok(Some(_)) => {}
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    for (path, bytes) in crashes("upload_check", vec![]) {
        let upload: DocUpload = wire::decode(&bytes).unwrap();
        let refusal = check(&upload).err().unwrap();
        assert!(
            !refusal.code.is_empty() && refusal.code != "storage_failure",
            "{}: {refusal:?}",
            path.display()
        );
    }
}

fn response(docs: Vec<DocDownload>, rejected: Vec<Rejection>) -> SyncResponse {
    SyncResponse {
        protocol: wire::PROTOCOL_VERSION,
        accepted: vec![],
        rejected,
        docs,
        cursor: Cursor {
            epoch: id(1),
            seq: 7,
            snapshot_after: None,
        },
        more: false,
        reference: None,
    }
}

fn download(record: &Record, data: Vec<u8>) -> DocDownload {
    DocDownload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        data: ByteBuf::from(data),
    }
}

/// An upload's changes as the server sends them on: concatenated.
fn as_download(upload: &DocUpload) -> DocDownload {
    let data: Vec<u8> = upload.changes.iter().flat_map(|c| c.to_vec()).collect();
    DocDownload {
        doc_id: upload.doc_id,
        kind: upload.kind,
        scope: upload.scope,
        data: ByteBuf::from(data),
    }
}

#[test]
fn download_seeds_apply_and_crashes_are_refused() {
    let world = world();
    let households: Vec<Record> = world.households[..3]
        .iter()
        .cloned()
        .map(Record::Household)
        .collect();
    let snapshots = households
        .iter()
        .map(|r| download(r, written(STORED_ACTOR, r).save()))
        .collect();
    let mut first = response(snapshots, vec![]);
    first.reference = Some(world.reference.clone());
    let changes = uploads(&world)
        .into_iter()
        .filter(|(name, _)| *name != "household-edit.cbor")
        .map(|(_, u)| as_download(&u))
        .collect();
    let rejected = vec![Rejection {
        doc_id: households[0].id(),
        code: "illegal_transition".into(),
        reason: "一个被拒绝的文档 / a refused document".into(),
        server_copy: Some(ByteBuf::from(written(STORED_ACTOR, &households[0]).save())),
    }];
    let generated = vec![
        ("reference-and-snapshots.cbor", wire::encode(&first)),
        ("changes.cbor", wire::encode(&response(changes, vec![]))),
        ("rejection.cbor", wire::encode(&response(vec![], rejected))),
    ];
    let apply = |body: &[u8]| {
        let response: SyncResponse = wire::decode(body).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::open(dir.path()).unwrap();
        let prepared = client.prepare_round().unwrap();
        client.apply_round(&prepared, response)
    };
    for (path, body) in seeds("download_apply", generated) {
        let expected: SyncResponse = wire::decode(&body).unwrap();
        let outcome = apply(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            outcome.downloaded_docs,
            expected.docs.len(),
            "{}",
            path.display()
        );
        assert!(outcome.incomplete.is_empty(), "{}", path.display());
    }
    for (path, body) in crashes("download_apply", vec![]) {
        assert!(apply(&body).is_err(), "{}", path.display());
    }
    // The changes that broke the server's check, sent to a device as a download: it does not
    // load, and the device asks for the document whole.
    for (path, bytes) in crashes("upload_check", vec![]) {
        let upload: DocUpload = wire::decode(&bytes).unwrap();
        let hostile = as_download(&upload);
        let outcome = apply(&wire::encode(&response(vec![hostile], vec![]))).unwrap();
        assert_eq!(
            outcome.incomplete,
            vec![upload.doc_id],
            "{}",
            path.display()
        );
    }
}

#[test]
fn photo_seeds_process_and_crashes_are_refused() {
    let image = image::RgbImage::from_fn(96, 64, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&image)
        .unwrap();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let generated = vec![("small.jpg", jpeg), ("small.png", png)];
    for (path, bytes) in seeds("photo", generated) {
        if let Err(e) = gridwalk_client::media::photo::process(&bytes) {
            panic!("{}: {e}", path.display());
        }
    }
    for (path, bytes) in crashes("photo", vec![]) {
        assert!(
            gridwalk_client::media::photo::process(&bytes).is_err(),
            "{}",
            path.display()
        );
    }
}

/// Three new households in the worker's grid, as the admin web's import template has them.
fn import_rows(world: &World) -> Vec<[String; 7]> {
    let grid = world
        .reference
        .unit(world.actor.scope_id)
        .filter(|u| u.kind == OrgKind::Grid)
        .unwrap();
    let building = world.reference.buildings_in(grid.id).next().unwrap();
    (1..=3)
        .map(|n| {
            [
                grid.name.clone(),
                building.name.clone(),
                format!("{} 新{n}0{n}室", building.name),
                format!("住户{n}"),
                format!("1380000000{n}"),
                "低保户,独居老人".into(),
                String::new(),
            ]
        })
        .collect()
}

const HEADER: [&str; 7] = ["网格", "楼栋", "地址", "户主", "电话", "标签", "备注"];

#[test]
fn import_seeds_read_and_crashes_are_refused() {
    let world = world();
    let rows = import_rows(&world);
    let mut csv = format!("\u{FEFF}{}\n", HEADER.join(","));
    for row in &rows {
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, cell).unwrap();
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let generated = vec![
        ("households.csv", csv.into_bytes()),
        ("households.xlsx", xlsx),
    ];
    // Two cells at opposite corners of the largest sheet: 17 billion cells between them.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, HEADER[1]).unwrap();
    sheet.write_string(1_048_575, 16_383, "户主").unwrap();
    let far_apart = vec![("far-apart-cells.xlsx", book.save_to_buffer().unwrap())];
    for (path, bytes) in seeds("household_import", generated) {
        let table = read_table(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (households, errors) =
            check_rows(&table, &world.reference, None, |_| true, &HashSet::new());
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert_eq!(households.len(), rows.len(), "{}", path.display());
    }
    for (path, bytes) in crashes("household_import", far_apart) {
        let refused = read_table(&bytes).err().unwrap();
        assert!(
            refused.0.contains("beyond row"),
            "{}: {refused}",
            path.display()
        );
    }
}
