//! One sync round at a time, with the server's answer built by hand: acknowledgements,
//! refusals with and without the server's copy, and downloads that miss their start. The
//! protocol against the real server (convergence, paging, lost answers, restores) is tested
//! end to end in `tests/tests/`.

use gridwalk_shared::{
    doc,
    model::Household,
    wire::{DocDownload, Rejection, SyncResponse},
    Record,
};
use serde_bytes::ByteBuf;
use tempfile::TempDir;
use uuid::Uuid;

use super::fixture::*;
use crate::{Client, NewIncident, RoundOutcome};

fn device(dir: &TempDir, name: &str) -> Client {
    signed_in(&dir.path().join(name), &worker1(), TestClock::new())
}

fn report(client: &Client, description: &str) -> Uuid {
    client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: description.into(),
            location: None,
        })
        .unwrap()
}

/// An answer that downloads nothing and acknowledges `accepted`.
fn acknowledging(accepted: &[Uuid]) -> SyncResponse {
    SyncResponse {
        accepted: accepted.to_vec(),
        ..delivery(&[], 1)
    }
}

/// An answer that refuses `doc_id` with `code`, sending `server_copy` along.
fn refusing(doc_id: Uuid, code: &str, server_copy: Option<ByteBuf>) -> SyncResponse {
    SyncResponse {
        rejected: vec![Rejection {
            doc_id,
            code: code.into(),
            reason: format!("{code} (test)"),
            server_copy,
        }],
        ..delivery(&[], 1)
    }
}

/// A download of `record`'s document as the bytes `data`.
fn download(record: &Record, data: Vec<u8>) -> DocDownload {
    DocDownload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        data: ByteBuf::from(data),
    }
}

/// Delivers `record` to `client` as the server's document; returns that document's bytes.
pub(super) fn hold(client: &Client, record: &Record) -> ByteBuf {
    let data = doc::create(record).unwrap().save();
    let mut response = delivery(&[], 1);
    response.docs.push(download(record, data.clone()));
    let prepared = client.prepare_round().unwrap();
    client.apply_round(&prepared, response).unwrap();
    ByteBuf::from(data)
}

/// Sends `client` the server's document `servers` of `home` with the household given to
/// `grid` (re-gridding; the fixture's reference already has that grid's building), in a
/// round that acknowledges nothing.
pub(super) fn move_to_grid(
    client: &Client,
    servers: &ByteBuf,
    home: &Household,
    grid: Uuid,
) -> RoundOutcome {
    let mut moved = doc::load(servers).unwrap();
    let record = Record::Household(Household {
        id: home.id,
        ..household(grid, &home.address)
    });
    doc::write(&mut moved, &record).unwrap();
    let mut response = delivery(&[], 2);
    response.docs.push(download(&record, moved.save()));
    let prepared = client.prepare_round().unwrap();
    client.apply_round(&prepared, response).unwrap()
}

#[test]
fn a_record_moved_to_another_grid_leaves_once_nothing_of_it_is_unsent() {
    let dir = TempDir::new().unwrap();
    let a = device(&dir, "a");
    let (kept, settled) = (
        household(GRID1, "幸福路1号101"),
        household(GRID1, "幸福路1号102"),
    );
    let kept_doc = hold(&a, &Record::Household(kept.clone()));
    let settled_doc = hold(&a, &Record::Household(settled.clone()));
    a.set_household_field(kept.id, "head", "王五").unwrap();

    assert_eq!(move_to_grid(&a, &settled_doc, &settled, GRID2).moved_out, 1);
    assert!(
        a.record(settled.id).unwrap().is_none(),
        "nothing unsent: dropped"
    );
    assert_eq!(move_to_grid(&a, &kept_doc, &kept, GRID2).moved_out, 0);
    assert!(
        a.record(kept.id).unwrap().is_some(),
        "its edit is still unsent"
    );
    assert_eq!(a.households().unwrap().len(), 0, "neither is listed");

    let prepared = a.prepare_round().unwrap();
    assert_eq!(prepared.changes(), 1, "the edit still uploads");
    let outcome = a.apply_round(&prepared, acknowledging(&[kept.id])).unwrap();
    assert_eq!((outcome.accepted, outcome.moved_out), (1, 1));
    assert!(a.record(kept.id).unwrap().is_none());
    assert_eq!(a.pending_changes().unwrap(), 0);
}

#[test]
fn outbox_rows_are_cleared_only_when_acknowledged() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let a = device(&dir, "a");
    hold(&a, &Record::Household(home.clone()));

    a.set_household_field(home.id, "head", "王五").unwrap();
    let prepared = a.prepare_round().unwrap();
    assert_eq!(prepared.changes(), 1);
    // An edit made while the request is on its way stays in the outbox.
    a.set_household_field(home.id, "notes", "独居").unwrap();
    assert_eq!(a.pending_changes().unwrap(), 2);
    let outcome = a.apply_round(&prepared, acknowledging(&[])).unwrap();
    assert_eq!(outcome.accepted, 0);
    assert_eq!(
        a.pending_changes().unwrap(),
        2,
        "an answer that does not acknowledge the document clears nothing"
    );
    let outcome = a.apply_round(&prepared, acknowledging(&[home.id])).unwrap();
    assert_eq!(outcome.accepted, 1);
    assert_eq!(
        a.pending_changes().unwrap(),
        1,
        "only what was sent is cleared"
    );

    // A response that never arrives leaves the outbox as it was; the retry sends the same.
    let lost = a.prepare_round().unwrap();
    assert_eq!(lost.changes(), 1);
    assert_eq!(a.pending_changes().unwrap(), 1);
    let retry = a.prepare_round().unwrap();
    assert_eq!(retry.request, lost.request);
    a.apply_round(&retry, acknowledging(&[home.id])).unwrap();
    assert_eq!(a.pending_changes().unwrap(), 0);
    let Record::Household(now) = a.record(home.id).unwrap().unwrap().record else {
        panic!("not a household")
    };
    assert_eq!((now.head.as_str(), now.notes.as_str()), ("王五", "独居"));
}

#[test]
fn a_refused_document_is_kept_aside_and_replaced_by_the_servers_copy() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let a = device(&dir, "a");
    let servers = hold(&a, &Record::Household(home.clone()));

    // The server refuses the edit (say worker1 was moved to grid 2) and sends its copy.
    a.set_household_field(home.id, "head", "王五").unwrap();
    let prepared = a.prepare_round().unwrap();
    let response = refusing(home.id, "out_of_scope", Some(servers));
    let outcome = a.apply_round(&prepared, response).unwrap();
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].0, home.id);
    assert_eq!(outcome.rejected[0].1, "out_of_scope");
    assert_eq!(outcome.conflict_copies, 1);
    assert_eq!(a.pending_changes().unwrap(), 0);
    let Record::Household(now) = a.record(home.id).unwrap().unwrap().record else {
        panic!("not a household")
    };
    assert_eq!(
        now.head, home.head,
        "the server's copy replaced the local one"
    );
    let copies = a.conflict_copies().unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].code, "out_of_scope");
    let Some(Record::Household(kept)) = &copies[0].record else {
        panic!("no kept record")
    };
    assert_eq!(kept.head, "王五");
}

#[test]
fn a_refused_new_document_without_a_server_copy_is_removed() {
    let dir = TempDir::new().unwrap();
    let a = device(&dir, "a");
    let incident = report(&a, "x");
    let prepared = a.prepare_round().unwrap();
    assert_eq!(prepared.request.docs[0].doc_id, incident);

    // The server no longer knows the category and has no copy of its own.
    let outcome = a
        .apply_round(&prepared, refusing(incident, "invalid_record", None))
        .unwrap();
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].0, incident);
    assert_eq!(outcome.conflict_copies, 1);
    assert!(a.record(incident).unwrap().is_none());
    assert!(a.incidents().unwrap().is_empty());
    assert_eq!(a.pending_changes().unwrap(), 0);
    let copies = a.conflict_copies().unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].doc_id, incident);
    assert_eq!(copies[0].code, "invalid_record");
}

#[test]
fn documents_with_missing_dependencies_are_fetched_whole() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let a = device(&dir, "a");

    // Only the second change of a document a has never seen.
    let mut full = doc::create(&Record::Household(home.clone())).unwrap();
    let heads = full.get_heads();
    let mut edited = home.clone();
    edited.head = "赵六".into();
    doc::write(&mut full, &Record::Household(edited.clone())).unwrap();
    let later: Vec<u8> = full
        .get_changes(&heads)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    let mut response = delivery(&[], 0);
    response
        .docs
        .push(download(&Record::Household(home.clone()), later));
    let prepared = a.prepare_round().unwrap();
    let outcome = a.apply_round(&prepared, response).unwrap();
    assert_eq!(outcome.incomplete, vec![home.id]);
    assert!(outcome.again);
    assert!(a.record(home.id).unwrap().is_none());

    // The next round asks for it whole, and the whole document completes it.
    let prepared = a.prepare_round().unwrap();
    assert_eq!(prepared.request.want_full, vec![home.id]);
    let mut response = delivery(&[], 1);
    response
        .docs
        .push(download(&Record::Household(edited), full.save()));
    let outcome = a.apply_round(&prepared, response).unwrap();
    assert!(outcome.incomplete.is_empty());
    assert!(!outcome.again);
    assert!(a.prepare_round().unwrap().request.want_full.is_empty());
    let Record::Household(stored) = a.record(home.id).unwrap().unwrap().record else {
        panic!("not a household")
    };
    assert_eq!(stored.head, "赵六");
}

/// A household as the server's change log sends it: every change's raw bytes, in order —
/// created, then its head renamed to `head`. With `skip_first`, only the rename.
fn change_log(
    home: &gridwalk_shared::model::Household,
    head: &str,
    skip_first: bool,
) -> DocDownload {
    let mut full = doc::create(&Record::Household(home.clone())).unwrap();
    let created = full.get_heads();
    let mut renamed = home.clone();
    renamed.head = head.into();
    doc::write(&mut full, &Record::Household(renamed)).unwrap();
    let since = if skip_first { created } else { Vec::new() };
    DocDownload {
        doc_id: home.id,
        kind: gridwalk_shared::RecordKind::Household,
        scope: home.grid_id,
        data: ByteBuf::from(
            full.get_changes(&since)
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect::<Vec<u8>>(),
        ),
    }
}

#[test]
fn a_fresh_device_stores_a_page_of_change_logs_and_edits_them_later() {
    let dir = TempDir::new().unwrap();
    let a = device(&dir, "a");
    // Enough documents that they are read on several threads.
    let homes: Vec<_> = (0..40)
        .map(|n| household(GRID1, &format!("幸福路{n}号")))
        .collect();
    let broken = homes[17].id;
    let mut response = delivery(&[], 1);
    response.docs = homes
        .iter()
        .enumerate()
        .map(|(n, home)| change_log(home, &format!("住户{n}"), home.id == broken))
        .collect();

    let prepared = a.prepare_round().unwrap();
    let outcome = a.apply_round(&prepared, response).unwrap();
    assert_eq!(outcome.downloaded_docs, 40);
    assert_eq!(
        outcome.incomplete,
        vec![broken],
        "only the one missing its start"
    );
    assert!(a.record(broken).unwrap().is_none());
    assert_eq!(a.households().unwrap().len(), 39);
    for (n, home) in homes.iter().enumerate().filter(|(_, h)| h.id != broken) {
        let Record::Household(stored) = a.record(home.id).unwrap().unwrap().record else {
            panic!("{} is not a household", home.id);
        };
        assert_eq!(stored.head, format!("住户{n}"), "{}", home.address);
        assert_eq!(stored.address, home.address);
    }

    // What was stored as sent loads again, takes an edit, and survives a reopen.
    a.set_household_field(homes[3].id, "phone", "13900000003")
        .unwrap();
    let exported = a.export().unwrap();
    drop(a);
    let a = Client::open(dir.path().join("a")).unwrap();
    assert_eq!(a.export().unwrap(), exported);
    let Record::Household(edited) = a.record(homes[3].id).unwrap().unwrap().record else {
        panic!("not a household");
    };
    assert_eq!(
        (edited.head.as_str(), edited.phone.as_str()),
        ("住户3", "13900000003")
    );
}
