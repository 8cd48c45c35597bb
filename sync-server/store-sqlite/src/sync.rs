//! [`Store`], the sync contract, over SQLite: devices, documents, the change log.

use gridwalk_shared::model::ReferenceData;
use gridwalk_store::{
    DeviceAuth, DocWrite, Gauge, LogPage, LogRow, PageSize, SnapshotPage, Store, StoreError,
    StoreResult, StoredDoc, Visibility,
};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::group_commit::CommitJob;
use crate::{
    lock_err, now_ms, parse_kind, parse_uuid, stored_doc, to_stored, top_seq, visibility_params,
    SqliteStore, DOC_COLUMNS, LOG_PAGE,
};

impl Store for SqliteStore {
    fn epoch(&self) -> Uuid {
        self.inner.epoch.read().map(|e| *e).unwrap_or_default()
    }

    fn server_actor(&self) -> Uuid {
        self.inner.server_actor
    }

    async fn new_epoch(&self) -> StoreResult<Uuid> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.new_epoch_blocking())
            .await
            .map_err(|e| StoreError::Other(format!("storage task failed: {e}")))?
    }

    fn is_past_epoch(&self, epoch: Uuid) -> bool {
        self.inner
            .past_epochs
            .read()
            .map(|p| p.contains(&epoch))
            .unwrap_or(false)
    }

    async fn open_recovery(&self, device_id: Uuid, at_ms: i64) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE devices SET recovery_opened = ?1 WHERE device_id = ?2",
                params![at_ms, device_id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    fn reference(&self) -> Arc<ReferenceData> {
        self.inner
            .reference
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    async fn put_reference(&self, mut data: ReferenceData, base: Option<u64>) -> StoreResult<u64> {
        let inner = self.inner.clone();
        self.write(move |conn| {
            let old: Option<i64> = conn
                .query_row("SELECT version FROM reference WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            let current = old.unwrap_or(0) as u64;
            if base.is_some_and(|base| base != current) {
                return Err(StoreError::Conflict(Vec::new()).into());
            }
            data.version = current + 1;
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
                return Err(StoreError::Refused("unknown enrolment code".into()).into());
            };
            if used_at.is_some() {
                return Err(
                    StoreError::Refused("this enrolment code was already used".into()).into(),
                );
            }
            if expires_at < now_ms() {
                return Err(StoreError::Refused("this enrolment code has expired".into()).into());
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
                recovery_opened: None,
            })
        })
        .await
    }

    async fn device_by_token(&self, token_hash: String) -> StoreResult<Option<DeviceAuth>> {
        let reference = self.reference();
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT device_id, user_id, revoked_at IS NOT NULL, app_version,
                            recovery_opened
                     FROM devices WHERE token_hash = ?1",
                    [&token_hash],
                    |r| {
                        let ids: (String, String) = (r.get(0)?, r.get(1)?);
                        Ok((ids, r.get(2)?, r.get(3)?, r.get(4)?))
                    },
                )
                .optional()?;
            let Some(((device_id, user_id), revoked, app_version, recovery_opened)) = row else {
                return Ok(None);
            };
            let Some(user) = reference.user(parse_uuid(&user_id)?).cloned() else {
                return Ok(None);
            };
            Ok(Some(DeviceAuth {
                device_id: parse_uuid(&device_id)?,
                user,
                revoked,
                app_version,
                recovery_opened,
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
                return Err(StoreError::NotFound(format!("active device {device_id}")).into());
            }
            Ok(())
        })
        .await
    }

    async fn load_docs(&self, ids: Vec<Uuid>) -> StoreResult<Vec<StoredDoc>> {
        self.read(move |conn| {
            let json = serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>())
                .to_string();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DOC_COLUMNS} FROM docs
                     WHERE doc_id IN (SELECT value FROM json_each(?1))"
            ))?;
            let raw = stmt
                .query_map([json], stored_doc)?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(to_stored).collect()
        })
        .await
    }

    async fn overdue_incidents(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<Uuid>> {
        self.read(move |conn| crate::due::overdue_incidents(conn, before_ms, limit))
            .await
    }

    async fn commit(&self, device_id: Uuid, writes: Vec<DocWrite>) -> StoreResult<u64> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let _queued = QueuedCommit::new(&self.inner.queued_commits);
        self.inner
            .commits
            .send(CommitJob {
                device_id,
                writes,
                reply,
            })
            .map_err(|_| StoreError::Other("the commit thread has stopped".into()))?;
        Ok(outcome
            .await
            .map_err(|_| StoreError::Other("the commit thread dropped a round".into()))??)
    }

    fn gauges(&self) -> Vec<Gauge> {
        let free = self.inner.free_readers.available_permits();
        vec![
            Gauge {
                name: "gridwalk_db_readers_in_use",
                help: "SQLite reader connections in use (of 4).",
                value: crate::READERS.saturating_sub(free) as f64,
            },
            Gauge {
                name: "gridwalk_db_commits_queued",
                help: "Sync rounds waiting for or in the SQLite group commit.",
                value: self.inner.queued_commits.load(Ordering::Relaxed) as f64,
            },
        ]
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
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DOC_COLUMNS} FROM docs
                     WHERE doc_id > ?1
                       AND (scope IN (SELECT value FROM json_each(?2)) OR department = ?3)
                     ORDER BY doc_id LIMIT ?4"
            ))?;
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

    async fn note_app_version(&self, device_id: Uuid, app_version: String) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE devices SET app_version = ?2 WHERE device_id = ?1",
                params![device_id.to_string(), app_version],
            )?;
            Ok(())
        })
        .await
    }

    async fn note_pending(&self, device_id: Uuid, pending: u64) -> StoreResult<()> {
        let id = device_id.to_string();
        let key = id.clone();
        let known: Option<i64> = self
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT pending FROM device_status WHERE device_id = ?1",
                        [key],
                        |r| r.get(0),
                    )
                    .optional()?)
            })
            .await?;
        if known == Some(pending as i64) {
            return Ok(());
        }
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO device_status (device_id, pending, reported_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id) DO UPDATE SET pending = excluded.pending,
                    reported_at = excluded.reported_at",
                params![id, pending as i64, now_ms()],
            )?;
            Ok(())
        })
        .await
    }
}

/// Counts a round as queued for the writer thread until it is answered or abandoned.
struct QueuedCommit<'a>(&'a AtomicUsize);

impl<'a> QueuedCommit<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        QueuedCommit(count)
    }
}

impl Drop for QueuedCommit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
