//! [`Open311Store`] over PostgreSQL (`open311_keys`, `open311_requests`).

use gridwalk_store::{Open311Key, Open311Request, Open311Store, StoreResult};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{now_ms, DbResult, PostgresStore};

const REVOKE_KEY: &str =
    "UPDATE open311_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL";

const REQUEST_COLUMNS: &str =
    "SELECT incident_id, token, key_name, address, media_url, contact FROM open311_requests";

fn to_request(row: &Row) -> Open311Request {
    Open311Request {
        incident_id: row.get(0),
        token: row.get(1),
        key_name: row.get(2),
        address: row.get(3),
        media_url: row.get(4),
        contact: row.get(5),
    }
}

impl PostgresStore {
    async fn issue_open311_key_db(
        &self,
        key_hash: String,
        name: String,
        unit_id: Uuid,
    ) -> DbResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let now = now_ms();
        tx.execute(REVOKE_KEY, &[&name, &now]).await?;
        tx.execute(
            "INSERT INTO open311_keys (key_hash, name, unit_id, created_at)
             VALUES ($1, $2, $3, $4)",
            &[&key_hash, &name, &unit_id, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Open311Store for PostgresStore {
    async fn issue_open311_key(
        &self,
        key_hash: String,
        name: String,
        unit_id: Uuid,
    ) -> StoreResult<()> {
        Ok(self.issue_open311_key_db(key_hash, name, unit_id).await?)
    }

    async fn revoke_open311_key(&self, name: String) -> StoreResult<bool> {
        let rows = self
            .rows(&format!("{REVOKE_KEY} RETURNING 1"), &[&name, &now_ms()])
            .await?;
        Ok(!rows.is_empty())
    }

    async fn open311_key(&self, key_hash: String) -> StoreResult<Option<Open311Key>> {
        let rows = self
            .rows(
                "SELECT name, unit_id FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                &[&key_hash],
            )
            .await?;
        Ok(rows.first().map(|r| Open311Key {
            name: r.get(0),
            unit_id: r.get(1),
        }))
    }

    async fn record_open311_request(&self, r: Open311Request) -> StoreResult<()> {
        self.rows(
            "INSERT INTO open311_requests
             (incident_id, token, key_name, address, media_url, contact, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &r.incident_id,
                &r.token,
                &r.key_name,
                &r.address,
                &r.media_url,
                &r.contact,
                &now_ms(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn open311_requests(&self, incident_ids: Vec<Uuid>) -> StoreResult<Vec<Open311Request>> {
        let rows = self
            .rows(
                &format!("{REQUEST_COLUMNS} WHERE incident_id = ANY($1) ORDER BY incident_id"),
                &[&incident_ids],
            )
            .await?;
        Ok(rows.iter().map(to_request).collect())
    }

    async fn open311_token(&self, token: String) -> StoreResult<Option<Open311Request>> {
        let rows = self
            .rows(&format!("{REQUEST_COLUMNS} WHERE token = $1"), &[&token])
            .await?;
        Ok(rows.first().map(to_request))
    }
}
