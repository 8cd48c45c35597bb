//! Re-gridding (网格调整): a building moved to another grid takes its households and their
//! open visits (unfinished, or flagged for a follow-up) with it. Each record is rewritten by
//! the server actor into the new grid, in a change that names the grid it left
//! ([`MOVE_MESSAGE`]); the store logs that change under the old grid (its devices learn the
//! record left and drop it) and the whole document under the new one (its devices receive
//! it whole). Past visits stay where they were made: history, readable to the community and
//! street. Design: `docs/decisions.md`, "Re-gridding".

mod late_edit;

use automerge::transaction::CommitOptions;
use automerge::Automerge;
use gridwalk_shared::model::{Household, Record, RecordKind, ReferenceData, Visit};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::{doc, validate::validate_record};
use serde::Serialize;
use uuid::Uuid;

pub use late_edit::{standing, Standing, GRACE_MS};

use crate::live::{Changed, Live};
use crate::store::{AdminStore, IndexFilter, Store, StoreError, StoreResult};
use crate::sync::{stored_write, write_as_server_with, DocLocks};

/// The message of a move's change: this prefix, then the id of the grid the record left.
pub const MOVE_MESSAGE: &str = "gridwalk:moved-from ";

/// Records moved per commit.
const PER_COMMIT: usize = 100;

/// What a move took with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct Moved {
    /// Households moved.
    pub households: usize,
    /// Open visits moved with them.
    pub visits: usize,
}

/// Moves every record of `building` found in `units` but outside `to` into grid `to`, as the
/// server: its households and their open visits. Run it after the reference data puts the
/// building in `to`; running it again finishes a move an interruption left half done.
pub async fn move_building_records<S: Store + AdminStore>(
    store: &S,
    locks: &DocLocks,
    live: &Live,
    building: Uuid,
    units: Vec<Uuid>,
    to: Uuid,
) -> StoreResult<Moved> {
    let (households, visits) = records_of(store, building, units, to).await?;
    let moved = Moved {
        households: households.len(),
        visits: visits.len(),
    };
    for chunk in households
        .chunks(PER_COMMIT)
        .chain(visits.chunks(PER_COMMIT))
    {
        move_docs(store, locks, live, chunk, to).await?;
    }
    Ok(moved)
}

/// The building's households outside `to`, and their open visits outside `to`.
async fn records_of<S: AdminStore>(
    store: &S,
    building: Uuid,
    units: Vec<Uuid>,
    to: Uuid,
) -> StoreResult<(Vec<Uuid>, Vec<Uuid>)> {
    let filter = IndexFilter {
        units: units.into_iter().filter(|u| *u != to).collect(),
        ..IndexFilter::default()
    };
    let households: Vec<Uuid> = store
        .index_rows(RecordKind::Household, filter.clone())
        .await?
        .into_iter()
        .filter(|r| {
            serde_json::from_str::<Household>(&r.row.json).is_ok_and(|h| h.building_id == building)
        })
        .map(|r| r.doc_id)
        .collect();
    let visits = store
        .index_rows(RecordKind::Visit, filter)
        .await?
        .into_iter()
        .filter(|r| {
            serde_json::from_str::<Visit>(&r.row.json).is_ok_and(|v| {
                households.contains(&v.household_id) && (v.ended_at.is_none() || v.follow_up)
            })
        })
        .map(|r| r.doc_id)
        .collect();
    Ok((households, visits))
}

/// Moves `ids` into grid `to` in one commit, loading them again if another writer got
/// there first.
async fn move_docs<S: Store>(
    store: &S,
    locks: &DocLocks,
    live: &Live,
    ids: &[Uuid],
    to: Uuid,
) -> StoreResult<()> {
    let reference = store.reference();
    for _attempt in 0..5 {
        let _guards = locks.lock(ids.iter().copied()).await;
        let mut writes = Vec::new();
        for stored in store.load_docs(ids.to_vec()).await? {
            if stored.scope == to {
                continue;
            }
            let from = stored.scope;
            let document = Automerge::load(&stored.snapshot)
                .map_err(|e| StoreError::Other(format!("stored document: {e}")))?;
            let actor = store.server_actor();
            let (document, record, change) =
                match moved(document, stored.kind, from, to, actor, &reference) {
                    Ok(moved) => moved,
                    Err(e) => {
                        tracing::error!(doc = %stored.doc_id, "not moved: {e}");
                        continue;
                    }
                };
            let base = Some(stored.seq);
            let mut write = stored_write(document, record, Vec::new(), vec![change], base);
            write.moved_from = Some(from);
            writes.push(write);
        }
        if writes.is_empty() {
            return Ok(());
        }
        let changed = Changed::of(&writes);
        match store.commit(Uuid::nil(), writes).await {
            Ok(_) => {
                live.notify(changed);
                return Ok(());
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Other(
        "records kept changing during the move: run it again".into(),
    ))
}

/// `document` with its record rewritten from grid `from` into grid `to` by `server_actor`,
/// the record, and the change (whose message names `from`).
fn moved(
    mut document: Automerge,
    kind: RecordKind,
    from: Uuid,
    to: Uuid,
    server_actor: Uuid,
    reference: &ReferenceData,
) -> Result<(Automerge, Record, Vec<u8>), String> {
    let record = doc::read(&document, kind).map_err(|e| e.to_string())?;
    let next = record
        .in_grid(to)
        .ok_or_else(|| format!("a {} does not belong to a grid", kind.as_str()))?;
    validate_record(&next, reference).map_err(|e| e.to_string())?;
    let options = CommitOptions::default()
        .with_message(format!("{MOVE_MESSAGE}{from}"))
        .with_time(Timestamp::from(chrono::Utc::now()).millis());
    let change = write_as_server_with(&mut document, &next, server_actor, options)
        .map_err(|e| e.to_string())?;
    Ok((document, next, change))
}

#[cfg(test)]
mod tests;
