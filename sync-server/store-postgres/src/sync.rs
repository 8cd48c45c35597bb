//! [`Store`], the sync contract, over PostgreSQL: epoch, reference data, enrolment, devices
//! and documents. Commits are in `commit.rs`, the change log's reads in `log.rs`.

use std::sync::Arc;

use gridwalk_shared::model::ReferenceData;
use gridwalk_store::{
    DeviceAuth, DocWrite, LogPage, PageSize, SnapshotPage, Store, StoreError, StoreResult,
    StoredDoc, Visibility,
};
use uuid::Uuid;

use crate::notify::{self, Note};
use crate::{lock_err, now_ms, DbResult, PostgresStore};

/// Key of the advisory lock `put_reference` takes, so versions count up across nodes.
const REFERENCE_LOCK: i64 = 0x7265_6665_7265_6e63; // "referenc"

impl Store for PostgresStore {
    fn epoch(&self) -> Uuid {
        self.inner.epoch.read().map(|e| *e).unwrap_or_default()
    }

    fn server_actor(&self) -> Uuid {
        self.inner.server_actor
    }

    async fn new_epoch(&self) -> StoreResult<Uuid> {
        let mut client = self.client().await?;
        let epoch = crate::meta::new_epoch(&mut client, self.inner.node).await?;
        self.reload_epoch(&client).await?;
        Ok(epoch)
    }

    async fn open_recovery(&self, device_id: Uuid, at_ms: i64) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE devices SET recovery_opened = $1 WHERE device_id = $2",
                &[&at_ms, &device_id],
            )
            .await
            .map_err(crate::DbError::from)?;
        Ok(())
    }

    fn is_past_epoch(&self, epoch: Uuid) -> bool {
        self.inner
            .past_epochs
            .read()
            .map(|p| p.contains(&epoch))
            .unwrap_or(false)
    }

    fn reference(&self) -> Arc<ReferenceData> {
        self.cached_reference()
    }

    async fn put_reference(&self, data: ReferenceData, base: Option<u64>) -> StoreResult<u64> {
        Ok(self.put_reference_db(data, base).await?)
    }

    async fn issue_enroll_code(
        &self,
        user_id: Uuid,
        code_hash: String,
        ttl_hours: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO enroll_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                &[&code_hash, &user_id, &(now_ms() + ttl_hours * 3_600_000)],
            )
            .await
            .map_err(crate::DbError::from)?;
        Ok(())
    }

    async fn enroll(
        &self,
        code_hash: String,
        device_name: String,
        app_version: String,
        token_hash: String,
    ) -> StoreResult<DeviceAuth> {
        Ok(self
            .enroll_db(code_hash, device_name, app_version, token_hash)
            .await?)
    }

    async fn device_by_token(&self, token_hash: String) -> StoreResult<Option<DeviceAuth>> {
        Ok(self.device_by_token_db(token_hash).await?)
    }

    async fn revoke_device(&self, device_id: Uuid) -> StoreResult<()> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
                &[&now_ms(), &device_id],
            )
            .await
            .map_err(crate::DbError::from)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("active device {device_id}")));
        }
        Ok(())
    }

    async fn note_pending(&self, device_id: Uuid, pending: u64) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO device_status (device_id, pending, reported_at) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id) DO UPDATE SET pending = excluded.pending,
                    reported_at = excluded.reported_at
                 WHERE device_status.pending <> excluded.pending",
                &[&device_id, &(pending as i64), &now_ms()],
            )
            .await
            .map_err(crate::DbError::from)?;
        Ok(())
    }

    async fn note_app_version(&self, device_id: Uuid, app_version: String) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE devices SET app_version = $2 WHERE device_id = $1",
                &[&device_id, &app_version],
            )
            .await
            .map_err(crate::DbError::from)?;
        Ok(())
    }

    async fn load_docs(&self, ids: Vec<Uuid>) -> StoreResult<Vec<StoredDoc>> {
        Ok(crate::log::load_docs(self, ids).await?)
    }

    async fn commit(&self, device_id: Uuid, writes: Vec<DocWrite>) -> StoreResult<u64> {
        Ok(crate::commit::commit(self, device_id, writes).await?)
    }

    async fn overdue_incidents(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<Uuid>> {
        Ok(crate::admin_queries::overdue_incidents(self, before_ms, limit).await?)
    }

    async fn top_seq(&self) -> StoreResult<u64> {
        let client = self.client().await?;
        Ok(crate::log::top_seq(&**client).await?)
    }

    async fn log_page(
        &self,
        visibility: Visibility,
        device_id: Uuid,
        after: u64,
        size: PageSize,
    ) -> StoreResult<LogPage> {
        Ok(crate::log::log_page(self, visibility, device_id, after, size).await?)
    }

    async fn snapshot_page(
        &self,
        visibility: Visibility,
        after: Option<Uuid>,
        size: PageSize,
    ) -> StoreResult<SnapshotPage> {
        Ok(crate::log::snapshot_page(self, visibility, after, size).await?)
    }

    async fn prune_log(&self, seq: u64) -> StoreResult<u64> {
        Ok(crate::log::prune_log(self, seq).await?)
    }

    async fn log_floor(&self) -> StoreResult<u64> {
        Ok(crate::log::log_floor(self).await?)
    }

    fn gauges(&self) -> Vec<gridwalk_store::Gauge> {
        let status = self.inner.pool.status();
        vec![
            gridwalk_store::Gauge {
                name: "gridwalk_db_connections_in_use",
                help: "PostgreSQL pool connections in use on this node.",
                value: status.size.saturating_sub(status.available) as f64,
            },
            gridwalk_store::Gauge {
                name: "gridwalk_db_connections_waiting",
                help: "Requests waiting for a PostgreSQL pool connection on this node.",
                value: status.waiting as f64,
            },
        ]
    }

    fn commits_elsewhere(
        &self,
    ) -> Option<tokio::sync::broadcast::Receiver<gridwalk_store::Changed>> {
        Some(self.inner.elsewhere.subscribe())
    }
}

impl PostgresStore {
    async fn put_reference_db(&self, mut data: ReferenceData, base: Option<u64>) -> DbResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REFERENCE_LOCK])
            .await?;
        let old: Option<i64> = tx
            .query_opt("SELECT version FROM reference WHERE id = 1", &[])
            .await?
            .map(|r| r.get(0));
        let current = old.unwrap_or(0).max(0) as u64;
        // Worked out from another version: another node's edit landed first.
        if base.is_some_and(|base| base != current) {
            return Err(StoreError::Conflict(Vec::new()).into());
        }
        data.version = current + 1;
        let json = serde_json::to_string(&data)
            .map_err(|e| StoreError::Other(format!("cannot encode reference data: {e}")))?;
        tx.execute(
            "INSERT INTO reference (id, version, data) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
            &[&(data.version as i64), &json],
        )
        .await?;
        let version = data.version;
        let note = Note::Reference {
            node: self.inner.node,
            version,
        };
        notify::send(&tx, &note).await?;
        tx.commit().await?;
        let mut cache = self.inner.reference.write().map_err(lock_err)?;
        if version > cache.version {
            *cache = Arc::new(data);
        }
        Ok(version)
    }

    async fn enroll_db(
        &self,
        code_hash: String,
        device_name: String,
        app_version: String,
        token_hash: String,
    ) -> DbResult<DeviceAuth> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // FOR UPDATE: a second node enrolling with the same code waits, then sees it used.
        let row = tx
            .query_opt(
                "SELECT user_id, expires_at, used_at FROM enroll_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash],
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Refused("unknown enrolment code".into()).into());
        };
        let (user_id, expires_at, used_at): (Uuid, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        if used_at.is_some() {
            return Err(StoreError::Refused("this enrolment code was already used".into()).into());
        }
        if expires_at < now_ms() {
            return Err(StoreError::Refused("this enrolment code has expired".into()).into());
        }
        let user = self
            .user(user_id)
            .await?
            .ok_or_else(|| StoreError::Refused("the code's user no longer exists".into()))?;
        let device_id = Uuid::now_v7();
        tx.execute(
            "INSERT INTO devices (device_id, user_id, name, app_version, token_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &device_id,
                &user_id,
                &device_name,
                &app_version,
                &token_hash,
                &now_ms(),
            ],
        )
        .await?;
        tx.execute(
            "UPDATE enroll_codes SET used_at = $1, device_id = $2 WHERE code_hash = $3",
            &[&now_ms(), &device_id, &code_hash],
        )
        .await?;
        tx.commit().await?;
        Ok(DeviceAuth {
            device_id,
            user,
            revoked: false,
            app_version,
            recovery_opened: None,
        })
    }

    async fn device_by_token_db(&self, token_hash: String) -> DbResult<Option<DeviceAuth>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT device_id, user_id, revoked_at, app_version, recovery_opened
                 FROM devices WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        drop(client);
        let Some(row) = row else {
            return Ok(None);
        };
        let revoked_at: Option<i64> = row.get(2);
        let Some(user) = self.user(row.get(1)).await? else {
            return Ok(None);
        };
        Ok(Some(DeviceAuth {
            device_id: row.get(0),
            user,
            revoked: revoked_at.is_some(),
            app_version: row.get(3),
            recovery_opened: row.get(4),
        }))
    }

    /// A user from the reference data; when the cache lacks them, after a version check (a
    /// user just added on another node, before its notification arrived).
    async fn user(&self, id: Uuid) -> DbResult<Option<gridwalk_shared::model::User>> {
        if let Some(user) = self.cached_reference().user(id) {
            return Ok(Some(user.clone()));
        }
        Ok(self.fresh_reference().await?.user(id).cloned())
    }
}
