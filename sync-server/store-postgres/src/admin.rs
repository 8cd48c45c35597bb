//! [`AdminStore`] over PostgreSQL: accounts and the lock-out (shared by every node: each
//! attempt is one conditional `UPDATE` on the account row), sessions, API tokens, the audit
//! log and device listings. The dashboard queries are in `admin_queries.rs`.

use gridwalk_shared::model::RecordKind;
use gridwalk_store::{
    Account, AdminStore, Attempt, AuditEntry, AuditQuery, DeviceInfo, HouseholdPlace, IndexFilter,
    IndexedRecord, Session, StoreResult, VisitCounts,
};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::admin_queries as queries;
use crate::{now_ms, DbResult, PostgresStore};

/// Counts one sign-in attempt of user $1 at $3 unless the account is locked; the $2-th in a
/// row locks it until $4 (and starts the count again). No row: locked, or no account.
/// Concurrent attempts on any node queue on the row and each sees the one before.
const COUNT_ATTEMPT: &str = "UPDATE admin_accounts
     SET failures = CASE WHEN failures + 1 >= $2::bigint THEN 0 ELSE failures + 1 END,
         locked_until = CASE WHEN failures + 1 >= $2::bigint THEN $4::bigint ELSE NULL END,
         updated_at = $3::bigint
     WHERE user_id = $1 AND (locked_until IS NULL OR locked_until <= $3::bigint)
     RETURNING failures, locked_until";

/// Revokes the live API token of user $1 named $2 at $3.
const REVOKE_API_TOKEN: &str = "UPDATE api_tokens SET revoked_at = $3
     WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL";

const DEVICE_COLUMNS: &str = "d.device_id, d.user_id, d.name, d.app_version, d.created_at,
    d.last_sync_at, d.revoked_at, s.pending
    FROM devices d LEFT JOIN device_status s ON s.device_id = d.device_id";

const AUDIT_COLUMNS: &str =
    "id, at, actor_id, actor_login, actor_scope, action, target, detail, ok, ip";

fn to_audit(r: &Row) -> AuditEntry {
    AuditEntry {
        id: r.get(0),
        at: r.get(1),
        actor_id: r.get(2),
        actor_login: r.get(3),
        actor_scope: r.get(4),
        action: r.get(5),
        target: r.get(6),
        detail: r.get(7),
        ok: r.get(8),
        ip: r.get(9),
    }
}

fn to_device(r: &Row) -> DeviceInfo {
    DeviceInfo {
        device_id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        app_version: r.get(3),
        created_at: r.get(4),
        last_sync_at: r.get(5),
        revoked_at: r.get(6),
        pending_changes: r.get::<_, Option<i64>>(7).map(|p| p.max(0) as u64),
    }
}

impl PostgresStore {
    /// Runs one statement; the rows it changed.
    async fn run(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> DbResult<u64> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        Ok(client.execute(&stmt, params).await?)
    }

    /// Runs one query; its rows.
    pub(crate) async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> DbResult<Vec<Row>> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        Ok(client.query(&stmt, params).await?)
    }

    async fn sign_in_attempt_db(
        &self,
        user_id: Uuid,
        lock_after: u32,
        now: i64,
        lock_until: i64,
    ) -> DbResult<Attempt> {
        let counted = self
            .rows(
                COUNT_ATTEMPT,
                &[&user_id, &i64::from(lock_after), &now, &lock_until],
            )
            .await?;
        if let Some(r) = counted.first() {
            let locked_until: Option<i64> = r.get(1);
            return Ok(Attempt::Counted {
                failures: r.get::<_, i64>(0).max(0) as u32,
                locks: locked_until.is_some(),
            });
        }
        let until = self
            .rows(
                "SELECT locked_until FROM admin_accounts WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
        Ok(match until.first() {
            None => Attempt::NoAccount,
            Some(r) => Attempt::Locked {
                until: r.get::<_, Option<i64>>(0).unwrap_or(now),
            },
        })
    }

    async fn create_session_db(&self, token_hash: String, session: Session) -> DbResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "DELETE FROM admin_sessions WHERE expires_at < $1",
            &[&now_ms()],
        )
        .await?;
        tx.execute(
            "INSERT INTO admin_sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &token_hash,
                &session.user_id,
                &session.csrf,
                &now_ms(),
                &session.expires_at,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE admin_accounts SET failures = 0, locked_until = NULL WHERE user_id = $1",
            &[&session.user_id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn issue_api_token_db(
        &self,
        token_hash: String,
        user_id: Uuid,
        name: String,
    ) -> DbResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let now = now_ms();
        tx.execute(REVOKE_API_TOKEN, &[&user_id, &name, &now])
            .await?;
        tx.execute(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at)
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user_id, &name, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn search_audit_db(&self, q: AuditQuery) -> DbResult<Vec<AuditEntry>> {
        let text = q.text.filter(|t| !t.is_empty()).map(|t| format!("%{t}%"));
        let action = q.action.filter(|a| !a.is_empty()).map(|a| format!("{a}%"));
        let rows = self
            .rows(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log
                     WHERE ($1::uuid[] IS NULL OR actor_scope = ANY($1))
                       AND ($2::text IS NULL OR actor_login ILIKE $2 OR action ILIKE $2
                            OR target ILIKE $2 OR detail ILIKE $2)
                       AND ($3::text IS NULL OR action ILIKE $3)
                       AND ($4::bigint IS NULL OR at >= $4) AND ($5::bigint IS NULL OR at < $5)
                       AND ($6::bigint IS NULL OR id < $6)
                     ORDER BY id DESC LIMIT $7"
                ),
                &[
                    &q.scopes,
                    &text,
                    &action,
                    &q.from,
                    &q.to,
                    &q.before,
                    &(q.limit.min(i64::MAX as usize) as i64),
                ],
            )
            .await?;
        Ok(rows.iter().map(to_audit).collect())
    }
}

impl AdminStore for PostgresStore {
    async fn set_password(&self, user_id: Uuid, password_hash: String) -> StoreResult<()> {
        self.run(
            "INSERT INTO admin_accounts (user_id, password_hash, failures, updated_at)
             VALUES ($1, $2, 0, $3)
             ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,
                failures = 0, locked_until = NULL, updated_at = excluded.updated_at",
            &[&user_id, &password_hash, &now_ms()],
        )
        .await?;
        Ok(())
    }

    async fn account(&self, user_id: Uuid) -> StoreResult<Option<Account>> {
        let rows = self
            .rows(
                "SELECT password_hash, failures, locked_until FROM admin_accounts
                 WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
        Ok(rows.first().map(|r| Account {
            user_id,
            password_hash: r.get(0),
            failures: r.get::<_, i64>(1).max(0) as u32,
            locked_until: r.get(2),
        }))
    }

    async fn sign_in_attempt(
        &self,
        user_id: Uuid,
        lock_after: u32,
        now: i64,
        lock_until: i64,
    ) -> StoreResult<Attempt> {
        Ok(self
            .sign_in_attempt_db(user_id, lock_after, now, lock_until)
            .await?)
    }

    async fn create_session(&self, token_hash: String, session: Session) -> StoreResult<()> {
        Ok(self.create_session_db(token_hash, session).await?)
    }

    async fn session(&self, token_hash: String) -> StoreResult<Option<Session>> {
        let rows = self
            .rows(
                "SELECT user_id, csrf, expires_at FROM admin_sessions
                 WHERE token_hash = $1 AND expires_at > $2",
                &[&token_hash, &now_ms()],
            )
            .await?;
        Ok(rows.first().map(|r| Session {
            user_id: r.get(0),
            csrf: r.get(1),
            expires_at: r.get(2),
        }))
    }

    async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        self.run(
            "DELETE FROM admin_sessions WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user_id: Uuid) -> StoreResult<()> {
        self.run("DELETE FROM admin_sessions WHERE user_id = $1", &[&user_id])
            .await?;
        Ok(())
    }

    async fn issue_api_token(
        &self,
        token_hash: String,
        user_id: Uuid,
        name: String,
    ) -> StoreResult<()> {
        Ok(self.issue_api_token_db(token_hash, user_id, name).await?)
    }

    async fn revoke_api_token(&self, user_id: Uuid, name: String) -> StoreResult<bool> {
        Ok(self
            .run(REVOKE_API_TOKEN, &[&user_id, &name, &now_ms()])
            .await?
            > 0)
    }

    async fn api_token_user(&self, token_hash: String) -> StoreResult<Option<Uuid>> {
        let rows = self
            .rows(
                "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash],
            )
            .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    async fn append_audit(&self, e: AuditEntry) -> StoreResult<i64> {
        let rows = self
            .rows(
                "INSERT INTO audit_log (at, actor_id, actor_login, actor_scope, action, target,
                    detail, ok, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &e.at,
                    &e.actor_id,
                    &e.actor_login,
                    &e.actor_scope,
                    &e.action,
                    &e.target,
                    &e.detail,
                    &e.ok,
                    &e.ip,
                ],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| r.get(0)))
    }

    async fn search_audit(&self, query: AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        Ok(self.search_audit_db(query).await?)
    }

    async fn devices_of(&self, user_ids: Vec<Uuid>) -> StoreResult<Vec<DeviceInfo>> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {DEVICE_COLUMNS} WHERE d.user_id = ANY($1)
                     ORDER BY d.created_at DESC, d.device_id"
                ),
                &[&user_ids],
            )
            .await?;
        Ok(rows.iter().map(to_device).collect())
    }

    async fn device(&self, device_id: Uuid) -> StoreResult<Option<DeviceInfo>> {
        let rows = self
            .rows(
                &format!("SELECT {DEVICE_COLUMNS} WHERE d.device_id = $1"),
                &[&device_id],
            )
            .await?;
        Ok(rows.first().map(to_device))
    }

    async fn household_addresses(&self, grids: Vec<Uuid>) -> StoreResult<Vec<(Uuid, String)>> {
        Ok(queries::household_addresses(self, grids).await?)
    }

    async fn addresses_of(&self, households: Vec<Uuid>) -> StoreResult<Vec<HouseholdPlace>> {
        Ok(queries::addresses_of(self, households).await?)
    }

    async fn household_count(&self, units: Vec<Uuid>) -> StoreResult<u64> {
        Ok(queries::household_count(self, units).await?)
    }

    async fn index_rows(
        &self,
        kind: RecordKind,
        filter: IndexFilter,
    ) -> StoreResult<Vec<IndexedRecord>> {
        Ok(queries::index_rows(self, kind, filter).await?)
    }

    async fn visit_counts(
        &self,
        filter: IndexFilter,
        utc_offset_minutes: i32,
    ) -> StoreResult<VisitCounts> {
        Ok(queries::visit_counts(self, filter, utc_offset_minutes).await?)
    }

    async fn last_visits(&self, filter: IndexFilter) -> StoreResult<Vec<(Uuid, i64)>> {
        Ok(queries::last_visits(self, filter).await?)
    }
}
