//! The fresh-device phase: grid 1 holds exactly `records` records (the seeded households plus
//! visits uploaded beforehand by worker1); a new `gridwalk_client::Client` enrolled as
//! worker1b syncs until it holds them all. The raw download alone is timed too.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use gridwalk_client::Client;
use gridwalk_shared::model::Record;
use gridwalk_shared::time::Timestamp;
use serde::Serialize;

use super::day::{self, Catalog, Mix};
use super::net::Net;
use super::nodes::{Backend, Nodes};
use super::setup;
use super::stats::{self, CpuUse};
use crate::Deployment;

/// Visits per upload request while filling the grid.
const UPLOAD_BATCH: usize = 1000;

/// What the fresh-device phase measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FreshResult {
    /// Records in grid 1 (the target is 10,000).
    pub records: usize,
    /// Filling the grid (not part of the figure), ms.
    pub fill_ms: f64,
    /// `Client::sync()` from start until it returned, ms (target < 2,000).
    pub client_sync_ms: f64,
    /// Records the client holds afterwards (`status().records`).
    pub client_records: usize,
    /// Sync rounds the client made.
    pub client_rounds: u32,
    /// Response bytes the client received (decompressed).
    pub client_bytes_received: usize,
    /// The server side it ran on.
    pub backend: Option<Backend>,
    /// Server CPU (every node) during the client's sync.
    pub client_server_cpu: CpuUse,
    /// PostgreSQL's CPU during the client's sync (zero on SQLite).
    pub client_database_cpu: CpuUse,
    /// Load generator (the client's own) CPU during the client's sync.
    pub client_cpu: CpuUse,
    /// The download alone: raw pulls from no cursor until done, ms.
    pub raw_pull_ms: f64,
    /// Documents the raw pull received.
    pub raw_docs: usize,
    /// Requests of the raw pull.
    pub raw_rounds: usize,
    /// Response bytes of the raw pull on the wire.
    pub raw_wire_bytes: usize,
    /// The load generator's RSS when the client started syncing, KiB (the client lives in it).
    pub client_start_kib: u64,
    /// The load generator's peak RSS during the client's sync, KiB (peak reset just before).
    pub client_peak_kib: u64,
    /// The raw pull's records as one gzip-compressed JSON array, bytes (against
    /// `raw_wire_bytes`).
    pub raw_json_gzip_bytes: usize,
    /// Server VmRSS after the phase, KiB.
    pub server_rss_kib: u64,
    /// Server VmHWM after the phase, KiB.
    pub server_hwm_kib: u64,
}

/// Runs the fresh-device phase on its own seeded deployment.
pub async fn run(records: usize, seed: u64, backend: Backend) -> Result<FreshResult> {
    let fill_start = Instant::now();
    let deployment = Deployment::seeded()?;
    let codes =
        setup::issue_codes(deployment.dir.path(), &["worker1", "worker1b", "worker1b"]).await?;
    let server = Nodes::start(&deployment, backend)?;
    let net = Net::new(&server.url, 4)?;
    let uploader = net.enroll(&codes[0], "loadgen uploader").await?;
    let pulled = net.pull(&uploader.token, None).await?;
    let reference = pulled.reference.clone().context("no reference data")?;
    let households = day::households(&pulled.docs)?;
    if records < households.len() {
        bail!(
            "--fresh-records must be at least the {} households of grid 1",
            households.len()
        );
    }
    let visits = records - households.len();
    eprintln!("[fresh] uploading {visits} visits to grid 1");
    let catalog = Catalog::of(&reference)?;
    let mut rng = Mix::new(seed ^ 0xf4e5);
    let mut uploads = Vec::with_capacity(visits);
    for i in 0..visits {
        let household = &households[i % households.len()].record;
        let started = Timestamp::from_millis(day::DAY_START_MS - i as i64 * 3_600_000);
        let visit = day::visit(&catalog, &mut rng, household, uploader.user.id, started);
        uploads.push(day::create(&Record::Visit(visit))?);
    }
    net.upload(
        &uploader.token,
        pulled.cursor,
        reference.version,
        uploads,
        UPLOAD_BATCH,
    )
    .await?;
    let mut result = FreshResult {
        records,
        fill_ms: fill_start.elapsed().as_secs_f64() * 1000.0,
        ..FreshResult::default()
    };

    let dir = tempfile::tempdir()?;
    let client = Client::open(dir.path())?;
    client
        .enroll(&server.url, &codes[1], "loadgen fresh device")
        .await?;
    eprintln!("[fresh] fresh client syncing");
    let ticks = stats::clk_tck();
    let me = std::process::id();
    stats::reset_own_peak()?;
    let (server0, self0) = (server.sample(ticks)?, stats::sample(me, ticks)?);
    let started = Instant::now();
    let report = client.sync().await?;
    let wall = started.elapsed();
    let (server1, self1) = (server.sample(ticks)?, stats::sample(me, ticks)?);
    result.client_sync_ms = wall.as_secs_f64() * 1000.0;
    result.client_rounds = report.rounds;
    result.client_bytes_received = report.bytes_received;
    result.backend = Some(backend);
    result.client_server_cpu = stats::cpu_use(&server0.nodes, &server1.nodes, wall);
    result.client_database_cpu = stats::cpu_use(&server0.database, &server1.database, wall);
    result.client_cpu = stats::cpu_use(&self0, &self1, wall);
    result.client_start_kib = self0.rss_kib;
    result.client_peak_kib = self1.hwm_kib;
    result.client_records = client.status()?.records;

    let raw = net.enroll(&codes[2], "loadgen raw fresh device").await?;
    let started = Instant::now();
    let pulled = net.pull(&raw.token, None).await?;
    result.raw_pull_ms = started.elapsed().as_secs_f64() * 1000.0;
    result.raw_docs = pulled.docs.len();
    result.raw_rounds = pulled.rounds;
    result.raw_wire_bytes = pulled.wire_bytes;
    result.raw_json_gzip_bytes = day::json_gzip_len(&pulled.docs)?;
    let end = server.sample(ticks)?;
    result.server_rss_kib = end.nodes.rss_kib;
    result.server_hwm_kib = end.nodes.hwm_kib;
    Ok(result)
}
