//! `gridwalk-server backup` while devices sync, then `restore` after a disaster: the backup is
//! one consistent snapshot, and once the devices have synced with the restored server (a new
//! epoch) every change acknowledged after the backup is back on the server and on every device.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gridwalk_client::NewIncident;
use gridwalk_shared::model::{Record, RecordKind, Visit};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_tests::raw::{request, upload, RawDevice};
use gridwalk_tests::{server_cmd, Deployment, Device, Server};
use uuid::Uuid;

fn report(d: &Device, text: &str) -> Uuid {
    d.client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: text.into(),
            location: None,
        })
        .unwrap()
}

fn visit(device: &RawDevice, household: Uuid, n: usize) -> Record {
    Record::Visit(Visit {
        id: new_id(),
        grid_id: device.user.scope_id,
        household_id: household,
        worker_id: device.user.id,
        started_at: Timestamp::from_millis(1_790_000_000_000 + n as i64),
        ended_at: None,
        location: None,
        template_id: None,
        template_version: None,
        answers: Default::default(),
        notes: format!("第{n}次走访"),
        photos: Vec::new(),
        audio: Vec::new(),
        follow_up: false,
        campaign: None,
    })
}

/// Uploads visits to `household` in batches of 3 until `stop`; every id the server
/// acknowledged goes into `acked`.
async fn traffic(
    device: RawDevice,
    household: Uuid,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<HashSet<Uuid>>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let batch: Vec<Record> = (0..3).map(|i| visit(&device, household, n + i)).collect();
        n += 3;
        let reply = device
            .sync(&request(batch.iter().map(upload).collect(), None, u64::MAX))
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
        acked.lock().unwrap().extend(reply.body.unwrap().accepted);
    }
}

/// Every document `device` may see (id and kind), read page by page.
async fn server_docs(device: &RawDevice) -> Vec<(Uuid, RecordKind)> {
    let mut cursor = None;
    let mut ids = Vec::new();
    loop {
        let reply = device
            .sync(&request(vec![], cursor, u64::MAX))
            .await
            .unwrap();
        let body = reply.body.unwrap();
        ids.extend(body.docs.iter().map(|d| (d.doc_id, d.kind)));
        cursor = Some(body.cursor);
        if !body.more {
            return ids;
        }
    }
}

fn incident_ids(d: &Device) -> HashSet<Uuid> {
    d.client.incidents().unwrap().iter().map(|i| i.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_after_a_backup_is_lost_by_restoring_it() {
    let deployment = Deployment::seeded().unwrap();
    let data = deployment.data();
    let mut server = deployment.start().unwrap();
    let listen = server.addr.clone();
    let a = deployment.device(&server.url, "worker1").await.unwrap();
    let b = deployment.device(&server.url, "worker1b").await.unwrap();
    a.client.sync().await.unwrap();
    b.client.sync().await.unwrap();
    let before = report(&a, "备份前上报");
    a.client.sync().await.unwrap();

    // A third device keeps uploading while the backup runs.
    let code = deployment.enroll_code("worker2").unwrap();
    let other = RawDevice::enroll(&server.url, &code).await.unwrap();
    let (home, _) = server_docs(&other)
        .await
        .into_iter()
        .find(|(_, kind)| *kind == RecordKind::Household)
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let uploads = tokio::spawn(traffic(other.clone(), home, stop.clone(), acked.clone()));
    while acked.lock().unwrap().len() < 6 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let acked_before_backup = acked.lock().unwrap().clone();
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("gridwalk.backup");
    let (data_arg, file_arg) = (data.clone(), file.to_string_lossy().into_owned());
    let backup = tokio::task::spawn_blocking(move || {
        server_cmd(&["backup", "--data", &data_arg, "--to", &file_arg])
    });
    let mut round = 0;
    while !backup.is_finished() {
        report(&b, &format!("备份中上报{round}"));
        b.client.sync().await.unwrap();
        round += 1;
    }
    let out = backup.await.unwrap().unwrap();
    assert!(out.contains("backup"), "{out}");
    assert!(file.exists() && std::fs::metadata(&file).unwrap().len() > 0);
    stop.store(true, Ordering::Relaxed);
    uploads.await.unwrap();

    // Work acknowledged after the backup finished.
    let mut after = Vec::new();
    for i in 0..3 {
        after.push(report(&a, &format!("备份后上报A{i}")));
        after.push(report(&b, &format!("备份后上报B{i}")));
    }
    let household = a.client.households().unwrap()[5].id;
    a.client
        .set_household_field(household, "phone", "13600002222")
        .unwrap();
    a.client.sync().await.unwrap();
    b.client.sync().await.unwrap();
    a.client.sync().await.unwrap();
    assert_eq!(a.client.pending_changes().unwrap(), 0);
    assert_eq!(b.client.pending_changes().unwrap(), 0);

    // Disaster: the server is stopped and its store restored from the backup.
    server.kill();
    let out = server_cmd(&[
        "restore",
        "--from",
        &file.to_string_lossy(),
        "--data",
        &data,
    ])
    .unwrap();
    assert!(out.contains("new epoch"), "{out}");
    server = Server::start(&data, &listen).unwrap();

    // The backup was one consistent snapshot: what was acknowledged before it began is there.
    let present: HashSet<Uuid> = server_docs(&other)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let missing: Vec<_> = acked_before_backup.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, lost: {missing:?}"
    );

    // The restored server really is back at the backup: the later work is not on it yet.
    let code = server_cmd(&["enroll-code", "--data", &data, "--user", "worker1"]).unwrap();
    let watcher = RawDevice::enroll(&server.url, code.lines().last().unwrap().trim())
        .await
        .unwrap();
    let restored: HashSet<Uuid> = server_docs(&watcher)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(restored.contains(&before));
    assert!(
        after.iter().all(|id| !restored.contains(id)),
        "the backup predates them"
    );

    // The devices see the new epoch and re-send what they hold.
    for _ in 0..2 {
        a.client.sync().await.unwrap();
        b.client.sync().await.unwrap();
    }
    let fresh = deployment.device(&server.url, "worker1").await.unwrap();
    fresh.client.sync().await.unwrap();
    let on_server: HashSet<Uuid> = server_docs(&watcher)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(
        after.iter().all(|id| on_server.contains(id)),
        "back on the server"
    );
    for device in [&a, &b, &fresh] {
        let held = incident_ids(device);
        for id in after.iter().chain([&before]) {
            assert!(held.contains(id), "incident {id} is missing");
        }
        let phone = device
            .client
            .household_card(household)
            .unwrap()
            .household
            .phone;
        assert_eq!(phone, "13600002222");
    }
    assert_eq!(a.client.export().unwrap(), b.client.export().unwrap());
    assert_eq!(a.client.export().unwrap(), fresh.client.export().unwrap());
}
