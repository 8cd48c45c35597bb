//! What the grid's colleagues and the admins do while the phone is offline in the app's
//! end-to-end test.

use anyhow::{ensure, Context, Result};
use gridwalk_client::NewIncident;
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::{json, Value};
use uuid::Uuid;

/// The ids the phone meets again.
pub struct Colleagues {
    /// A report handled by the department: to be checked on site.
    pub to_check: Uuid,
    /// A report transferred with its due time already past.
    pub overdue: Uuid,
    /// A campaign visiting two households of the grid.
    pub campaign: Uuid,
    /// A census round over a third household.
    pub census: Uuid,
}

/// A colleague (worker1b, same grid) reports two problems: the first the department
/// accepts and reports handled (to be checked on site), the second the street admin
/// transfers with a due time already past; the street admin also starts a campaign visiting
/// two households of the grid and a census round over a third.
pub async fn colleagues_work(deployment: &Deployment, url: &str) -> Result<Colleagues> {
    let colleague = deployment.device(url, "worker1b").await?;
    colleague.client.sync().await?;
    let report = |description: &str| {
        colleague.client.report_incident(NewIncident {
            category: "env.garbage".into(),
            description: description.into(),
            location: None,
        })
    };
    let to_check = report("垃圾桶满溢，需清运")?;
    let overdue = report("路边垃圾堆积多日")?;
    colleague.client.sync().await?;
    let dept = AdminSession::sign_in(url, "dept1", DEMO_PASSWORD).await?;
    for action in [json!({ "type": "accept" }), json!({ "type": "feedback" })] {
        let body = json!({ "action": action, "note": "已清运" });
        let answer = dept
            .post(&format!("/api/incidents/{to_check}/events"), &body)
            .await?;
        ensure!(answer.status == 200, "{}", answer.json);
    }
    let reference = colleague.client.reference()?.context("no reference")?;
    let city_management = reference
        .departments
        .iter()
        .find(|d| d.name == "城管科")
        .context("no 城管科")?
        .id;
    let admin = AdminSession::sign_in(url, "admin", DEMO_PASSWORD).await?;
    let late = json!({ "action": { "type": "transfer", "level": "street",
        "department_id": city_management, "assignee_id": Value::Null,
        "due": "2026-01-05T15:59:59Z" } });
    let answer = admin
        .post(&format!("/api/incidents/{overdue}/events"), &late)
        .await?;
    ensure!(answer.status == 200, "{}", answer.json);
    let grid = colleague.client.my_grids()?;
    let building = grid
        .first()
        .and_then(|g| g.buildings.first())
        .context("no building")?;
    let households: Vec<String> = colleague
        .client
        .households_in(building.building.id)?
        .iter()
        .take(3)
        .map(|h| h.id.to_string())
        .collect();
    ensure!(households.len() == 3, "the building has 3 households");
    let deadline = (chrono::Utc::now() + chrono::Duration::days(5)).date_naive();
    let create = |name: &str, kind: &str, targets: &[String]| {
        json!({ "name": name, "kind": kind, "deadline": deadline.to_string(),
            "targets": { "by": "list", "households": targets } })
    };
    let mut ids = Vec::new();
    for body in [
        create("冬季燃气安全入户", "visit", &households[..2]),
        create("人口普查入户", "census", &households[2..]),
    ] {
        let answer = admin.post("/api/campaigns", &body).await?;
        ensure!(answer.status == 201, "{}", answer.json);
        ids.push(
            answer.json["campaign_id"]
                .as_str()
                .context("campaign id")?
                .parse()?,
        );
    }
    Ok(Colleagues {
        to_check,
        overdue,
        campaign: ids[0],
        census: ids[1],
    })
}
