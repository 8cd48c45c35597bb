//! The peer-shaped phase: the workload of `shared/peers/automerge-repo/bench.mjs` on
//! Gridwalk. One device uploads N visits and 3% as many households, a fresh device downloads
//! everything, then 50 visits change and 20 are added until the second device has them.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use automerge::AutoCommit;
use gridwalk_client::Client;
use gridwalk_shared::model::{Answer, Household, Member, Record, ReferenceData, Visit};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::wire::DocUpload;
use serde::Serialize;
use uuid::Uuid;

use super::day::{self, Catalog, Mix};
use super::net::Net;
use super::setup;
use super::stats::{self, CpuUse, ProcSample};

/// Visits changed in the incremental step (as in bench.mjs).
const CHANGED: usize = 50;
/// Visits added in the incremental step (as in bench.mjs).
const ADDED: usize = 20;
/// Documents per upload request (the device client's limit).
const BATCH: usize = gridwalk_shared::wire::MAX_DOCS_PER_REQUEST;
/// Appended to a changed visit's notes.
const REVISITED: &str = "（已复访）";

/// Wall time and server figures of one step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Step {
    /// Wall time, ms.
    pub wall_ms: f64,
    /// Server CPU during the step.
    pub server_cpu: CpuUse,
    /// Server VmRSS after the step, KiB.
    pub server_rss_kib: u64,
    /// Server VmHWM after the step, KiB.
    pub server_hwm_kib: u64,
}

/// What the peer-shaped phase measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeerResult {
    /// Visits.
    pub n: usize,
    /// Households (3% of N).
    pub households: usize,
    /// Creating every document offline, before the upload (not part of it), ms.
    pub create_offline_ms: f64,
    /// Device A uploads everything until the server acknowledged it all.
    pub upload: Step,
    /// A fresh `gridwalk_client::Client` syncs until it holds every record.
    pub fresh_client: Step,
    /// Records the fresh client holds.
    pub fresh_client_records: usize,
    /// The same download as raw pulls (no local store).
    pub fresh_raw: Step,
    /// A changes 50 visits and adds 20, uploads; the client syncs and has all 70.
    pub incremental: Step,
    /// Documents the client received in the incremental sync.
    pub incremental_downloaded: usize,
}

/// Household `i` of the peer workload, in one of the grid's buildings.
fn household(reference: &ReferenceData, grid: Uuid, i: usize, rng: &mut Mix) -> Result<Household> {
    let buildings: Vec<_> = reference.buildings_in(grid).collect();
    if buildings.is_empty() {
        bail!("grid {grid} has no buildings");
    }
    let building = buildings[i % buildings.len()];
    let members = (0..1 + rng.below(4))
        .map(|m| Member {
            id: Uuid::now_v7(),
            name: format!("居民{i}-{m}"),
            relation: if m == 0 { "户主" } else { "子女" }.to_string(),
            birth_year: Some(1940 + rng.below(80) as i64),
            tags: Vec::new(),
        })
        .collect();
    Ok(Household {
        id: Uuid::now_v7(),
        grid_id: grid,
        building_id: building.id,
        address: format!("{}{}单元{}室", building.address, 1 + i % 4, 101 + i / 4),
        head: format!("户主{i}"),
        phone: format!("138{:08}", rng.below(100_000_000)),
        tags: Vec::new(),
        members,
        notes: String::new(),
    })
}

/// The offline work of device A: uploads, plus the visits it will change later.
struct Created {
    uploads: Vec<DocUpload>,
    kept: Vec<(Visit, AutoCommit)>,
    households: Vec<Household>,
}

fn create_all(
    reference: &ReferenceData,
    catalog: &Catalog,
    worker: Uuid,
    grid: Uuid,
    n: usize,
    rng: &mut Mix,
) -> Result<Created> {
    let h = ((n as f64) * 0.03).round().max(1.0) as usize;
    let households = (0..h)
        .map(|i| household(reference, grid, i, rng))
        .collect::<Result<Vec<_>>>()?;
    let mut uploads = households
        .iter()
        .map(|h| day::create(&Record::Household(h.clone())))
        .collect::<Result<Vec<_>>>()?;
    let step = (n / CHANGED).max(1);
    let mut kept = Vec::new();
    for i in 0..n {
        let started = Timestamp::from_millis(day::DAY_START_MS - i as i64 * 37_000);
        let on = &households[rng.below(households.len())];
        let visit = day::visit(catalog, rng, on, worker, started);
        let (upload, document) = day::create_kept(&Record::Visit(visit.clone()))?;
        if i % step == 0 && kept.len() < CHANGED {
            kept.push((visit, document));
        }
        uploads.push(upload);
    }
    Ok(Created {
        uploads,
        kept,
        households,
    })
}

fn step(wall: std::time::Duration, before: &ProcSample, after: &ProcSample) -> Step {
    Step {
        wall_ms: wall.as_secs_f64() * 1000.0,
        server_cpu: stats::cpu_use(before, after, wall),
        server_rss_kib: after.rss_kib,
        server_hwm_kib: after.hwm_kib,
    }
}

/// Runs the peer-shaped phase with `n` visits on a deployment holding only reference data.
pub async fn run(n: usize, seed: u64) -> Result<PeerResult> {
    let deployment = setup::reference_only().await?;
    let codes =
        setup::issue_codes(deployment.dir.path(), &["worker1", "worker1b", "worker1b"]).await?;
    let server = deployment.start()?;
    let (pid, ticks) = (server.pid(), stats::clk_tck());
    let net = Net::new(&server.url, 4)?;
    let a = net.enroll(&codes[0], "loadgen peer A").await?;
    let pulled = net.pull(&a.token, None).await?;
    let reference = pulled.reference.clone().context("no reference data")?;
    let catalog = Catalog::of(&reference)?;
    let dir = tempfile::tempdir()?;
    let b = Client::open(dir.path())?;
    b.enroll(&server.url, &codes[1], "loadgen peer B").await?;

    let mut rng = Mix::new(seed ^ 0x9ee7);
    let t = Instant::now();
    let created = create_all(
        &reference,
        &catalog,
        a.user.id,
        a.user.scope_id,
        n,
        &mut rng,
    )?;
    let mut result = PeerResult {
        n,
        households: created.households.len(),
        create_offline_ms: t.elapsed().as_secs_f64() * 1000.0,
        ..PeerResult::default()
    };
    let total = n + created.households.len();

    eprintln!("[peer N={n}] upload of {total} documents");
    let s0 = stats::sample(pid, ticks)?;
    let t = Instant::now();
    let cursor = net
        .upload(
            &a.token,
            pulled.cursor,
            reference.version,
            created.uploads,
            BATCH,
        )
        .await?;
    result.upload = step(t.elapsed(), &s0, &stats::sample(pid, ticks)?);

    eprintln!("[peer N={n}] fresh device");
    let s0 = stats::sample(pid, ticks)?;
    let t = Instant::now();
    b.sync().await?;
    result.fresh_client = step(t.elapsed(), &s0, &stats::sample(pid, ticks)?);
    result.fresh_client_records = b.status()?.records;
    if result.fresh_client_records != total {
        bail!(
            "the fresh client holds {} records, expected {total}",
            result.fresh_client_records
        );
    }
    let raw = net.enroll(&codes[2], "loadgen peer raw").await?;
    let s0 = stats::sample(pid, ticks)?;
    let t = Instant::now();
    let pulled = net.pull(&raw.token, None).await?;
    result.fresh_raw = step(t.elapsed(), &s0, &stats::sample(pid, ticks)?);
    if pulled.docs.len() != total {
        bail!(
            "the raw pull got {} documents, expected {total}",
            pulled.docs.len()
        );
    }

    eprintln!("[peer N={n}] incremental: {CHANGED} changed, {ADDED} added");
    let s0 = stats::sample(pid, ticks)?;
    let t = Instant::now();
    let mut uploads = Vec::with_capacity(CHANGED + ADDED);
    let mut expect = Vec::with_capacity(CHANGED + ADDED);
    for (mut visit, mut document) in created.kept {
        visit.notes.push_str(REVISITED);
        let flipped = match visit.answers.get("visit.met_resident") {
            Some(Answer::YesNo(v)) => !v,
            _ => true,
        };
        visit
            .answers
            .insert("visit.met_resident".into(), Answer::YesNo(flipped));
        expect.push(visit.id);
        uploads.push(day::change(&mut document, &Record::Visit(visit))?);
    }
    for k in 0..ADDED {
        let on = &created.households[k % created.households.len()];
        let mut visit = day::visit(
            &catalog,
            &mut rng,
            on,
            a.user.id,
            Timestamp::from_millis(day::DAY_START_MS + k as i64 * 60_000),
        );
        visit.notes.push_str(REVISITED);
        expect.push(visit.id);
        uploads.push(day::create(&Record::Visit(visit))?);
    }
    net.upload(&a.token, cursor, reference.version, uploads, BATCH)
        .await?;
    let report = b.sync().await?;
    result.incremental = step(t.elapsed(), &s0, &stats::sample(pid, ticks)?);
    result.incremental_downloaded = report.downloaded_docs;
    for id in expect {
        let seen = b.record(id)?.is_some_and(|v| match v.record {
            Record::Visit(visit) => visit.notes.ends_with(REVISITED),
            _ => false,
        });
        if !seen {
            bail!("the second device does not have the incremental change to {id}");
        }
    }
    Ok(result)
}
