//! A throw-away PostgreSQL cluster for the tests: Debian's binaries
//! (`/usr/lib/postgresql/VERSION/bin`, or `GRIDWALK_PG_BIN`), a new cluster in a temporary
//! directory on its own loopback port with its unix socket beside it, started once per test
//! process and stopped by a watchdog process when the test process ends, however it ends.
//! Each test takes its own fresh database from [`create_database`].
//!
//! Without the binaries the PostgreSQL tests skip (saying so), unless
//! `GRIDWALK_REQUIRE_SERVICES=1` (CI), when they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

/// The role the tests connect as (trust authentication on loopback).
const ROLE: &str = "gridwalk";

/// A running cluster.
pub struct Cluster {
    /// Its binaries.
    bin: PathBuf,
    /// Its data directory.
    data: PathBuf,
    /// TCP port on 127.0.0.1.
    pub port: u16,
}

/// Whether the tests must have the real services (`GRIDWALK_REQUIRE_SERVICES=1`).
pub fn services_required() -> bool {
    std::env::var("GRIDWALK_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The directory of PostgreSQL's server binaries, if installed.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GRIDWALK_PG_BIN") {
        let bin = PathBuf::from(dir);
        return bin.join("initdb").exists().then_some(bin);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The shared cluster, started on first use; `None` when PostgreSQL is not installed and the
/// services are not required. Panics when starting fails, or the binaries are missing but
/// required.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| match bin_dir() {
            Some(bin) => Some(start(bin).expect("start a PostgreSQL cluster for the tests")),
            None if services_required() => panic!(
                "GRIDWALK_REQUIRE_SERVICES=1 but PostgreSQL's binaries are missing \
                 (apt-get install postgresql)"
            ),
            None => None,
        })
        .as_ref()
}

/// Whether PostgreSQL tests can run; prints that `test` is skipped when they cannot.
pub fn available(test: &str) -> bool {
    let up = cluster().is_some();
    if !up {
        eprintln!("skipping {test}: PostgreSQL is not installed (apt-get install postgresql)");
    }
    up
}

/// A new, empty database on the shared cluster; its URL. `None` when PostgreSQL is missing
/// (see [`cluster`]).
pub fn create_database() -> Option<String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let cluster = cluster()?;
    let name = format!(
        "gw_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let out = Command::new(cluster.bin.join("createdb"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            ROLE,
            &name,
        ])
        .output()
        .expect("run createdb");
    assert!(
        out.status.success(),
        "createdb {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(cluster.url(&name))
}

impl Cluster {
    /// URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{name}", self.port)
    }

    /// The server's processes now: the postmaster and its children (one backend per
    /// connection, the writer, the checkpointer…), for measuring what PostgreSQL spends.
    pub fn pids(&self) -> Result<Vec<u32>> {
        let text = std::fs::read_to_string(self.data.join("postmaster.pid"))
            .context("read postmaster.pid")?;
        let postmaster: u32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .context("postmaster.pid names no process")?;
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc")?.filter_map(|e| e.ok()) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // Field 4, after the parenthesised command name, is the parent's pid.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        Ok(pids)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…` as the `postgres` user when we are root (initdb refuses root).
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn run(mut cmd: Command, what: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn start(bin: PathBuf) -> Result<Cluster> {
    let dir = tempfile::Builder::new()
        .prefix("gridwalk-pg-")
        .tempdir()?
        .keep();
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres").arg(&dir);
                c
            },
            "chown",
        )?;
    }
    let data = dir.join("data");
    let mut initdb = as_owner(&bin.join("initdb"));
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        ROLE,
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(initdb, "initdb")?;
    let port = free_port()?;
    // Tests need no durability; benchmarks (GRIDWALK_PG_DURABLE=1) compare against SQLite,
    // which syncs every commit, so there the defaults stay.
    let durable = std::env::var("GRIDWALK_PG_DURABLE").is_ok_and(|v| v == "1");
    let unsynced = if durable {
        ""
    } else {
        " -c fsync=off -c full_page_writes=off"
    };
    // More server settings for an investigation, e.g. `-c shared_preload_libraries=…`.
    let extra = std::env::var("GRIDWALK_PG_OPTIONS").unwrap_or_default();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400{unsynced} {extra}",
        dir.display()
    );
    let mut pg_ctl = as_owner(&bin.join("pg_ctl"));
    pg_ctl
        .arg("-D")
        .arg(&data)
        .args(["-w", "-l"])
        .arg(dir.join("log"))
        .args(["-o", &options, "start"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    run(pg_ctl, "pg_ctl start")?;
    watch(&bin, &data, &dir)?;
    Ok(Cluster { bin, data, port })
}

/// Starts a watchdog that stops the cluster and removes its directory once this process
/// has ended (normally, by a panic, or killed).
fn watch(bin: &Path, data: &Path, dir: &Path) -> Result<()> {
    let runuser = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {runuser}'{pg_ctl}' -D '{data}' -m immediate stop; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the PostgreSQL watchdog")?;
    Ok(())
}
