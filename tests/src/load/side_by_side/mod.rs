//! `gridwalk-bench`: every performance figure side by side in one command. Each run measures
//! the peers' workload on Gridwalk (`gridwalk-loadgen --phases peer`) and on each peer
//! (`../shared/peers/*/run.sh`), alternating which goes first, then the many-device phase
//! (closed and open loop) and the fresh device; the medians and ranges over the runs, the
//! ratios to the peers and the targets met or not go into `docs/benchmarks.md`.

pub mod peers;
pub mod table;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

use table::{number, Figures, System};

/// Where `gridwalk-bench` writes its section of `docs/benchmarks.md`.
pub const BEGIN: &str = "<!-- gridwalk-bench:begin -->";
/// The end of that section.
pub const END: &str = "<!-- gridwalk-bench:end -->";

/// What one `gridwalk-bench` invocation measures.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// Runs of everything.
    pub runs: usize,
    /// Visits of the peer workload (one section per N).
    pub ns: Vec<usize>,
    /// The N at which the automerge-repo peer runs too (it is slow at 10,000).
    pub automerge_ns: Vec<usize>,
    /// Peers to run.
    pub peers: Vec<System>,
    /// Many-device phase: devices, in flight, devices per grid, open-loop rate.
    pub devices: usize,
    /// Device-syncs in flight at most.
    pub concurrency: usize,
    /// Devices per grid of the seeded street.
    pub devices_per_grid: usize,
    /// Open loop: device-syncs started per second.
    pub rate: f64,
    /// Records of the fresh device.
    pub fresh_records: usize,
    /// A peer phase's deadline, ms.
    pub peer_phase_timeout_ms: u64,
    /// `../shared/peers`.
    pub peers_dir: PathBuf,
    /// Peer copies and raw results.
    pub work_dir: PathBuf,
    /// The `gridwalk-loadgen` executable.
    pub loadgen: PathBuf,
    /// The exact command line, for the report.
    pub command: String,
}

/// One figure of the peers' workload, measured the same way on every system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerFigure {
    /// Device A uploads everything.
    Upload,
    /// A fresh device downloads everything into its store.
    FreshDevice,
    /// 50 changed and 20 new visits reach the second device.
    Incremental,
    /// Server CPU during the upload.
    UploadCpu,
    /// Server CPU during the fresh device's download.
    FreshCpu,
    /// The server's peak RSS over the run.
    PeakRss,
}

impl PeerFigure {
    /// Every figure, in table order.
    pub const ALL: [PeerFigure; 6] = [
        PeerFigure::Upload,
        PeerFigure::FreshDevice,
        PeerFigure::Incremental,
        PeerFigure::UploadCpu,
        PeerFigure::FreshCpu,
        PeerFigure::PeakRss,
    ];

    /// The row's label.
    pub fn label(self) -> &'static str {
        match self {
            PeerFigure::Upload => "upload, ms",
            PeerFigure::FreshDevice => "fresh device, ms",
            PeerFigure::Incremental => "incremental (50 changed + 20 new), ms",
            PeerFigure::UploadCpu => "server CPU during upload, ms",
            PeerFigure::FreshCpu => "server CPU during fresh device, ms",
            PeerFigure::PeakRss => "server peak RSS, MiB",
        }
    }

    /// (phase, key) in a peer's result line; `None` for the peak RSS (`serverFinal.hwmKB`).
    pub fn peer_key(self) -> Option<(&'static str, &'static str)> {
        match self {
            PeerFigure::Upload => Some(("upload", "wallMs")),
            PeerFigure::FreshDevice => Some(("freshDevice", "wallMs")),
            PeerFigure::Incremental => Some(("incremental", "wallMs")),
            PeerFigure::UploadCpu => Some(("upload", "serverCpuMs")),
            PeerFigure::FreshCpu => Some(("freshDevice", "serverCpuMs")),
            PeerFigure::PeakRss => None,
        }
    }

    /// The value in `gridwalk-loadgen`'s `peer[0]`.
    fn ours(self, p: &Value) -> Option<f64> {
        match self {
            PeerFigure::Upload => p["upload"]["wall_ms"].as_f64(),
            PeerFigure::FreshDevice => p["fresh_client"]["wall_ms"].as_f64(),
            PeerFigure::Incremental => p["incremental"]["wall_ms"].as_f64(),
            PeerFigure::UploadCpu => p["upload"]["server_cpu"]["cpu_ms"].as_f64(),
            PeerFigure::FreshCpu => p["fresh_client"]["server_cpu"]["cpu_ms"].as_f64(),
            PeerFigure::PeakRss => p["incremental"]["server_hwm_kib"]
                .as_f64()
                .map(|k| k / 1024.0),
        }
    }
}

/// The heading of the peer workload's section at `n` visits.
pub fn peer_section(n: usize) -> String {
    let households = ((n as f64) * 0.03).round().max(1.0) as usize;
    format!(
        "Peers' workload, N = {} ({} documents)",
        number(n as f64),
        number((n + households) as f64)
    )
}

/// The section of the bytes on the wire.
pub const BYTES: &str =
    "Bytes on the wire per record (against the same records as one gzipped JSON array)";

/// The heading of the closed-loop many-device section.
pub fn closed_section(options: &Options) -> String {
    format!(
        "Many devices, closed loop: {} device-syncs of a day's work, {} in flight, {} per grid",
        number(options.devices as f64),
        options.concurrency,
        options.devices_per_grid
    )
}

/// The heading of the open-loop many-device section.
pub fn open_section(options: &Options) -> String {
    format!(
        "Many devices, open loop: started at {}/s, at most {} in flight",
        number(options.rate),
        options.concurrency
    )
}

/// The heading of the fresh-device section.
pub fn fresh_section(options: &Options) -> String {
    format!(
        "A fresh device receiving {} records (Client::sync into its SQLite store)",
        number(options.fresh_records as f64)
    )
}

/// Everything one invocation measured, with the raw result lines.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    /// Medians and ranges per figure.
    pub figures: Figures,
    /// Every result line, as (what ran, JSON).
    pub raw: Vec<(String, Value)>,
    /// Load average (1, 5, 15 min) before the first run and after the last.
    pub load_before: String,
    /// See `load_before`.
    pub load_after: String,
}

/// Runs everything `options.runs` times.
pub fn run(options: &Options) -> Result<Outcome> {
    let peers = options
        .peers
        .iter()
        .map(|&p| peers::prepare(p, &options.peers_dir, &options.work_dir))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Outcome {
        load_before: load_average(),
        ..Outcome::default()
    };
    for run in 0..options.runs {
        eprintln!("[bench] run {} of {}", run + 1, options.runs);
        for &n in &options.ns {
            let section = peer_section(n);
            let mut order: Vec<Option<&peers::Peer>> = vec![None];
            order.extend(
                peers
                    .iter()
                    .filter(|p| {
                        p.system != System::AutomergeRepo || options.automerge_ns.contains(&n)
                    })
                    .map(Some),
            );
            // A/B alternation: Gridwalk first on odd runs, last on even ones.
            if run % 2 == 1 {
                order.reverse();
            }
            for who in order {
                match who {
                    None => {
                        let n_arg = n.to_string();
                        let line = loadgen(options, &["--phases", "peer", "--peer-n", &n_arg])?;
                        let p = &line["peer"][0];
                        for figure in PeerFigure::ALL {
                            let value = figure.ours(p).context("loadgen peer result")?;
                            out.figures
                                .add(&section, figure.label(), System::Gridwalk, value);
                        }
                        out.raw.push((format!("gridwalk peer N={n}"), line));
                    }
                    Some(peer) => {
                        let line = peer.run(n, options.peer_phase_timeout_ms)?;
                        peers::record(&mut out.figures, &section, peer.system, &line);
                        out.raw
                            .push((format!("{} N={n}", peer.system.label()), line));
                    }
                }
            }
        }
        many_phases(options, &mut out)?;
        fresh_phase(options, &mut out)?;
    }
    out.load_after = load_average();
    Ok(out)
}

fn many_phases(options: &Options, out: &mut Outcome) -> Result<()> {
    let (devices, concurrency, per_grid, rate) = (
        options.devices.to_string(),
        options.concurrency.to_string(),
        options.devices_per_grid.to_string(),
        options.rate.to_string(),
    );
    let common = [
        "--phases",
        "many",
        "--devices",
        &devices,
        "--concurrency",
        &concurrency,
        "--devices-per-grid",
        &per_grid,
    ];
    let closed = closed_section(options);
    let line = loadgen(options, &common)?;
    let m = &line["many"];
    let g = System::Gridwalk;
    let f = &mut out.figures;
    f.add(&closed, "device-syncs/s", g, num(m, &["syncs_per_sec"])?);
    f.add(
        &closed,
        "p50 latency, ms",
        g,
        num(m, &["latency", "p50_ms"])?,
    );
    f.add(
        &closed,
        "p99 latency, ms",
        g,
        num(m, &["latency", "p99_ms"])?,
    );
    f.add(
        &closed,
        "server CPU per device-sync, ms",
        g,
        num(m, &["server_cpu_ms_per_sync"])?,
    );
    f.add(
        &closed,
        "server RSS after, MiB",
        g,
        num(m, &["server_rss_kib"])? / 1024.0,
    );
    f.add(
        &closed,
        "server peak RSS, MiB",
        g,
        num(m, &["server_hwm_kib"])? / 1024.0,
    );
    f.add(
        &closed,
        "failed device-syncs",
        g,
        num(m, &["devices"])? - num(m, &["ok"])?,
    );
    let bytes = BYTES;
    let b = &m["bytes"];
    let (wire, gz) = (num(b, &["request_wire"])?, num(b, &["json_gzip"])?);
    f.add(bytes, "upload: request body, B", g, wire);
    f.add(bytes, "upload: gzipped JSON, B", g, gz);
    f.add(bytes, "upload: ours ÷ gzipped JSON", g, wire / gz);
    out.raw.push(("gridwalk many closed".into(), line));

    let open = open_section(options);
    let mut args = common.to_vec();
    args.extend(["--rate", &rate]);
    let line = loadgen(options, &args)?;
    let m = &line["many"];
    let f = &mut out.figures;
    f.add(&open, "device-syncs/s done", g, num(m, &["syncs_per_sec"])?);
    f.add(&open, "p50 latency, ms", g, num(m, &["latency", "p50_ms"])?);
    f.add(&open, "p99 latency, ms", g, num(m, &["latency", "p99_ms"])?);
    f.add(
        &open,
        "server CPU per device-sync, ms",
        g,
        num(m, &["server_cpu_ms_per_sync"])?,
    );
    f.add(
        &open,
        "server RSS after, MiB",
        g,
        num(m, &["server_rss_kib"])? / 1024.0,
    );
    out.raw.push(("gridwalk many open".into(), line));
    Ok(())
}

fn fresh_phase(options: &Options, out: &mut Outcome) -> Result<()> {
    let records = options.fresh_records.to_string();
    let line = loadgen(options, &["--phases", "fresh", "--fresh-records", &records])?;
    let r = &line["fresh"];
    let section = fresh_section(options);
    let (g, f) = (System::Gridwalk, &mut out.figures);
    f.add(
        &section,
        "Client::sync, ms",
        g,
        num(r, &["client_sync_ms"])?,
    );
    f.add(
        &section,
        "raw download alone, ms",
        g,
        num(r, &["raw_pull_ms"])?,
    );
    f.add(
        &section,
        "client CPU, ms",
        g,
        num(r, &["client_cpu", "cpu_ms"])?,
    );
    f.add(
        &section,
        "server CPU, ms",
        g,
        num(r, &["client_server_cpu", "cpu_ms"])?,
    );
    f.add(
        &section,
        "device process peak RSS, MiB",
        g,
        num(r, &["client_peak_kib"])? / 1024.0,
    );
    f.add(
        &section,
        "device process RSS before, MiB",
        g,
        num(r, &["client_start_kib"])? / 1024.0,
    );
    let held = num(r, &["client_records"])?;
    if held as usize != options.fresh_records {
        bail!(
            "the fresh device holds {held} records, not {}",
            options.fresh_records
        );
    }
    let bytes = BYTES;
    let docs = num(r, &["raw_docs"])?.max(1.0);
    let (wire, gz) = (
        num(r, &["raw_wire_bytes"])? / docs,
        num(r, &["raw_json_gzip_bytes"])? / docs,
    );
    f.add(bytes, "download: response body, B", g, wire);
    f.add(bytes, "download: gzipped JSON, B", g, gz);
    f.add(bytes, "download: ours ÷ gzipped JSON", g, wire / gz);
    out.raw.push(("gridwalk fresh".into(), line));
    Ok(())
}

/// Runs `gridwalk-loadgen` with `args` and returns its JSON line.
fn loadgen(options: &Options, args: &[&str]) -> Result<Value> {
    eprintln!("[bench] gridwalk-loadgen {}", args.join(" "));
    let output = Command::new(&options.loadgen)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("run {}", options.loadgen.display()))?;
    if !output.status.success() {
        bail!(
            "gridwalk-loadgen {} failed: {}",
            args.join(" "),
            output.status
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("gridwalk-loadgen printed no JSON line")?;
    Ok(serde_json::from_str(line)?)
}

fn num(v: &Value, path: &[&str]) -> Result<f64> {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_f64()
        .with_context(|| format!("no {} in the result", path.join(".")))
}

/// `/proc/loadavg`'s first three fields.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Replaces the section between [`BEGIN`] and [`END`] in `doc` with `section`, or inserts it
/// before the first second-level heading when there is none yet.
pub fn splice(doc: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", section.trim());
    if let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) {
        if b < e {
            return format!("{}{block}{}", &doc[..b], &doc[e + END.len()..]);
        }
    }
    match doc.find("\n## ") {
        Some(at) => format!("{}\n{block}\n{}", &doc[..at + 1], &doc[at + 1..]),
        None => format!("{doc}\n{block}\n"),
    }
}

/// Where `gridwalk-bench` is run from: the peers and the document, relative to the
/// workspace.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests;
