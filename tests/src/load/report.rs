//! The load generator's report: the machine, each phase's figures, the targets met or not,
//! and the side-by-side comparison with the automerge-repo peer's results.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::fresh::FreshResult;
use super::many::ManyResult;
use super::peer::PeerResult;

/// The machine the figures were measured on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Machine {
    /// Cores available (`available_parallelism`, as `nproc`).
    pub cores: usize,
    /// CPU model from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// When the run started (UTC, RFC 3339).
    pub date: String,
}

impl Machine {
    /// This machine, now.
    pub fn here() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// One target of the issue and whether the run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is measured.
    pub figure: String,
    /// The target.
    pub target: String,
    /// The measurement.
    pub measured: String,
    /// Whether it was met.
    pub met: bool,
}

/// One phase of the peer workload, ours against the peer's.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Visits (N).
    pub n: usize,
    /// Phase name.
    pub phase: String,
    /// Gridwalk figure.
    pub ours: f64,
    /// automerge-repo peer figure.
    pub peer: f64,
    /// `ours / peer` (below 1: Gridwalk is faster / smaller).
    pub ratio: f64,
    /// Why the peer's figure is not a finished phase, if it is not.
    pub peer_incomplete: Option<String>,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Where.
    pub machine: Machine,
    /// The exact command line.
    pub command: String,
    /// Many-device phase.
    pub many: Option<ManyResult>,
    /// Fresh-device phase.
    pub fresh: Option<FreshResult>,
    /// Peer-shaped phases, one per `--peer-n`.
    pub peer: Vec<PeerResult>,
    /// Field-operations phase.
    pub field_ops: Option<super::field_ops::FieldOpsResult>,
    /// Targets met or not.
    pub targets: Vec<Target>,
    /// Against the peer's results (`--peer-result`).
    pub comparisons: Vec<Comparison>,
}

fn target(figure: &str, target: &str, measured: String, met: bool) -> Target {
    Target {
        figure: figure.into(),
        target: target.into(),
        measured,
        met,
    }
}

impl Report {
    /// Fills in [`Report::targets`] from the phases that ran.
    pub fn judge(&mut self) {
        let mut targets = Vec::new();
        if let Some(m) = &self.many {
            let at = match m.rate {
                Some(rate) => format!(
                    "started at {rate:.0}/s (open loop), ≤ {} in flight",
                    m.concurrency
                ),
                None => format!("at {} devices in flight", m.concurrency),
            };
            targets.push(target(
                "device-syncs/s",
                "≥ 300 at 200 in flight",
                format!("{:.0} {at}", m.syncs_per_sec),
                m.syncs_per_sec >= 300.0 && m.concurrency >= 200,
            ));
            targets.push(target(
                "p99 latency",
                "< 250 ms at 200 in flight",
                format!("{:.0} ms {at}", m.latency.p99_ms),
                m.latency.p99_ms < 250.0 && m.concurrency >= 200,
            ));
            targets.push(target(
                "failed device-syncs",
                "0",
                (m.devices - m.ok).to_string(),
                m.ok == m.devices,
            ));
            targets.push(target(
                "request bytes on the wire / JSON",
                "≤ 1.0×",
                format!("{:.2}×", m.bytes.wire_to_json),
                m.bytes.wire_to_json <= 1.0,
            ));
        }
        if let Some(f) = &self.fresh {
            targets.push(target(
                "fresh device ready",
                &format!("< 2 s for {} records", f.records),
                format!(
                    "{:.0} ms ({} records held)",
                    f.client_sync_ms, f.client_records
                ),
                f.client_sync_ms < 2000.0 && f.client_records == f.records,
            ));
        }
        self.targets = targets;
    }

    /// Adds comparisons with a peer result file (one JSON line from `run.sh`).
    pub fn compare_with_peer(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("read peer result {}", path.display()))?;
        let line = text.lines().rev().find(|l| l.trim_start().starts_with('{'));
        let peer: serde_json::Value =
            serde_json::from_str(line.context("no JSON line in the peer result")?)?;
        let n = peer["N"].as_u64().context("peer result without N")? as usize;
        let Some(ours) = self.peer.iter().find(|p| p.n == n) else {
            eprintln!(
                "no --peer-n {n} phase in this run to compare {} with",
                path.display()
            );
            return Ok(());
        };
        let rows = [
            ("upload ms", "upload", ours.upload.wall_ms, "wallMs"),
            (
                "fresh device ms",
                "freshDevice",
                ours.fresh_client.wall_ms,
                "wallMs",
            ),
            (
                "incremental ms",
                "incremental",
                ours.incremental.wall_ms,
                "wallMs",
            ),
            (
                "upload server CPU ms",
                "upload",
                ours.upload.server_cpu.cpu_ms,
                "serverCpuMs",
            ),
        ];
        let mut figures: Vec<(&str, &str, f64, Option<f64>)> = rows
            .into_iter()
            .map(|(label, phase, ours, key)| {
                (label, phase, ours, peer["phases"][phase][key].as_f64())
            })
            .collect();
        figures.push((
            "server peak RSS MiB",
            "upload",
            ours.incremental.server_hwm_kib as f64 / 1024.0,
            peer["serverFinal"]["hwmKB"].as_f64().map(|k| k / 1024.0),
        ));
        for (label, phase, ours, theirs) in figures {
            let Some(theirs) = theirs.filter(|t| *t > 0.0) else {
                continue;
            };
            let p = &peer["phases"][phase];
            let reached = p["reached"].as_u64().map(|reached| {
                format!(
                    "peer {phase} reached {reached} of {} documents",
                    p["target"].as_u64().unwrap_or(0)
                )
            });
            let failed = p["failed"]
                .as_u64()
                .filter(|f| *f > 0)
                .map(|f| format!("peer {phase}: {f} documents failed"));
            let peer_incomplete = reached.or(failed);
            self.comparisons.push(Comparison {
                n,
                phase: label.into(),
                ours,
                peer: theirs,
                ratio: ours / theirs,
                peer_incomplete,
            });
        }
        Ok(())
    }

    /// The human-readable summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(
            s,
            "gridwalk-loadgen  {}  {} cores, {}",
            m.date, m.cores, m.cpu_model
        );
        if let Some(r) = &self.many {
            let _ = writeln!(
                s,
                "\nmany devices: {} device-syncs of {} records, {} in flight{} (≤ {} per grid){}",
                r.devices,
                super::day::RECORDS,
                r.concurrency,
                r.rate
                    .map(|rate| format!(", started at {rate:.0}/s (open loop)"))
                    .unwrap_or_default(),
                r.max_devices_per_grid,
                if r.skip_downloads {
                    ", downloads skipped"
                } else {
                    ""
                }
            );
            let _ = writeln!(
                s,
                "  {:.0} device-syncs/s over {:.0} ms; {} ok, {} failed {:?}",
                r.syncs_per_sec,
                r.wall_ms,
                r.ok,
                r.devices - r.ok,
                r.failures
            );
            let l = &r.latency;
            let _ = writeln!(
                s,
                "  latency ms: p50 {:.0}  p95 {:.0}  p99 {:.0}  max {:.0}  mean {:.0}",
                l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.mean_ms
            );
            let _ = writeln!(
                s,
                "  server CPU {:.0}% of a core ({:.0} ms, user {:.0} ms); loadgen CPU {:.0}%; server RSS {} MiB, peak {} MiB",
                r.server_cpu.percent_of_core,
                r.server_cpu.cpu_ms,
                r.server_cpu.user_ms,
                r.loadgen_cpu.percent_of_core,
                r.server_rss_kib / 1024,
                r.server_hwm_kib / 1024
            );
            let _ = writeln!(
                s,
                "  server side on {:?}: PostgreSQL CPU {:.0}% of a core ({:.0} ms); nodes + database {:.2} ms CPU per device-sync",
                r.backend.unwrap_or(crate::load::nodes::Backend::Sqlite),
                r.database_cpu.percent_of_core,
                r.database_cpu.cpu_ms,
                r.server_cpu_ms_per_sync
            );
            let b = &r.bytes;
            let _ = writeln!(
                s,
                "  bytes/record: request {:.0} on the wire ({:.0} CBOR) vs JSON {:.0} (gzip {:.0}) = {:.2}×; response {:.0}/record, {} docs downloaded",
                b.request_wire, b.request_cbor, b.json, b.json_gzip, b.wire_to_json, b.response_wire, b.downloaded_docs
            );
            for (kind, k) in &b.per_kind {
                let _ = writeln!(
                    s,
                    "    {kind:<15} {:>6} records: upload {:.0} B (CBOR) vs JSON {:.0} B",
                    k.records, k.upload_cbor, k.json
                );
            }
        }
        if let Some(f) = &self.fresh {
            let _ = writeln!(
                s,
                "\nfresh device, {} records on {:?}: client sync {:.0} ms ({} rounds, {} records held, {:.1} MB received; server CPU {:.0} ms, database CPU {:.0} ms, client CPU {:.0} ms); raw download {:.0} ms ({} docs, {} rounds, {:.1} MB on the wire); server RSS {} MiB, peak {} MiB",
                f.records,
                f.backend.unwrap_or(crate::load::nodes::Backend::Sqlite),
                f.client_sync_ms,
                f.client_rounds,
                f.client_records,
                f.client_bytes_received as f64 / 1e6,
                f.client_server_cpu.cpu_ms,
                f.client_database_cpu.cpu_ms,
                f.client_cpu.cpu_ms,
                f.raw_pull_ms,
                f.raw_docs,
                f.raw_rounds,
                f.raw_wire_bytes as f64 / 1e6,
                f.server_rss_kib / 1024,
                f.server_hwm_kib / 1024
            );
        }
        for p in &self.peer {
            let _ = writeln!(
                s,
                "\npeer shape N={} (+{} households): create offline {:.0} ms; upload {:.0} ms; fresh client {:.0} ms ({} records), raw {:.0} ms; incremental {:.0} ms ({} docs); server peak RSS {} MiB",
                p.n,
                p.households,
                p.create_offline_ms,
                p.upload.wall_ms,
                p.fresh_client.wall_ms,
                p.fresh_client_records,
                p.fresh_raw.wall_ms,
                p.incremental.wall_ms,
                p.incremental_downloaded,
                p.incremental.server_hwm_kib / 1024
            );
        }
        if !self.comparisons.is_empty() {
            let _ = writeln!(s, "\nagainst automerge-repo (ours / peer):");
            for c in &self.comparisons {
                let _ = writeln!(
                    s,
                    "  N={:<6} {:<22} ours {:>10.0}  peer {:>10.0}  ratio {:.3}  {}",
                    c.n,
                    c.phase,
                    c.ours,
                    c.peer,
                    c.ratio,
                    c.peer_incomplete.as_deref().unwrap_or("")
                );
            }
        }
        if let Some(f) = &self.field_ops {
            let _ = writeln!(
                s,
                "\nfield operations: {} devices, {} households; notice to {} recipients in {:.0} ms, campaign over {} targets in {:.0} ms",
                f.devices, f.households, f.notice_recipients, f.send_notice_ms, f.campaign_targets, f.create_campaign_ms
            );
            for (name, r) in [("nothing new", &f.baseline), ("after both", &f.after)] {
                let _ = writeln!(
                    s,
                    "  next sync, {name:<11}: median {:.1} ms (max {:.1}), median {:.0} B (max {} B), {} docs to {} devices",
                    r.median_ms, r.max_ms, r.median_bytes, r.max_bytes, r.docs, r.devices_with_docs
                );
            }
        }
        let _ = writeln!(s, "\ntargets:");
        for t in &self.targets {
            let _ = writeln!(
                s,
                "  {:<34} target {:<26} measured {:<30} {}",
                t.figure,
                t.target,
                t.measured,
                if t.met { "met" } else { "NOT MET" }
            );
        }
        s
    }
}
