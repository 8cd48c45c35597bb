//! Sync rounds against the in-memory server: convergence, acknowledgements, rejections,
//! paging, missing dependencies and a server restored from backup.

use gridwalk_shared::{
    doc,
    model::{IncidentAction, User},
    wire::{Cursor, DocDownload},
    Record,
};
use serde_bytes::ByteBuf;
use tempfile::TempDir;

use super::fixture::*;
use super::server::{sync, FakeServer};
use crate::{Client, NewIncident, NewVisit};

fn seeded_server(homes: &[Record]) -> FakeServer {
    let mut server = FakeServer::new(reference());
    for home in homes {
        server.seed(home);
    }
    server
}

fn device(dir: &TempDir, name: &str, user: &User) -> Client {
    signed_in(&dir.path().join(name), user, TestClock::new())
}

fn report(client: &Client, description: &str) -> uuid::Uuid {
    client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: description.into(),
            location: None,
        })
        .unwrap()
}

#[test]
fn two_devices_converge_and_show_conflicts() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let mut server = seeded_server(&[Record::Household(home.clone())]);
    let a = device(&dir, "a", &worker1());
    let b = device(&dir, "b", &worker1b());
    sync(&a, &mut server);
    sync(&b, &mut server);
    assert_eq!(a.households().unwrap().len(), 1);

    // Offline, both change the phone; b also visits and reports.
    a.set_household_field(home.id, "phone", "13911111111")
        .unwrap();
    b.set_household_field(home.id, "phone", "13922222222")
        .unwrap();
    b.add_visit(NewVisit {
        household_id: home.id,
        note: "入户走访".into(),
        ..NewVisit::default()
    })
    .unwrap();
    let incident = report(&b, "楼道堆物");
    for client in [&a, &b, &a] {
        let done = sync(client, &mut server);
        assert!(done.rejected.is_empty(), "{:?}", done.rejected);
    }
    assert_eq!(a.pending_changes().unwrap(), 0);
    assert_eq!(b.pending_changes().unwrap(), 0);
    assert_eq!(a.export().unwrap(), b.export().unwrap());
    assert_eq!(a.visits(Some(home.id)).unwrap().len(), 1);
    assert!(a.record(incident).unwrap().is_some());

    // Both phone numbers are kept and shown until someone settles them.
    let view = a.record(home.id).unwrap().unwrap();
    assert_eq!(view.conflicts.len(), 1);
    assert_eq!(view.conflicts[0].field, "phone");
    assert_eq!(view.conflicts[0].values.len(), 2);
    assert!(a.households().unwrap()[0].has_conflict);
    let exported = &a.export().unwrap()[0];
    assert_eq!(exported["conflicts"]["phone"].as_array().unwrap().len(), 2);

    a.resolve_conflict(home.id, "phone", "13933333333").unwrap();
    for client in [&a, &b] {
        sync(client, &mut server);
    }
    assert_eq!(a.export().unwrap(), b.export().unwrap());
    let row = &b.households().unwrap()[0];
    assert!(!row.has_conflict);
    assert_eq!(row.phone, "13933333333");
}

#[test]
fn outbox_rows_are_cleared_only_when_acknowledged() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let mut server = seeded_server(&[Record::Household(home.clone())]);
    let a = device(&dir, "a", &worker1());
    sync(&a, &mut server);
    let account = a.account().unwrap().unwrap();

    a.set_household_field(home.id, "head", "王五").unwrap();
    let prepared = a.prepare_round().unwrap();
    assert_eq!(prepared.changes(), 1);
    // An edit made while the request is on its way stays in the outbox.
    a.set_household_field(home.id, "notes", "独居").unwrap();
    let response = server.handle(account.device_id, &account.user, &prepared.request);
    assert_eq!(response.accepted, vec![home.id]);
    a.apply_round(&prepared, response).unwrap();
    assert_eq!(a.pending_changes().unwrap(), 1);

    // A response that never arrives leaves the outbox as it was; the retry is harmless.
    let lost = a.prepare_round().unwrap();
    server.handle(account.device_id, &account.user, &lost.request);
    assert_eq!(a.pending_changes().unwrap(), 1);
    let done = sync(&a, &mut server);
    assert_eq!(done.uploaded_changes, 1);
    assert_eq!(a.pending_changes().unwrap(), 0);

    let b = device(&dir, "b", &worker1b());
    sync(&b, &mut server);
    assert_eq!(a.export().unwrap(), b.export().unwrap());
}

#[test]
fn a_refused_document_is_kept_aside_and_replaced_by_the_servers_copy() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let mut server = seeded_server(&[Record::Household(home.clone())]);
    let a = device(&dir, "a", &worker1());
    sync(&a, &mut server);
    let account = a.account().unwrap().unwrap();

    // The server has moved worker1 to grid 2: the edit is out of scope there.
    a.set_household_field(home.id, "head", "王五").unwrap();
    let moved = User {
        scope_id: GRID2,
        ..worker1()
    };
    let prepared = a.prepare_round().unwrap();
    let response = server.handle(account.device_id, &moved, &prepared.request);
    assert_eq!(response.rejected.len(), 1);
    let outcome = a.apply_round(&prepared, response).unwrap();
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
    let mut server = seeded_server(&[]);
    server.reference.categories.clear();
    let a = device(&dir, "a", &worker1());
    let incident = report(&a, "x");
    let done = sync(&a, &mut server);
    assert_eq!(done.rejected.len(), 1);
    assert_eq!(done.rejected[0].0, incident);
    assert_eq!(done.conflict_copies, 1);
    assert!(a.record(incident).unwrap().is_none());
    assert!(a.incidents().unwrap().is_empty());
    assert_eq!(a.pending_changes().unwrap(), 0);
    assert_eq!(a.conflict_copies().unwrap()[0].doc_id, incident);
}

#[test]
fn a_fresh_device_pages_through_snapshots_and_takes_new_reference_data() {
    let dir = TempDir::new().unwrap();
    let homes: Vec<Record> = (1..=7)
        .map(|n| Record::Household(household(GRID1, &format!("幸福路1号{n}01"))))
        .collect();
    let mut server = seeded_server(&homes);
    server.page = 3;
    server.reference.version = 4;
    let a = device(&dir, "a", &worker1());
    let done = sync(&a, &mut server);
    assert_eq!(done.rounds, 3);
    assert_eq!(done.downloaded_docs, 7);
    assert_eq!(a.households().unwrap().len(), 7);
    assert_eq!(a.status().unwrap().reference_version, 4);

    // Later changes arrive through the log, a page at a time.
    let b = device(&dir, "b", &worker1b());
    sync(&b, &mut server);
    for n in 0..5 {
        report(&b, &format!("问题{n}"));
    }
    sync(&b, &mut server);
    let done = sync(&a, &mut server);
    assert!(done.rounds >= 2);
    assert_eq!(a.incidents().unwrap().len(), 5);
    assert_eq!(a.export().unwrap(), b.export().unwrap());
}

#[test]
fn documents_with_missing_dependencies_are_fetched_whole() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let mut server = seeded_server(&[Record::Household(home.clone())]);
    let a = device(&dir, "a", &worker1());

    // Only the second change of a document a has never seen.
    let mut full = doc::create(&Record::Household(home.clone())).unwrap();
    let heads = full.get_heads();
    let mut edited = home.clone();
    edited.head = "赵六".into();
    doc::write(&mut full, &Record::Household(edited)).unwrap();
    let later: Vec<u8> = full
        .get_changes(&heads)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    let mut response = delivery(&[], 0);
    response.docs.push(DocDownload {
        doc_id: home.id,
        kind: gridwalk_shared::RecordKind::Household,
        scope: GRID1,
        data: ByteBuf::from(later),
    });
    let prepared = a.prepare_round().unwrap();
    let outcome = a.apply_round(&prepared, response).unwrap();
    assert_eq!(outcome.incomplete, vec![home.id]);
    assert!(outcome.again);
    assert!(a.record(home.id).unwrap().is_none());
    assert_eq!(a.prepare_round().unwrap().request.want_full, vec![home.id]);

    // The next round asks for it whole and gets it.
    sync(&a, &mut server);
    assert!(a.prepare_round().unwrap().request.want_full.is_empty());
    assert!(a.record(home.id).unwrap().is_some());
}

#[test]
fn after_a_restore_the_device_sends_everything_again() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let mut server = seeded_server(&[Record::Household(home.clone())]);
    let a = device(&dir, "a", &worker1());
    sync(&a, &mut server);
    let incident = report(&a, "路灯不亮");
    a.add_incident_event(incident, IncidentAction::Comment, "已报修")
        .unwrap();
    sync(&a, &mut server);
    assert_eq!(a.pending_changes().unwrap(), 0);

    server.restore_empty();
    let done = sync(&a, &mut server);
    assert!(done.rounds >= 2);
    assert_eq!(done.uploaded_docs, 2);
    assert_eq!(server.doc_count(), 2);
    assert_eq!(a.pending_changes().unwrap(), 0);
    let cursor: Option<Cursor> = a.prepare_round().unwrap().request.cursor;
    assert_eq!(cursor.map(|c| c.epoch), Some(server.epoch));

    let b = device(&dir, "b", &worker1b());
    sync(&b, &mut server);
    assert_eq!(a.export().unwrap(), b.export().unwrap());
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
    let a = device(&dir, "a", &worker1());
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
