//! `gridwalk-bench`: every performance figure of issue 14 side by side in one command —
//! the peers' workload on Gridwalk, PouchDB and automerge-repo (alternating, several runs),
//! the many-device phase closed and open loop, the fresh device and the bytes on the wire —
//! written as medians, ranges and ratios into `docs/benchmarks.md`.
//!
//! ```text
//! cargo build --release --locked -p gridwalk-tests -p gridwalk-server
//! GRIDWALK_PREBUILT=1 target/release/gridwalk-bench
//! ```

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use gridwalk_tests::load::report::Machine;
use gridwalk_tests::load::side_by_side::table::System;
use gridwalk_tests::load::side_by_side::verdict::{self, Provenance};
use gridwalk_tests::load::side_by_side::{self, Options};

/// A performance peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Peer {
    /// PouchDB ↔ express-pouchdb.
    Pouchdb,
    /// The automerge-repo JS stack.
    AutomergeRepo,
}

/// Measures Gridwalk against the peers and writes the table into docs/benchmarks.md.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Runs of everything (medians and ranges over them).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Visits of the peers' workload (repeat for several sizes).
    #[arg(long = "n", default_values_t = [1000, 10_000])]
    ns: Vec<usize>,
    /// The sizes at which automerge-repo runs too (it takes minutes at 10,000).
    #[arg(long = "automerge-n", default_values_t = [1000])]
    automerge_ns: Vec<usize>,
    /// Peers to run (comma-separated); `--no-peers` for none.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Peer::Pouchdb, Peer::AutomergeRepo])]
    peers: Vec<Peer>,
    /// Run no peer (Gridwalk's figures alone).
    #[arg(long)]
    no_peers: bool,
    /// Many-device phase: device-syncs.
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Many-device phase: device-syncs in flight at most.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Many-device phase: devices per grid of the seeded street (a real street: ≈ 4).
    #[arg(long, default_value_t = 4)]
    devices_per_grid: usize,
    /// Many-device phase, open loop: device-syncs started per second.
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// Records the fresh device receives.
    #[arg(long, default_value_t = 10_000)]
    fresh_records: usize,
    /// Deadline of one peer phase, seconds (automerge-repo's fresh device may never finish).
    #[arg(long, default_value_t = 120)]
    peer_phase_timeout_s: u64,
    /// The peers' folder (default: `../shared/peers` beside the checkout).
    #[arg(long)]
    peers_dir: Option<PathBuf>,
    /// Where the peers are installed and the raw results kept (default: `target/bench`).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The document to write the section into; `-` prints it instead.
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: String,
}

fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(side_by_side::workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("`{head}` + uncommitted changes")
    } else {
        format!("`{head}`")
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = side_by_side::workspace_root();
    let exe = std::env::current_exe()?;
    let loadgen = exe
        .parent()
        .context("executable without a folder")?
        .join("gridwalk-loadgen");
    if !loadgen.exists() {
        bail!(
            "{} is missing: build gridwalk-tests first",
            loadgen.display()
        );
    }
    let peers = if args.no_peers {
        Vec::new()
    } else {
        args.peers.clone()
    };
    let options = Options {
        runs: args.runs.max(1),
        ns: args.ns,
        automerge_ns: args.automerge_ns,
        peers: peers
            .iter()
            .map(|p| match p {
                Peer::Pouchdb => System::PouchDb,
                Peer::AutomergeRepo => System::AutomergeRepo,
            })
            .collect(),
        devices: args.devices,
        concurrency: args.concurrency,
        devices_per_grid: args.devices_per_grid,
        rate: args.rate,
        fresh_records: args.fresh_records,
        peer_phase_timeout_ms: args.peer_phase_timeout_s * 1000,
        peers_dir: args
            .peers_dir
            .unwrap_or_else(|| root.join("..").join("shared").join("peers")),
        work_dir: args
            .work_dir
            .unwrap_or_else(|| root.join("target").join("bench")),
        loadgen,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    std::fs::create_dir_all(&options.work_dir)?;
    let provenance = Provenance {
        machine: Machine::here(),
        commit: commit(),
    };
    let outcome = side_by_side::run(&options)?;
    let raw = options.work_dir.join(format!(
        "bench-{}.json",
        provenance.machine.date.replace(':', "")
    ));
    std::fs::write(&raw, serde_json::to_vec_pretty(&outcome)?)?;
    let section = verdict::section(&options, &outcome, &provenance);
    if args.write == "-" {
        print!("{section}");
    } else {
        let path = PathBuf::from(&args.write);
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, side_by_side::splice(&doc, &section))
            .with_context(|| format!("write {}", path.display()))?;
        eprintln!(
            "[bench] wrote {} (raw results: {})",
            path.display(),
            raw.display()
        );
    }
    Ok(())
}
