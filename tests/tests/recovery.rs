//! Paging, log compaction and restore-from-backup (epochs): devices always end up complete.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_client::{Client, NewIncident};
use gridwalk_tests::{server_cmd, Deployment, Server};
use serde_json::Value;
use uuid::Uuid;

struct Device {
    client: Client,
    _dir: tempfile::TempDir,
}

async fn device(deployment: &Deployment, server: &Server, login: &str) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    let code = deployment.enroll_code(login).unwrap();
    client.enroll(&server.url, &code, login).await.unwrap();
    client.sync().await.unwrap();
    Device { client, _dir: dir }
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
    let a = device(&deployment, &server, "worker1").await;
    assert_eq!(
        a.client.households().unwrap().len(),
        300,
        "snapshots arrive over many pages"
    );

    let b = device(&deployment, &server, "worker1b").await;
    let households = b.client.households().unwrap();
    for (i, h) in households.iter().take(25).enumerate() {
        b.client
            .set_household_field(h.id, "notes", &format!("第{i}户已走访"))
            .unwrap();
    }
    for i in 0..5 {
        report(&b, &format!("第{i}处问题"));
    }
    b.client.sync().await.unwrap();
    let got = a.client.sync().await.unwrap();
    assert!(
        got.rounds > 1,
        "the change log came in several pages: {got:?}"
    );
    assert_eq!(a.client.export().unwrap(), b.client.export().unwrap());
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
    server_cmd(&["new-epoch", "--data", &deployment.data()]).unwrap();
    server = Server::start(&deployment.data(), &listen).unwrap();

    // The devices notice the epoch, re-send what they hold, and everything is back.
    for _ in 0..2 {
        a.client.sync().await.unwrap();
        b.client.sync().await.unwrap();
    }
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
