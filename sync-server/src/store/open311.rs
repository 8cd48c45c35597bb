//! Open311 API keys and the requests filed with them (`open311_keys`, `open311_requests` in
//! `admin.sql`). A trait beside [`Store`], as [`super::BlobRefs`] is.

use std::future::Future;

use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

use super::sqlite::{now_ms, parse_uuid};
use super::{SqliteStore, Store, StoreResult};

/// A live Open311 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Key {
    /// Its name (who uses it).
    pub name: String,
    /// The org unit it files into and reads.
    pub unit_id: Uuid,
}

/// What the server keeps about a request filed over Open311, beside its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Request {
    /// The incident it became (its `service_request_id`).
    pub incident_id: Uuid,
    /// The tracking token handed back at filing.
    pub token: String,
    /// Name of the key it was filed with.
    pub key_name: String,
    /// `address_string` as given.
    pub address: Option<String>,
    /// `media_url` as given.
    pub media_url: Option<String>,
    /// The submitter's contact details as JSON (`email`, names, `phone`); never sent out.
    pub contact: String,
}

/// Open311 keys and filed requests.
pub trait Open311Store: Store {
    /// Stores a new key (by its hash) named `name` for `unit_id`; an earlier live key of that
    /// name is revoked.
    fn issue_open311_key(
        &self,
        key_hash: String,
        name: String,
        unit_id: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Revokes the live key named `name`; false when there was none.
    fn revoke_open311_key(&self, name: String) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The live key with this hash.
    fn open311_key(
        &self,
        key_hash: String,
    ) -> impl Future<Output = StoreResult<Option<Open311Key>>> + Send;

    /// Records a filed request.
    fn record_open311_request(
        &self,
        request: Open311Request,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The filed requests among these incidents.
    fn open311_requests(
        &self,
        incident_ids: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<Open311Request>>> + Send;

    /// The filed request with this token.
    fn open311_token(
        &self,
        token: String,
    ) -> impl Future<Output = StoreResult<Option<Open311Request>>> + Send;
}

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

fn with_id((id, request): (String, Open311Request)) -> StoreResult<Open311Request> {
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
