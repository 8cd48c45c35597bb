//! Paging, log compaction and restore-from-backup (epochs): devices always end up complete.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_client::NewIncident;
use gridwalk_shared::model::Record;
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::raw::{request, RawDevice};
use gridwalk_tests::{server_cmd, Deployment, Device, Server};
use serde_json::{json, Value};
use uuid::Uuid;

/// A device enrolled as `login` that has not synced yet.
async fn enrolled(deployment: &Deployment, server: &Server, login: &str) -> Device {
    deployment.device(&server.url, login).await.unwrap()
}

/// A device enrolled as `login` and synced once.
async fn device(deployment: &Deployment, server: &Server, login: &str) -> Device {
    let device = enrolled(deployment, server, login).await;
    device.client.sync().await.unwrap();
    device
}

/// Adds the incident category `code` in the admin web; returns the new reference version.
async fn add_category(admin: &AdminSession, code: &str) -> u64 {
    let reference = admin.get("/api/reference").await.unwrap().json;
    let mut categories = reference["categories"].as_array().unwrap().clone();
    categories.push(json!({ "code": code, "name": "道路坑洼", "group": "市政设施" }));
    let saved = admin
        .put("/api/reference/categories", &Value::Array(categories))
        .await
        .unwrap();
    assert_eq!(saved.status, 200, "{:?}", saved.json);
    saved.json["version"].as_u64().unwrap()
}

fn report(d: &Device, text: &str) -> Uuid {
    d.client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: text.into(),
            location: None,
        })
        .unwrap()
}

/// Copies a data directory (database files and blob folders) over another.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn ids(export: &[Value]) -> Vec<String> {
    export
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn small_pages_deliver_everything() {
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--log-page", "7", "--snapshot-page", "40"],
    )
    .unwrap();
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD)
        .await
        .unwrap();
    let version = admin.get("/api/reference").await.unwrap().json["version"]
        .as_u64()
        .unwrap();
    let a = enrolled(&deployment, &server, "worker1").await;
    assert!(a.client.reference().unwrap().is_none());
    let first = a.client.sync().await.unwrap();
    assert_eq!(
        a.client.households().unwrap().len(),
        300,
        "snapshots arrive over many pages"
    );
    let held = a.client.export().unwrap().len();
    assert_eq!(first.downloaded_docs, held, "each document came once");
    assert_eq!(
        first.rounds as usize,
        held / 40 + 1,
        "one round per page of 40 snapshots, the last one not full"
    );
    assert_eq!(a.client.status().unwrap().reference_version, version);

    let b = device(&deployment, &server, "worker1b").await;
    let households = b.client.households().unwrap();
    for (i, h) in households.iter().take(25).enumerate() {
        b.client
            .set_household_field(h.id, "notes", &format!("第{i}户已走访"))
            .unwrap();
    }
    let incidents = a.client.incidents().unwrap().len();
    for i in 0..5 {
        report(&b, &format!("第{i}处问题"));
    }
    b.client.sync().await.unwrap();
    // Meanwhile the reference data changes: a device behind takes the new version.
    let newer = add_category(&admin, "road.pothole").await;
    assert!(newer > version);
    let got = a.client.sync().await.unwrap();
    assert!(
        got.rounds > 1,
        "the change log came in several pages: {got:?}"
    );
    assert_eq!(a.client.incidents().unwrap().len(), incidents + 5);
    assert_eq!(a.client.export().unwrap(), b.client.export().unwrap());
    let reference = a.client.reference().unwrap().unwrap();
    assert_eq!(reference.version, newer);
    assert!(reference.category("road.pothole").is_some());
}

#[tokio::test]
async fn compacted_log_sends_snapshots_to_devices_behind_it() {
    let deployment = Deployment::seeded().unwrap();
    let mut server = deployment.start().unwrap();
    let a = device(&deployment, &server, "worker1").await;
    let b = device(&deployment, &server, "worker1b").await;
    let id = b.client.households().unwrap()[0].id;
    b.client
        .set_household_field(id, "phone", "13700001111")
        .unwrap();
    report(&b, "井盖缺失");
    b.client.sync().await.unwrap();

    let listen = server.addr.clone();
    server.kill();
    let out = server_cmd(&["compact", "--data", &deployment.data(), "--keep", "0"]).unwrap();
    assert!(out.contains("removed"), "{out}");
    server = Server::start(&deployment.data(), &listen).unwrap();

    a.client.sync().await.unwrap();
    assert_eq!(a.client.export().unwrap(), b.client.export().unwrap());
    drop(server);
}

#[tokio::test]
async fn restored_backup_gets_back_what_devices_hold() {
    let deployment = Deployment::seeded().unwrap();
    let mut server = deployment.start().unwrap();
    let listen = server.addr.clone();
    let a = device(&deployment, &server, "worker1").await;
    let b = device(&deployment, &server, "worker1b").await;
    let before = report(&a, "备份前上报");
    a.client.sync().await.unwrap();

    // Nightly backup (server stopped, files copied).
    server.kill();
    let backup = tempfile::tempdir().unwrap();
    copy_dir(deployment.dir.path(), backup.path());
    server = Server::start(&deployment.data(), &listen).unwrap();

    // Work the backup does not have.
    let after = report(&a, "备份后上报");
    let household = a.client.households().unwrap()[3].id;
    a.client
        .set_household_field(household, "phone", "13600002222")
        .unwrap();
    a.client.sync().await.unwrap();
    b.client.sync().await.unwrap();

    // Disaster: the server is restored from the backup and given a new epoch.
    server.kill();
    copy_dir(backup.path(), deployment.dir.path());
    for stale in ["gridwalk-server.sqlite-wal", "gridwalk-server.sqlite-shm"] {
        let path = deployment.dir.path().join(stale);
        if !backup.path().join(stale).exists() && path.exists() {
            std::fs::remove_file(path).unwrap();
        }
    }
    let out = server_cmd(&["new-epoch", "--data", &deployment.data()]).unwrap();
    let epoch = out
        .split_whitespace()
        .find_map(|w| Uuid::parse_str(w.trim_end_matches(':')).ok())
        .unwrap_or_else(|| panic!("no epoch in {out:?}"));
    server = Server::start(&deployment.data(), &listen).unwrap();

    // The devices notice the epoch, re-send everything they hold, and everything is back.
    let held = a.client.export().unwrap().len();
    let resent = a.client.sync().await.unwrap();
    assert!(resent.rounds >= 2, "{resent:?}");
    assert_eq!(resent.uploaded_docs, held, "every document it holds");
    assert_eq!(a.client.pending_changes().unwrap(), 0);
    let cursor = a.client.prepare_round().unwrap().request.cursor;
    assert_eq!(cursor.map(|c| c.epoch), Some(epoch));
    b.client.sync().await.unwrap();
    a.client.sync().await.unwrap();
    b.client.sync().await.unwrap();
    let (ea, eb) = (a.client.export().unwrap(), b.client.export().unwrap());
    assert_eq!(ea, eb);
    for id in [before, after] {
        assert!(ids(&ea).contains(&id.to_string()));
    }
    let fresh = device(&deployment, &server, "worker1").await;
    let ef = fresh.client.export().unwrap();
    assert!(
        ids(&ef).contains(&after.to_string()),
        "the server has the lost report again"
    );
    let h = ef
        .iter()
        .find(|r| r["id"] == household.to_string().as_str())
        .unwrap();
    assert_eq!(h["phone"], "13600002222", "and the lost household edit");
}

#[tokio::test]
async fn a_document_missing_its_start_is_fetched_whole() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let a = device(&deployment, &server, "worker1").await;
    let fresh = enrolled(&deployment, &server, "worker1").await;
    // A device of the same grid that speaks the protocol directly, up to date.
    let code = deployment.enroll_code("worker1b").unwrap();
    let raw = RawDevice::enroll(&server.url, &code).await.unwrap();
    let (cursor, _, _) = raw.pull(None).await.unwrap();

    let home = a.client.households().unwrap()[0].id;
    a.client.set_household_field(home, "head", "赵六").unwrap();
    a.client.sync().await.unwrap();

    // The next change-log page holds only the rename; the fresh device gets that page, so it
    // has the household's later change without its start.
    let page = raw
        .sync(&request(Vec::new(), Some(cursor), u64::MAX))
        .await
        .unwrap()
        .body
        .unwrap();
    let sent: Vec<Uuid> = page.docs.iter().map(|d| d.doc_id).collect();
    assert_eq!(sent, vec![home]);
    let prepared = fresh.client.prepare_round().unwrap();
    let outcome = fresh.client.apply_round(&prepared, page).unwrap();
    assert_eq!(outcome.incomplete, vec![home]);
    assert!(outcome.again);
    assert!(fresh.client.record(home).unwrap().is_none());
    let wanted = fresh.client.prepare_round().unwrap().request.want_full;
    assert_eq!(wanted, vec![home]);

    // Its next sync asks the server for the household whole, and gets it.
    fresh.client.sync().await.unwrap();
    assert!(fresh
        .client
        .prepare_round()
        .unwrap()
        .request
        .want_full
        .is_empty());
    let Some(Record::Household(stored)) = fresh.client.record(home).unwrap().map(|v| v.record)
    else {
        panic!("the household was fetched whole")
    };
    assert_eq!(stored.head, "赵六");
}
