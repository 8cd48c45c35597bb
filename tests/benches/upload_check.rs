//! Upload check benchmark (release): the server's CPU time to check one uploaded document
//! (`gridwalk_server::sync::check_upload`: apply the changes, read the record, validate), per
//! kind of document in a grid worker's day, on one thread, without HTTP or SQLite. The
//! many-device phase of `gridwalk-loadgen` measures the whole round; this isolates the part
//! that grows with every document. Prints a Markdown table for `docs/benchmarks.md`.
//!
//! `cargo bench -p gridwalk-tests --bench upload_check`

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use gridwalk_server::seed;
use gridwalk_server::store::StoredDoc;
use gridwalk_server::sync::{check_upload, Receipt};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Record, RecordKind, Role};
use gridwalk_shared::validate::Actor;
use gridwalk_tests::load::day::{self, Catalog, HouseholdDoc, Mix};

/// Days of work checked (27 documents each).
const DAYS: usize = 60;
/// Times the whole set is checked; the fastest pass counts.
const PASSES: usize = 5;

fn main() -> Result<()> {
    let demo = seed::demo(7);
    let reference = demo.reference;
    let worker = reference
        .users
        .iter()
        .find(|u| u.role == Role::GridWorker)
        .context("the demo has no grid worker")?;
    let actor = Actor {
        user_id: worker.id,
        role: worker.role,
        scope_id: worker.scope_id,
    };
    // The server's side: its actor, and the receipt time it stamps (and dispatches at).
    let receipt = Receipt {
        server_actor: uuid::Uuid::now_v7(),
        now: gridwalk_shared::time::Timestamp::from(chrono::Utc::now()),
        recovering: false,
    };
    let mut households = Vec::new();
    let mut stored = HashMap::new();
    for household in demo
        .households
        .iter()
        .filter(|h| h.grid_id == worker.scope_id)
    {
        let record = Record::Household(household.clone());
        let snapshot = doc::create(&record)?.save();
        stored.insert(
            household.id,
            StoredDoc {
                doc_id: household.id,
                kind: RecordKind::Household,
                scope: household.grid_id,
                department: None,
                snapshot: snapshot.clone(),
                seq: 1,
            },
        );
        households.push(HouseholdDoc {
            record: household.clone(),
            snapshot,
        });
    }
    let catalog = Catalog::of(&reference)?;
    let mut rng = Mix::new(7);
    let mut work = Vec::new();
    for slot in 0..DAYS {
        work.extend(day::day(&catalog, &mut rng, worker.id, &households, slot)?);
    }

    // Fastest of PASSES per kind: the machine is shared, the minimum is the cost.
    let mut best: BTreeMap<&str, (usize, Duration)> = BTreeMap::new();
    for _ in 0..PASSES {
        let mut pass: BTreeMap<&str, (usize, Duration)> = BTreeMap::new();
        for w in &work {
            let kind = match w.record {
                Record::Household(_) => "household edit",
                ref other => other.kind().as_str(),
            };
            let existing: Option<&StoredDoc> = stored.get(&w.upload.doc_id);
            let start = Instant::now();
            let checked = check_upload(existing, &w.upload, &actor, &reference, receipt);
            let spent = start.elapsed();
            checked
                .map_err(|r| anyhow::anyhow!("{}: {}", r.code, r.reason))?
                .context("an upload with nothing new")?;
            let entry = pass.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += spent;
        }
        for (kind, (n, spent)) in pass {
            let entry = best.entry(kind).or_insert((n, spent));
            entry.1 = entry.1.min(spent);
        }
    }

    println!("| document | checked | µs per document |");
    println!("|---|---|---|");
    let mut per_day = 0.0;
    for (kind, (n, spent)) in &best {
        let micros = spent.as_secs_f64() * 1e6 / *n as f64;
        per_day += micros * (*n as f64 / DAYS as f64);
        println!("| {kind} | {n} | {micros:.0} |");
    }
    println!(
        "\none day's work ({} documents): {:.2} ms of one core",
        day::RECORDS,
        per_day / 1000.0
    );
    Ok(())
}
