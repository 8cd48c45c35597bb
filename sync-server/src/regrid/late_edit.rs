//! Edits that reach a record after it moved to another grid. A device of the grid the record
//! left may have changed it offline before it heard of the move: such an edit still lands,
//! checked as if the record were still in that grid, and reaches the new grid. An edit made
//! after the device received the move (the move is among the edit's ancestors), or arriving
//! more than [`GRACE_MS`] after it, is refused: the old grid's devices no longer write there.

use std::collections::HashSet;

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use gridwalk_shared::model::ReferenceData;
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{Actor, ValidationError};
use gridwalk_shared::workflow::department_of;
use gridwalk_shared::Record;
use uuid::Uuid;

use super::MOVE_MESSAGE;

/// How long after a move edits made without knowing of it are still taken: 30 days.
pub const GRACE_MS: i64 = 30 * 24 * 3600 * 1000;

/// Under which grid an upload's changes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The record's own (the usual case).
    Current,
    /// The grid the record moved out of: a device there edited it before it heard.
    LeftBehind {
        /// The grid the record left.
        from: Uuid,
    },
}

impl Standing {
    /// `record` as the check sees it: in the grid it left, for an edit left behind.
    pub fn view(self, record: Record) -> Record {
        match self {
            Standing::Current => record,
            Standing::LeftBehind { from } => record.in_grid(from).unwrap_or(record),
        }
    }
}

fn moved_away(reason: String) -> ValidationError {
    ValidationError::new("moved", reason)
}

/// How an upload declaring scope `declared` stands towards `record`, stored under another
/// scope and held by `document` with the upload's `new` changes applied.
pub fn standing(
    document: &Automerge,
    new: &[Change],
    record: &Record,
    declared: Uuid,
    actor: &Actor,
    reference: &ReferenceData,
    now: Timestamp,
) -> Result<Standing, ValidationError> {
    if declared == record.scope() {
        return Ok(Standing::Current);
    }
    let writes_there = actor.is_system()
        || (actor.role == gridwalk_shared::model::Role::Department
            && department_of(record) == Some(actor.scope_id))
        || reference.is_within(record.scope(), actor.scope_id);
    if writes_there {
        // The device's copy was from before the move; the actor may write the new grid.
        return Ok(Standing::Current);
    }
    let Some(moved) = last_move_from(document, declared) else {
        return Err(ValidationError::new(
            "immutable_field",
            "a record's scope cannot change",
        ));
    };
    let reason = || {
        let grid = reference
            .unit(record.scope())
            .map_or("another grid", |u| u.name.as_str());
        format!(
            "已移交至{grid}，本网格不能再修改 / moved to {grid}: this grid can no longer change it"
        )
    };
    if now.millis() - moved.timestamp() > GRACE_MS {
        return Err(moved_away(reason()));
    }
    if new.iter().any(|c| descends_from(document, c, moved.hash())) {
        return Err(moved_away(reason()));
    }
    Ok(Standing::LeftBehind { from: declared })
}

/// The latest change in `document` that moved the record out of grid `from`.
fn last_move_from(document: &Automerge, from: Uuid) -> Option<Change> {
    let message = format!("{MOVE_MESSAGE}{from}");
    document
        .get_changes(&[])
        .into_iter()
        .filter(|c| c.message().is_some_and(|m| m == message))
        .max_by_key(|c| c.timestamp())
}

/// Whether `change` was made by someone who already had `ancestor`.
fn descends_from(document: &Automerge, change: &Change, ancestor: ChangeHash) -> bool {
    let mut todo: Vec<ChangeHash> = change.deps().to_vec();
    let mut seen = HashSet::new();
    while let Some(hash) = todo.pop() {
        if hash == ancestor {
            return true;
        }
        if !seen.insert(hash) {
            continue;
        }
        if let Some(parent) = document.get_change_by_hash(&hash) {
            todo.extend_from_slice(parent.deps());
        }
    }
    false
}
