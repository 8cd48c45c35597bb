//! The field-operations phase: what a notice to the whole street (the demo street: 6 grids,
//! 1,800 households) and a campaign over one grid's 300 households add to the next sync of
//! each of ~30 devices (grid workers, grid leaders and hall tablets, several per person).
//! Each device first syncs to the end; then every device's next sync is measured with nothing
//! new (the baseline), and again after the admin sent the notice and created the campaign.
//! Devices sync one at a time, so the times are one device's, not a queue's.

use std::time::Instant;

use anyhow::{ensure, Context, Result};
use gridwalk_shared::wire::Cursor;
use serde::Serialize;
use serde_json::json;

use super::net::{Enrolled, Net};
use super::nodes::{Backend, Nodes};
use super::setup;
use super::stats::percentile;
use crate::admin::{AdminSession, DEMO_PASSWORD};
use crate::Deployment;

/// One round of next syncs over every device.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NextSyncs {
    /// Median wall time of one device's next sync, ms.
    pub median_ms: f64,
    /// Slowest device's next sync, ms.
    pub max_ms: f64,
    /// Median response bytes on the wire per device.
    pub median_bytes: f64,
    /// Most response bytes one device received.
    pub max_bytes: usize,
    /// Documents received over all devices.
    pub docs: usize,
    /// Devices that received at least one document.
    pub devices_with_docs: usize,
}

/// What the phase measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldOpsResult {
    /// Devices syncing.
    pub devices: usize,
    /// Households in the street.
    pub households: usize,
    /// Recipients of the street-wide notice.
    pub notice_recipients: u64,
    /// Targets of the campaign.
    pub campaign_targets: u64,
    /// The admin's `POST /api/notices`, ms.
    pub send_notice_ms: f64,
    /// The admin's `POST /api/campaigns`, ms.
    pub create_campaign_ms: f64,
    /// Next syncs with nothing new.
    pub baseline: NextSyncs,
    /// Next syncs after the notice and the campaign.
    pub after: NextSyncs,
}

/// `devices` logins, round-robin over everyone who carries a phone or a hall tablet.
fn device_logins(deployment: &Deployment, devices: usize) -> Result<Vec<String>> {
    let people: Vec<String> = deployment
        .users()?
        .into_iter()
        .filter(|(_, role, _)| matches!(role.as_str(), "grid_worker" | "grid_leader" | "desk"))
        .map(|(login, _, _)| login)
        .collect();
    ensure!(!people.is_empty(), "no field users in the demo street");
    Ok((0..devices)
        .map(|i| people[i % people.len()].clone())
        .collect())
}

/// A device: its enrolment, its cursor and the reference data version it holds.
type Device = (Enrolled, Option<Cursor>, u64);

/// Every device's next sync from where it is, one device at a time.
async fn next_syncs(net: &Net, devices: &mut [Device]) -> Result<NextSyncs> {
    let (mut ms, mut bytes) = (Vec::new(), Vec::new());
    let mut round = NextSyncs::default();
    for (device, cursor, reference) in devices.iter_mut() {
        let started = Instant::now();
        let pulled = net.pull_holding(&device.token, *cursor, *reference).await?;
        *reference = pulled.reference_version().max(*reference);
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes.push(pulled.wire_bytes as f64);
        round.max_bytes = round.max_bytes.max(pulled.wire_bytes);
        round.docs += pulled.docs.len();
        round.devices_with_docs += usize::from(!pulled.docs.is_empty());
        *cursor = pulled.cursor;
    }
    ms.sort_by(f64::total_cmp);
    bytes.sort_by(f64::total_cmp);
    round.median_ms = percentile(&ms, 0.5);
    round.max_ms = ms.last().copied().unwrap_or_default();
    round.median_bytes = percentile(&bytes, 0.5);
    Ok(round)
}

/// Runs the phase on its own seeded demo street with `devices` devices.
pub async fn run(devices: usize, backend: Backend) -> Result<FieldOpsResult> {
    let deployment = Deployment::seeded()?;
    let users = deployment.users()?;
    let scope_of = |login: &str| {
        users
            .iter()
            .find(|(l, _, _)| l == login)
            .map(|(_, _, scope)| scope.clone())
            .with_context(|| format!("no {login}"))
    };
    let (street, grid) = (scope_of("admin")?, scope_of("worker1")?);
    let logins = device_logins(&deployment, devices)?;
    let refs: Vec<&str> = logins.iter().map(String::as_str).collect();
    let codes = setup::issue_codes(deployment.dir.path(), &refs).await?;
    let server = Nodes::start(&deployment, backend)?;
    let net = Net::new(&server.url, 8)?;
    let mut fleet = Vec::with_capacity(devices);
    for (i, code) in codes.iter().enumerate() {
        let device = net.enroll(code, &format!("loadgen field-ops {i}")).await?;
        let pulled = net.pull(&device.token, None).await?;
        let reference = pulled.reference_version();
        fleet.push((device, pulled.cursor, reference));
    }
    eprintln!("[field-ops] {devices} devices synced to the end; baseline next syncs");
    let mut result = FieldOpsResult {
        devices,
        baseline: next_syncs(&net, &mut fleet).await?,
        ..FieldOpsResult::default()
    };
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let dashboard = admin.get("/api/dashboard").await?;
    result.households = dashboard.json["households"].as_u64().unwrap_or_default() as usize;
    let notice = json!({
        "kind": "notice", "title": "关于开展冬季消防安全检查的通知",
        "text": "各网格：请于本周内完成辖区楼栋消防通道、电动车充电点排查，发现隐患随手拍上报。",
        "photos": [], "pdf": null, "response": null, "deadline": null,
        "audience": { "units": [street], "roles": [], "users": [] },
    });
    let started = Instant::now();
    let sent = admin.post("/api/notices", &notice).await?;
    result.send_notice_ms = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(sent.status == 200, "send notice: {}", sent.json);
    result.notice_recipients = sent.json["counts"]["recipients"]
        .as_u64()
        .unwrap_or_default();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(14)).date_naive();
    let campaign = json!({
        "name": "冬季独居老人走访（网格一）", "kind": "visit", "deadline": deadline.to_string(),
        "targets": { "by": "grid", "grid": grid },
    });
    let started = Instant::now();
    let created = admin.post("/api/campaigns", &campaign).await?;
    result.create_campaign_ms = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(created.status == 201, "create campaign: {}", created.json);
    result.campaign_targets = created.json["total"].as_u64().unwrap_or_default();
    eprintln!("[field-ops] notice and campaign sent; next syncs");
    result.after = next_syncs(&net, &mut fleet).await?;
    Ok(result)
}
