//! # gridwalk-store-sqlite
//!
//! The embedded SQLite backend of the sync server's [`gridwalk_store`] traits: one file
//! `DIR/gridwalk-server.sqlite` in WAL mode, one writer connection (`BEGIN IMMEDIATE`, group
//! commit) and a small pool of readers. Also SQLite's online backup and restore.

mod admin_queries;
mod admin_sqlite;
pub mod backup;
mod blob_refs;
mod due;
mod error;
mod group_commit;
mod open311;
mod portable;
mod sqlite_meta;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use gridwalk_shared::model::{RecordKind, ReferenceData};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use gridwalk_store::{StoreError, StoreResult, StoredDoc, Visibility};

pub(crate) use error::{DbError, DbResult};
use group_commit::CommitJob;

/// Reader connections. A read waits for a free one: a connection opened for one read starts
/// with a cold page cache and statement cache, and cost more than the wait under load.
pub(crate) const READERS: usize = 4;

/// SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Arc<Mutex<Connection>>,
    commits: std::sync::mpsc::Sender<CommitJob>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per connection in `readers`.
    free_readers: tokio::sync::Semaphore,
    /// Rounds handed to the writer thread and not yet answered.
    queued_commits: std::sync::atomic::AtomicUsize,
    path: PathBuf,
    epoch: RwLock<Uuid>,
    server_actor: Uuid,
    past_epochs: RwLock<Vec<Uuid>>,
    reference: RwLock<Arc<ReferenceData>>,
}

pub(crate) fn lock_err<T>(_: T) -> StoreError {
    StoreError::Other("a database lock was poisoned by an earlier panic".into())
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn parse_uuid(text: &str) -> DbResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Other(format!("bad id in database: {e}")).into())
}

pub(crate) fn parse_kind(text: &str) -> DbResult<RecordKind> {
    RecordKind::parse(text).ok_or_else(|| StoreError::Other(format!("bad kind `{text}`")).into())
}

/// Page cache of the writer, KiB. A group commit touches pages of every change-log, record
/// and index B-tree; with SQLite's default 2 MiB the writer spilled dirty pages to the WAL
/// in the middle of its transaction.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Page cache of each reader, KiB.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// Opens a connection with a page cache of `cache_kib` KiB. Temporary data (the savepoint
/// journal of each round in a group commit) stays in memory.
fn open_connection(path: &Path, cache_kib: i64) -> DbResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{cache_kib};"
    ))?;
    Ok(conn)
}

impl SqliteStore {
    /// Name of the database file in the data directory.
    pub const FILE_NAME: &'static str = "gridwalk-server.sqlite";

    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> StoreResult<SqliteStore> {
        Ok(Self::open_db(dir)?)
    }

    fn open_db(dir: &Path) -> DbResult<SqliteStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(Self::FILE_NAME);
        let writer = open_connection(&path, WRITER_CACHE_KIB)?;
        writer.execute_batch(include_str!("schema.sql"))?;
        crate::sqlite_meta::migrate(&writer)?;
        writer.execute_batch(include_str!("admin.sql"))?;
        let epoch = crate::sqlite_meta::meta_id(&writer, "epoch")?;
        let server_actor = crate::sqlite_meta::meta_id(&writer, "server_actor")?;
        let past_epochs = crate::sqlite_meta::past_epochs(&writer)?;
        let reference = writer
            .query_row("SELECT data FROM reference WHERE id = 1", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(|json| serde_json::from_str::<ReferenceData>(&json))
            .transpose()
            .map_err(|e| StoreError::Other(format!("stored reference data is corrupt: {e}")))?
            .unwrap_or_default();
        let writer = Arc::new(Mutex::new(writer));
        let readers = (0..READERS)
            .map(|_| open_connection(&path, READER_CACHE_KIB))
            .collect::<DbResult<Vec<_>>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                commits: group_commit::start(writer.clone())?,
                writer,
                readers: Mutex::new(readers),
                free_readers: tokio::sync::Semaphore::new(READERS),
                queued_commits: std::sync::atomic::AtomicUsize::new(0),
                path,
                epoch: RwLock::new(epoch),
                server_actor,
                past_epochs: RwLock::new(past_epochs),
                reference: RwLock::new(Arc::new(reference)),
            }),
        })
    }

    /// Gives the store a new epoch, on the calling thread (restore, with no runtime).
    pub fn new_epoch_blocking(&self) -> StoreResult<Uuid> {
        Ok(self.new_epoch_db()?)
    }

    fn new_epoch_db(&self) -> DbResult<Uuid> {
        let epoch = Uuid::now_v7();
        let conn = self.inner.writer.lock().map_err(lock_err)?;
        let mut past = self.inner.past_epochs.write().map_err(lock_err)?;
        past.push(*self.inner.epoch.read().map_err(lock_err)?);
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('past_epochs', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [serde_json::to_string(&*past).unwrap_or_default()],
        )?;
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'epoch'",
            [epoch.to_string()],
        )?;
        *self.inner.epoch.write().map_err(lock_err)? = epoch;
        Ok(epoch)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with the writer connection on the blocking pool.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        Ok(blocking(move || {
            let mut conn = inner.writer.lock().map_err(lock_err)?;
            f(&mut conn)
        })
        .await?)
    }

    /// Runs `f` with a reader connection on the blocking pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let permit = inner
            .free_readers
            .acquire()
            .await
            .map_err(|_| StoreError::Other("the store is closing".into()))?;
        let result = blocking({
            let inner = inner.clone();
            move || {
                let pooled = inner.readers.lock().map_err(lock_err)?.pop();
                // A permit guarantees a pooled connection; open one only if that ever breaks.
                let mut conn = match pooled {
                    Some(conn) => conn,
                    None => open_connection(&inner.path, READER_CACHE_KIB)?,
                };
                let result = f(&mut conn);
                inner.readers.lock().map_err(lock_err)?.push(conn);
                result
            }
        })
        .await;
        drop(permit);
        Ok(result?)
    }
}

/// One change-log page: ?1 after, ?2 top, ?3 visible units (JSON), ?4 department, ?5 limit,
/// ?6 the device (its own rows are skipped).
///
/// The page's sequence numbers come first, from the covering indexes alone: a range per
/// visible unit on (scope, seq, device_id) and the department's routed documents on
/// (doc_id, seq, device_id). Only then the rows and their data, so other grids' changes are
/// never read (one `OR` over both made SQLite walk every change after the cursor).
pub(crate) const LOG_PAGE: &str = "SELECT c.seq, c.doc_id, c.kind, c.scope, c.data FROM changes c
     WHERE c.seq IN (
         SELECT seq FROM changes
          WHERE scope IN (SELECT value FROM json_each(?3))
            AND seq > ?1 AND seq <= ?2 AND device_id != ?6
         UNION
         SELECT seq FROM changes
          WHERE doc_id IN (SELECT doc_id FROM docs WHERE department = ?4)
            AND seq > ?1 AND seq <= ?2 AND device_id != ?6
         ORDER BY seq LIMIT ?5)
     ORDER BY c.seq";

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> DbResult<T> + Send + 'static,
) -> DbResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("storage task failed: {e}")))?
}

pub(crate) fn visibility_params(v: &Visibility) -> (String, Option<String>) {
    let units: Vec<String> = v.units.iter().map(Uuid::to_string).collect();
    (
        serde_json::Value::from(units).to_string(),
        v.department.map(|d| d.to_string()),
    )
}

/// A `docs` row as read: id, kind, scope, department, snapshot, seq.
type RawDoc = (String, String, String, Option<String>, Vec<u8>, i64);

/// The columns [`stored_doc`] reads, in order.
pub(crate) const DOC_COLUMNS: &str = "doc_id, kind, scope, department, snapshot, seq";

pub(crate) fn stored_doc(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDoc> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

pub(crate) fn to_stored(raw: RawDoc) -> DbResult<StoredDoc> {
    Ok(StoredDoc {
        doc_id: parse_uuid(&raw.0)?,
        kind: parse_kind(&raw.1)?,
        scope: parse_uuid(&raw.2)?,
        department: raw.3.as_deref().map(parse_uuid).transpose()?,
        snapshot: raw.4,
        seq: raw.5.max(0) as u64,
    })
}

/// The change log's high-water mark (survives pruning).
pub(crate) fn top_seq(conn: &Connection) -> DbResult<u64> {
    let top: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(top.unwrap_or(0).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    /// The log page reads `changes` through its indexes only: no scan of the table and no
    /// walk along the sequence, either of which reads every grid's changes after the cursor.
    #[test]
    fn the_log_page_never_scans_the_change_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let conn = store.inner.writer.lock().unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {LOG_PAGE}"))
            .unwrap()
            .query_map(
                params![0, 100, r#"["a","b"]"#, "dept", 5000, "device"],
                |r| r.get::<_, String>(3),
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .all(|step| !step.starts_with("SCAN c") && !step.contains("rowid>?")),
            "{plan:#?}"
        );
        assert!(
            plan.iter().any(|s| s.contains("changes_by_scope_seq"))
                && plan.iter().any(|s| s.contains("changes_by_doc_seq")),
            "{plan:#?}"
        );
    }
}
