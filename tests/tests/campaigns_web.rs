//! The admin web's campaign page in headless Chromium against a real server: the admin
//! creates a campaign over a grid from the form and watches its progress go up live while
//! the grid's phone does a task.

use anyhow::{ensure, Context, Result};
use gridwalk_client::CampaignVisit;
use gridwalk_tests::china_day_from_today;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_web_creates_a_campaign_and_shows_its_progress_live() -> Result<()> {
    let Some((driver, ui)) = gridwalk_tests::admin::admin_browser("campaign_web")? else {
        return Ok(());
    };
    let (deployment, server) = gridwalk_tests::admin::serve_admin(&ui)?;
    let phone = deployment.device(&server.url, "worker1").await?;
    phone.client.sync().await?;
    let grid = phone
        .client
        .status()?
        .account
        .context("enrolled")?
        .user
        .scope_id;
    let out = tempfile::tempdir()?;
    let (url, dir, arg) = (
        server.url.clone(),
        out.path().to_path_buf(),
        format!("{},{grid}", china_day_from_today(7)),
    );
    let browser = tokio::task::spawn_blocking(move || {
        gridwalk_tests::admin::browser_phase(&driver, "admin", "campaign", &url, &dir, Some(&arg))
    });
    // Once the campaign exists, the phone does one task and syncs.
    let created = out.path().join("campaign-created");
    let started = std::time::Instant::now();
    while !created.exists() {
        if browser.is_finished() {
            browser.await??;
            anyhow::bail!("the browser ended without creating the campaign");
        }
        ensure!(
            started.elapsed().as_secs() < 90,
            "the browser did not create the campaign"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    phone.client.sync().await?;
    let task = phone
        .client
        .campaign_tasks()?
        .into_iter()
        .next()
        .context("a task")?;
    phone.client.do_campaign_task(CampaignVisit {
        campaign_id: task.campaign_id,
        target_id: task.target_id,
        ..CampaignVisit::default()
    })?;
    phone.client.sync().await?;
    let seen = browser.await??;
    ensure!(
        seen["created"]
            .as_str()
            .is_some_and(|s| s.starts_with("0 / ")),
        "{seen}"
    );
    ensure!(
        seen["progress"]
            .as_str()
            .is_some_and(|s| s.starts_with("1 / ")),
        "{seen}"
    );
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::copy(
            out.path().join("admin-campaign-progress.png"),
            docs.join("admin-campaign-progress.png"),
        )?;
    }
    Ok(())
}
