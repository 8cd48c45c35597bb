//! Walk-in service requests in the closed loop, over real processes: the hall tablet
//! registers a request and transfers it (转办) to the item's department with the
//! catalogue's time limit → the department finds it in its work queue beside the incidents
//! → completes it there (a return needs a reason; another department cannot touch it) →
//! the tablet sees it completed after its next sync and records the resident's rating →
//! the dashboard's on-time and satisfaction figures count it.

use anyhow::{Context, Result};
use gridwalk_client::{Client, NewServiceRequest, RecordState};
use gridwalk_shared::model::{Satisfaction, ServiceAction};
use gridwalk_shared::workflow::ServiceStatus;
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::{json, Value};
use uuid::Uuid;

fn listed(queue: &Value, id: Uuid) -> Option<Value> {
    queue["services"]
        .as_array()?
        .iter()
        .find(|s| s["id"] == json!(id))
        .cloned()
}

fn status(client: &Client, id: Uuid) -> Result<ServiceStatus> {
    match client.record(id)?.context("record missing")?.state {
        Some(RecordState::Service(state)) => Ok(state.status),
        other => anyhow::bail!("no service request state: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_desk_request_is_completed_from_the_department_queue() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let tablet = deployment.device(&server.url, "desk1").await?;
    tablet.client.sync().await?;
    let reference = tablet.client.reference()?.context("no reference")?;
    let item = reference
        .services
        .iter()
        .find(|s| s.department == "民政科" && s.time_limit_days > 0)
        .context("no 民政科 item in the catalogue")?
        .clone();
    let civil_affairs = reference
        .departments
        .iter()
        .find(|d| d.name == "民政科")
        .context("no 民政科")?
        .id;
    let id = tablet.client.register_service_request(NewServiceRequest {
        item_id: item.id,
        resident_name: "王秀英".into(),
        resident_phone: "13800000000".into(),
        materials_received: item.materials.clone(),
    })?;
    let due = reference.calendar.due(
        gridwalk_shared::time::Timestamp::from(chrono::Utc::now()),
        item.time_limit_days,
    );
    let transfer = ServiceAction::Transfer {
        department_id: civil_affairs,
        due,
    };
    tablet
        .client
        .add_service_event(id, transfer, "材料齐全，转民政科")?;
    tablet.client.sync().await?;

    // In 民政科's queue beside the incidents, new and with the catalogue's due time.
    let dept2 = AdminSession::sign_in(&server.url, "dept2", DEMO_PASSWORD).await?;
    let queue = dept2.get("/api/queue").await?;
    let row = listed(&queue.json, id).context("not in the department's queue")?;
    assert_eq!(row["status"], "transferred", "{row}");
    assert_eq!(row["box"], "new", "{row}");
    assert_eq!(row["item"], json!(item.name), "{row}");
    assert_eq!(row["due"], serde_json::to_value(due)?, "{row}");
    // 城管科 neither sees it nor can act on it.
    let dept1 = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    assert!(listed(&dept1.get("/api/queue").await?.json, id).is_none());
    let path = format!("/api/services/{id}/events");
    let complete =
        json!({ "action": { "type": "complete", "on_the_spot": false }, "note": "已审批" });
    assert_eq!(dept1.post(&path, &complete).await?.status, 404);
    // A return needs a reason; rating is the desk's, not the department's.
    let bare_return = dept2
        .post(&path, &json!({ "action": { "type": "return" } }))
        .await?;
    assert_eq!(
        (bare_return.status, bare_return.json["code"].as_str()),
        (422, Some("reason_required"))
    );
    let rate = json!({ "action": { "type": "rate", "satisfaction": "satisfied" } });
    assert_eq!(dept2.post(&path, &rate).await?.status, 403);

    let done = dept2.post(&path, &complete).await?;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["status"], "completed");
    assert_eq!(done.json["box"], "handled");
    // Completing twice is not a transition.
    assert_eq!(dept2.post(&path, &complete).await?.status, 409);

    // The tablet sees it completed, the resident rates it at the window.
    tablet.client.sync().await?;
    assert_eq!(status(&tablet.client, id)?, ServiceStatus::Completed);
    let rating = ServiceAction::Rate {
        satisfaction: Satisfaction::Satisfied,
    };
    tablet.client.add_service_event(id, rating, "")?;
    tablet.client.sync().await?;
    assert_eq!(status(&tablet.client, id)?, ServiceStatus::Rated);
    // The server stamped its receipt time on every event (on-time figures use them).
    let record = tablet.client.record(id)?.context("record missing")?.record;
    let gridwalk_shared::model::Record::ServiceRequest(request) = record else {
        anyhow::bail!("not a service request");
    };
    assert_eq!(request.received.len(), request.events.len(), "{request:?}");

    // Rated and done: off the queue; on the dashboard, on time and satisfied.
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    assert!(listed(&dept2.get("/api/queue").await?.json, id).is_none());
    let dashboard = admin.get("/api/dashboard").await?.json;
    assert!(
        dashboard["services_completed"].as_u64() >= Some(1),
        "{dashboard}"
    );
    assert!(
        dashboard["services_on_time"].as_u64() >= Some(1),
        "{dashboard}"
    );
    assert!(dashboard["satisfied"].as_u64() >= Some(1), "{dashboard}");
    Ok(())
}
