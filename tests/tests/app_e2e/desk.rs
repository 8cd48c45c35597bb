//! The hall tablet's own day in the app's end-to-end test: catalogue, one-time notice,
//! walk-in, queue, resident rating.

use anyhow::Result;
use gridwalk_tests::webview::App;

use super::{snap, WAIT};

/// The desk looks an item up in the catalogue, shows its one-time notice, registers a
/// walk-in, completes it in the queue and has the resident rate it.
pub async fn the_desks_own_day(tablet: &mut App, a11y: &mut Vec<String>) -> Result<()> {
    tablet.tap("[data-testid=menu-catalogue]").await?;
    tablet
        .type_into("[data-testid=catalogue-search]", "保障卡")
        .await?;
    snap(tablet, "app-tablet-catalogue", a11y).await?;
    tablet.tap("[data-testid=catalogue-list] .row").await?;
    tablet.find("[data-testid=one-time-notice]").await?;
    snap(tablet, "app-tablet-notice", a11y).await?;
    tablet.tap("[data-testid=service-register]").await?;
    tablet
        .type_into("[data-testid=walkin-name]", "刘桂英")
        .await?;
    tablet
        .type_into("[data-testid=walkin-phone]", "13912345678")
        .await?;
    tablet
        .tap("[data-testid=screen-walkin] .check input")
        .await?;
    snap(tablet, "app-tablet-walkin", a11y).await?;
    tablet.tap("[data-testid=walkin-submit]").await?;
    tablet.find("[data-testid=queue-row]").await?;
    snap(tablet, "app-tablet-queue", a11y).await?;
    tablet.tap("[data-testid=queue-complete]").await?;
    tablet.tap("[data-testid=queue-done]").await?;
    tablet.tap("[data-testid=queue-rate]").await?;
    tablet.find("[data-testid=rate-satisfied]").await?;
    snap(tablet, "app-tablet-rate", a11y).await?;
    tablet.tap("[data-testid=rate-satisfied]").await?;
    tablet
        .wait_text("[data-testid=screen-rate]", "谢谢", WAIT)
        .await?;
    Ok(())
}
