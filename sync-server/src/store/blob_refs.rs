//! Which documents reference which blobs (`blob_refs`, written by [`Store::commit`]): read
//! for blob permission checks and to find referenced blobs nobody has uploaded yet. A trait
//! beside [`Store`], as [`super::AdminStore`] is, so the sync contract stays short.

use std::future::Future;

use gridwalk_shared::model::RecordKind;
use rusqlite::{params, Row};
use uuid::Uuid;

use super::{SqliteStore, Store, StoreError, StoreResult};

/// A document that references a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobDoc {
    /// The blob's hash.
    pub blob: String,
    /// The document.
    pub doc_id: Uuid,
    /// Its kind.
    pub kind: RecordKind,
    /// Its scope.
    pub scope: Uuid,
    /// Department an incident is routed to.
    pub department: Option<Uuid>,
}

/// Reads of the blob references.
pub trait BlobRefs: Store {
    /// Documents referencing `blob`.
    fn blob_docs(&self, blob: String) -> impl Future<Output = StoreResult<Vec<BlobDoc>>> + Send;

    /// Referenced blobs with one referencing document each, by hash, after `after`.
    fn referenced_blobs(
        &self,
        after: Option<String>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<BlobDoc>>> + Send;
}

type RawRef = (String, String, String, String, Option<String>);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRef> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_doc((blob, doc_id, kind, scope, department): RawRef) -> StoreResult<BlobDoc> {
    let id = |text: &str| {
        Uuid::parse_str(text).map_err(|e| StoreError::Other(format!("bad id in database: {e}")))
    };
    Ok(BlobDoc {
        blob,
        doc_id: id(&doc_id)?,
        kind: RecordKind::parse(&kind)
            .ok_or_else(|| StoreError::Other(format!("bad kind `{kind}`")))?,
        scope: id(&scope)?,
        department: department.as_deref().map(id).transpose()?,
    })
}

impl BlobRefs for SqliteStore {
    async fn blob_docs(&self, blob: String) -> StoreResult<Vec<BlobDoc>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.blob, d.doc_id, d.kind, d.scope, d.department
                 FROM blob_refs r JOIN docs d ON d.doc_id = r.doc_id WHERE r.blob = ?1",
            )?;
            let rows = stmt
                .query_map([blob], raw)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(to_doc).collect()
        })
        .await
    }

    async fn referenced_blobs(
        &self,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<BlobDoc>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.blob, d.doc_id, d.kind, d.scope, d.department
                 FROM blob_refs r JOIN docs d ON d.doc_id = r.doc_id
                 WHERE r.blob > ?1 GROUP BY r.blob ORDER BY r.blob LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![after.unwrap_or_default(), limit as i64], raw)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(to_doc).collect()
        })
        .await
    }
}
