//! Blob metadata (`blobs`: one row per file under `DIR/blobs/`) and the blobs each document
//! references (`blob_refs`, derived from the record whenever a document is saved).

use gridwalk_shared::{media::MediaType, Record};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use uuid::Uuid;

use crate::Result;

/// What a blob is to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BlobKind {
    /// A processed photo.
    Photo,
    /// A photo's thumbnail.
    Thumbnail,
    /// An audio note.
    Audio,
}

impl BlobKind {
    fn as_str(self) -> &'static str {
        match self {
            BlobKind::Photo => "photo",
            BlobKind::Thumbnail => "thumbnail",
            BlobKind::Audio => "audio",
        }
    }

    fn parse(text: &str) -> BlobKind {
        match text {
            "thumbnail" => BlobKind::Thumbnail,
            "audio" => BlobKind::Audio,
            _ => BlobKind::Photo,
        }
    }
}

/// One blob held on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BlobRow {
    /// SHA-256, hex.
    pub hash: String,
    /// Photo, thumbnail or audio.
    pub kind: BlobKind,
    /// MIME type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// For thumbnails: the photo they show.
    pub thumbnail_of: Option<String>,
    /// Whether the server holds it (or it came from the server).
    pub uploaded: bool,
    /// Bytes the server has acknowledged so far.
    pub sent: u64,
    /// Audio duration, when known.
    pub duration_ms: Option<u64>,
}

impl BlobRow {
    /// Its media type.
    pub fn media_type(&self) -> MediaType {
        MediaType::from_mime(&self.mime)
    }
}

const COLUMNS: &str = "hash, kind, mime, size, thumbnail_of, uploaded, sent, duration_ms";

fn row(row: &Row<'_>) -> rusqlite::Result<BlobRow> {
    Ok(BlobRow {
        hash: row.get(0)?,
        kind: BlobKind::parse(&row.get::<_, String>(1)?),
        mime: row.get(2)?,
        size: row.get::<_, i64>(3)?.max(0) as u64,
        thumbnail_of: row.get(4)?,
        uploaded: row.get(5)?,
        sent: row.get::<_, i64>(6)?.max(0) as u64,
        duration_ms: row.get::<_, Option<i64>>(7)?.map(|d| d.max(0) as u64),
    })
}

/// Adds a blob row (a blob already held is left as it is).
pub(crate) fn insert(conn: &Connection, blob: &BlobRow, now_ms: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO blobs (hash, kind, mime, size, thumbnail_of, uploaded, sent, duration_ms,
                            created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (hash) DO NOTHING",
        params![
            blob.hash,
            blob.kind.as_str(),
            blob.mime,
            blob.size as i64,
            blob.thumbnail_of,
            blob.uploaded,
            blob.sent as i64,
            blob.duration_ms.map(|d| d as i64),
            now_ms
        ],
    )?;
    Ok(())
}

/// The row of `hash`, if held.
pub(crate) fn get(conn: &Connection, hash: &str) -> Result<Option<BlobRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM blobs WHERE hash = ?1"),
            [hash],
            row,
        )
        .optional()?)
}

/// The thumbnail held for photo `hash`, if any.
pub(crate) fn thumbnail_of(conn: &Connection, hash: &str) -> Result<Option<BlobRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM blobs WHERE thumbnail_of = ?1 LIMIT 1"),
            [hash],
            row,
        )
        .optional()?)
}

/// Blobs the server does not hold yet that a record here references (thumbnails: whose photo
/// is referenced); thumbnails first, so other devices see previews soonest.
pub(crate) fn pending(conn: &Connection) -> Result<Vec<BlobRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM blobs b WHERE uploaded = 0
           AND EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob = coalesce(b.thumbnail_of, b.hash))
         ORDER BY kind = 'thumbnail' DESC, created_at, hash"
    ))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records how many bytes the server holds, and whether that is all of it.
pub(crate) fn set_sent(conn: &Connection, hash: &str, sent: u64, uploaded: bool) -> Result<()> {
    conn.execute(
        "UPDATE blobs SET sent = ?2, uploaded = ?3 WHERE hash = ?1",
        params![hash, sent as i64, uploaded],
    )?;
    Ok(())
}

/// Whether any record held references `hash`.
pub(crate) fn is_referenced(conn: &Connection, hash: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM blob_refs WHERE blob = ?1)",
        [hash],
        |r| r.get(0),
    )?)
}

/// Deletes the row of `hash` and of its thumbnail; returns the rows deleted.
pub(crate) fn delete_with_thumbnail(conn: &Connection, hash: &str) -> Result<Vec<BlobRow>> {
    let mut gone: Vec<BlobRow> = get(conn, hash)?.into_iter().collect();
    gone.extend(thumbnail_of(conn, hash)?);
    for blob in &gone {
        conn.execute("DELETE FROM blobs WHERE hash = ?1", [&blob.hash])?;
    }
    Ok(gone)
}

/// Photos (not thumbnails) the server holds that were stored here before `before_ms`, oldest
/// first: their files can be fetched again ([`crate::Client::blob`]).
pub(crate) fn uploaded_photos_before(conn: &Connection, before_ms: i64) -> Result<Vec<BlobRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM blobs
         WHERE kind = 'photo' AND uploaded = 1 AND sent >= size AND created_at < ?1
         ORDER BY created_at, hash"
    ))?;
    let rows = stmt.query_map([before_ms], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Forgets the row of `hash` alone (its thumbnail's row stays).
pub(crate) fn forget(conn: &Connection, hash: &str) -> Result<()> {
    conn.execute("DELETE FROM blobs WHERE hash = ?1", [hash])?;
    Ok(())
}

/// Re-derives the blob references of a document from its record.
pub(crate) fn refresh_refs(conn: &Connection, doc_id: Uuid, record: &Record) -> Result<()> {
    let id = doc_id.to_string();
    conn.prepare_cached("DELETE FROM blob_refs WHERE doc_id = ?1")?
        .execute([&id])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO blob_refs (blob, doc_id) VALUES (?1, ?2)")?;
    for blob in record.blob_refs() {
        insert.execute(params![blob, id])?;
    }
    Ok(())
}
