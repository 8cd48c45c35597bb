//! [`Open311Store`] over SQLite (`open311_keys`, `open311_requests` in `admin.sql`).

use gridwalk_store::{Open311Key, Open311Request, Open311Store, StoreResult};
use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

use crate::{now_ms, parse_uuid, DbResult, SqliteStore};

const REVOKE_KEY: &str =
    "UPDATE open311_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL";

const REQUEST_COLUMNS: &str =
    "SELECT incident_id, token, key_name, address, media_url, contact FROM open311_requests";

fn to_request(row: &Row<'_>) -> rusqlite::Result<(String, Open311Request)> {
    Ok((
        row.get(0)?,
        Open311Request {
            incident_id: Uuid::nil(),
            token: row.get(1)?,
            key_name: row.get(2)?,
            address: row.get(3)?,
            media_url: row.get(4)?,
            contact: row.get(5)?,
        },
    ))
}

fn with_id((id, request): (String, Open311Request)) -> DbResult<Open311Request> {
    Ok(Open311Request {
        incident_id: parse_uuid(&id)?,
        ..request
    })
}

impl Open311Store for SqliteStore {
    async fn issue_open311_key(
        &self,
        key_hash: String,
        name: String,
        unit_id: Uuid,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_ms();
            tx.execute(REVOKE_KEY, params![name, now])?;
            tx.execute(
                "INSERT INTO open311_keys (key_hash, name, unit_id, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![key_hash, name, unit_id.to_string(), now],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn revoke_open311_key(&self, name: String) -> StoreResult<bool> {
        self.write(move |conn| Ok(conn.execute(REVOKE_KEY, params![name, now_ms()])? > 0))
            .await
    }

    async fn open311_key(&self, key_hash: String) -> StoreResult<Option<Open311Key>> {
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT name, unit_id FROM open311_keys
                     WHERE key_hash = ?1 AND revoked_at IS NULL",
                    [key_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            row.map(|(name, unit)| {
                Ok(Open311Key {
                    name,
                    unit_id: parse_uuid(&unit)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn record_open311_request(&self, r: Open311Request) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO open311_requests
                 (incident_id, token, key_name, address, media_url, contact, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    r.incident_id.to_string(),
                    r.token,
                    r.key_name,
                    r.address,
                    r.media_url,
                    r.contact,
                    now_ms()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn open311_requests(&self, incident_ids: Vec<Uuid>) -> StoreResult<Vec<Open311Request>> {
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{REQUEST_COLUMNS} WHERE incident_id = ?1"))?;
            let mut found = Vec::new();
            for id in incident_ids {
                if let Some(row) = stmt.query_row([id.to_string()], to_request).optional()? {
                    found.push(with_id(row)?);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn open311_token(&self, token: String) -> StoreResult<Option<Open311Request>> {
        self.read(move |conn| {
            conn.query_row(
                &format!("{REQUEST_COLUMNS} WHERE token = ?1"),
                [token],
                to_request,
            )
            .optional()?
            .map(with_id)
            .transpose()
        })
        .await
    }
}
