//! The outbox: one row per local Automerge change not yet acknowledged by the server.

use automerge::Change;
use gridwalk_shared::RecordKind;
use rusqlite::{params, Connection};
use uuid::Uuid;

use super::uuid_at;
use crate::{Error, Result};

/// Unsent changes of one document, oldest first.
pub(crate) struct PendingDoc {
    /// Document id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Scope.
    pub scope: Uuid,
    /// Outbox row ids and raw change bytes.
    pub rows: Vec<(i64, Vec<u8>)>,
}

/// How much one request may carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most documents.
    pub docs: usize,
    /// Most changes.
    pub changes: usize,
    /// Most change bytes (a request always carries at least one change).
    pub bytes: usize,
}

/// Appends a document's new changes.
pub(crate) fn push<'a>(
    conn: &Connection,
    doc_id: Uuid,
    changes: impl IntoIterator<Item = &'a Change>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached("INSERT INTO outbox (doc_id, change) VALUES (?1, ?2)")?;
    for change in changes {
        stmt.execute(params![doc_id.to_string(), change.raw_bytes()])?;
    }
    Ok(())
}

/// Replaces a document's outbox rows with `changes` (all of them, for a re-upload).
pub(crate) fn replace<'a>(
    conn: &Connection,
    doc_id: Uuid,
    changes: impl IntoIterator<Item = &'a Change>,
) -> Result<()> {
    drop_doc(conn, doc_id)?;
    push(conn, doc_id, changes)
}

/// Number of unsent changes.
pub(crate) fn pending(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The oldest unsent changes within `limits`, grouped per document (oldest document first),
/// and whether more remain.
pub(crate) fn batch(conn: &Connection, limits: Limits) -> Result<(Vec<PendingDoc>, bool)> {
    let mut stmt = conn.prepare(
        "SELECT o.id, o.doc_id, d.kind, d.scope, o.change
         FROM outbox o JOIN docs d ON d.doc_id = o.doc_id
         ORDER BY (SELECT MIN(m.id) FROM outbox m WHERE m.doc_id = o.doc_id), o.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut docs: Vec<PendingDoc> = Vec::new();
    let (mut changes, mut bytes) = (0usize, 0usize);
    while let Some(row) = rows.next()? {
        let (id, doc_id, change): (i64, Uuid, Vec<u8>) =
            (row.get(0)?, uuid_at(row, 1)?, row.get(4)?);
        let new_doc = docs.last().is_none_or(|d| d.doc_id != doc_id);
        let full = changes >= limits.changes
            || (changes > 0 && bytes + change.len() > limits.bytes)
            || (new_doc && docs.len() >= limits.docs);
        if full {
            return Ok((docs, true));
        }
        if new_doc {
            let kind: String = row.get(2)?;
            docs.push(PendingDoc {
                doc_id,
                kind: RecordKind::parse(&kind)
                    .ok_or_else(|| Error::Corrupt(format!("unknown record kind `{kind}`")))?,
                scope: uuid_at(row, 3)?,
                rows: Vec::new(),
            });
        }
        changes += 1;
        bytes += change.len();
        if let Some(doc) = docs.last_mut() {
            doc.rows.push((id, change));
        }
    }
    Ok((docs, false))
}

/// Deletes a document's rows up to and including `max_id` (acknowledged by the server).
pub(crate) fn ack(conn: &Connection, doc_id: Uuid, max_id: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM outbox WHERE doc_id = ?1 AND id <= ?2",
        params![doc_id.to_string(), max_id],
    )?;
    Ok(())
}

/// Whether the device holds unsent changes of a document.
pub(crate) fn holds_unsent(conn: &Connection, doc_id: Uuid) -> Result<bool> {
    let rows: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE doc_id = ?1",
        [doc_id.to_string()],
        |row| row.get(0),
    )?;
    Ok(rows > 0)
}

/// Deletes every row of a document.
pub(crate) fn drop_doc(conn: &Connection, doc_id: Uuid) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE doc_id = ?1", [doc_id.to_string()])?;
    Ok(())
}
