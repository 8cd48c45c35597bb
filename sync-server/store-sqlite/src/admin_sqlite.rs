//! [`AdminStore`] for the embedded SQLite store (tables in `admin.sql`).

use gridwalk_shared::model::RecordKind;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

use gridwalk_store::{
    Account, AdminStore, Attempt, AuditEntry, AuditQuery, DeviceInfo, HouseholdPlace, IndexFilter,
    IndexedRecord, Session, StoreResult, VisitCounts,
};

use crate::admin_queries as queries;
use crate::{now_ms, parse_uuid, DbResult, SqliteStore};

pub(crate) fn ids_json(ids: &[Uuid]) -> String {
    serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}

pub(crate) fn opt_uuid(text: Option<String>) -> DbResult<Option<Uuid>> {
    text.as_deref().map(parse_uuid).transpose()
}

fn account(conn: &Connection, user_id: Uuid) -> DbResult<Option<Account>> {
    let row: Option<(String, i64, Option<i64>)> = conn
        .query_row(
            "SELECT password_hash, failures, locked_until FROM admin_accounts WHERE user_id = ?1",
            [user_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.map(|(password_hash, failures, locked_until)| Account {
        user_id,
        password_hash,
        failures: failures.max(0) as u32,
        locked_until,
    }))
}

type RawAudit = (
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    String,
    bool,
    String,
);

fn raw_audit(r: &Row<'_>) -> rusqlite::Result<RawAudit> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn to_audit(raw: RawAudit) -> DbResult<AuditEntry> {
    let (id, at, actor_id, actor_login, actor_scope, action, target, detail, ok, ip) = raw;
    Ok(AuditEntry {
        id,
        at,
        actor_id: opt_uuid(actor_id)?,
        actor_login,
        actor_scope: opt_uuid(actor_scope)?,
        action,
        target,
        detail,
        ok,
        ip,
    })
}

type RawDevice = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn raw_device(r: &Row<'_>) -> rusqlite::Result<RawDevice> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn to_device(raw: RawDevice) -> DbResult<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: parse_uuid(&raw.0)?,
        user_id: parse_uuid(&raw.1)?,
        name: raw.2,
        app_version: raw.3,
        created_at: raw.4,
        last_sync_at: raw.5,
        revoked_at: raw.6,
        pending_changes: raw.7.map(|p| p.max(0) as u64),
    })
}

const DEVICE_COLUMNS: &str = "d.device_id, d.user_id, d.name, d.app_version, d.created_at,
    d.last_sync_at, d.revoked_at, s.pending
    FROM devices d LEFT JOIN device_status s ON s.device_id = d.device_id";

/// Revokes the live API token of user ?1 named ?2 at ?3.
const REVOKE_API_TOKEN: &str = "UPDATE api_tokens SET revoked_at = ?3
     WHERE user_id = ?1 AND name = ?2 AND revoked_at IS NULL";

/// Counts one sign-in attempt of user ?1 at ?3 unless the account is locked; the ?2-th in a
/// row locks it until ?4 (and starts the count again). No row: locked, or no account.
const COUNT_ATTEMPT: &str = "UPDATE admin_accounts
     SET failures = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE failures + 1 END,
         locked_until = CASE WHEN failures + 1 >= ?2 THEN ?4 ELSE NULL END,
         updated_at = ?3
     WHERE user_id = ?1 AND (locked_until IS NULL OR locked_until <= ?3)
     RETURNING failures, locked_until";

impl AdminStore for SqliteStore {
    async fn set_password(&self, user_id: Uuid, password_hash: String) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO admin_accounts (user_id, password_hash, failures, updated_at)
                 VALUES (?1, ?2, 0, ?3)
                 ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,
                    failures = 0, locked_until = NULL, updated_at = excluded.updated_at",
                params![user_id.to_string(), password_hash, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    async fn account(&self, user_id: Uuid) -> StoreResult<Option<Account>> {
        self.read(move |conn| account(conn, user_id)).await
    }

    async fn sign_in_attempt(
        &self,
        user_id: Uuid,
        lock_after: u32,
        now: i64,
        lock_until: i64,
    ) -> StoreResult<Attempt> {
        self.write(move |conn| {
            let id = user_id.to_string();
            let counted: Option<(i64, Option<i64>)> = conn
                .query_row(
                    COUNT_ATTEMPT,
                    params![id, lock_after, now, lock_until],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((failures, locked_until)) = counted {
                return Ok(Attempt::Counted {
                    failures: failures.max(0) as u32,
                    locks: locked_until.is_some(),
                });
            }
            let until: Option<Option<i64>> = conn
                .query_row(
                    "SELECT locked_until FROM admin_accounts WHERE user_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(match until {
                None => Attempt::NoAccount,
                Some(until) => Attempt::Locked {
                    until: until.unwrap_or(now),
                },
            })
        })
        .await
    }

    async fn create_session(&self, token_hash: String, session: Session) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let user = session.user_id.to_string();
            tx.execute(
                "DELETE FROM admin_sessions WHERE expires_at < ?1",
                [now_ms()],
            )?;
            tx.execute(
                "INSERT INTO admin_sessions (token_hash, user_id, csrf, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, user, session.csrf, now_ms(), session.expires_at],
            )?;
            tx.execute(
                "UPDATE admin_accounts SET failures = 0, locked_until = NULL WHERE user_id = ?1",
                [user],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_hash: String) -> StoreResult<Option<Session>> {
        self.read(move |conn| {
            let row: Option<(String, String, i64)> = conn
                .query_row(
                    "SELECT user_id, csrf, expires_at FROM admin_sessions
                     WHERE token_hash = ?1 AND expires_at > ?2",
                    params![token_hash, now_ms()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            row.map(|(user, csrf, expires_at)| {
                Ok(Session {
                    user_id: parse_uuid(&user)?,
                    csrf,
                    expires_at,
                })
            })
            .transpose()
        })
        .await
    }

    async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM admin_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_sessions_of(&self, user_id: Uuid) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM admin_sessions WHERE user_id = ?1",
                [user_id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn issue_api_token(
        &self,
        token_hash: String,
        user_id: Uuid,
        name: String,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let user = user_id.to_string();
            let now = now_ms();
            tx.execute(REVOKE_API_TOKEN, params![user, name, now])?;
            tx.execute(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user, name, now],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn revoke_api_token(&self, user_id: Uuid, name: String) -> StoreResult<bool> {
        self.write(move |conn| {
            let revoked = conn.execute(
                REVOKE_API_TOKEN,
                params![user_id.to_string(), name, now_ms()],
            )?;
            Ok(revoked > 0)
        })
        .await
    }

    async fn api_token_user(&self, token_hash: String) -> StoreResult<Option<Uuid>> {
        self.read(move |conn| {
            let user: Option<String> = conn
                .query_row(
                    "SELECT user_id FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                    [token_hash],
                    |r| r.get(0),
                )
                .optional()?;
            user.map(|u| parse_uuid(&u)).transpose()
        })
        .await
    }

    async fn append_audit(&self, e: AuditEntry) -> StoreResult<i64> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO audit_log (at, actor_id, actor_login, actor_scope, action, target,
                    detail, ok, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    e.at,
                    e.actor_id.map(|u| u.to_string()),
                    e.actor_login,
                    e.actor_scope.map(|u| u.to_string()),
                    e.action,
                    e.target,
                    e.detail,
                    e.ok,
                    e.ip
                ],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn search_audit(&self, q: AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        self.read(move |conn| {
            let scopes = q.scopes.as_deref().map(ids_json);
            let text = q.text.filter(|t| !t.is_empty()).map(|t| format!("%{t}%"));
            let action = q.action.filter(|a| !a.is_empty()).map(|a| format!("{a}%"));
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, actor_id, actor_login, actor_scope, action, target, detail, ok, ip
                 FROM audit_log
                 WHERE (?1 IS NULL OR actor_scope IN (SELECT value FROM json_each(?1)))
                   AND (?2 IS NULL OR actor_login LIKE ?2 OR action LIKE ?2 OR target LIKE ?2
                        OR detail LIKE ?2)
                   AND (?3 IS NULL OR action LIKE ?3)
                   AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)
                   AND (?6 IS NULL OR id < ?6)
                 ORDER BY id DESC LIMIT ?7",
            )?;
            let raw = stmt
                .query_map(
                    params![scopes, text, action, q.from, q.to, q.before, q.limit as i64],
                    raw_audit,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(to_audit).collect()
        })
        .await
    }

    async fn devices_of(&self, user_ids: Vec<Uuid>) -> StoreResult<Vec<DeviceInfo>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS}
                 WHERE d.user_id IN (SELECT value FROM json_each(?1))
                 ORDER BY d.created_at DESC, d.device_id"
            ))?;
            let raw = stmt
                .query_map([ids_json(&user_ids)], raw_device)?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(to_device).collect()
        })
        .await
    }

    async fn device(&self, device_id: Uuid) -> StoreResult<Option<DeviceInfo>> {
        self.read(move |conn| {
            let raw = conn
                .query_row(
                    &format!("SELECT {DEVICE_COLUMNS} WHERE d.device_id = ?1"),
                    [device_id.to_string()],
                    raw_device,
                )
                .optional()?;
            raw.map(to_device).transpose()
        })
        .await
    }

    async fn household_addresses(&self, grids: Vec<Uuid>) -> StoreResult<Vec<(Uuid, String)>> {
        self.read(move |conn| queries::household_addresses(conn, &grids))
            .await
    }

    async fn addresses_of(&self, households: Vec<Uuid>) -> StoreResult<Vec<HouseholdPlace>> {
        self.read(move |conn| queries::addresses_of(conn, &households))
            .await
    }

    async fn household_count(&self, units: Vec<Uuid>) -> StoreResult<u64> {
        self.read(move |conn| queries::household_count(conn, &units))
            .await
    }

    async fn index_rows(
        &self,
        kind: RecordKind,
        filter: IndexFilter,
    ) -> StoreResult<Vec<IndexedRecord>> {
        self.read(move |conn| queries::index_rows(conn, kind, &filter))
            .await
    }

    async fn visit_counts(
        &self,
        filter: IndexFilter,
        utc_offset_minutes: i32,
    ) -> StoreResult<VisitCounts> {
        self.read(move |conn| queries::visit_counts(conn, &filter, utc_offset_minutes))
            .await
    }

    async fn last_visits(&self, filter: IndexFilter) -> StoreResult<Vec<(Uuid, i64)>> {
        self.read(move |conn| queries::last_visits(conn, &filter))
            .await
    }
}
