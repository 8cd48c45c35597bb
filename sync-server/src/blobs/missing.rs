//! Referenced blobs the server does not hold whole yet: records that point at photos or
//! audio a device has not uploaded (offline, or cut off mid-upload).

use serde::Serialize;
use uuid::Uuid;

use super::{BlobError, BlobStore, Held};
use crate::store::BlobRefs;

/// Blob references read per store query.
const PAGE: usize = 500;

/// A referenced blob that is not (wholly) uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingBlob {
    /// The blob's hash.
    pub hash: String,
    /// A document that references it.
    pub doc_id: Uuid,
    /// That document's kind (`visit`, `incident`).
    pub kind: &'static str,
    /// That document's scope (grid).
    pub scope: Uuid,
    /// Bytes of a partial upload the server holds (0: none).
    pub partial_bytes: u64,
}

/// Up to `limit` referenced blobs missing from `blobs`, by hash.
pub async fn missing_blobs<S: BlobRefs>(
    store: &S,
    blobs: &dyn BlobStore,
    limit: usize,
) -> Result<Vec<MissingBlob>, BlobError> {
    let mut missing = Vec::new();
    let mut after = None;
    loop {
        let page = store.referenced_blobs(after.clone(), PAGE).await?;
        for doc in &page {
            let held = blobs.held(&doc.blob).await?;
            if matches!(held, Held::Whole(_)) {
                continue;
            }
            missing.push(MissingBlob {
                hash: doc.blob.clone(),
                doc_id: doc.doc_id,
                kind: doc.kind.as_str(),
                scope: doc.scope,
                partial_bytes: held.bytes(),
            });
            if missing.len() >= limit {
                return Ok(missing);
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.blob.clone()),
            _ => return Ok(missing),
        }
    }
}
