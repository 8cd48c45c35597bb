//! The maps with a year of one grid's work on the phone (issue 15 point 8): a phone of the
//! demo street's first grid (300 households) fills its own store with a year of visits (each
//! household monthly, at its building, ~3,600) and ~100 reports, then times what its maps read
//! through the same calls the Tauri commands make — the grid map's buildings with this
//! cycle's coverage (`my_grids`), its incidents (`map_incidents`), a building's households,
//! coverage for a month and for the year, and a day's track. The map draws one shape per
//! building (ten in a demo grid), not per visit: a year of visits changes the colours, not
//! what is drawn, so the reads are where a year shows. Prints a Markdown table for
//! `docs/benchmarks.md`.
//!
//! `cargo bench -p gridwalk-tests --bench map_year`

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Datelike;
use gridwalk_client::Client;
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::{year, Deployment, TEST_SYNC};

/// Times each read is made; p50 and p95 are reported.
const RUNS: usize = 40;

fn main() -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let clock = std::sync::Arc::new(HandClock::at(year::first_day()?, 8, 30));
    let dir = tempfile::tempdir()?;
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let started = Instant::now();
    let year = year::fill(&phone, &clock, year::Extras::default())?;
    let filled = started.elapsed();
    let (first, last, households) = (year.first, year.last, &year.households);
    println!(
        "A year for one grid: {} households, {} visits, {} reports; filled in {:.1} s; store {:.1} MiB",
        households.len(),
        year.visits,
        year.reports.len(),
        filled.as_secs_f64(),
        year::store_mib(dir.path())?
    );
    println!();
    println!("| read (release, {RUNS} runs) | p50 ms | p95 ms |");
    println!("|---|---|---|");
    let building = households[0].building_id;
    let worker = phone.status()?.account.context("account")?.user.id;
    let month_start = last.with_day(1).context("date")?;
    year::time_row(
        "grid map: buildings with this cycle's coverage (`my_grids`)",
        RUNS,
        || Ok(phone.my_grids()?),
    )?;
    year::time_row(
        "grid map: incidents at their fixes (`map_incidents`)",
        RUNS,
        || Ok(phone.map_incidents()?),
    )?;
    year::time_row("a building's households (`households_in`)", RUNS, || {
        Ok(phone.households_in(building)?)
    })?;
    year::time_row("coverage for the month (`coverage`)", RUNS, || {
        Ok(phone.coverage(month_start, last)?)
    })?;
    year::time_row("coverage for the year (`coverage`)", RUNS, || {
        Ok(phone.coverage(first, last)?)
    })?;
    year::time_row("a day's track (`day_track`)", RUNS, || {
        Ok(phone.day_track(worker, last)?)
    })?;
    Ok(())
}
