//! [`BlobRefs`] over PostgreSQL: reads of `blob_refs` joined with `docs` and `devices`.

use gridwalk_store::{BlobDoc, BlobRefs, RefOrigin, StoreResult, Visibility};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{parse_kind, DbResult, PostgresStore};

/// Columns every query selects, from `blob_refs r`, `docs d` and `devices v`.
const COLUMNS: &str = "r.blob, d.doc_id, d.kind, d.scope, d.department,
    r.device_id, v.name, v.user_id, r.since";

/// The joins under [`COLUMNS`].
const FROM: &str = "blob_refs r JOIN docs d ON d.doc_id = r.doc_id
    LEFT JOIN devices v ON v.device_id = r.device_id";

fn to_doc(row: &Row) -> DbResult<BlobDoc> {
    let device: Option<Uuid> = row.get(5);
    let since: Option<i64> = row.get(8);
    let origin = match (device, since) {
        (Some(device_id), Some(since)) => Some(RefOrigin {
            device_id,
            device_name: row.get::<_, Option<String>>(6).unwrap_or_default(),
            user_id: row.get(7),
            since,
        }),
        _ => None,
    };
    Ok(BlobDoc {
        blob: row.get(0),
        doc_id: row.get(1),
        kind: parse_kind(row.get(2))?,
        scope: row.get(3),
        department: row.get(4),
        origin,
    })
}

impl BlobRefs for PostgresStore {
    async fn blob_docs(&self, blobs: Vec<String>) -> StoreResult<Vec<BlobDoc>> {
        let rows = self
            .rows(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE r.blob = ANY($1) ORDER BY r.blob"),
                &[&blobs],
            )
            .await?;
        Ok(rows.iter().map(to_doc).collect::<DbResult<_>>()?)
    }

    async fn referenced_blobs(
        &self,
        after: Option<String>,
        limit: usize,
        within: Option<Visibility>,
    ) -> StoreResult<Vec<BlobDoc>> {
        let everywhere = within.is_none();
        let within = within.unwrap_or_default();
        // One row per blob: its earliest reference.
        let rows = self
            .rows(
                &format!(
                    "SELECT DISTINCT ON (r.blob) {COLUMNS} FROM {FROM}
                     WHERE r.blob > $1 AND ($3 OR d.scope = ANY($4) OR d.department = $5)
                     ORDER BY r.blob, coalesce(r.since, 0), r.doc_id LIMIT $2"
                ),
                &[
                    &after.unwrap_or_default(),
                    &(limit.min(i64::MAX as usize) as i64),
                    &everywhere,
                    &within.units,
                    &within.department,
                ],
            )
            .await?;
        Ok(rows.iter().map(to_doc).collect::<DbResult<_>>()?)
    }

    async fn refs_of(&self, docs: Vec<Uuid>) -> StoreResult<Vec<(Uuid, String)>> {
        let rows = self
            .rows(
                "SELECT doc_id, blob FROM blob_refs WHERE doc_id = ANY($1)",
                &[&docs],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
