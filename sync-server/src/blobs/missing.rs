//! Referenced blobs the server does not hold whole yet: records that point at photos or
//! audio a device has not uploaded (offline, or cut off mid-upload). One query for the
//! `missing-blobs` command and the admin API.

use serde::Serialize;
use uuid::Uuid;

use super::{BlobError, BlobStore, Held};
use crate::store::{BlobRefs, Visibility};

/// Blob references read per store query.
const PAGE: usize = 500;

/// A referenced blob that is not (wholly) uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingBlob {
    /// The blob's hash.
    pub hash: String,
    /// A document that references it (the first to).
    pub doc_id: Uuid,
    /// That document's kind (`visit`, `incident`).
    pub kind: &'static str,
    /// That document's scope (grid).
    pub scope: Uuid,
    /// Bytes of a partial upload the server holds (0: none).
    pub partial_bytes: u64,
    /// The device whose sync first carried the reference: the one that should upload it.
    pub device_id: Option<Uuid>,
    /// That device's name.
    pub device_name: Option<String>,
    /// The user that device signs in as.
    pub user_id: Option<Uuid>,
    /// Since when the blob has been referenced (epoch ms).
    pub since: Option<i64>,
}

/// Up to `limit` referenced blobs missing from `blobs`, by hash; only those referenced by
/// documents in `within`, if given.
pub async fn missing_blobs<S: BlobRefs>(
    store: &S,
    blobs: &dyn BlobStore,
    limit: usize,
    within: Option<Visibility>,
) -> Result<Vec<MissingBlob>, BlobError> {
    let mut missing = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .referenced_blobs(after.clone(), PAGE, within.clone())
            .await?;
        for doc in &page {
            let held = blobs.held(&doc.blob).await?;
            if matches!(held, Held::Whole(_)) {
                continue;
            }
            let origin = doc.origin.as_ref();
            missing.push(MissingBlob {
                hash: doc.blob.clone(),
                doc_id: doc.doc_id,
                kind: doc.kind.as_str(),
                scope: doc.scope,
                partial_bytes: held.bytes(),
                device_id: origin.map(|o| o.device_id),
                device_name: origin.map(|o| o.device_name.clone()),
                user_id: origin.and_then(|o| o.user_id),
                since: origin.map(|o| o.since),
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
