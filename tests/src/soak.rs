//! The fault soak (issue 12, item 9; results in `docs/reliability.md`): grid workers' devices
//! do a day's work after another against a real `gridwalk-server` reached through the
//! cutting proxy, while the server is killed with SIGKILL at random moments and restarted on
//! the same address. Afterwards, with the faults off and every device synced, it checks that
//! every change a device had acknowledged is on the server and on every device in scope,
//! that the server's change log has no gaps, and that all replicas hold the same documents.

pub mod field;
pub mod outage;
pub mod replicas;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use automerge::ChangeHash;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;
use uuid::Uuid;

use crate::load::day::Catalog;
use crate::proxy::{CutPlan, CutProxy};
use crate::Deployment;
use field::{Acked, FieldDevice, Tally};
use outage::Outages;
use replicas::{LogCheck, Replica, Side};

/// The demo street's grid workers, in the order devices are handed out (two in grid 1).
const WORKERS: [&str; 7] = [
    "worker1", "worker1b", "worker2", "worker3", "worker4", "worker5", "worker6",
];
/// The demo street's community leaders.
const LEADERS: [&str; 2] = ["leader1", "leader2"];
/// Syncs a device gets to settle once the faults are off.
const SETTLE_ATTEMPTS: usize = 30;
/// Problems described in the report at most.
const MAX_PROBLEMS: usize = 20;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct SoakConfig {
    /// Grid workers' devices, handed out round-robin over [`WORKERS`].
    pub devices: usize,
    /// Community leaders' devices (0–2) that only sync; each sees three grids.
    pub leaders: usize,
    /// When the server is killed and for how long.
    pub outages: Outages,
    /// The proxy cuts every connection after 1 to this many client bytes.
    pub cut_bytes: u64,
    /// Seed of the kill times, the cuts and the work (print it to replay a failure).
    pub seed: u64,
}

/// What a soak did and found. Lost changes, log gaps and divergence must all be zero.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SoakReport {
    /// Seed the run used.
    pub seed: u64,
    /// Grid workers' devices.
    pub devices: usize,
    /// Leaders' devices.
    pub leaders: usize,
    /// Server processes killed with SIGKILL (each restarted on the same address).
    pub kills: usize,
    /// Connections the proxy cut in the middle.
    pub cuts: usize,
    /// Record changes made on devices (visits, incident reports, household edits).
    pub records_written: usize,
    /// Changes acknowledged while the faults were on.
    pub acked_under_faults: usize,
    /// Changes first acknowledged in the final syncs.
    pub acked_at_final_sync: usize,
    /// Changes never acknowledged (still in an outbox at the end; not a loss).
    pub never_acked: usize,
    /// Acknowledged changes missing on the server.
    pub lost_on_server: usize,
    /// Acknowledged changes missing on some device whose scope holds them.
    pub lost_on_devices: usize,
    /// Acknowledged changes missing anywhere (goal: 0).
    pub lost: usize,
    /// Changes the server refused (conflict copies; the workload is valid, so 0).
    pub rejected: usize,
    /// Syncs that succeeded.
    pub syncs_ok: usize,
    /// Syncs that failed (expected under faults).
    pub syncs_failed: usize,
    /// Failed syncs by kind of error.
    pub sync_errors: BTreeMap<String, usize>,
    /// The server's change log after the run.
    pub log: LogCheck,
    /// Documents in scope held differently by a device and the server (missing on one
    /// side or other heads; goal: 0).
    pub diverged_docs: usize,
    /// Household and incident list rows that differ between devices of the same user
    /// scope (goal: 0).
    pub diverged_rows: usize,
    /// Documents on the server at the end.
    pub server_docs: usize,
    /// Seconds with the faults on.
    pub fault_seconds: f64,
    /// Seconds in all (seeding, enrolment, faults, final syncs, checks).
    pub total_seconds: f64,
    /// The first problems found, described.
    pub problems: Vec<String>,
}

impl SoakReport {
    /// Whether nothing acknowledged was lost, the log has no gaps and the replicas agree.
    pub fn passed(&self) -> bool {
        self.lost == 0
            && self.log.gaps == 0
            && self.diverged_docs == 0
            && self.diverged_rows == 0
            && self.never_acked == 0
            && self.rejected == 0
    }

    /// A few lines for people.
    pub fn summary(&self) -> String {
        format!(
            "fault soak, seed {seed}: {devices} devices + {leaders} leaders, {kills} SIGKILLs, \
             {cuts} connections cut, {fault:.0} s under faults ({total:.0} s in all)\n\
             changes: {written} written, {under} acknowledged under faults, {fin} at the final \
             sync, {never} never; lost {lost} (server {ls}, devices {ld}), rejected {rej}\n\
             syncs: {ok} ok, {failed} failed {errors:?}\n\
             change log: {rows} rows up to seq {top} (floor {floor}), {gaps} gaps; \
             {docs} documents; diverged: {dd} documents, {dr} list rows\n\
             {verdict}\n",
            seed = self.seed,
            devices = self.devices,
            leaders = self.leaders,
            kills = self.kills,
            cuts = self.cuts,
            fault = self.fault_seconds,
            total = self.total_seconds,
            written = self.records_written,
            under = self.acked_under_faults,
            fin = self.acked_at_final_sync,
            never = self.never_acked,
            lost = self.lost,
            ls = self.lost_on_server,
            ld = self.lost_on_devices,
            rej = self.rejected,
            ok = self.syncs_ok,
            failed = self.syncs_failed,
            errors = self.sync_errors,
            rows = self.log.rows,
            top = self.log.top,
            floor = self.log.floor,
            gaps = self.log.gaps,
            docs = self.server_docs,
            dd = self.diverged_docs,
            dr = self.diverged_rows,
            verdict = if self.passed() {
                "PASS".to_string()
            } else {
                format!("FAIL: {:#?}", self.problems)
            },
        )
    }

    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(text);
        }
    }
}

/// Enrols the devices through the proxy and syncs each once (before any fault).
async fn enrol(
    deployment: &Deployment,
    url: &str,
    config: &SoakConfig,
) -> Result<Vec<FieldDevice>> {
    let logins = (0..config.devices)
        .map(|i| (WORKERS[i % WORKERS.len()], true))
        .chain(LEADERS.iter().take(config.leaders).map(|l| (*l, false)));
    let mut devices: Vec<FieldDevice> = Vec::new();
    for (login, works) in logins {
        let device = deployment.device(url, login).await?;
        device
            .client
            .sync()
            .await
            .with_context(|| format!("first sync of {login}"))?;
        let account = device.client.account()?.context("enrolled")?;
        let reference = device.client.reference()?.context("reference synced")?;
        let scope = account.user.scope_id;
        let slot = devices
            .iter()
            .filter(|d| d.units.contains(&scope) && d.works)
            .count();
        devices.push(FieldDevice {
            device,
            login: login.to_string(),
            units: reference.subtree(scope).into_iter().collect(),
            slot,
            works,
        });
    }
    Ok(devices)
}

/// Runs the soak: seeds a deployment, enrols the devices, works under faults while the
/// server is killed `config.outages.kills` times, settles every device with the faults off,
/// stops the server and checks the replicas.
pub async fn run(config: &SoakConfig) -> Result<SoakReport> {
    let started = Instant::now();
    let deployment = Deployment::seeded()?;
    let data = deployment.data();
    let server = outage::start(&data, "127.0.0.1:0").await?;
    let proxy = CutProxy::start(&server.addr).await?;
    let devices: Vec<Arc<FieldDevice>> = enrol(&deployment, &proxy.url, config)
        .await?
        .into_iter()
        .map(Arc::new)
        .collect();
    let reference = devices[0].client().reference()?.context("reference")?;
    let catalog = Arc::new(Catalog::of(&reference)?);

    let faults = Instant::now();
    proxy.arm(CutPlan {
        cuts: usize::MAX,
        max_bytes: config.cut_bytes,
        seed: config.seed.wrapping_add(1),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(i, device)| {
            let seed = config.seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            tokio::spawn(field::work(
                device.clone(),
                catalog.clone(),
                seed,
                stop.clone(),
            ))
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let outages = outage::run(server, &data, config.outages, &mut rng).await;
    stop.store(true, Ordering::SeqCst);
    let mut tallies = Vec::new();
    for worker in workers {
        tallies.push(worker.await??);
    }
    let mut server = outages?;
    let fault_seconds = faults.elapsed().as_secs_f64();
    let cuts = proxy.severed();

    // Faults off: every device syncs until its outbox is empty, twice round so that each
    // one has what the others sent.
    proxy.disarm();
    for _ in 0..2 {
        for (device, tally) in devices.iter().zip(&mut tallies) {
            field::settle(device, tally, SETTLE_ATTEMPTS).await?;
        }
    }
    tokio::task::spawn_blocking(move || server.kill()).await?;

    let mut report = SoakReport {
        seed: config.seed,
        devices: config.devices,
        leaders: config.leaders,
        kills: config.outages.kills,
        cuts,
        fault_seconds,
        ..SoakReport::default()
    };
    tally_up(&mut report, &tallies);
    let server_path = deployment
        .dir
        .path()
        .join(gridwalk_store_sqlite::SqliteStore::FILE_NAME);
    check(&mut report, &server_path, &devices, &tallies)?;
    report.total_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Adds up what the devices did.
fn tally_up(report: &mut SoakReport, tallies: &[Tally]) {
    for tally in tallies {
        report.records_written += tally.written;
        report.acked_under_faults += tally.acked.iter().filter(|a| a.under_faults).count();
        report.acked_at_final_sync += tally.acked.iter().filter(|a| !a.under_faults).count();
        report.never_acked += tally.unacked.len();
        report.rejected += tally.rejected.len();
        report.syncs_ok += tally.syncs_ok;
        report.syncs_failed += tally.syncs_failed;
        for (kind, n) in &tally.errors {
            *report.sync_errors.entry(kind.clone()).or_default() += n;
        }
    }
    for (id, code, reason) in tallies.iter().flat_map(|t| &t.rejected) {
        report.problem(format!("rejected {id}: {code} {reason}"));
    }
}

/// The changes in `acked` by document, those in `units` only when given.
fn wanted<'a>(
    acked: impl Iterator<Item = &'a Acked>,
    units: Option<&BTreeSet<Uuid>>,
) -> BTreeMap<Uuid, BTreeSet<ChangeHash>> {
    let mut out: BTreeMap<Uuid, BTreeSet<ChangeHash>> = BTreeMap::new();
    for a in acked.filter(|a| units.is_none_or(|u| u.contains(&a.scope))) {
        out.entry(a.doc_id).or_default().extend(&a.heads);
    }
    out
}

/// Whether `replica` lacks any of the heads of `acked`.
fn lacks(replica: &Replica, acked: &Acked) -> bool {
    replica
        .missing
        .get(&acked.doc_id)
        .is_some_and(|m| acked.heads.iter().any(|h| m.contains(h)))
}

/// Reads the server's and every device's store and fills in losses, gaps and divergence.
fn check(
    report: &mut SoakReport,
    server_path: &Path,
    devices: &[Arc<FieldDevice>],
    tallies: &[Tally],
) -> Result<()> {
    report.log = replicas::check_log(server_path)?;
    if report.log.gaps > 0 {
        report.problem(format!("the change log has gaps: {:?}", report.log));
    }
    let acked: Vec<&Acked> = tallies.iter().flat_map(|t| &t.acked).collect();
    let server = replicas::read(
        server_path,
        Side::Server,
        &wanted(acked.iter().copied(), None),
    )?;
    report.server_docs = server.docs.len();
    let mut held = Vec::new();
    for device in devices {
        let want = wanted(acked.iter().copied(), Some(&device.units));
        held.push(replicas::read(&device.store_path(), Side::Device, &want)?);
    }
    for a in &acked {
        let on_server = !lacks(&server, a);
        let short: Vec<&str> = devices
            .iter()
            .zip(&held)
            .filter(|(d, r)| d.units.contains(&a.scope) && lacks(r, a))
            .map(|(d, _)| d.login.as_str())
            .collect();
        report.lost_on_server += usize::from(!on_server);
        report.lost_on_devices += usize::from(!short.is_empty());
        if !on_server || !short.is_empty() {
            report.lost += 1;
            report.problem(format!(
                "acknowledged change to {} lost: on server {on_server}, missing on {short:?}",
                a.doc_id
            ));
        }
    }
    for (device, replica) in devices.iter().zip(&held) {
        let in_scope = |docs: &BTreeMap<Uuid, replicas::Held>| -> BTreeMap<Uuid, Vec<ChangeHash>> {
            docs.iter()
                .filter(|(_, h)| device.units.contains(&h.scope))
                .map(|(id, h)| (*id, h.heads.clone()))
                .collect()
        };
        let (theirs, ours) = (in_scope(&server.docs), in_scope(&replica.docs));
        let ids: BTreeSet<&Uuid> = theirs.keys().chain(ours.keys()).collect();
        for id in ids {
            if theirs.get(id) != ours.get(id) {
                report.diverged_docs += 1;
                report.problem(format!(
                    "{}: document {id} differs from the server's (server {}, device {})",
                    device.login,
                    theirs.contains_key(id),
                    ours.contains_key(id)
                ));
            }
        }
    }
    compare_lists(report, devices)
}

/// Devices of the same scope show the same households and incidents (query tables).
fn compare_lists(report: &mut SoakReport, devices: &[Arc<FieldDevice>]) -> Result<()> {
    let mut first_of_scope: BTreeMap<Vec<Uuid>, usize> = BTreeMap::new();
    for (i, device) in devices.iter().enumerate() {
        let key: Vec<Uuid> = device.units.iter().copied().collect();
        let first = *first_of_scope.entry(key).or_insert(i);
        if first == i {
            continue;
        }
        let (a, b) = (devices[first].client(), device.client());
        let sorted = |mut rows: Vec<String>| {
            rows.sort();
            rows
        };
        let lists = |c: &gridwalk_client::Client| -> Result<Vec<String>> {
            let mut rows: Vec<String> = c
                .households()?
                .iter()
                .map(serde_json::to_string)
                .collect::<Result<_, _>>()?;
            for incident in c.incidents()? {
                rows.push(serde_json::to_string(&incident)?);
            }
            Ok(sorted(rows))
        };
        let (ra, rb) = (lists(a)?, lists(b)?);
        let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) =
            (ra.iter().collect(), rb.iter().collect());
        let differ = sa.symmetric_difference(&sb).count();
        if differ > 0 {
            report.diverged_rows += differ;
            report.problem(format!(
                "{} and {} list {differ} rows differently",
                devices[first].login, device.login
            ));
        }
    }
    Ok(())
}
