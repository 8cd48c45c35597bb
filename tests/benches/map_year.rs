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

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, Weekday};
use gridwalk_client::{Client, NewIncident, NewVisit};
use gridwalk_shared::model::Location;
use gridwalk_shared::time::Clock;
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::{Deployment, TEST_SYNC};

/// Times each read is made; p50 and p95 are reported.
const RUNS: usize = 40;

fn percentile(mut times: Vec<Duration>, p: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1000.0
}

fn time<T>(what: &str, mut read: impl FnMut() -> Result<T>) -> Result<()> {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        read()?;
        times.push(start.elapsed());
    }
    println!(
        "| {what} | {:.2} | {:.2} |",
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );
    Ok(())
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let first = NaiveDate::from_ymd_opt(2025, 12, 1).context("date")?;
    let clock = std::sync::Arc::new(HandClock::at(first, 8, 30));
    let dir = tempfile::tempdir()?;
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let households = phone.households()?;
    let reference = phone.reference()?.context("reference data")?;
    let started = Instant::now();

    // A year of working days: each household visited once a month, at its building.
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take(365)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let per_day = households.len() * 12 / days.len() + 1;
    let (mut visits, mut reports) = (0, 0);
    for (n, day) in days.iter().enumerate() {
        for k in 0..per_day {
            let household = &households[(n * per_day + k) % households.len()];
            clock.set(*day, 9 + (k as u32 * 25) / 60, (k as u32 * 25) % 60);
            let at = reference
                .building_position(Some(household.building_id))
                .context("placed buildings")?;
            let location = Location {
                lat: at.lat + 0.00005,
                lon: at.lon,
                accuracy_m: Some(8.0),
                at: clock.now(),
                adjusted_from: None,
            };
            phone.add_visit(NewVisit {
                household_id: household.id,
                note: "走访正常".into(),
                location: Some(location.clone()),
                ..NewVisit::default()
            })?;
            visits += 1;
            if (n * per_day + k).is_multiple_of(36) {
                phone.report_incident(NewIncident {
                    category: "env.garbage".into(),
                    description: "楼道堆放杂物".into(),
                    location: Some(location),
                })?;
                reports += 1;
            }
        }
    }
    let filled = started.elapsed();
    let last = *days.last().context("days")?;
    clock.set(last, 17, 0);
    let bytes: u64 = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "A year for one grid: {} households, {visits} visits, {reports} reports; filled in {:.1} s; store {:.1} MiB",
        households.len(),
        filled.as_secs_f64(),
        bytes as f64 / (1 << 20) as f64
    );
    println!();
    println!("| read (release, {RUNS} runs) | p50 ms | p95 ms |");
    println!("|---|---|---|");
    let building = households[0].building_id;
    let worker = phone.status()?.account.context("account")?.user.id;
    let month_start = last.with_day(1).context("date")?;
    time(
        "grid map: buildings with this cycle's coverage (`my_grids`)",
        || Ok(phone.my_grids()?),
    )?;
    time(
        "grid map: incidents at their fixes (`map_incidents`)",
        || Ok(phone.map_incidents()?),
    )?;
    time("a building's households (`households_in`)", || {
        Ok(phone.households_in(building)?)
    })?;
    time("coverage for the month (`coverage`)", || {
        Ok(phone.coverage(month_start, last)?)
    })?;
    time("coverage for the year (`coverage`)", || {
        Ok(phone.coverage(first, last)?)
    })?;
    time("a day's track (`day_track`)", || {
        Ok(phone.day_track(worker, last)?)
    })?;
    Ok(())
}
