//! The closed loop with the admin web in headless Chromium: a phone reports with a photo →
//! the server dispatches to 城管科 → its staff accept and give feedback with a photo in the
//! work queue page (the photo downscaled in the browser, stored without being decoded by the
//! server) → the grid's second phone fetches that photo, checks on site, the reporter rates, the
//! street admin closes; the community board shows the overdue box. Skipped like
//! admin_web.rs when Chromium or the built UI are missing, unless GRIDWALK_REQUIRE_BROWSER=1.
//! UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/admin-{queue,queue-timeline,board}.png.

use std::path::Path;

use anyhow::{bail, Context, Result};
use gridwalk_client::{Attachments, Client, NewIncident, RecordState};
use gridwalk_shared::model::{IncidentAction, Record, Satisfaction};
use gridwalk_shared::workflow::IncidentStatus;
use gridwalk_tests::admin::{admin_browser, browser_phase, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::media::scene_jpeg;
use serde_json::json;
use uuid::Uuid;

fn status(client: &Client, id: Uuid) -> Result<IncidentStatus> {
    match client.record(id)?.context("record missing")?.state {
        Some(RecordState::Incident(state)) => Ok(state.status),
        other => bail!("no incident state: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_staff_work_the_queue_in_the_browser() -> Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("workspace")?
        .to_path_buf();
    let Some((driver, ui)) = admin_browser("department_staff_work_the_queue_in_the_browser")?
    else {
        return Ok(());
    };
    // A month of the loop, so the board has overdue items.
    let (deployment, server) = gridwalk_tests::admin::serve_with_activity(&ui, 30)?;
    let out = tempfile::tempdir()?;

    let reporter = deployment.device(&server.url, "worker1").await?;
    let checker = deployment.device(&server.url, "worker1b").await?;
    reporter.client.sync().await?;
    let photo = reporter.client.add_photo(&scene_jpeg(1600, 1200))?;
    let id = reporter.client.report_incident_with(
        None,
        NewIncident {
            category: "env.garbage".into(),
            description: "小区门口暴露垃圾".into(),
            location: None,
        },
        &Attachments {
            photos: vec![photo.hash.clone()],
            audio: vec![],
        },
    )?;
    reporter.client.sync().await?;
    assert_eq!(status(&reporter.client, id)?, IncidentStatus::Dispatched);

    let picked = out.path().join("result.jpg");
    std::fs::write(&picked, scene_jpeg(3000, 2000))?;
    let arg = format!("{id}|{}", picked.display());
    let seen = browser_phase(
        &driver,
        "dept1",
        "queue",
        &server.url,
        out.path(),
        Some(&arg),
    )?;
    assert!(seen["newCount"].as_u64().is_some_and(|n| n >= 1), "{seen}");
    let thumb = seen["thumbnailWidth"].as_u64().unwrap_or(0);
    assert!(
        (1..=320).contains(&thumb),
        "a browser-made thumbnail: {seen}"
    );
    let timeline = seen["timeline"].to_string();
    assert!(
        timeline.contains("受理") && timeline.contains("处置反馈"),
        "{seen}"
    );

    // The grid's second phone has the handled item and the department's photo.
    checker.client.sync().await?;
    assert_eq!(status(&checker.client, id)?, IncidentStatus::Handled);
    let Record::Incident(held) = checker.client.record(id)?.context("record")?.record else {
        bail!("not an incident")
    };
    let feedback = held
        .events
        .iter()
        .find(|e| e.action == IncidentAction::Feedback)
        .context("no feedback event")?;
    let hash = feedback
        .photos
        .first()
        .context("feedback without a photo")?;
    let fetched = checker.client.blob(hash, false).await?;
    let bytes = std::fs::read(&fetched)?;
    let size = image::load_from_memory(&bytes)?;
    assert!(
        size.width().max(size.height()) <= 1920,
        "downscaled in the browser"
    );

    checker
        .client
        .add_incident_event(id, IncidentAction::Verify { passed: true }, "现场已清理")?;
    checker.client.sync().await?;
    reporter.client.sync().await?;
    let rating = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Satisfied,
    };
    reporter.client.add_incident_event(id, rating, "")?;
    reporter.client.sync().await?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let closed = admin
        .post(
            &format!("/api/incidents/{id}/events"),
            &json!({ "action": { "type": "close" } }),
        )
        .await?;
    assert_eq!(closed.status, 200, "{}", closed.json);
    reporter.client.sync().await?;
    checker.client.sync().await?;
    assert_eq!(status(&reporter.client, id)?, IncidentStatus::Closed);
    assert_eq!(status(&checker.client, id)?, IncidentStatus::Closed);

    let board = browser_phase(&driver, "admin", "board", &server.url, out.path(), None)?;
    assert!(board["overdue"].as_u64().is_some_and(|n| n >= 1), "{board}");

    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = workspace.join("docs").join("screenshots");
        for name in ["queue", "queue-timeline", "board"] {
            let file = format!("admin-{name}.png");
            std::fs::copy(out.path().join(&file), docs.join(&file))?;
        }
    }
    Ok(())
}
