//! `gridwalk-loadgen`: starts real `gridwalk-server` processes on loopback and measures sync
//! throughput, latency, server CPU and memory, bytes on the wire, a fresh device's download,
//! and the automerge-repo peer's workload. Results and commands: `docs/benchmarks.md`.
//!
//! `cargo run --release -p gridwalk-tests --bin gridwalk-loadgen -- --help`

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, ValueEnum};
use gridwalk_tests::load::many::{self, ManyOptions};
use gridwalk_tests::load::nodes::Backend;
use gridwalk_tests::load::report::{Machine, Report};
use gridwalk_tests::load::{field_ops, fresh, peer};

/// A phase of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// Many devices each syncing a day's work.
    Many,
    /// A fresh device receiving `--fresh-records` records.
    Fresh,
    /// The automerge-repo peer's workload, once per `--peer-n`.
    Peer,
    /// A notice to the whole street and a campaign over 300 households: what they add to
    /// each of `--field-devices` devices' next sync (not run by default).
    FieldOps,
}

/// Sync load generator for Gridwalk (release build; see docs/benchmarks.md).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Simulated devices in the many-device phase, enrolled round-robin over the grid workers
    /// (the demo street's 7, or one per grid with `--devices-per-grid`).
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Device-syncs in flight at most.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Many-device phase, open loop: start this many device-syncs per second (still at most
    /// `--concurrency` in flight) instead of starting one whenever one ends.
    #[arg(long)]
    rate: Option<f64>,
    /// Many-device phase: give devices a cursor past the end of the log so responses carry
    /// none of the colleagues' work (isolates the upload path; not what a real device sends).
    #[arg(long)]
    skip_downloads: bool,
    /// Many-device phase: seed a street with enough grids for this many devices per grid
    /// (a real street: ≈ 4 workers per grid) instead of the demo street's 6 grids.
    #[arg(long)]
    devices_per_grid: Option<usize>,
    /// Records in grid 1 for the fresh-device phase (300 households + visits).
    #[arg(long, default_value_t = 10_000)]
    fresh_records: usize,
    /// Visits of a peer-shaped phase (repeat for several sizes).
    #[arg(long = "peer-n", default_values_t = [1000])]
    peer_n: Vec<usize>,
    /// Phases to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Phase::Many, Phase::Fresh, Phase::Peer])]
    phases: Vec<Phase>,
    /// A result file of `shared/peers/automerge-repo/run.sh` to compare with (repeatable).
    #[arg(long)]
    peer_result: Vec<PathBuf>,
    /// Devices in the field-operations phase.
    #[arg(long, default_value_t = 30)]
    field_devices: usize,
    /// Seed of the generated records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The server side of the many-device and fresh-device phases: one node on SQLite, one
    /// node on PostgreSQL, or two PostgreSQL nodes behind haproxy (PostgreSQL and haproxy
    /// from Debian, started by the load generator on loopback).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.backend != Backend::Sqlite {
        // SQLite syncs every commit; PostgreSQL is measured doing the same.
        std::env::set_var("GRIDWALK_PG_DURABLE", "1");
    }
    let mut report = Report {
        machine: Machine::here(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        ..Report::default()
    };
    if args.phases.contains(&Phase::Many) {
        report.many = Some(
            many::run(ManyOptions {
                devices: args.devices,
                concurrency: args.concurrency,
                seed: args.seed,
                skip_downloads: args.skip_downloads,
                devices_per_grid: args.devices_per_grid,
                rate: args.rate,
                backend: args.backend,
            })
            .await?,
        );
    }
    if args.phases.contains(&Phase::Fresh) {
        report.fresh = Some(fresh::run(args.fresh_records, args.seed, args.backend).await?);
    }
    if args.phases.contains(&Phase::Peer) {
        for &n in &args.peer_n {
            report.peer.push(peer::run(n, args.seed).await?);
        }
    }
    if args.phases.contains(&Phase::FieldOps) {
        report.field_ops = Some(field_ops::run(args.field_devices, args.backend).await?);
    }
    for path in &args.peer_result {
        report.compare_with_peer(path)?;
    }
    report.judge();
    print!("{}", report.summary());
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
