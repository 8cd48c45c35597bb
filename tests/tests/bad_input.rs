//! Bad input gets a clear 4xx, changes nothing, and never costs another record in the request;
//! a device syncing in a loop is slowed down without touching the others.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_shared::model::{
    Incident, IncidentAction, IncidentEvent, OrgKind, Record, ReferenceData,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::wire::{self, Cursor};
use gridwalk_tests::raw::{request, upload, RawDevice};
use gridwalk_tests::{server_cmd, Deployment, Server};
use uuid::Uuid;

struct Setup {
    deployment: Deployment,
    server: Server,
    worker: RawDevice,
    reference: ReferenceData,
    cursor: Cursor,
}

async fn setup() -> Setup {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let code = deployment.enroll_code("worker1").unwrap();
    let worker = RawDevice::enroll(&server.url, &code).await.unwrap();
    let (cursor, reference, docs) = worker.pull(None).await.unwrap();
    assert_eq!(
        docs, 300,
        "a grid worker receives the 300 households of their grid"
    );
    Setup {
        deployment,
        server,
        worker,
        reference: reference.unwrap(),
        cursor,
    }
}

fn grids(reference: &ReferenceData) -> Vec<Uuid> {
    reference
        .units
        .iter()
        .filter(|u| u.kind == OrgKind::Grid)
        .map(|u| u.id)
        .collect()
}

fn incident(grid: Uuid, reporter: Uuid, actions: Vec<IncidentAction>) -> Record {
    let start = Timestamp::from_millis(1_790_000_000_000);
    let events = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| IncidentEvent {
            id: Uuid::now_v7(),
            at: Timestamp::from_millis(start.millis() + i as i64 * 60_000),
            by: reporter,
            action,
            note: String::new(),
            photos: vec![],
            location: None,
        })
        .collect();
    Record::Incident(Incident {
        id: Uuid::now_v7(),
        grid_id: grid,
        category: "env.garbage".into(),
        description: "楼道堆放杂物，堵塞消防通道".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: reporter,
        events,
        received: Default::default(),
    })
}

/// Nothing new reached the log: a pull from the old cursor brings nothing.
async fn assert_unchanged(s: &Setup) {
    assert!(s.server.healthy(), "server stays healthy");
    let (_, _, docs) = s.worker.pull(Some(s.cursor)).await.unwrap();
    assert_eq!(docs, 0, "a refused request stored nothing");
}

#[tokio::test]
async fn refused_documents_do_not_cost_the_others() {
    let s = setup().await;
    let grids = grids(&s.reference);
    let me = s.worker.user.id;
    let my_grid = s.worker.user.scope_id;
    let other_grid = *grids.iter().find(|g| **g != my_grid).unwrap();

    let good = incident(my_grid, me, vec![IncidentAction::Report]);
    let out_of_scope = incident(other_grid, me, vec![IncidentAction::Report]);
    let illegal = incident(
        my_grid,
        me,
        vec![IncidentAction::Report, IncidentAction::Close],
    );
    let mut broken = upload(&incident(my_grid, me, vec![IncidentAction::Report]));
    broken.changes[0] = serde_bytes::ByteBuf::from(b"not an automerge change".to_vec());

    let reply = s
        .worker
        .sync(&request(
            vec![
                upload(&out_of_scope),
                upload(&good),
                upload(&illegal),
                broken.clone(),
            ],
            Some(s.cursor),
            s.reference.version,
        ))
        .await
        .unwrap();
    assert_eq!(
        reply.status, 422,
        "a rejected document makes the round a 4xx"
    );
    let body = reply.body.expect("the whole sync response comes back");
    assert_eq!(body.accepted, vec![good.id()]);
    let code_of = |id: Uuid| {
        body.rejected
            .iter()
            .find(|r| r.doc_id == id)
            .map(|r| (r.code.clone(), r.reason.clone()))
            .unwrap()
    };
    let (code, reason) = code_of(out_of_scope.id());
    assert_eq!(code, "out_of_scope");
    assert!(reason.contains("outside your scope"), "{reason}");
    let (code, reason) = code_of(illegal.id());
    assert_eq!(code, "illegal_transition");
    assert!(reason.contains("close"), "{reason}");
    assert_eq!(code_of(broken.doc_id).0, "malformed_change");

    // Another phone in the same grid receives exactly the accepted record.
    let code = s.deployment.enroll_code("worker1b").unwrap();
    let other = RawDevice::enroll(&s.server.url, &code).await.unwrap();
    let (cursor, _, _) = other.pull(None).await.unwrap();
    let reply = other
        .sync(&request(vec![], Some(cursor), s.reference.version))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    // The incident arrived during the snapshot phase already; check it is among the docs.
    let reply = other
        .sync(&request(vec![], None, s.reference.version))
        .await
        .unwrap();
    let ids: Vec<Uuid> = reply.body.unwrap().docs.iter().map(|d| d.doc_id).collect();
    assert!(ids.contains(&good.id()));
    assert!(!ids.contains(&illegal.id()));
    assert!(!ids.contains(&broken.doc_id));
}

#[tokio::test]
async fn malformed_bodies_are_refused_and_change_nothing() {
    let s = setup().await;
    let valid = wire::encode(&request(
        vec![upload(&incident(
            s.worker.user.scope_id,
            s.worker.user.id,
            vec![IncidentAction::Report],
        ))],
        Some(s.cursor),
        s.reference.version,
    ));

    let cases: Vec<(&str, Vec<u8>, bool, u16, &str)> = vec![
        (
            "garbage",
            b"\xff\x00 this is not cbor".to_vec(),
            false,
            400,
            "malformed_body",
        ),
        (
            "truncated",
            valid[..valid.len() / 2].to_vec(),
            false,
            400,
            "malformed_body",
        ),
        ("empty", Vec::new(), false, 400, "malformed_body"),
        (
            "json instead of cbor",
            br#"{"protocol":1}"#.to_vec(),
            false,
            400,
            "malformed_body",
        ),
        (
            "bad gzip",
            b"\x1f\x8b\x08\x00garbage".to_vec(),
            true,
            400,
            "bad_compression",
        ),
        (
            "oversized",
            vec![0u8; wire::MAX_BODY_BYTES + 1],
            false,
            413,
            "body_too_large",
        ),
        (
            "gzip bomb",
            wire::gzip(&vec![0u8; wire::MAX_DECODED_BYTES + 1024]),
            true,
            413,
            "body_too_large",
        ),
    ];
    for (name, body, gzip, status, code) in cases {
        let reply = s.worker.post(body, gzip).await.unwrap();
        assert_eq!(reply.status, status, "{name}");
        assert_eq!(reply.error_code().as_deref(), Some(code), "{name}");
        assert_unchanged(&s).await;
    }
}

#[tokio::test]
async fn wrong_revoked_and_outdated_callers_are_refused() {
    let s = setup().await;
    let body = wire::encode(&request(
        vec![upload(&incident(
            s.worker.user.scope_id,
            s.worker.user.id,
            vec![IncidentAction::Report],
        ))],
        Some(s.cursor),
        s.reference.version,
    ));

    let reply = s
        .worker
        .post_with(body.clone(), false, "not-a-token", wire::PROTOCOL_VERSION)
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (401, Some("unauthorized"))
    );
    let reply = s
        .worker
        .post_with(body.clone(), false, &s.worker.token, 99)
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (426, Some("protocol_mismatch"))
    );
    assert!(String::from_utf8_lossy(&reply.raw).contains("update"));
    assert_unchanged(&s).await;

    let too_many: Vec<_> = (0..wire::MAX_DOCS_PER_REQUEST + 1)
        .map(|_| {
            upload(&incident(
                s.worker.user.scope_id,
                s.worker.user.id,
                vec![IncidentAction::Report],
            ))
        })
        .collect();
    let reply = s
        .worker
        .sync(&request(too_many, Some(s.cursor), 1))
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (422, Some("too_many_changes"))
    );
    assert_unchanged(&s).await;

    server_cmd(&[
        "revoke-device",
        "--data",
        &s.deployment.data(),
        "--device",
        &s.worker.device_id.to_string(),
    ])
    .unwrap();
    let reply = s.worker.post(body, false).await.unwrap();
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (403, Some("device_revoked"))
    );
    assert!(s.server.healthy());
}

#[tokio::test]
async fn enrolment_codes_work_once() {
    let s = setup().await;
    let code = s.deployment.enroll_code("desk1").unwrap();
    let desk = RawDevice::enroll(&s.server.url, &code).await.unwrap();
    assert_eq!(desk.user.login, "desk1");
    let again = RawDevice::enroll(&s.server.url, &code).await;
    let message = again.err().unwrap().to_string();
    assert!(
        message.contains("401") && message.contains("already used"),
        "{message}"
    );
    let wrong = RawDevice::enroll(&s.server.url, "AAAA-BBBB-CCCC").await;
    assert!(wrong
        .err()
        .unwrap()
        .to_string()
        .contains("unknown enrolment code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_syncing_in_a_loop_is_slowed_down_and_others_are_not() {
    let s = setup().await;
    let empty = request(Vec::new(), Some(s.cursor), s.reference.version);
    let mut limited = None;
    for _ in 0..300 {
        let reply = s.worker.sync(&empty).await.unwrap();
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
        assert_eq!(reply.status, 200);
    }
    let limited = limited.expect("a device syncing in a loop meets the limit");
    assert_eq!(limited.error_code().as_deref(), Some("rate_limited"));
    let wait = limited.retry_after.expect("a Retry-After header");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");

    // Another phone of the same worker syncs as usual.
    let code = s.deployment.enroll_code("worker1").unwrap();
    let other = RawDevice::enroll(&s.server.url, &code).await.unwrap();
    let first = other.sync(&request(Vec::new(), None, 0)).await.unwrap();
    assert_eq!(first.status, 200);
    // The looping one is served again once it has waited.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(s.worker.sync(&empty).await.unwrap().status, 200);
}
