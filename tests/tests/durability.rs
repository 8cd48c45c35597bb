//! The server is killed with SIGKILL in the middle of syncs and restarted: every change it had
//! acknowledged is still there, and the devices finish syncing.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_shared::model::{Incident, IncidentAction, IncidentEvent, Record};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::wire::DocUpload;
use gridwalk_tests::raw::{request, upload, RawDevice};
use gridwalk_tests::{Deployment, Server};
use uuid::Uuid;

fn report(device: &RawDevice, n: usize) -> Record {
    let me = device.user.id;
    Record::Incident(Incident {
        id: Uuid::now_v7(),
        grid_id: device.user.scope_id,
        category: "env.garbage".into(),
        description: format!("第{n}处暴露垃圾"),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: me,
        events: vec![IncidentEvent {
            id: Uuid::now_v7(),
            at: Timestamp::from_millis(1_790_000_000_000 + n as i64),
            by: me,
            action: IncidentAction::Report,
            note: String::new(),
            photos: vec![],
            location: None,
        }],
        received: Default::default(),
    })
}

/// Uploads reports one request at a time until the server goes away; returns the ids it
/// acknowledged and those it did not.
async fn upload_until_cut(device: RawDevice, acked: Arc<Mutex<HashSet<Uuid>>>) -> Vec<DocUpload> {
    let mut unacked = Vec::new();
    for n in 0.. {
        // The same changes are re-sent later, as a device re-sends its outbox.
        let batch: Vec<DocUpload> = (0..5)
            .map(|i| upload(&report(&device, n * 5 + i)))
            .collect();
        let reply = device.sync(&request(batch.clone(), None, u64::MAX)).await;
        match reply {
            Ok(r) if r.status == 200 => {
                let body = r.body.unwrap();
                acked.lock().unwrap().extend(body.accepted);
            }
            _ => {
                unacked.extend(batch);
                return unacked;
            }
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_changes_survive_sigkill() {
    let deployment = Deployment::seeded().unwrap();
    let mut server = deployment.start().unwrap();
    let mut devices = Vec::new();
    for login in [
        "worker1", "worker1b", "worker2", "worker3", "worker4", "worker5",
    ] {
        let code = deployment.enroll_code(login).unwrap();
        devices.push(RawDevice::enroll(&server.url, &code).await.unwrap());
    }

    for round in 0..3 {
        let acked = Arc::new(Mutex::new(HashSet::new()));
        let tasks: Vec<_> = devices
            .iter()
            .cloned()
            .map(|d| tokio::spawn(upload_until_cut(d, acked.clone())))
            .collect();
        // Let syncs run, then cut the server off mid-flight.
        tokio::time::sleep(Duration::from_millis(700 + round * 300)).await;
        server.kill();
        let mut unacked = Vec::new();
        for task in tasks {
            unacked.push(task.await.unwrap());
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            !acked.is_empty(),
            "round {round}: some syncs were acknowledged"
        );

        server = Server::start(&deployment.data(), "127.0.0.1:0").unwrap();
        for d in &mut devices {
            d.url = server.url.clone();
        }
        // Every acknowledged record is there after the restart.
        let mut present = HashSet::new();
        for d in &devices {
            let reply = d.sync(&request(vec![], None, u64::MAX)).await.unwrap();
            present.extend(reply.body.unwrap().docs.iter().map(|doc| doc.doc_id));
        }
        let lost: Vec<_> = acked.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );

        // The devices finish syncing what was cut off; re-sending is harmless.
        for (d, batch) in devices.iter().zip(&unacked) {
            let reply = d
                .sync(&request(batch.clone(), None, u64::MAX))
                .await
                .unwrap();
            assert_eq!(reply.status, 200, "round {round}: resent batch accepted");
            let body = reply.body.unwrap();
            let ids: HashSet<Uuid> = body.docs.iter().map(|doc| doc.doc_id).collect();
            for sent in batch {
                assert!(body.accepted.contains(&sent.doc_id));
                assert!(ids.contains(&sent.doc_id), "the resent record is stored");
            }
        }
    }
}
