//! Issue 14's targets judged on the medians of a `gridwalk-bench` invocation, and the
//! section it writes into `docs/benchmarks.md`.

use std::fmt::Write as _;

use super::table::{number, System};
use super::{closed_section, fresh_section, open_section, peer_section, Options, Outcome};
use super::{PeerFigure, BYTES};
use crate::load::report::{Machine, Target};

fn target(figure: String, goal: &str, measured: Option<f64>, met: impl Fn(f64) -> bool) -> Target {
    Target {
        figure,
        target: goal.into(),
        measured: measured.map_or("not measured".into(), number),
        met: measured.is_some_and(met),
    }
}

/// The targets, each from the medians of the runs.
pub fn targets(options: &Options, out: &Outcome) -> Vec<Target> {
    let f = &out.figures;
    let g = System::Gridwalk;
    let closed = closed_section(options);
    let open = open_section(options);
    let fresh = fresh_section(options);
    let mut t = vec![
        target(
            "server CPU per device-sync, ms (closed loop)".into(),
            "≤ 2.5",
            f.median(&closed, "server CPU per device-sync, ms", g),
            |v| v <= 2.5,
        ),
        target(
            format!("device-syncs/s, {} in flight", options.concurrency),
            "≥ 600",
            f.median(&closed, "device-syncs/s", g),
            |v| v >= 600.0,
        ),
        target(
            format!("p99 latency, open loop at {}/s, ms", number(options.rate)),
            "< 250 at ≥ 500/s",
            f.median(&open, "p99 latency, ms", g),
            |v| v < 250.0 && options.rate >= 500.0,
        ),
        target(
            format!(
                "fresh device, {} records, ms",
                number(options.fresh_records as f64)
            ),
            "< 500 for 10,000",
            f.median(&fresh, "Client::sync, ms", g),
            |v| v < 500.0 && options.fresh_records >= 10_000,
        ),
        target(
            "fresh device: process peak RSS, MiB".into(),
            "≤ 150",
            f.median(&fresh, "device process peak RSS, MiB", g),
            |v| v <= 150.0,
        ),
        target(
            "upload bytes ÷ gzipped JSON".into(),
            "< 1",
            f.median(BYTES, "upload: ours ÷ gzipped JSON", g),
            |v| v < 1.0,
        ),
        target(
            "download bytes ÷ gzipped JSON".into(),
            "< 1",
            f.median(BYTES, "download: ours ÷ gzipped JSON", g),
            |v| v < 1.0,
        ),
    ];
    if !options.peers.contains(&System::PouchDb) {
        return t;
    }
    for &n in &options.ns {
        let section = peer_section(n);
        for figure in PeerFigure::ALL {
            let (goal, limit) = match figure {
                PeerFigure::PeakRss => ("≤ 0.5", 0.5),
                _ => ("≤ 0.33 (3× faster / less)", 1.0 / 3.0),
            };
            let ratio = f
                .median(&section, figure.label(), g)
                .zip(f.median(&section, figure.label(), System::PouchDb))
                .filter(|(_, theirs)| *theirs > 0.0)
                .map(|(ours, theirs)| ours / theirs);
            t.push(target(
                format!("N = {}: {} ÷ PouchDB", number(n as f64), figure.label()),
                goal,
                ratio,
                |v| v <= limit,
            ));
        }
    }
    t
}

/// What the section says about where it was measured.
pub struct Provenance {
    /// The machine.
    pub machine: Machine,
    /// The commit measured, with "+ uncommitted changes" when the tree was not clean.
    pub commit: String,
}

/// The whole section for `docs/benchmarks.md`.
pub fn section(options: &Options, out: &Outcome, provenance: &Provenance) -> String {
    let mut s = String::new();
    let m = &provenance.machine;
    let _ = writeln!(
        s,
        "## Side by side: `gridwalk-bench` ({}, commit {})\n",
        m.date, provenance.commit
    );
    let _ = writeln!(
        s,
        "Written by the command below; every figure is the median of {} runs with the range \
         in brackets; ratios are ours ÷ theirs of the medians (below 1: Gridwalk is faster or \
         smaller). Each run measures the peers' workload on Gridwalk and on each peer in turn, \
         Gridwalk first in odd runs and last in even ones.\n",
        options.runs
    );
    let _ = writeln!(s, "```\n{}\n```\n", options.command);
    let _ = writeln!(
        s,
        "Machine: {} cores, {}; load average {} before, {} after.",
        m.cores, m.cpu_model, out.load_before, out.load_after
    );
    s.push_str(&out.figures.markdown());
    let _ = writeln!(
        s,
        "\n**Targets (issue 14)**\n\n| figure | target | measured | |\n|---|---|---|---|"
    );
    for t in targets(options, out) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            t.figure,
            t.target,
            t.measured,
            if t.met { "met" } else { "**not met**" }
        );
    }
    s
}
