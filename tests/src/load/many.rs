//! The many-device phase: every device syncs one day's work in one `POST /v1/sync`, at most
//! `concurrency` at a time, against a seeded server; throughput, latency, server CPU and RSS,
//! and bytes on the wire against the same records as JSON.
//!
//! Two ways to send: **closed loop** (the default) starts the next device-sync as soon as one
//! of the `concurrency` in flight ends, which measures the most the server can do; its latency
//! is then queueing by construction (mean ≈ in flight ÷ throughput). **Open loop**
//! (`rate`) starts device-syncs at a fixed rate, as devices coming online would, still at most
//! `concurrency` in flight; latency counts from each one's scheduled start, so a sync that
//! waited for a free slot is charged for the wait.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use gridwalk_shared::model::{Record, ReferenceData};
use gridwalk_shared::wire::{self, Cursor};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::day::{self, Catalog, HouseholdDoc, Mix};
use super::net::{self, Body, Enrolled, Net};
use super::nodes::{Backend, Nodes};
use super::setup::{self, GRID_WORKERS};
use super::stats::{self, CpuUse, Latency};
use crate::Deployment;

/// Settings of the many-device phase.
#[derive(Debug, Clone, Copy)]
pub struct ManyOptions {
    /// Devices, enrolled round-robin over the grid workers.
    pub devices: usize,
    /// Device-syncs in flight at most.
    pub concurrency: usize,
    /// Seed of the generated work.
    pub seed: u64,
    /// Give every device a cursor past the end of the log, so responses carry none of the
    /// colleagues' work: isolates the upload path (a real device never sends this).
    pub skip_downloads: bool,
    /// Devices per grid on a street widened to enough grids ([`setup::wide_street`]);
    /// `None`: the demo street's 7 grid workers, 143–285 devices per grid.
    pub devices_per_grid: Option<usize>,
    /// Open loop: device-syncs started per second; `None`: closed loop.
    pub rate: Option<f64>,
    /// The server side: one node on SQLite, one on PostgreSQL, two behind haproxy.
    pub backend: Backend,
}

/// Bytes per record of one record kind, encoded alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindBytes {
    /// Records of this kind uploaded.
    pub records: usize,
    /// The `DocUpload` (Automerge changes, CBOR) per record.
    pub upload_cbor: f64,
    /// `serde_json::to_vec(&Record)` per record.
    pub json: f64,
}

/// Bytes on the wire per uploaded record, against the same records as JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WireBytes {
    /// Records uploaded.
    pub records: usize,
    /// Request bodies as sent (gzip when ≥ 1 KiB), per record.
    pub request_wire: f64,
    /// Request bodies as CBOR before compression, per record.
    pub request_cbor: f64,
    /// `serde_json::to_vec` of each record, per record.
    pub json: f64,
    /// Each device's records as one gzip-compressed JSON array, per record.
    pub json_gzip: f64,
    /// `request_wire / json`: the target is ≤ 1.0.
    pub wire_to_json: f64,
    /// Response bodies as received, per uploaded record (includes colleagues' downloads).
    pub response_wire: f64,
    /// Documents downloaded by all devices (colleagues' work in the same grid).
    pub downloaded_docs: usize,
    /// Per record kind: new visits, new incidents, household edits.
    pub per_kind: BTreeMap<String, KindBytes>,
}

/// What the many-device phase measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManyResult {
    /// Devices.
    pub devices: usize,
    /// Concurrency.
    pub concurrency: usize,
    /// Whether responses were kept empty (`--skip-downloads`).
    pub skip_downloads: bool,
    /// Open loop: device-syncs started per second (`None`: closed loop).
    pub rate: Option<f64>,
    /// Most devices in one grid (households are shared once this × 5 exceeds 300).
    pub max_devices_per_grid: usize,
    /// Setup: enrolment, pulls and preparing every request, ms (not timed below).
    pub setup_ms: f64,
    /// Wall time of all device-syncs, ms.
    pub wall_ms: f64,
    /// Device-syncs completed per second.
    pub syncs_per_sec: f64,
    /// Device-syncs with status 200 and all records accepted.
    pub ok: usize,
    /// Failed device-syncs by reason.
    pub failures: BTreeMap<String, usize>,
    /// Latency of one device-sync, request sent (open loop: scheduled) to response read.
    pub latency: Latency,
    /// The server side it ran on.
    pub backend: Option<Backend>,
    /// Server CPU over the phase (every node).
    pub server_cpu: CpuUse,
    /// PostgreSQL's CPU over the phase (zero on SQLite).
    pub database_cpu: CpuUse,
    /// Server-side CPU (nodes and PostgreSQL) per device-sync, ms: what predicts a bigger
    /// machine.
    pub server_cpu_ms_per_sync: f64,
    /// Load generator CPU over the phase (same 2 cores).
    pub loadgen_cpu: CpuUse,
    /// Server VmRSS after the phase, KiB.
    pub server_rss_kib: u64,
    /// Server VmHWM (peak RSS) after the phase, KiB.
    pub server_hwm_kib: u64,
    /// Bytes on the wire.
    pub bytes: WireBytes,
}

/// A device ready to sync: its token and its encoded request.
struct Ready {
    token: String,
    body: Body,
}

/// What one device-sync came back with.
struct Outcome {
    latency: Duration,
    response_bytes: usize,
    downloaded: usize,
    failure: Option<String>,
}

async fn enroll_all(net: &Net, codes: Vec<String>) -> Result<Vec<Enrolled>> {
    let sem = Arc::new(Semaphore::new(8));
    let mut set = JoinSet::new();
    for (i, code) in codes.into_iter().enumerate() {
        let permit = sem.clone().acquire_owned().await?;
        let net = net.clone();
        set.spawn(async move {
            let enrolled = net.enroll(&code, &format!("loadgen-{i}")).await;
            drop(permit);
            enrolled.map(|e| (i, e))
        });
    }
    let mut out: Vec<(usize, Enrolled)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        out.push(joined??);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// Households and a cursor per grid, from one snapshot pull each.
async fn pull_grids(
    net: &Net,
    devices: &[Enrolled],
) -> Result<(ReferenceData, HashMap<Uuid, (Vec<HouseholdDoc>, Cursor)>)> {
    let mut reference = None;
    let mut grids = HashMap::new();
    for device in devices {
        let grid = device.user.scope_id;
        if grids.contains_key(&grid) {
            continue;
        }
        let pulled = net.pull(&device.token, None).await?;
        reference = reference.or(pulled.reference);
        let cursor = pulled.cursor.context("pull gave no cursor")?;
        grids.insert(grid, (day::households(&pulled.docs)?, cursor));
    }
    Ok((reference.context("no reference data")?, grids))
}

/// Builds every device's day and encodes its request; adds record sizes to `bytes`.
fn prepare(
    devices: &[Enrolled],
    reference: &ReferenceData,
    grids: &HashMap<Uuid, (Vec<HouseholdDoc>, Cursor)>,
    options: &ManyOptions,
    bytes: &mut WireBytes,
) -> Result<Vec<Ready>> {
    let catalog = Catalog::of(reference)?;
    let mut rng = Mix::new(options.seed);
    let mut slots: HashMap<Uuid, usize> = HashMap::new();
    let mut ready = Vec::with_capacity(devices.len());
    let (mut json, mut json_gzip, mut cbor) = (0usize, 0usize, 0usize);
    for device in devices {
        let grid = device.user.scope_id;
        let (households, cursor) = grids.get(&grid).context("grid not pulled")?;
        let slot = slots.entry(grid).or_default();
        let work = day::day(&catalog, &mut rng, device.user.id, households, *slot)?;
        *slot += 1;
        let mut records = Vec::with_capacity(work.len());
        let mut uploads = Vec::with_capacity(work.len());
        for w in work {
            let kind = match &w.record {
                Record::Household(_) => "household_edit",
                other => other.kind().as_str(),
            };
            let size = bytes.per_kind.entry(kind.to_string()).or_default();
            size.records += 1;
            size.upload_cbor += wire::encode(&w.upload).len() as f64;
            let record_json = serde_json::to_vec(&w.record)?.len();
            size.json += record_json as f64;
            json += record_json;
            records.push(w.record);
            uploads.push(w.upload);
        }
        json_gzip += wire::gzip(&serde_json::to_vec(&records)?).len();
        bytes.records += records.len();
        let cursor = if options.skip_downloads {
            Cursor {
                seq: i64::MAX as u64,
                ..*cursor
            }
        } else {
            *cursor
        };
        // The device holds the reference data from its setup pull, as a real one does.
        let body = net::body(&crate::raw::request(
            uploads,
            Some(cursor),
            reference.version,
        ));
        cbor += body.cbor_len;
        bytes.request_wire += body.bytes.len() as f64;
        ready.push(Ready {
            token: device.token.clone(),
            body,
        });
    }
    let records = bytes.records.max(1) as f64;
    bytes.request_wire /= records;
    bytes.request_cbor = cbor as f64 / records;
    bytes.json = json as f64 / records;
    bytes.json_gzip = json_gzip as f64 / records;
    bytes.wire_to_json = bytes.request_wire / bytes.json.max(1.0);
    for size in bytes.per_kind.values_mut() {
        let n = size.records.max(1) as f64;
        size.upload_cbor /= n;
        size.json /= n;
    }
    Ok(ready)
}

/// One device-sync; latency counts from `started`.
async fn sync_one(net: Net, device: Ready, started: Instant) -> Outcome {
    let reply = net.post(&device.token, device.body).await;
    let latency = started.elapsed();
    let mut outcome = Outcome {
        latency,
        response_bytes: 0,
        downloaded: 0,
        failure: None,
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => {
            outcome.failure = Some(format!("transport: {e}"));
            return outcome;
        }
    };
    outcome.response_bytes = reply.bytes.len();
    match reply.decode() {
        Ok(response) => {
            outcome.downloaded = response.docs.len();
            if let Some(r) = response.rejected.first() {
                outcome.failure = Some(format!("HTTP {} rejected: {}", reply.status, r.code));
            } else if response.accepted.len() != day::RECORDS {
                outcome.failure = Some(format!(
                    "{} of {} accepted",
                    response.accepted.len(),
                    day::RECORDS
                ));
            }
        }
        Err(e) => {
            let text = e.to_string();
            outcome.failure = Some(text.chars().take(120).collect());
        }
    }
    outcome
}

/// Runs the many-device phase on a fresh seeded deployment.
pub async fn run(options: ManyOptions) -> Result<ManyResult> {
    let setup_start = Instant::now();
    let (deployment, workers) = match options.devices_per_grid {
        Some(per_grid) => {
            let grids = options.devices.div_ceil(per_grid.max(1)).max(6);
            eprintln!("[many] seeding a street of {grids} grids");
            setup::wide_street(grids).await?
        }
        None => (
            Deployment::seeded()?,
            GRID_WORKERS.iter().map(|w| w.to_string()).collect(),
        ),
    };
    let logins: Vec<&str> = (0..options.devices)
        .map(|i| workers[i % workers.len()].as_str())
        .collect();
    let codes = setup::issue_codes(deployment.dir.path(), &logins).await?;
    let server = Nodes::start(&deployment, options.backend)?;
    let net = Net::new(&server.url, options.concurrency)?;
    eprintln!("[many] enrolling {} devices", options.devices);
    let devices = enroll_all(&net, codes).await?;
    let (reference, grids) = pull_grids(&net, &devices).await?;
    eprintln!("[many] preparing {} days of work", devices.len());
    let mut result = ManyResult {
        devices: options.devices,
        concurrency: options.concurrency,
        skip_downloads: options.skip_downloads,
        rate: options.rate,
        ..ManyResult::default()
    };
    let ready = prepare(&devices, &reference, &grids, &options, &mut result.bytes)?;
    let mut per_grid: HashMap<Uuid, usize> = HashMap::new();
    for d in &devices {
        *per_grid.entry(d.user.scope_id).or_default() += 1;
    }
    result.max_devices_per_grid = per_grid.values().copied().max().unwrap_or(0);
    result.setup_ms = setup_start.elapsed().as_secs_f64() * 1000.0;

    eprintln!(
        "[many] {} device-syncs, {} in flight{}",
        ready.len(),
        options.concurrency,
        options
            .rate
            .map(|r| format!(", started at {r}/s"))
            .unwrap_or_default()
    );
    let ticks = stats::clk_tck();
    let me = std::process::id();
    let (server0, self0) = (server.sample(ticks)?, stats::sample(me, ticks)?);
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut set = JoinSet::new();
    for (i, device) in ready.into_iter().enumerate() {
        let due = match options.rate {
            Some(rate) => {
                let due = started + Duration::from_secs_f64(i as f64 / rate.max(1e-3));
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        let permit = sem.clone().acquire_owned().await?;
        let net = net.clone();
        set.spawn(async move {
            let outcome = sync_one(net, device, due).await;
            drop(permit);
            outcome
        });
    }
    let mut outcomes = Vec::with_capacity(options.devices);
    while let Some(joined) = set.join_next().await {
        outcomes.push(joined?);
    }
    let wall = started.elapsed();
    let (server1, self1) = (server.sample(ticks)?, stats::sample(me, ticks)?);

    result.wall_ms = wall.as_secs_f64() * 1000.0;
    result.syncs_per_sec = outcomes.len() as f64 / wall.as_secs_f64().max(1e-9);
    result.backend = Some(options.backend);
    result.server_cpu = stats::cpu_use(&server0.nodes, &server1.nodes, wall);
    result.database_cpu = stats::cpu_use(&server0.database, &server1.database, wall);
    result.server_cpu_ms_per_sync =
        (result.server_cpu.cpu_ms + result.database_cpu.cpu_ms) / outcomes.len().max(1) as f64;
    result.loadgen_cpu = stats::cpu_use(&self0, &self1, wall);
    result.server_rss_kib = server1.nodes.rss_kib;
    result.server_hwm_kib = server1.nodes.hwm_kib;
    let latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    result.latency = stats::latency(&latencies);
    let response_bytes: usize = outcomes.iter().map(|o| o.response_bytes).sum();
    result.bytes.response_wire = response_bytes as f64 / result.bytes.records.max(1) as f64;
    result.bytes.downloaded_docs = outcomes.iter().map(|o| o.downloaded).sum();
    for outcome in outcomes {
        match outcome.failure {
            None => result.ok += 1,
            Some(reason) => *result.failures.entry(reason).or_default() += 1,
        }
    }
    drop(server);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small open-loop run: every device's day is accepted, and the starts are paced at the
    /// rate (the last of 12 at 40/s starts 275 ms in).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_open_loop_run_paces_its_starts_and_every_device_syncs() {
        let result = run(ManyOptions {
            devices: 12,
            concurrency: 3,
            seed: 7,
            skip_downloads: false,
            devices_per_grid: Some(4),
            rate: Some(40.0),
            backend: Backend::Sqlite,
        })
        .await
        .unwrap();
        assert_eq!(result.ok, 12, "failures: {:?}", result.failures);
        assert_eq!(result.rate, Some(40.0));
        assert!(result.wall_ms >= 275.0, "{} ms", result.wall_ms);
        assert_eq!(result.latency.count, 12);
    }

    /// The same on two PostgreSQL nodes behind haproxy: every device's day is accepted and
    /// the database's CPU is counted with the nodes'.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_on_two_postgres_nodes_counts_the_database_too() {
        if !crate::postgres::available("a_run_on_two_postgres_nodes_counts_the_database_too") {
            return;
        }
        let result = run(ManyOptions {
            devices: 8,
            concurrency: 4,
            seed: 7,
            skip_downloads: false,
            devices_per_grid: Some(4),
            rate: None,
            backend: Backend::Cluster,
        })
        .await
        .unwrap();
        assert_eq!(result.ok, 8, "failures: {:?}", result.failures);
        assert!(
            result.database_cpu.cpu_ms > 0.0,
            "{:?}",
            result.database_cpu
        );
        let per_sync = (result.server_cpu.cpu_ms + result.database_cpu.cpu_ms) / 8.0;
        assert!((result.server_cpu_ms_per_sync - per_sync).abs() < 1e-9);
    }
}
