//! Heavy rounds do not stall light ones: the server checks uploads a bounded turn at a time,
//! each turn queueing for a core anew, so a phone sending one record while others upload
//! hundreds is answered before them.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::time::{Duration, Instant};

use gridwalk_shared::model::{Incident, IncidentAction, IncidentEvent, Record};
use gridwalk_shared::time::Timestamp;
use gridwalk_tests::raw::{request, upload, RawDevice};
use gridwalk_tests::Deployment;
use uuid::Uuid;

/// An incident reported and commented on `comments` times, its id ending in `n`'s 16 bits
/// (the server's document locks are striped by them: heavy rounds given apart ids do not
/// wait for each other's locks, only for cores).
fn incident(device: &RawDevice, n: usize, comments: usize) -> Record {
    let id = Uuid::from_u128((Uuid::now_v7().as_u128() & !0xffff) | (n as u128 & 0xffff));
    let reporter = device.user.id;
    let event = |i: usize, action| IncidentEvent {
        id: Uuid::now_v7(),
        at: Timestamp::from_millis(1_790_000_000_000 + i as i64 * 60_000),
        by: reporter,
        action,
        note: if i == 0 {
            String::new()
        } else {
            format!("第{i}次跟进")
        },
        photos: vec![],
        location: None,
    };
    let mut events = vec![event(0, IncidentAction::Report)];
    events.extend((1..=comments).map(|i| event(i, IncidentAction::Comment)));
    Record::Incident(Incident {
        id,
        grid_id: device.user.scope_id,
        category: "env.garbage".into(),
        description: format!("第{n}处楼道堆放杂物"),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: reporter,
        events,
        received: Default::default(),
    })
}

/// Documents per heavy round.
const HEAVY: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_light_round_is_answered_while_heavy_rounds_are_checked() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let mut devices = Vec::new();
    for _ in 0..3 {
        let code = deployment.enroll_code("worker1").unwrap();
        devices.push(RawDevice::enroll(&server.url, &code).await.unwrap());
    }
    let light = devices.pop().unwrap();

    // Two heavy rounds: as many as a two-core server checks at once (without turns, this
    // light round waited for one of them to finish: checked here).
    let bodies: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(k, device)| {
            let docs = (0..HEAVY)
                .map(|n| upload(&incident(device, k * HEAVY + n, 10)))
                .collect();
            request(docs, None, 0)
        })
        .collect();
    let heavy: Vec<_> = devices
        .into_iter()
        .zip(bodies)
        .map(|(device, body)| {
            tokio::spawn(async move {
                let reply = device.sync(&body).await.unwrap();
                assert_eq!(reply.status, 200);
                (Instant::now(), reply.body.unwrap().accepted.len())
            })
        })
        .collect();
    // Let both heavy rounds reach their checks.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let record = incident(&light, 3 * HEAVY, 0);
    let reply = light
        .sync(&request(vec![upload(&record)], None, 0))
        .await
        .unwrap();
    let answered = Instant::now();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.unwrap().accepted, vec![record.id()]);
    for round in heavy {
        let (done, accepted) = round.await.unwrap();
        assert_eq!(accepted, HEAVY);
        assert!(
            answered < done,
            "the light round waited for a heavy one to finish"
        );
    }
    assert!(server.healthy());
}
