//! Devices in the field: grid workers doing the load generator's day of work
//! ([`crate::load::day`]) through the app core, syncing now and then whether or not the
//! server is up, and leaders' devices that only sync. A device counts its records as
//! acknowledged when a sync succeeded and left its outbox empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use automerge::ChangeHash;
use gridwalk_client::{Client, NewIncident, NewVisit};
use gridwalk_shared::time::Timestamp;
use uuid::Uuid;

use super::replicas::{self, Side};
use crate::load::day::{self, Catalog, Mix};
use crate::Device;

/// Chance of a sync after each piece of work.
const SYNC_CHANCE: f64 = 0.25;
/// Longest pause between two pieces of work, ms.
const MAX_THINK_MS: usize = 150;
/// How often a leader's device syncs, ms.
const LEADER_SYNC_MS: u64 = 400;

/// One device and who holds it.
pub struct FieldDevice {
    /// The device.
    pub device: Device,
    /// Its user's login.
    pub login: String,
    /// Org units the user sees (its scope's subtree).
    pub units: BTreeSet<Uuid>,
    /// Which run of its grid's households it works on (the n-th device in its grid).
    pub slot: usize,
    /// Whether it does field work (grid workers) or only syncs (leaders).
    pub works: bool,
}

impl FieldDevice {
    /// The device's core.
    pub fn client(&self) -> &Client {
        &self.device.client
    }

    /// Its store file.
    pub fn store_path(&self) -> PathBuf {
        self.client().data_dir().join(gridwalk_client::FILE_NAME)
    }
}

/// A record change the server acknowledged to a device, with the device's heads of that
/// document at the time (all on the server by then).
#[derive(Debug, Clone)]
pub struct Acked {
    /// Document.
    pub doc_id: Uuid,
    /// Its org unit.
    pub scope: Uuid,
    /// The device's heads of it when acknowledged.
    pub heads: Vec<ChangeHash>,
    /// Acknowledged while the faults were on (not in the final syncs).
    pub under_faults: bool,
}

/// What one device did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Record changes made (visits, reports, household edits).
    pub written: usize,
    /// Changes acknowledged.
    pub acked: Vec<Acked>,
    /// Changes made and not acknowledged yet (document ids, one per change).
    pub unacked: Vec<Uuid>,
    /// Syncs that succeeded.
    pub syncs_ok: usize,
    /// Syncs that failed (expected while the server is down or a connection is cut).
    pub syncs_failed: usize,
    /// Failed syncs by kind of error.
    pub errors: BTreeMap<String, usize>,
    /// Documents the server refused: id, code, reason.
    pub rejected: Vec<(Uuid, String, String)>,
}

/// A short name for the kind of a sync error.
fn error_kind(e: &gridwalk_client::Error) -> String {
    match e {
        gridwalk_client::Error::Network { .. } => "network".into(),
        gridwalk_client::Error::Server { status, code, .. } => format!("http {status} {code}"),
        other => {
            let text = other.to_string();
            text.chars().take(60).collect()
        }
    }
}

/// One sync; on success with an empty outbox every change made so far is acknowledged.
pub async fn sync(device: &FieldDevice, tally: &mut Tally, under_faults: bool) -> Result<bool> {
    let client = device.client();
    match client.sync().await {
        Ok(report) => {
            tally.syncs_ok += 1;
            tally.rejected.extend(report.rejected);
            if client.pending_changes()? > 0 {
                return Ok(false);
            }
            let ids: BTreeSet<Uuid> = tally.unacked.iter().copied().collect();
            let held = replicas::heads(&device.store_path(), Side::Device, &ids)?;
            let refused: BTreeSet<Uuid> = tally.rejected.iter().map(|r| r.0).collect();
            for doc_id in tally.unacked.drain(..) {
                if refused.contains(&doc_id) {
                    // Counted among the rejected; the server did not take this change.
                    continue;
                }
                let doc = held
                    .get(&doc_id)
                    .with_context(|| format!("{}: document {doc_id} vanished", device.login))?;
                tally.acked.push(Acked {
                    doc_id,
                    scope: doc.scope,
                    heads: doc.heads.clone(),
                    under_faults,
                });
            }
            Ok(true)
        }
        Err(e) => {
            tally.syncs_failed += 1;
            *tally.errors.entry(error_kind(&e)).or_default() += 1;
            Ok(false)
        }
    }
}

/// A piece of a day's work.
#[derive(Debug, Clone, Copy)]
enum Task {
    Visit(usize),
    Report(usize),
    EditPhone(usize),
}

/// The day's work of [`day::day`] in a random order.
fn day_plan(rng: &mut Mix) -> Vec<Task> {
    let mut plan: Vec<Task> = (0..day::VISITS)
        .map(Task::Visit)
        .chain((0..day::INCIDENTS).map(Task::Report))
        .chain((0..day::HOUSEHOLD_EDITS).map(Task::EditPhone))
        .collect();
    for i in (1..plan.len()).rev() {
        plan.swap(i, rng.below(i + 1));
    }
    plan
}

/// Does one piece of work on the device; returns the document changed.
fn perform(
    device: &FieldDevice,
    catalog: &Catalog,
    households: &[Uuid],
    task: Task,
    rng: &mut Mix,
) -> Result<Uuid> {
    let client = device.client();
    let n = households.len();
    let at = Timestamp::from_millis(day::DAY_START_MS);
    let id = match task {
        Task::Visit(i) => client.add_visit(NewVisit {
            household_id: households[(device.slot * day::VISITS + i) % n],
            note: format!("{}，{}", rng.pick(&day::NOTES), rng.pick(&day::NOTES)),
            location: Some(day::location(rng, at)),
            answers: day::answers(&catalog.template, rng),
            template: Some((catalog.template.id, catalog.template.version)),
            follow_up: rng.unit() < 0.1,
        })?,
        Task::Report(i) => client.report_incident(NewIncident {
            category: catalog.categories[i % catalog.categories.len()].clone(),
            description: rng.pick(&day::INCIDENT_TEXT).to_string(),
            location: Some(day::location(rng, at)),
        })?,
        Task::EditPhone(i) => {
            let id = households[(device.slot * day::HOUSEHOLD_EDITS + i) % n];
            let phone = format!("139{:08}", rng.below(100_000_000));
            client.set_household_field(id, "phone", &phone)?;
            id
        }
    };
    Ok(id)
}

/// Works day after day until `stop` is set, syncing after about one piece of work in four
/// and at the end of each day. A grid worker's device must have synced once (it needs the
/// reference data and its households).
pub async fn work(
    device: Arc<FieldDevice>,
    catalog: Arc<Catalog>,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut rng = Mix::new(seed);
    if !device.works {
        while !stop.load(Ordering::SeqCst) {
            sync(&device, &mut tally, true).await?;
            tokio::time::sleep(Duration::from_millis(LEADER_SYNC_MS)).await;
        }
        return Ok(tally);
    }
    let households: Vec<Uuid> = device.client().households()?.iter().map(|h| h.id).collect();
    anyhow::ensure!(!households.is_empty(), "{} has no households", device.login);
    while !stop.load(Ordering::SeqCst) {
        for task in day_plan(&mut rng) {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let id = perform(&device, &catalog, &households, task, &mut rng)
                .with_context(|| format!("{}: {task:?}", device.login))?;
            tally.written += 1;
            tally.unacked.push(id);
            tokio::time::sleep(Duration::from_millis(rng.below(MAX_THINK_MS) as u64)).await;
            if rng.unit() < SYNC_CHANCE {
                sync(&device, &mut tally, true).await?;
            }
        }
        // The day ends with a sync, unless the faults are over (the final syncs follow).
        if !stop.load(Ordering::SeqCst) {
            sync(&device, &mut tally, true).await?;
        }
    }
    Ok(tally)
}

/// Syncs until the device's outbox is empty and a sync succeeded (faults off), at most
/// `attempts` times; returns whether it got there.
pub async fn settle(device: &FieldDevice, tally: &mut Tally, attempts: usize) -> Result<bool> {
    for _ in 0..attempts {
        if sync(device, tally, false).await? {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(false)
}
