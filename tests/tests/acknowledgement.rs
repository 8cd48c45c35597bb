//! A phone clears from its outbox only what the server acknowledged: an edit made while a sync
//! is on its way stays queued, an answer that never arrives leaves everything queued, and
//! sending it again is harmless.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::time::Duration;

use gridwalk_shared::model::{Household, Record};
use gridwalk_tests::gate::{AnswerGate, Answers};
use gridwalk_tests::{Deployment, Device};
use uuid::Uuid;

/// A device enrolled as `login` with the server at `url`, synced once.
async fn device(deployment: &Deployment, url: &str, login: &str) -> Device {
    let device = deployment.device(url, login).await.unwrap();
    device.client.sync().await.unwrap();
    device
}

fn household(device: &Device, id: Uuid) -> Household {
    match device.client.record(id).unwrap().map(|view| view.record) {
        Some(Record::Household(household)) => household,
        other => panic!("household {id}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_rows_are_cleared_only_when_acknowledged() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let gate = AnswerGate::start(&server.addr).await.unwrap();
    let a = device(&deployment, &gate.url, "worker1").await;
    let b = device(&deployment, &server.url, "worker1b").await;
    let home = a.client.households().unwrap()[0].id;

    a.client.set_household_field(home, "head", "王五").unwrap();
    assert_eq!(a.client.pending_changes().unwrap(), 1);
    // An edit made while the request is on its way stays in the outbox.
    gate.set(Answers::Hold);
    let (sent, ()) = tokio::join!(a.client.sync(), async {
        gate.wait_held(Duration::from_secs(30)).await.unwrap();
        a.client.set_household_field(home, "notes", "独居").unwrap();
        assert_eq!(a.client.pending_changes().unwrap(), 2);
        gate.set(Answers::Pass);
    });
    let sent = sent.unwrap();
    assert_eq!(sent.uploaded_changes, 1, "{sent:?}");
    assert!(sent.rejected.is_empty(), "{sent:?}");
    assert_eq!(
        a.client.pending_changes().unwrap(),
        1,
        "only the acknowledged change is cleared"
    );

    // An answer that never arrives leaves the outbox as it was, though the server stored it.
    gate.set(Answers::Lose);
    assert!(a.client.sync().await.is_err(), "the answer was lost");
    assert_eq!(a.client.pending_changes().unwrap(), 1);
    b.client.sync().await.unwrap();
    let on_b = household(&b, home);
    assert_eq!((on_b.head.as_str(), on_b.notes.as_str()), ("王五", "独居"));

    // Sending it again is harmless.
    gate.set(Answers::Pass);
    let done = a.client.sync().await.unwrap();
    assert_eq!(done.uploaded_changes, 1, "{done:?}");
    assert!(done.rejected.is_empty(), "{done:?}");
    assert_eq!(a.client.pending_changes().unwrap(), 0);
    b.client.sync().await.unwrap();
    assert_eq!(a.client.export().unwrap(), b.client.export().unwrap());
}
