//! `gridwalk-soak`: the fault soak of `docs/reliability.md`. Devices do a day's work after
//! another through a cutting proxy while the server is killed with SIGKILL at random
//! moments; then every acknowledged change, the change log and the replicas are checked.
//! Prints a human summary and a JSON line; exits non-zero if anything was lost.
//!
//! `cargo run --release -p gridwalk-tests --bin gridwalk-soak -- --kills 50 --devices 14 --seed S`

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use gridwalk_tests::load::report::Machine;
use gridwalk_tests::soak::outage::Outages;
use gridwalk_tests::soak::{self, SoakConfig};
use serde::Serialize;

/// Fault soak for Gridwalk (release build; see docs/reliability.md).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// SIGKILLs of the server.
    #[arg(long, default_value_t = 50)]
    kills: usize,
    /// Grid workers' devices (round-robin over the demo street's 7 grid workers).
    #[arg(long, default_value_t = 14)]
    devices: usize,
    /// Community leaders' devices that only sync (0–2).
    #[arg(long, default_value_t = 2)]
    leaders: usize,
    /// Mean time the server runs between a restart and the next kill, ms.
    #[arg(long, default_value_t = 1500)]
    uptime_ms: u64,
    /// Longest time the server stays down after a kill, ms.
    #[arg(long, default_value_t = 500)]
    downtime_ms: u64,
    /// The proxy cuts every connection after 1 to this many client bytes.
    #[arg(long, default_value_t = 16 * 1024)]
    cut_bytes: u64,
    /// Seed of the kill times, the cuts and the work (random if not given; printed).
    #[arg(long)]
    seed: Option<u64>,
}

/// The JSON line: the machine, the command and the report.
#[derive(Serialize)]
struct Output<'a> {
    machine: Machine,
    command: String,
    report: &'a soak::SoakReport,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!("fault soak seed {seed} (pass --seed {seed} to replay)");
    let machine = Machine::here();
    let report = soak::run(&SoakConfig {
        devices: args.devices,
        leaders: args.leaders,
        outages: Outages {
            kills: args.kills,
            mean_uptime: Duration::from_millis(args.uptime_ms),
            max_downtime: Duration::from_millis(args.downtime_ms),
        },
        cut_bytes: args.cut_bytes,
        seed,
    })
    .await?;
    print!("{}", report.summary());
    let output = Output {
        machine,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        report: &report,
    };
    println!("{}", serde_json::to_string(&output)?);
    anyhow::ensure!(report.passed(), "the fault soak failed (seed {seed})");
    Ok(())
}
