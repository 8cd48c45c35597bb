//! Test harness for Gridwalk's end-to-end tests: real `gridwalk-server` processes on
//! 127.0.0.1 over temporary data directories, and helpers to talk to them.

pub mod a11y;
pub mod admin;
pub mod blob_contract;
pub mod blob_http;
pub mod city;
pub mod clock;
pub mod gate;
pub mod haproxy;
pub mod load;
pub mod media;
pub mod postgres;
pub mod proxy;
pub mod raw;
pub mod s3;
pub mod soak;
pub mod tile_server;
pub mod webview;
pub mod year;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gridwalk_client::{Client, SyncOptions};

/// Sync settings for test devices: a few quick retries, so a failure shows at once.
pub const TEST_SYNC: SyncOptions = SyncOptions {
    attempts: 3,
    base_delay: Duration::from_millis(10),
    timeout: Duration::from_secs(30),
};

/// The local date (China time, the demo deployment's calendar) `days` from today, as the
/// admin web sends a deadline.
pub fn china_day_from_today(days: i64) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    (chrono::Utc::now().with_timezone(&china).date_naive() + chrono::Duration::days(days))
        .to_string()
}

/// Runs the device CLI `gridwalk --data DATA ARGS…` and returns what it did.
pub fn gridwalk(data: impl AsRef<Path>, args: &[&str]) -> std::process::Output {
    Command::new(bin("gridwalk"))
        .arg("--data")
        .arg(data.as_ref())
        .args(args)
        .output()
        .expect("run gridwalk")
}

/// The standard output of a CLI run that must succeed (panics with its stderr otherwise).
pub fn ok(output: std::process::Output) -> String {
    assert!(
        output.status.success(),
        "gridwalk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Path of a workspace binary (`gridwalk-server`, `gridwalk`), built once per process with
/// the same profile as the caller: a test in `target/<profile>/deps/` or a binary such as
/// `gridwalk-loadgen` in `target/<profile>/`. With `GRIDWALK_PREBUILT=1` (CI, after
/// `cargo test --no-run` built them) the binaries are used as they are.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("executable path");
    let dir = profile_dir(&exe);
    if std::env::var_os("GRIDWALK_PREBUILT").is_some() {
        let path = dir.join(name);
        assert!(
            path.exists(),
            "GRIDWALK_PREBUILT is set but {} is missing",
            path.display()
        );
        return path;
    }
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-q",
            "-p",
            "gridwalk-server",
            "-p",
            "gridwalk-client",
            "--bins",
        ]);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        // `cargo test` runs a test with its package's variables set (CARGO_MANIFEST_DIR,
        // CARGO_PKG_NAME, …). ring's build script tracks some of them, so passing them on
        // would rebuild ring, rustls, reqwest and the client at every switch between this
        // build and a plain `cargo build` or `cargo test`.
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(set_by_cargo_for_a_package) {
                cmd.env_remove(name);
            }
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "building the binaries failed");
    });
    dir.join(name)
}

/// Whether `name` is one of the variables cargo sets for the package whose test runs.
fn set_by_cargo_for_a_package(name: &str) -> bool {
    ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR"
        )
}

/// `target/<profile>` for an executable in it or in its `deps/` folder.
fn profile_dir(exe: &Path) -> PathBuf {
    let dir = exe.parent().unwrap_or(Path::new("."));
    match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// Runs a `gridwalk-server` subcommand to completion and returns its stdout.
pub fn server_cmd(args: &[&str]) -> Result<String> {
    server_cmd_with(args, &BlobStorage::default())
}

/// [`server_cmd`] with `blobs`' environment.
fn server_cmd_with(args: &[&str], blobs: &BlobStorage) -> Result<String> {
    let mut command = Command::new(bin("gridwalk-server"));
    let out = blobs
        .apply(command.args(args))
        .output()
        .context("run gridwalk-server")?;
    if !out.status.success() {
        bail!(
            "gridwalk-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A device whose data directory is removed when it is dropped.
pub struct Device {
    /// The device's core.
    pub client: Client,
    _dir: tempfile::TempDir,
}

/// Where a deployment's server keeps blobs: beside its data (the default) or elsewhere,
/// e.g. in an S3 bucket, given to every server process through its environment.
#[derive(Debug, Clone, Default)]
pub struct BlobStorage {
    /// Environment of the server processes (`GRIDWALK_BLOBS`, the object store's keys).
    pub env: Vec<(String, String)>,
}

impl BlobStorage {
    /// Blobs under `prefix` in `bucket`.
    pub fn s3(bucket: &s3::S3Bucket, prefix: &str) -> BlobStorage {
        let mut env = bucket.env();
        env.push(("GRIDWALK_BLOBS".into(), bucket.location(prefix)));
        BlobStorage { env }
    }

    /// `command` with this storage's environment.
    pub fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.envs(self.env.iter().map(|(k, v)| (k, v)))
    }
}

/// A seeded deployment that servers can be started on: a data directory (the SQLite store
/// and the blobs), or with [`Deployment::seeded_on_postgres`] the documents in a fresh
/// PostgreSQL database; blobs under the directory unless [`BlobStorage`] says otherwise.
pub struct Deployment {
    /// Temporary directory holding the server data (removed on drop).
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database (`--database URL`), if not SQLite in `dir`.
    pub database: Option<String>,
    /// Where its servers keep blobs.
    pub blobs: BlobStorage,
}

impl Deployment {
    /// A fresh directory with the demo street seeded.
    pub fn seeded() -> Result<Deployment> {
        Self::seeded_in(None, BlobStorage::default())
    }

    /// A fresh directory with the demo street seeded, whose servers keep blobs in `blobs`.
    pub fn seeded_with(blobs: BlobStorage) -> Result<Deployment> {
        Self::seeded_in(None, blobs)
    }

    /// The demo street seeded into a fresh database of the tests' PostgreSQL cluster (blobs
    /// in a fresh directory); `None` when PostgreSQL is not installed and not required
    /// ([`postgres::cluster`]).
    pub fn seeded_on_postgres() -> Result<Option<Deployment>> {
        Self::seeded_on_postgres_with(BlobStorage::default())
    }

    /// As [`Deployment::seeded_on_postgres`], keeping blobs in `blobs`.
    pub fn seeded_on_postgres_with(blobs: BlobStorage) -> Result<Option<Deployment>> {
        match postgres::create_database() {
            Some(url) => Self::seeded_in(Some(url), blobs).map(Some),
            None => Ok(None),
        }
    }

    fn seeded_in(database: Option<String>, blobs: BlobStorage) -> Result<Deployment> {
        let deployment = Deployment {
            dir: tempfile::tempdir()?,
            database,
            blobs,
        };
        deployment.command(&["seed-demo"])?;
        Ok(deployment)
    }

    /// Runs a `gridwalk-server` subcommand (with its own storage flags) on this deployment's
    /// blob storage.
    pub fn server_cmd(&self, args: &[&str]) -> Result<String> {
        server_cmd_with(args, &self.blobs)
    }

    /// Data directory as text.
    pub fn data(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    /// The storage flags every `gridwalk-server` command of this deployment takes:
    /// `--data DIR`, and `--database URL` on PostgreSQL (blobs stay under DIR).
    pub fn storage(&self) -> Vec<String> {
        let mut args = vec!["--data".to_string(), self.data()];
        if let Some(url) = &self.database {
            args.extend(["--database".to_string(), url.clone()]);
        }
        args
    }

    /// Runs `gridwalk-server SUBCOMMAND [ARGS…]` on this deployment's storage; its stdout.
    pub fn command(&self, args: &[&str]) -> Result<String> {
        let (subcommand, rest) = args.split_first().context("no subcommand")?;
        let storage = self.storage();
        let mut full: Vec<&str> = vec![subcommand];
        full.extend(storage.iter().map(String::as_str));
        full.extend(rest);
        self.server_cmd(&full)
    }

    /// A device in `dir` enrolled as `login` (also its name) with the server at `url`, syncing
    /// with [`TEST_SYNC`]; it has not synced yet.
    pub async fn enrolled_client(&self, url: &str, login: &str, dir: &Path) -> Result<Client> {
        let client = Client::open(dir)?.with_sync_options(TEST_SYNC)?;
        client.enroll(url, &self.enroll_code(login)?, login).await?;
        Ok(client)
    }

    /// A device in a new temporary directory, enrolled as `login` with the server at `url`
    /// like [`Deployment::enrolled_client`]; it has not synced yet.
    pub async fn device(&self, url: &str, login: &str) -> Result<Device> {
        let dir = tempfile::tempdir()?;
        let client = self.enrolled_client(url, login, dir.path()).await?;
        Ok(Device { client, _dir: dir })
    }

    /// A one-time enrolment code for `login`.
    pub fn enroll_code(&self, login: &str) -> Result<String> {
        let out = self.command(&["enroll-code", "--user", login])?;
        out.lines()
            .last()
            .map(|l| l.trim().to_string())
            .context("enroll-code printed nothing")
    }

    /// Users as `(login, role, scope)`.
    pub fn users(&self) -> Result<Vec<(String, String, String)>> {
        let out = self.command(&["users"])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                ))
            })
            .collect())
    }

    /// Starts a server on a free loopback port and waits until `/health` answers.
    pub fn start(&self) -> Result<Server> {
        self.start_at("127.0.0.1:0", &[])
    }

    /// Starts a server listening on `listen` with extra `serve` flags.
    pub fn start_at(&self, listen: &str, extra: &[&str]) -> Result<Server> {
        Server::start_on(&self.storage(), listen, extra, &self.blobs)
    }
}

/// A running `gridwalk-server serve` process.
pub struct Server {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Address it listens on.
    pub addr: String,
}

impl Server {
    /// Starts `gridwalk-server serve --data DATA --listen LISTEN` and waits for `/health`.
    pub fn start(data: &str, listen: &str) -> Result<Server> {
        Self::start_with(data, listen, &[])
    }

    /// Like [`Server::start`], with extra `serve` flags (e.g. `--log-page 10`).
    pub fn start_with(data: &str, listen: &str, extra: &[&str]) -> Result<Server> {
        Self::start_on(
            &["--data".to_string(), data.to_string()],
            listen,
            extra,
            &BlobStorage::default(),
        )
    }

    /// Starts `gridwalk-server serve STORAGE… --listen LISTEN EXTRA…` (storage flags as
    /// [`Deployment::storage`] gives them), keeping blobs in `blobs`, and waits for `/health`.
    pub fn start_on(
        storage: &[String],
        listen: &str,
        extra: &[&str],
        blobs: &BlobStorage,
    ) -> Result<Server> {
        let mut command = Command::new(bin("gridwalk-server"));
        let mut child = blobs
            .apply(&mut command)
            .arg("serve")
            .args(storage)
            .args(["--listen", listen])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("spawn gridwalk-server")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(str::to_string)
            .with_context(|| format!("server did not print its URL: {line:?}"))?;
        let addr = url.trim_start_matches("http://").to_string();
        let server = Server { child, url, addr };
        server.wait_healthy(Duration::from_secs(20))?;
        Ok(server)
    }

    /// Polls `/health` until it answers 200 or the deadline passes.
    pub fn wait_healthy(&self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            if health_ok(&self.addr) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("server at {} did not become healthy", self.url);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether `/health` answers 200 now.
    pub fn healthy(&self) -> bool {
        health_ok(&self.addr)
    }

    /// Kills the process with SIGKILL (no chance to clean up) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A minimal blocking HTTP GET of `/health` (no client library needed in sync code).
pub(crate) fn health_ok(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_dir_of_tests_and_binaries() {
        let release = PathBuf::from("/w/target/release");
        assert_eq!(
            profile_dir(Path::new("/w/target/release/deps/durability-0f3a")),
            release
        );
        assert_eq!(
            profile_dir(Path::new("/w/target/release/gridwalk-loadgen")),
            release
        );
    }
}
