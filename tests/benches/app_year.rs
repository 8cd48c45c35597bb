//! The app with a year of data (issue 14 point 6): a phone of the demo street's first grid
//! (300 households) holds a year of its work — ~3,600 visits each with a photo (the store
//! keeps its thumbnail), ~100 reports that went through dispatch, acceptance and the
//! department's answer, a work log per working day — synced with a real server. Then, through
//! the calls the Tauri commands make, it times the cold start to the home screen's data and
//! each main screen, and reports the process's memory while they are read. Prints Markdown
//! for `docs/benchmarks.md`.
//!
//! `cargo bench -p gridwalk-tests --bench app_year`

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use gridwalk_client::Client;
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::load::stats;
use gridwalk_tests::{year, Deployment, TEST_SYNC};
use serde_json::json;

/// Times each screen's read is made; p50 and p95 are reported.
const RUNS: usize = 40;

fn main() -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let clock = Arc::new(HandClock::at(year::first_day()?, 8, 30));
    let dir = tempfile::tempdir()?;
    let open = || -> Result<Client> {
        Ok(Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?)
    };
    let phone = open()?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let started = Instant::now();
    let extras = year::Extras {
        photos: true,
        work_logs: true,
    };
    let year = year::fill(&phone, &clock, extras)?;
    let filled = started.elapsed();

    // The reports climb the loop: the server dispatches them on upload, the department
    // accepts each and answers, and the phone receives those events.
    let started = Instant::now();
    phone.sync().await?;
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    for id in &year.reports {
        for action in [json!({ "type": "accept" }), json!({ "type": "feedback" })] {
            let body = json!({ "action": action, "note": "已处理" });
            let answer = dept
                .post(&format!("/api/incidents/{id}/events"), &body)
                .await?;
            if answer.status != 200 {
                bail!("{action} on {id}: {} {}", answer.status, answer.json);
            }
        }
    }
    phone.sync().await?;
    let synced = started.elapsed();
    let pending = phone.pending_changes()?;
    drop(phone);
    println!(
        "A year for one grid: {} households, {} visits with {} photos, {} reports (4 events \
         each), {} work logs; written in {:.0} s, synced and answered in {:.0} s; store {:.1} \
         MiB, {:.1} MiB with the media; {pending} changes unsent",
        year.households.len(),
        year.visits,
        year.photos,
        year.reports.len(),
        year.work_logs,
        filled.as_secs_f64(),
        synced.as_secs_f64(),
        year::store_mib(dir.path())?,
        year::mib_under(dir.path())?,
    );
    println!();
    println!("| screen (release, {RUNS} runs) | p50 ms | p95 ms |");
    println!("|---|---|---|");

    let ticks = stats::clk_tck();
    let me = std::process::id();
    stats::reset_own_peak()?;
    year::time_row(
        "cold start to the home screen (open the store, `status`, `reference`, `today`, \
         `unread_notices`)",
        RUNS,
        || {
            let phone = open()?;
            phone.status()?;
            phone.reference()?;
            phone.today()?;
            phone.unread_notices()?;
            Ok(())
        },
    )?;
    let phone = open()?;
    let households = &year.households;
    let surname: String = households[0].head.chars().take(1).collect();
    let mut next = 0;
    year::time_row("today's list (`today`)", RUNS, || Ok(phone.today()?))?;
    year::time_row("a household card (`household_card`)", RUNS, || {
        next = (next + 7) % households.len();
        Ok(phone.household_card(households[next].id)?)
    })?;
    year::time_row("the grid list (`my_grids`)", RUNS, || Ok(phone.my_grids()?))?;
    year::time_row("the household list (`households`)", RUNS, || {
        Ok(phone.households()?)
    })?;
    year::time_row("the reports list (`incidents`)", RUNS, || {
        Ok(phone.incidents()?)
    })?;
    year::time_row(
        &format!("search by surname “{surname}” (`search_households`)"),
        RUNS,
        || Ok(phone.search_households(&surname)?),
    )?;
    let memory = stats::sample(me, ticks)?;
    println!();
    println!(
        "Memory of the process (the app core; the server is its own process): {:.1} MiB \
         resident after the reads, {:.1} MiB at most while they ran.",
        memory.rss_kib as f64 / 1024.0,
        memory.hwm_kib as f64 / 1024.0
    );
    let today = phone.today()?;
    println!(
        "What the screens hold: today {} tasks, {} due of {}; reports list {} rows; \
         household list {} rows.",
        today.tasks.len(),
        today.due.len(),
        today.due_total,
        phone.incidents()?.len(),
        households.len()
    );
    Ok(())
}
