//! The embedded SQLite store: one file `DIR/gridwalk-server.sqlite` in WAL mode, one writer
//! connection (`BEGIN IMMEDIATE`) and a small pool of readers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use gridwalk_shared::model::{RecordKind, ReferenceData};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::group_commit::{self, CommitJob};
use super::{
    DeviceAuth, DocWrite, LogPage, LogRow, PageSize, SnapshotPage, Store, StoreError, StoreResult,
    StoredDoc, Visibility,
};

/// Reader connections. A read waits for a free one: a connection opened for one read starts
/// with a cold page cache and statement cache, and cost more than the wait under load.
const READERS: usize = 4;

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
    path: PathBuf,
    epoch: RwLock<Uuid>,
    server_actor: Uuid,
    past_epochs: RwLock<Vec<Uuid>>,
    reference: RwLock<Arc<ReferenceData>>,
}

fn lock_err<T>(_: T) -> StoreError {
    StoreError::Other("a database lock was poisoned by an earlier panic".into())
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn parse_uuid(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Other(format!("bad id in database: {e}")))
}

fn parse_kind(text: &str) -> StoreResult<RecordKind> {
    RecordKind::parse(text).ok_or_else(|| StoreError::Other(format!("bad kind `{text}`")))
}

/// Page cache of the writer, KiB. A group commit touches pages of every change-log, record
/// and index B-tree; with SQLite's default 2 MiB the writer spilled dirty pages to the WAL
/// in the middle of its transaction.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Page cache of each reader, KiB.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// Opens a connection with a page cache of `cache_kib` KiB. Temporary data (the savepoint
/// journal of each round in a group commit) stays in memory.
fn open_connection(path: &Path, cache_kib: i64) -> StoreResult<Connection> {
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
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(Self::FILE_NAME);
        let writer = open_connection(&path, WRITER_CACHE_KIB)?;
        writer.execute_batch(include_str!("schema.sql"))?;
        super::sqlite_meta::migrate(&writer)?;
        writer.execute_batch(include_str!("admin.sql"))?;
        let epoch = super::sqlite_meta::meta_id(&writer, "epoch")?;
        let server_actor = super::sqlite_meta::meta_id(&writer, "server_actor")?;
        let past_epochs = super::sqlite_meta::past_epochs(&writer)?;
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
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                commits: group_commit::start(writer.clone())?,
                writer,
                readers: Mutex::new(readers),
                free_readers: tokio::sync::Semaphore::new(READERS),
                path,
                epoch: RwLock::new(epoch),
                server_actor,
                past_epochs: RwLock::new(past_epochs),
                reference: RwLock::new(Arc::new(reference)),
            }),
        })
    }

    /// Gives the store a new epoch: run after restoring a backup, so devices re-send.
    pub fn new_epoch(&self) -> StoreResult<Uuid> {
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
    pub(super) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = inner.writer.lock().map_err(lock_err)?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` with a reader connection on the blocking pool.
    pub(super) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
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
        result
    }
}

/// One change-log page: ?1 after, ?2 top, ?3 visible units (JSON), ?4 department, ?5 limit,
/// ?6 the device (its own rows are skipped).
///
/// The page's sequence numbers come first, from the covering indexes alone: a range per
/// visible unit on (scope, seq, device_id) and the department's routed documents on
/// (doc_id, seq, device_id). Only then the rows and their data, so other grids' changes are
/// never read (one `OR` over both made SQLite walk every change after the cursor).
const LOG_PAGE: &str = "SELECT c.seq, c.doc_id, c.kind, c.scope, c.data FROM changes c
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

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("storage task failed: {e}")))?
}

fn visibility_params(v: &Visibility) -> (String, Option<String>) {
    let units: Vec<String> = v.units.iter().map(Uuid::to_string).collect();
    (
        serde_json::Value::from(units).to_string(),
        v.department.map(|d| d.to_string()),
    )
}

/// A `docs` row as read: id, kind, scope, department, snapshot.
type RawDoc = (String, String, String, Option<String>, Vec<u8>);

fn stored_doc(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDoc> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_stored(raw: RawDoc) -> StoreResult<StoredDoc> {
    Ok(StoredDoc {
        doc_id: parse_uuid(&raw.0)?,
        kind: parse_kind(&raw.1)?,
        scope: parse_uuid(&raw.2)?,
        department: raw.3.as_deref().map(parse_uuid).transpose()?,
        snapshot: raw.4,
    })
}

/// The change log's high-water mark (survives pruning).
pub(super) fn top_seq(conn: &Connection) -> StoreResult<u64> {
    let top: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(top.unwrap_or(0).max(0) as u64)
}

impl Store for SqliteStore {
    fn epoch(&self) -> Uuid {
        self.inner.epoch.read().map(|e| *e).unwrap_or_default()
    }

    fn server_actor(&self) -> Uuid {
        self.inner.server_actor
    }

    fn is_past_epoch(&self, epoch: Uuid) -> bool {
        self.inner
            .past_epochs
            .read()
            .map(|p| p.contains(&epoch))
            .unwrap_or(false)
    }

    fn reference(&self) -> Arc<ReferenceData> {
        self.inner
            .reference
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    async fn put_reference(&self, mut data: ReferenceData) -> StoreResult<u64> {
        let inner = self.inner.clone();
        self.write(move |conn| {
            let old: Option<i64> = conn
                .query_row("SELECT version FROM reference WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            data.version = old.unwrap_or(0) as u64 + 1;
            let json = serde_json::to_string(&data)
                .map_err(|e| StoreError::Other(format!("cannot encode reference data: {e}")))?;
            conn.execute(
                "INSERT INTO reference (id, version, data) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
                params![data.version as i64, json],
            )?;
            let version = data.version;
            *inner.reference.write().map_err(lock_err)? = Arc::new(data);
            Ok(version)
        })
        .await
    }

    async fn issue_enroll_code(
        &self,
        user_id: Uuid,
        code_hash: String,
        ttl_hours: i64,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO enroll_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![
                    code_hash,
                    user_id.to_string(),
                    now_ms() + ttl_hours * 3_600_000
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(
        &self,
        code_hash: String,
        device_name: String,
        app_version: String,
        token_hash: String,
    ) -> StoreResult<DeviceAuth> {
        let reference = self.reference();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM enroll_codes WHERE code_hash = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((user_id, expires_at, used_at)) = row else {
                return Err(StoreError::Refused("unknown enrolment code".into()));
            };
            if used_at.is_some() {
                return Err(StoreError::Refused(
                    "this enrolment code was already used".into(),
                ));
            }
            if expires_at < now_ms() {
                return Err(StoreError::Refused(
                    "this enrolment code has expired".into(),
                ));
            }
            let user = reference
                .user(parse_uuid(&user_id)?)
                .cloned()
                .ok_or_else(|| StoreError::Refused("the code's user no longer exists".into()))?;
            let device_id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO devices (device_id, user_id, name, app_version, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    device_id.to_string(),
                    user_id,
                    device_name,
                    &app_version,
                    token_hash,
                    now_ms()
                ],
            )?;
            tx.execute(
                "UPDATE enroll_codes SET used_at = ?1, device_id = ?2 WHERE code_hash = ?3",
                params![now_ms(), device_id.to_string(), code_hash],
            )?;
            tx.commit()?;
            Ok(DeviceAuth {
                device_id,
                user,
                revoked: false,
                app_version,
            })
        })
        .await
    }

    async fn device_by_token(&self, token_hash: String) -> StoreResult<Option<DeviceAuth>> {
        let reference = self.reference();
        self.read(move |conn| {
            let row: Option<(String, String, Option<i64>, String)> = conn
                .query_row(
                    "SELECT device_id, user_id, revoked_at, app_version FROM devices
                     WHERE token_hash = ?1",
                    [&token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((device_id, user_id, revoked_at, app_version)) = row else {
                return Ok(None);
            };
            let Some(user) = reference.user(parse_uuid(&user_id)?).cloned() else {
                return Ok(None);
            };
            Ok(Some(DeviceAuth {
                device_id: parse_uuid(&device_id)?,
                user,
                revoked: revoked_at.is_some(),
                app_version,
            }))
        })
        .await
    }

    async fn revoke_device(&self, device_id: Uuid) -> StoreResult<()> {
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE devices SET revoked_at = ?1 WHERE device_id = ?2 AND revoked_at IS NULL",
                params![now_ms(), device_id.to_string()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("active device {device_id}")));
            }
            Ok(())
        })
        .await
    }

    async fn load_docs(&self, ids: Vec<Uuid>) -> StoreResult<Vec<StoredDoc>> {
        self.read(move |conn| {
            let json = serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>())
                .to_string();
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, kind, scope, department, snapshot FROM docs
                 WHERE doc_id IN (SELECT value FROM json_each(?1))",
            )?;
            let raw = stmt
                .query_map([json], stored_doc)?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(to_stored).collect()
        })
        .await
    }

    async fn overdue_incidents(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<Uuid>> {
        self.read(move |conn| super::due::overdue_incidents(conn, before_ms, limit))
            .await
    }

    async fn commit(&self, device_id: Uuid, writes: Vec<DocWrite>) -> StoreResult<u64> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.inner
            .commits
            .send(CommitJob {
                device_id,
                writes,
                reply,
            })
            .map_err(|_| StoreError::Other("the commit thread has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Other("the commit thread dropped a round".into()))?
    }

    async fn top_seq(&self) -> StoreResult<u64> {
        self.read(|conn| top_seq(conn)).await
    }

    async fn log_page(
        &self,
        visibility: Visibility,
        device_id: Uuid,
        after: u64,
        size: PageSize,
    ) -> StoreResult<LogPage> {
        self.read(move |conn| {
            let tx = conn.transaction()?;
            let top = top_seq(&tx)?;
            let (units, department) = visibility_params(&visibility);
            let mut stmt = tx.prepare_cached(LOG_PAGE)?;
            let mut rows = stmt.query(params![
                after as i64,
                top as i64,
                units,
                department,
                size.rows.min(i64::MAX as usize) as i64,
                device_id.to_string()
            ])?;
            let (mut page, mut bytes, mut full) = (Vec::new(), 0usize, false);
            while let Some(r) = rows.next()? {
                let data: Vec<u8> = r.get(4)?;
                if !size.takes(page.len(), bytes, data.len()) {
                    full = true;
                    break;
                }
                bytes += data.len();
                page.push(LogRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    doc_id: parse_uuid(&r.get::<_, String>(1)?)?,
                    kind: parse_kind(&r.get::<_, String>(2)?)?,
                    scope: parse_uuid(&r.get::<_, String>(3)?)?,
                    data,
                });
            }
            let full = full || page.len() >= size.rows;
            let cursor = match (full, page.last()) {
                (true, Some(last)) => last.seq,
                _ => top.max(after),
            };
            Ok(LogPage {
                rows: page,
                cursor,
                more: full,
            })
        })
        .await
    }

    async fn snapshot_page(
        &self,
        visibility: Visibility,
        after: Option<Uuid>,
        size: PageSize,
    ) -> StoreResult<SnapshotPage> {
        self.read(move |conn| {
            let (units, department) = visibility_params(&visibility);
            let after = after.map(|a| a.to_string()).unwrap_or_default();
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, kind, scope, department, snapshot FROM docs
                 WHERE doc_id > ?1
                   AND (scope IN (SELECT value FROM json_each(?2)) OR department = ?3)
                 ORDER BY doc_id LIMIT ?4",
            )?;
            let limit = size.rows.min(i64::MAX as usize) as i64;
            let mut rows = stmt.query(params![after, units, department, limit])?;
            let (mut docs, mut bytes, mut full) = (Vec::new(), 0usize, false);
            while let Some(r) = rows.next()? {
                let raw = stored_doc(r)?;
                if !size.takes(docs.len(), bytes, raw.4.len()) {
                    full = true;
                    break;
                }
                bytes += raw.4.len();
                docs.push(to_stored(raw)?);
            }
            let full = full || docs.len() >= size.rows;
            Ok(SnapshotPage { docs, full })
        })
        .await
    }

    async fn prune_log(&self, seq: u64) -> StoreResult<u64> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute("DELETE FROM changes WHERE seq <= ?1", [seq as i64])?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('log_floor', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)",
                [(seq as i64).to_string()],
            )?;
            tx.commit()?;
            Ok(n as u64)
        })
        .await
    }

    async fn log_floor(&self) -> StoreResult<u64> {
        self.read(|conn| {
            let floor: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'log_floor'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(floor.and_then(|f| f.parse().ok()).unwrap_or(0))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
