//! [`BlobRefs`] over SQLite: reads of `blob_refs` joined with `docs` and `devices`.

use gridwalk_shared::model::RecordKind;
use gridwalk_store::{BlobDoc, BlobRefs, RefOrigin, StoreError, StoreResult, Visibility};
use rusqlite::{params, Row};
use uuid::Uuid;

use crate::{parse_uuid, DbResult, SqliteStore};

/// Columns every query selects, from `blob_refs r`, `docs d` and `devices v`.
const COLUMNS: &str = "r.blob, d.doc_id, d.kind, d.scope, d.department,
    r.device_id, v.name, v.user_id, r.since";

/// The joins under [`COLUMNS`].
const FROM: &str = "blob_refs r JOIN docs d ON d.doc_id = r.doc_id
    LEFT JOIN devices v ON v.device_id = r.device_id";

fn to_doc(row: &Row<'_>) -> rusqlite::Result<DbResult<BlobDoc>> {
    let texts: [Option<String>; 8] = [
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ];
    let since: Option<i64> = row.get(8)?;
    Ok(build(texts, since))
}

fn build(texts: [Option<String>; 8], since: Option<i64>) -> DbResult<BlobDoc> {
    let [blob, doc_id, kind, scope, department, device, device_name, user] = texts;
    let id = |text: Option<String>| parse_uuid(&text.unwrap_or_default());
    let kind = kind.unwrap_or_default();
    let origin = match (device, since) {
        (Some(device), Some(since)) => Some(RefOrigin {
            device_id: parse_uuid(&device)?,
            device_name: device_name.unwrap_or_default(),
            user_id: user.as_deref().map(parse_uuid).transpose()?,
            since,
        }),
        _ => None,
    };
    Ok(BlobDoc {
        blob: blob.unwrap_or_default(),
        doc_id: id(doc_id)?,
        kind: RecordKind::parse(&kind)
            .ok_or_else(|| StoreError::Other(format!("bad kind `{kind}`")))?,
        scope: id(scope)?,
        department: department.as_deref().map(parse_uuid).transpose()?,
        origin,
    })
}

impl BlobRefs for SqliteStore {
    async fn blob_docs(&self, blobs: Vec<String>) -> StoreResult<Vec<BlobDoc>> {
        let blobs = serde_json::to_string(&blobs)
            .map_err(|e| StoreError::Other(format!("cannot encode blob names: {e}")))?;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM {FROM}
                 WHERE r.blob IN (SELECT value FROM json_each(?1)) ORDER BY r.blob"
            ))?;
            let rows = stmt
                .query_map([blobs], to_doc)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().collect()
        })
        .await
    }

    async fn referenced_blobs(
        &self,
        after: Option<String>,
        limit: usize,
        within: Option<Visibility>,
    ) -> StoreResult<Vec<BlobDoc>> {
        let everywhere = within.is_none();
        let within = within.unwrap_or_default();
        let units =
            serde_json::Value::from(within.units.iter().map(Uuid::to_string).collect::<Vec<_>>())
                .to_string();
        let department = within.department.map(|d| d.to_string());
        self.read(move |conn| {
            // SQLite takes the bare columns of a GROUP BY row from the row holding `min()`.
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS}, min(coalesce(r.since, 0)) FROM {FROM}
                 WHERE r.blob > ?1 AND (?3 OR d.scope IN (SELECT value FROM json_each(?4))
                    OR d.department = ?5)
                 GROUP BY r.blob ORDER BY r.blob LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(
                    params![
                        after.unwrap_or_default(),
                        limit as i64,
                        everywhere,
                        units,
                        department
                    ],
                    to_doc,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().collect()
        })
        .await
    }

    async fn refs_of(&self, docs: Vec<Uuid>) -> StoreResult<Vec<(Uuid, String)>> {
        let ids = serde_json::Value::from(docs.iter().map(Uuid::to_string).collect::<Vec<_>>())
            .to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, blob FROM blob_refs WHERE doc_id IN (SELECT value FROM json_each(?1))",
            )?;
            let rows = stmt
                .query_map([ids], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(doc, blob)| Ok((parse_uuid(&doc)?, blob)))
                .collect()
        })
        .await
    }
}
