//! The store file: pragmas, schema version, and reopening after a drop.

use gridwalk_shared::Record;
use tempfile::TempDir;

use super::fixture::*;
use crate::{Client, NewIncident, FILE_NAME, SCHEMA_VERSION};

#[test]
fn client_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
}

#[test]
fn store_uses_wal_full_sync_and_current_schema() {
    let dir = TempDir::new().unwrap();
    let client = Client::open(dir.path()).unwrap();
    let store = client.store();
    let conn = store.conn();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    let keys: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(keys, 1);
    assert_eq!(version, SCHEMA_VERSION);
    assert!(dir.path().join(FILE_NAME).exists());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new().unwrap();
    drop(Client::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    assert!(matches!(
        Client::open(dir.path()),
        Err(crate::Error::Corrupt(_))
    ));
}

#[test]
fn reopening_keeps_everything() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::new();
    let home = household(GRID1, "幸福路1号101");
    let (incident, export) = {
        let client = signed_in(dir.path(), &worker1(), clock.clone());
        deliver(&client, &[Record::Household(home.clone())]);
        client.set_household_field(home.id, "head", "王五").unwrap();
        let incident = client
            .report_incident(NewIncident {
                category: "env.garbage".into(),
                description: "井盖缺失".into(),
                location: None,
            })
            .unwrap();
        (incident, client.export().unwrap())
    };
    let client = Client::open_with_clock(dir.path(), clock).unwrap();
    let account = client.account().unwrap().unwrap();
    assert_eq!(account.user, worker1());
    assert_eq!(client.pending_changes().unwrap(), 2);
    assert_eq!(client.households().unwrap()[0].head, "王五");
    assert!(client.record(incident).unwrap().is_some());
    assert_eq!(client.export().unwrap(), export);
    let status = client.status().unwrap();
    assert_eq!(status.reference_version, 3);
    assert_eq!(status.records, 2);
    assert!(status.last_sync.is_some());
}

#[test]
fn export_is_sorted_and_carries_state() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);
    let incident = client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "x".into(),
            location: None,
        })
        .unwrap();
    let export = client.export().unwrap();
    assert_eq!(export.len(), 2);
    assert_eq!(export[0]["kind"], "household");
    assert_eq!(export[0]["id"], home.id.to_string());
    assert!(export[0].get("state").is_none());
    assert!(export[0].get("conflicts").is_none());
    assert_eq!(export[1]["kind"], "incident");
    assert_eq!(export[1]["id"], incident.to_string());
    assert_eq!(export[1]["state"]["status"], "reported");
}
