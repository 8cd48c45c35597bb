//! Several server nodes on one PostgreSQL database share everything that must be shared
//! (docs/storage-postgres.md): two nodes accepting changes to one document at the same moment
//! both land, merged; reference data, epochs, lock-outs and sessions changed through one node
//! are seen by the other; one node's commits nudge the other's live streams.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::time::{Duration, Instant};

use gridwalk_shared::model::{Household, Record, ReferenceData, Role, User};
use gridwalk_store::{AdminStore, Attempt, DocWrite, Session, Store};
use gridwalk_store_postgres::PostgresStore;
use gridwalk_tests::{postgres, Deployment};
use uuid::Uuid;

fn skip() {
    eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
}

/// Polls `check` until it holds, for at most 10 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "{what} within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_taking_edits_to_one_household_at_once_keep_both() {
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        return skip();
    };
    let (node_a, node_b) = (deployment.start().unwrap(), deployment.start().unwrap());
    let phone_a = deployment.device(&node_a.url, "worker1").await.unwrap();
    let phone_b = deployment.device(&node_b.url, "worker1b").await.unwrap();
    phone_a.client.sync().await.unwrap();
    phone_b.client.sync().await.unwrap();
    let households: Vec<Uuid> = phone_a
        .client
        .households()
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    let contested = &households[..6];
    for (round, &id) in contested.iter().enumerate() {
        let phone = format!("1391111{round:04}");
        let notes = format!("第{round}次走访：独居老人");
        phone_a
            .client
            .set_household_field(id, "phone", &phone)
            .unwrap();
        phone_b
            .client
            .set_household_field(id, "notes", &notes)
            .unwrap();
        // Both rounds at the same moment, one on each node.
        let (a, b) = tokio::join!(phone_a.client.sync(), phone_b.client.sync());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.rejected.is_empty() && b.rejected.is_empty(),
            "{a:?} {b:?}"
        );
    }
    for phone in [&phone_a, &phone_b, &phone_a, &phone_b] {
        phone.client.sync().await.unwrap();
    }
    // A new device takes the server's stored documents (snapshots), not the change log: the
    // stored copy itself must hold both edits.
    let fresh = deployment.device(&node_b.url, "worker1").await.unwrap();
    fresh.client.sync().await.unwrap();
    for device in [&phone_a, &phone_b, &fresh] {
        let rows = device.client.households().unwrap();
        for (round, id) in contested.iter().enumerate() {
            let row = rows.iter().find(|h| h.id == *id).unwrap();
            assert_eq!(row.phone, format!("1391111{round:04}"), "round {round}");
        }
        let records = device.client.export().unwrap();
        for (round, id) in contested.iter().enumerate() {
            let id = id.to_string();
            let record = records.iter().find(|r| r["id"] == id.as_str()).unwrap();
            assert_eq!(record["notes"], format!("第{round}次走访：独居老人"));
        }
    }
}

fn user(login: &str) -> User {
    User {
        id: Uuid::now_v7(),
        login: login.into(),
        name: "王五".into(),
        role: Role::GridWorker,
        scope_id: Uuid::now_v7(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_changes_the_other_sees() {
    let Some(url) = postgres::create_database() else {
        return skip();
    };
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let mut nudges = b.commits_elsewhere().unwrap();
    let mut own = a.commits_elsewhere().unwrap();

    // Reference data: B's cache follows A's change (notification).
    let first = user("worker1");
    let mut reference = ReferenceData {
        users: vec![first.clone()],
        ..ReferenceData::default()
    };
    a.put_reference(reference.clone(), None).await.unwrap();
    eventually("node B sees the new user", || {
        b.reference().user(first.id).is_some()
    })
    .await;

    // A user added on A enrols on B at once, before any notification could arrive.
    let second = user("worker2");
    reference.users.push(second.clone());
    a.put_reference(reference.clone(), Some(1)).await.unwrap();
    // An edit B worked out from version 1 after A's version 2 landed is refused.
    assert!(matches!(
        b.put_reference(reference, Some(1)).await,
        Err(gridwalk_store::StoreError::Conflict(_))
    ));
    a.issue_enroll_code(second.id, "code".into(), 1)
        .await
        .unwrap();
    let device = b
        .enroll("code".into(), "phone".into(), "1.0".into(), "token".into())
        .await
        .unwrap();
    assert_eq!(device.user, second);
    assert!(
        a.enroll("code".into(), "phone".into(), "1.0".into(), "t2".into())
            .await
            .is_err(),
        "the code was used on the other node"
    );
    assert_eq!(
        a.device_by_token("token".into())
            .await
            .unwrap()
            .unwrap()
            .device_id,
        device.device_id
    );

    // A new epoch on A is B's epoch too.
    let old = b.epoch();
    let epoch = a.new_epoch().await.unwrap();
    eventually("node B takes the new epoch", || b.epoch() == epoch).await;
    assert!(b.is_past_epoch(old));

    // A commit on A nudges B's live streams, not A's own relay.
    let grid = Uuid::now_v7();
    let record = Record::Household(Household {
        id: Uuid::now_v7(),
        grid_id: grid,
        building_id: Uuid::now_v7(),
        address: "幸福路1号".into(),
        head: "户主".into(),
        phone: String::new(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    });
    a.commit(Uuid::nil(), vec![DocWrite::created(&record).unwrap()])
        .await
        .unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(10), nudges.recv())
        .await
        .expect("a nudge within 10 s")
        .unwrap();
    assert_eq!(changed.scopes, vec![grid]);
    assert!(own.try_recv().is_err(), "a node is not nudged by itself");

    // Lock-outs and sessions live in the database: attempts on both nodes count together.
    let admin = Uuid::now_v7();
    a.set_password(admin, "$argon2id$x".into()).await.unwrap();
    let until = chrono::Utc::now().timestamp_millis() + 60_000;
    let now = || chrono::Utc::now().timestamp_millis();
    for node in [&a, &b] {
        let attempt = node.sign_in_attempt(admin, 3, now(), until).await.unwrap();
        assert!(matches!(attempt, Attempt::Counted { locks: false, .. }));
    }
    let third = a.sign_in_attempt(admin, 3, now(), until).await.unwrap();
    assert_eq!(
        third,
        Attempt::Counted {
            failures: 0,
            locks: true
        }
    );
    assert_eq!(
        b.sign_in_attempt(admin, 3, now(), until).await.unwrap(),
        Attempt::Locked { until }
    );
    let session = Session {
        user_id: admin,
        csrf: "c".into(),
        expires_at: until,
    };
    a.create_session("cookie".into(), session.clone())
        .await
        .unwrap();
    assert_eq!(b.session("cookie".into()).await.unwrap(), Some(session));
    b.delete_sessions_of(admin).await.unwrap();
    assert_eq!(a.session("cookie".into()).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_nodes_writing_one_revision_at_once_one_stores_and_one_is_told_to_redo() {
    let Some(url) = postgres::create_database() else {
        return skip();
    };
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let record = Record::Household(Household {
        id: Uuid::now_v7(),
        grid_id: Uuid::now_v7(),
        building_id: Uuid::now_v7(),
        address: "幸福路2号".into(),
        head: "户主".into(),
        phone: String::new(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    });
    a.commit(Uuid::nil(), vec![DocWrite::created(&record).unwrap()])
        .await
        .unwrap();
    for round in 0..20u8 {
        let stored = b.load_docs(vec![record.id()]).await.unwrap().remove(0);
        let write = |node: u8| {
            let mut doc = stored.clone();
            doc.snapshot = vec![round, node];
            DocWrite::new(doc, &record, vec![vec![round, node]], Some(stored.seq))
        };
        let (wa, wb) = (write(1), write(2));
        let (ra, rb) = tokio::join!(
            a.commit(Uuid::now_v7(), vec![wa]),
            b.commit(Uuid::now_v7(), vec![wb])
        );
        let conflicts = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(gridwalk_store::StoreError::Conflict(_))))
            .count();
        assert_eq!(
            (ra.is_ok() as usize + rb.is_ok() as usize, conflicts),
            (1, 1),
            "round {round}: {ra:?} {rb:?}"
        );
        let held = a.load_docs(vec![record.id()]).await.unwrap().remove(0);
        let winner = if ra.is_ok() { 1 } else { 2 };
        assert_eq!(
            held.snapshot,
            vec![round, winner],
            "the winner's copy is stored"
        );
    }
}

/// Reads an SSE response until a `changed` message arrives, or gives up after `within`.
async fn nudged(mut response: reqwest::Response, within: Duration) -> bool {
    let wait = async {
        let mut seen = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("data: changed") {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(within, wait).await.unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_synced_to_one_node_nudges_live_streams_on_the_other() {
    use gridwalk_tests::raw::RawDevice;
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        return skip();
    };
    let (node_a, node_b) = (deployment.start().unwrap(), deployment.start().unwrap());
    let listener = RawDevice::enroll(&node_b.url, &deployment.enroll_code("worker1b").unwrap())
        .await
        .unwrap();
    let stream = listener
        .http
        .get(format!("{}/v1/events", node_b.url))
        .bearer_auth(&listener.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let phone = deployment.device(&node_a.url, "worker1").await.unwrap();
    phone.client.sync().await.unwrap();
    let household = phone.client.households().unwrap()[0].id;
    let visit = async {
        // Give the stream a moment to be registered before the change is announced.
        tokio::time::sleep(Duration::from_millis(300)).await;
        phone
            .client
            .add_visit(gridwalk_client::NewVisit {
                household_id: household,
                note: "楼道有积水".into(),
                ..gridwalk_client::NewVisit::default()
            })
            .unwrap();
        phone.client.sync().await.unwrap();
    };
    let (heard, ()) = tokio::join!(nudged(stream, Duration::from_secs(15)), visit);
    assert!(heard, "node B's stream heard node A's commit");

    // Each node reports its own pool, and answers ready while the database does.
    for node in [&node_a, &node_b] {
        let metrics = reqwest::get(format!("{}/metrics", node.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("gridwalk_db_connections_in_use"),
            "{metrics}"
        );
        let ready = reqwest::get(format!("{}/ready", node.url)).await.unwrap();
        assert_eq!(ready.status(), 200);
    }
}
