//! The closed loop over real processes: a phone reports → the server dispatches by the
//! routing rules (as its own actor, in the upload's transaction) → department staff accept
//! and give feedback in the admin API → a second phone of the grid gets 待核查 and checks on
//! site → the reporter rates → the street admin closes; every replica folds the same state.
//! Also the return path (the department returns it, the community re-dispatches) and the
//! failing path (the check fails, reopened, handled again).

use anyhow::{Context, Result};
use gridwalk_client::{Client, NewIncident, RecordState, Task};
use gridwalk_shared::model::{IncidentAction, Level, Record, Satisfaction};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::workflow::{IncidentState, IncidentStatus, SYSTEM_USER};
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::{json, Value};
use uuid::Uuid;

fn state(client: &Client, id: Uuid) -> Result<IncidentState> {
    match client.record(id)?.context("record missing")?.state {
        Some(RecordState::Incident(state)) => Ok(state),
        other => anyhow::bail!("no incident state: {other:?}"),
    }
}

fn events(client: &Client, id: Uuid) -> Result<Vec<gridwalk_shared::model::IncidentEvent>> {
    match client.record(id)?.context("record missing")?.record {
        Record::Incident(i) => Ok(i.events),
        other => anyhow::bail!("not an incident: {other:?}"),
    }
}

async fn act(session: &AdminSession, id: Uuid, body: Value) -> Result<(u16, Value)> {
    let answer = session
        .post(&format!("/api/incidents/{id}/events"), &body)
        .await?;
    Ok((answer.status, answer.json))
}

fn department_id(client: &Client, name: &str) -> Result<Uuid> {
    let reference = client.reference()?.context("no reference")?;
    reference
        .departments
        .iter()
        .find(|d| d.name == name)
        .map(|d| d.id)
        .context("department missing")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_dispatched_handled_checked_rated_and_closed() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let reporter = deployment.device(&server.url, "worker1").await?;
    let checker = deployment.device(&server.url, "worker1b").await?;
    reporter.client.sync().await?;
    checker.client.sync().await?;

    // Reported offline, synced later: the server dispatches it by the rules.
    let id = reporter.client.report_incident(NewIncident {
        category: "env.garbage".into(),
        description: "楼道堆放杂物".into(),
        location: None,
    })?;
    assert_eq!(
        state(&reporter.client, id)?.status,
        IncidentStatus::Reported
    );
    reporter.client.sync().await?;
    let dispatched = state(&reporter.client, id)?;
    assert_eq!(
        dispatched.status,
        IncidentStatus::Dispatched,
        "{dispatched:?}"
    );
    assert_eq!(dispatched.level, Level::Street);
    let city_management = department_id(&reporter.client, "城管科")?;
    assert_eq!(dispatched.department_id, Some(city_management));
    assert!(dispatched.due.is_some(), "a dispatch has a due time");
    let dispatch = events(&reporter.client, id)?
        .into_iter()
        .find(|e| matches!(e.action, IncidentAction::Dispatch { .. }))
        .context("no dispatch event")?;
    assert_eq!(dispatch.by, SYSTEM_USER, "the server dispatched it");

    // The department's queue has it as new; another department cannot touch it.
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let queue = dept.get("/api/queue").await?;
    assert_eq!(queue.status, 200, "{}", queue.json);
    let listed = queue.json["items"]
        .as_array()
        .context("items")?
        .iter()
        .find(|i| i["id"] == json!(id))
        .context("not in the department's queue")?
        .clone();
    assert_eq!(listed["box"], "new");
    let other = AdminSession::sign_in(&server.url, "dept2", DEMO_PASSWORD).await?;
    let (status, body) = act(&other, id, json!({ "action": { "type": "accept" } })).await?;
    assert_eq!(status, 404, "another department: {body}");

    let (status, body) = act(&dept, id, json!({ "action": { "type": "accept" } })).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "handling");
    // Two staff accepting: the second is out of place.
    let (status, body) = act(&dept, id, json!({ "action": { "type": "accept" } })).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("illegal_transition"))
    );
    let feedback = json!({ "action": { "type": "feedback" }, "note": "已清运" });
    let (status, body) = act(&dept, id, feedback).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("handled")),
        "{body}"
    );

    // The grid's second phone gets 待核查 and checks on site; the reporter may not.
    checker.client.sync().await?;
    let tasks = checker.client.today()?.tasks;
    assert!(
        tasks
            .iter()
            .any(|t| matches!(t, Task::Verify { incident } if incident.id == id)),
        "no 待核查 task: {tasks:?}"
    );
    reporter.client.sync().await?;
    let own_check =
        reporter
            .client
            .add_incident_event(id, IncidentAction::Verify { passed: true }, "");
    assert!(
        own_check.is_err(),
        "the reporter may not check their own report"
    );
    checker.client.add_incident_event(
        id,
        IncidentAction::Verify { passed: true },
        "现场已清理干净",
    )?;
    checker.client.sync().await?;
    reporter.client.sync().await?;
    let rating = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Satisfied,
    };
    reporter.client.add_incident_event(id, rating, "居民满意")?;
    reporter.client.sync().await?;

    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let (status, body) = act(&admin, id, json!({ "action": { "type": "close" } })).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("closed")),
        "{body}"
    );
    // Nothing more after closing.
    let (status, _) = act(
        &admin,
        id,
        json!({ "action": { "type": "comment" }, "note": "x" }),
    )
    .await?;
    assert_eq!(status, 409);

    reporter.client.sync().await?;
    checker.client.sync().await?;
    let (a, b) = (state(&reporter.client, id)?, state(&checker.client, id)?);
    assert_eq!(a.status, IncidentStatus::Closed);
    assert_eq!(a, b, "both phones fold the same state");
    assert_eq!(events(&reporter.client, id)?, events(&checker.client, id)?);
    // The server stamped a receipt time on every event.
    let Record::Incident(held) = reporter.client.record(id)?.context("record")?.record else {
        anyhow::bail!("not an incident")
    };
    for event in &held.events {
        assert!(
            held.received.contains_key(&event.id.to_string()),
            "no receipt time for {:?}",
            event.action
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_redispatched_failed_check_reopened_and_handled_again() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let reporter = deployment.device(&server.url, "worker1").await?;
    let checker = deployment.device(&server.url, "worker1b").await?;
    reporter.client.sync().await?;
    let id = reporter.client.report_incident(NewIncident {
        category: "env.garbage".into(),
        description: "垃圾桶满溢".into(),
        location: None,
    })?;
    reporter.client.sync().await?;
    let civil_affairs = department_id(&reporter.client, "民政科")?;

    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let (status, body) = act(&dept, id, json!({ "action": { "type": "return" } })).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("reason_required"))
    );
    let back = json!({ "action": { "type": "return" }, "note": "不属于城管科职责" });
    let (status, body) = act(&dept, id, back).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("returned")),
        "{body}"
    );

    // The community re-dispatches it to another department; a dispatch needs a due time.
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let no_due = json!({ "action": { "type": "dispatch", "level": "street",
        "department_id": civil_affairs, "assignee_id": null, "due": null } });
    let (status, body) = act(&admin, id, no_due).await?;
    assert_eq!((status, body["code"].as_str()), (422, Some("missing_due")));
    // By hand the admin web gives working days; the server counts them on the calendar.
    let wrong_days = json!({ "action": { "type": "urge" }, "days": 3 });
    let (status, body) = act(&admin, id, wrong_days).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let redispatch = json!({ "action": { "type": "dispatch", "level": "street",
        "department_id": civil_affairs, "assignee_id": null, "due": null }, "days": 3 });
    let (status, body) = act(&admin, id, redispatch).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("dispatched")),
        "{body}"
    );
    let calendar = reporter
        .client
        .reference()?
        .context("no reference")?
        .calendar;
    let dispatched_at: Timestamp = serde_json::from_value(
        body["record"]["events"]
            .as_array()
            .and_then(|e| e.last())
            .context("no events")?["at"]
            .clone(),
    )?;
    let expect = |t: Timestamp| serde_json::to_value(t).unwrap_or_default();
    assert_eq!(
        body["due"],
        expect(calendar.due(dispatched_at, 3)),
        "{body}"
    );
    // The new department accepts by the end of the working day it reached them.
    assert_eq!(
        body["accept_due"],
        expect(calendar.due(dispatched_at, 0)),
        "{body}"
    );
    assert_eq!(body["late_to_accept"], false, "{body}");
    // The first department no longer sees it.
    let (status, _) = act(&dept, id, json!({ "action": { "type": "accept" } })).await?;
    assert_eq!(status, 404);

    let dept2 = AdminSession::sign_in(&server.url, "dept2", DEMO_PASSWORD).await?;
    for step in [json!({ "type": "accept" }), json!({ "type": "feedback" })] {
        let (status, body) = act(&dept2, id, json!({ "action": step, "note": "已处理" })).await?;
        assert_eq!(status, 200, "{body}");
    }
    checker.client.sync().await?;
    let fail = IncidentAction::Verify { passed: false };
    checker.client.add_incident_event(id, fail, "仍有垃圾")?;
    assert_eq!(
        state(&checker.client, id)?.status,
        IncidentStatus::VerifyFailed
    );
    checker
        .client
        .add_incident_event(id, IncidentAction::Reopen, "请重新清理")?;
    checker.client.sync().await?;
    let (status, body) = act(
        &dept2,
        id,
        json!({ "action": { "type": "feedback" }, "note": "已彻底清理" }),
    )
    .await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("handled")),
        "{body}"
    );

    reporter.client.sync().await?;
    checker.client.sync().await?;
    let (a, b) = (state(&reporter.client, id)?, state(&checker.client, id)?);
    assert_eq!(a.status, IncidentStatus::Handled);
    assert_eq!(a.department_id, Some(civil_affairs));
    assert_eq!(a, b);
    Ok(())
}

/// Reads an SSE response until a `changed` message arrives, or gives up after `within`.
async fn nudged(mut response: reqwest::Response, within: std::time::Duration) -> bool {
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
async fn live_nudges_reach_only_those_in_scope() -> Result<()> {
    use gridwalk_tests::raw::RawDevice;
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let colleague = RawDevice::enroll(&server.url, &deployment.enroll_code("worker1b")?).await?;
    let elsewhere = RawDevice::enroll(&server.url, &deployment.enroll_code("worker2")?).await?;
    let open = |device: &RawDevice| {
        device
            .http
            .get(format!("{}/v1/events", device.url))
            .bearer_auth(&device.token)
            .send()
    };
    let (mine, theirs) = (open(&colleague).await?, open(&elsewhere).await?);
    assert_eq!(mine.status(), 200);
    let unauthenticated = reqwest::get(format!("{}/v1/events", server.url)).await?;
    assert_eq!(unauthenticated.status(), 401);
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let web = reqwest::Client::new()
        .get(format!("{}/api/events", server.url))
        .header("cookie", &dept.cookie)
        .send()
        .await?;
    assert_eq!(web.status(), 200);

    // A report in grid 1, routed to 城管科: the grid's other phone, the community's hall
    // tablet (listening through its core, as the app does) and the department hear.
    let reporter = deployment.device(&server.url, "worker1").await?;
    let tablet = deployment.device(&server.url, "desk1").await?;
    reporter.client.sync().await?;
    tablet.client.sync().await?;
    let listening = tablet
        .client
        .wait_for_change(std::time::Duration::from_secs(20));
    let report = async {
        // Give the tablet's stream a moment to open before the change is announced.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        reporter.client.report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆放杂物".into(),
            location: None,
        })?;
        reporter.client.sync().await
    };
    let (heard, reported) = tokio::join!(listening, report);
    reported?;
    assert!(heard?, "the hall tablet was not nudged");
    let second = std::time::Duration::from_secs(10);
    assert!(
        nudged(mine, second).await,
        "the grid's other phone was not nudged"
    );
    assert!(
        nudged(web, second).await,
        "the department's queue was not nudged"
    );
    let quiet = std::time::Duration::from_secs(2);
    assert!(!nudged(theirs, quiet).await, "another grid was nudged");
    Ok(())
}
