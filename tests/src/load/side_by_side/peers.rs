//! The performance peers in `../shared/peers/`: each is copied into the work folder and
//! installed there once (the team folder stays as it is), run with `run.sh`, and its one
//! JSON line read into the same figures as Gridwalk's.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::table::{Figures, System};
use super::PeerFigure;

/// A peer ready to run: its own copy with `node_modules` installed.
pub struct Peer {
    /// Which peer.
    pub system: System,
    /// Its copy in the work folder.
    pub dir: PathBuf,
}

/// The peer's folder name under `../shared/peers/`.
pub fn folder(system: System) -> &'static str {
    match system {
        System::PouchDb => "pouchdb",
        System::AutomergeRepo => "automerge-repo",
        System::Gridwalk => unreachable!("Gridwalk is not a peer"),
    }
}

/// Copies `peers_dir/<peer>` into `work_dir/peers/<peer>` (without `node_modules` and
/// `results`) and installs its packages there unless already installed: `npm ci`, or
/// `npm install` where `npm ci` refuses the lock file (the automerge-repo peer's).
pub fn prepare(system: System, peers_dir: &Path, work_dir: &Path) -> Result<Peer> {
    let from = peers_dir.join(folder(system));
    let dir = work_dir.join("peers").join(folder(system));
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(&from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), dir.join(&name))?;
        } else if name != "node_modules" && name != "results" {
            bail!(
                "{} holds a folder the copy does not expect: {name:?}",
                from.display()
            );
        }
    }
    if !dir.join("node_modules").is_dir() {
        eprintln!("[bench] installing {} in {}", folder(system), dir.display());
        let npm = |verb: &str| {
            Command::new("npm")
                .args([verb, "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .status()
        };
        if !npm("ci")?.success() && !npm("install")?.success() {
            bail!("npm could not install {}", dir.display());
        }
    }
    Ok(Peer { system, dir })
}

impl Peer {
    /// Runs the peer's workload with `n` visits and returns its JSON line (also when
    /// `run.sh` failed part-way but printed one). Phases are bounded by `phase_timeout_ms`.
    pub fn run(&self, n: usize, phase_timeout_ms: u64) -> Result<Value> {
        eprintln!("[bench] {} N={n}", self.system.label());
        let output = Command::new("bash")
            .arg("run.sh")
            .current_dir(&self.dir)
            .env("N", n.to_string())
            .env("PHASE_TIMEOUT_MS", phase_timeout_ms.to_string())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("run {}/run.sh", self.dir.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().rev().find(|l| l.trim_start().starts_with('{'));
        match line {
            Some(line) => Ok(serde_json::from_str(line)?),
            None => bail!(
                "{} N={n} printed no result ({})",
                self.system.label(),
                output.status
            ),
        }
    }
}

/// Records a peer's result line: each phase's wall time and server CPU, and the server's
/// peak RSS. A phase that did not reach its target is recorded as incomplete.
pub fn record(figures: &mut Figures, section: &str, system: System, result: &Value) {
    for figure in PeerFigure::ALL {
        let label = figure.label();
        let Some((phase, key)) = figure.peer_key() else {
            match result["serverFinal"]["hwmKB"].as_f64() {
                Some(kib) => figures.add(section, label, system, kib / 1024.0),
                None => figures.incomplete(section, label, system, "no serverFinal.hwmKB".into()),
            }
            continue;
        };
        let p = &result["phases"][phase];
        let reached = p["reached"].as_u64().or(p["found"].as_u64());
        let unfinished = if p.is_null() {
            Some(format!("{phase} did not run: {}", errors(result)))
        } else if let (Some(r), Some(t)) = (reached, p["target"].as_u64()) {
            (r < t).then(|| format!("{phase} reached {r} of {t} documents"))
        } else {
            p["failed"]
                .as_u64()
                .filter(|f| *f > 0)
                .map(|f| format!("{phase}: {f} documents failed"))
        };
        match (unfinished, p[key].as_f64()) {
            (None, Some(v)) => figures.add(section, label, system, v),
            (None, None) => figures.incomplete(section, label, system, format!("no {phase}.{key}")),
            (Some(why), _) => figures.incomplete(section, label, system, why),
        }
    }
}

fn errors(result: &Value) -> String {
    result["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "no error reported".into())
}
