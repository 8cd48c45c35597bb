//! The `docs` table (one Automerge document per record) and conflict copies.

use automerge::AutoCommit;
use gridwalk_shared::{doc, model::ReferenceData, time::Timestamp, Record, RecordKind};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::{blobs, queries, uuid_at};
use crate::{Error, Result};

/// A document as held on the device.
pub(crate) struct StoredDoc {
    /// Document (record) id.
    pub id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Scope (org unit), fixed at creation.
    pub scope: Uuid,
    /// The loaded document.
    pub doc: AutoCommit,
}

impl StoredDoc {
    /// The record the document holds.
    pub fn record(&self) -> Result<Record> {
        Ok(doc::read(&self.doc, self.kind)?)
    }
}

fn parse_kind(text: &str) -> Result<RecordKind> {
    RecordKind::parse(text).ok_or_else(|| Error::Corrupt(format!("unknown record kind `{text}`")))
}

/// Loads the document `id`, if held.
pub(crate) fn load(conn: &Connection, id: Uuid) -> Result<Option<StoredDoc>> {
    let row: Option<(String, Uuid, Vec<u8>)> = conn
        .query_row(
            "SELECT kind, scope, data FROM docs WHERE doc_id = ?1",
            [id.to_string()],
            |row| Ok((row.get(0)?, uuid_at(row, 1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((kind, scope, data)) = row else {
        return Ok(None);
    };
    Ok(Some(StoredDoc {
        id,
        kind: parse_kind(&kind)?,
        scope,
        doc: doc::load(&data)?,
    }))
}

/// Every held document id with its kind, ordered by id.
/// Whether the device holds document `id`.
pub(crate) fn holds(conn: &Connection, id: Uuid) -> Result<bool> {
    let mut held = conn.prepare_cached("SELECT 1 FROM docs WHERE doc_id = ?1")?;
    Ok(held.exists([id.to_string()])?)
}

/// Forgets every document, conflict copy and document asked for whole (a new account).
pub(crate) fn forget_all(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM docs; DELETE FROM want_full; DELETE FROM conflict_copies;")?;
    Ok(())
}

/// The records of `kind` held (documents holding no readable record yet are skipped).
pub(crate) fn of_kind(conn: &Connection, kind: RecordKind) -> Result<Vec<Record>> {
    let mut stmt = conn.prepare("SELECT doc_id FROM docs WHERE kind = ?1 ORDER BY doc_id")?;
    let ids = stmt
        .query_map([kind.as_str()], |row| uuid_at(row, 0))?
        .collect::<rusqlite::Result<Vec<Uuid>>>()?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(Ok(record)) = load(conn, id)?.map(|d| d.record()) {
            out.push(record);
        }
    }
    Ok(out)
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<(Uuid, RecordKind)>> {
    let mut stmt = conn.prepare("SELECT doc_id, kind FROM docs ORDER BY doc_id")?;
    let rows = stmt.query_map([], |row| Ok((uuid_at(row, 0)?, row.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (id, kind) = row?;
        Ok((id, parse_kind(&kind)?))
    })
    .collect()
}

/// Ids of the documents of `kind` held.
pub(crate) fn ids_of_kind(conn: &Connection, kind: RecordKind) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare("SELECT doc_id FROM docs WHERE kind = ?1 ORDER BY doc_id")?;
    let rows = stmt.query_map([kind.as_str()], |row| uuid_at(row, 0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<Uuid>>>()?)
}

/// Writes the document and re-derives its query rows and blob references (query rows are
/// cleared if it holds no valid record); the record it holds, if any.
pub(crate) fn save(
    conn: &Connection,
    stored: &mut StoredDoc,
    reference: Option<&ReferenceData>,
    now: Timestamp,
) -> Result<Option<Record>> {
    let content = Content {
        // Uncompressed: DEFLATE on every save was ~15% of a fresh device's CPU.
        data: &stored.doc.save_nocompress(),
        record: doc::read(&stored.doc, stored.kind),
        has_conflict: !doc::conflicts(&stored.doc).is_empty(),
    };
    save_content(
        conn,
        stored.id,
        stored.kind,
        stored.scope,
        content,
        reference,
        now,
    )
}

/// A document's bytes with what was read from it.
pub(crate) struct Content<'a> {
    /// The document as stored (a saved document, or changes that load into one).
    pub data: &'a [u8],
    /// Its record, or why it holds none yet.
    pub record: std::result::Result<Record, doc::DocError>,
    /// Some field holds concurrent values.
    pub has_conflict: bool,
}

/// Writes a document already read (see [`save`]), e.g. one decoded on another thread; the
/// record it holds, if any. The stored scope stays the one it came with: uploads declare it
/// (a record the server moved to another grid is still written as from the grid it left).
pub(crate) fn save_content(
    conn: &Connection,
    id: Uuid,
    kind: RecordKind,
    scope: Uuid,
    content: Content<'_>,
    reference: Option<&ReferenceData>,
    now: Timestamp,
) -> Result<Option<Record>> {
    conn.prepare_cached(
        "INSERT INTO docs (doc_id, kind, scope, data, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )?
    .execute(params![
        id.to_string(),
        kind.as_str(),
        scope.to_string(),
        content.data,
        now.millis()
    ])?;
    queries::clear(conn, id)?;
    match content.record {
        Ok(record) => {
            blobs::refresh_refs(conn, id, &record)?;
            queries::derive(conn, &record, content.has_conflict, reference)?;
            Ok(Some(record))
        }
        Err(e) => {
            tracing::warn!(doc = %id, error = %e, "document holds no readable record yet");
            Ok(None)
        }
    }
}

/// Deletes a document with its outbox and query rows.
pub(crate) fn delete(conn: &Connection, id: Uuid) -> Result<()> {
    conn.execute("DELETE FROM docs WHERE doc_id = ?1", [id.to_string()])?;
    Ok(())
}

/// Keeps the device's version of a rejected document aside for the user.
pub(crate) fn save_conflict_copy(
    conn: &Connection,
    stored: &mut StoredDoc,
    code: &str,
    reason: &str,
    at: Timestamp,
) -> Result<()> {
    conn.execute(
        "INSERT INTO conflict_copies (doc_id, kind, data, code, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            stored.id.to_string(),
            stored.kind.as_str(),
            stored.doc.save(),
            code,
            reason,
            at.millis()
        ],
    )?;
    Ok(())
}

/// A rejected local version kept aside.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConflictCopy {
    /// Row id.
    pub id: i64,
    /// Document id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// The device's record as it was when the server refused it (`None` if unreadable).
    pub record: Option<Record>,
    /// The server's code.
    pub code: String,
    /// The server's reason.
    pub reason: String,
    /// When it was set aside.
    pub at: Timestamp,
}

/// Every conflict copy, oldest first.
pub(crate) fn conflict_copies(conn: &Connection) -> Result<Vec<ConflictCopy>> {
    let mut stmt = conn.prepare(
        "SELECT id, doc_id, kind, data, code, reason, at FROM conflict_copies ORDER BY id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            uuid_at(row, 1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Vec<u8>>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, i64>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (id, doc_id, kind, data, code, reason, at) = row?;
        let kind = parse_kind(&kind)?;
        let record = doc::load(&data).ok().and_then(|d| doc::read(&d, kind).ok());
        Ok(ConflictCopy {
            id,
            doc_id,
            kind,
            record,
            code,
            reason,
            at: Timestamp::from_millis(at),
        })
    })
    .collect()
}

/// Number of documents held and of conflict copies kept.
pub(crate) fn counts(conn: &Connection) -> Result<(usize, usize)> {
    let (docs, copies): (i64, i64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM docs), (SELECT COUNT(*) FROM conflict_copies)",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok((
        usize::try_from(docs).unwrap_or(0),
        usize::try_from(copies).unwrap_or(0),
    ))
}
