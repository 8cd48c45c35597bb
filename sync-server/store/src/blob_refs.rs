//! Which documents reference which blobs (`blob_refs`, written by [`Store::commit`]): read
//! for blob permission checks and to find referenced blobs nobody has uploaded yet. A trait
//! beside [`Store`], as [`super::AdminStore`] is, so the sync contract stays short.

use std::future::Future;

use gridwalk_shared::model::RecordKind;
use uuid::Uuid;

use super::{Store, StoreResult, Visibility};

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
    /// Who first sent the reference, and when (unknown for references stored before this
    /// was recorded).
    pub origin: Option<RefOrigin>,
}

/// The device whose sync round first carried a blob reference: the one expected to upload it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefOrigin {
    /// The device.
    pub device_id: Uuid,
    /// Its name (as enrolled).
    pub device_name: String,
    /// The user it signs in as.
    pub user_id: Option<Uuid>,
    /// When the server stored the reference (epoch ms).
    pub since: i64,
}

/// Reads of the blob references.
pub trait BlobRefs: Store {
    /// Documents referencing any of `blobs` (one query however many: an upload's new
    /// references are checked together), by blob.
    fn blob_docs(
        &self,
        blobs: Vec<String>,
    ) -> impl Future<Output = StoreResult<Vec<BlobDoc>>> + Send;

    /// Referenced blobs with one referencing document each (the earliest reference), by
    /// hash, after `after`; only references from documents in `within`, if given.
    fn referenced_blobs(
        &self,
        after: Option<String>,
        limit: usize,
        within: Option<Visibility>,
    ) -> impl Future<Output = StoreResult<Vec<BlobDoc>>> + Send;

    /// The blobs `docs` reference now, as `(document, blob)` pairs.
    fn refs_of(
        &self,
        docs: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<(Uuid, String)>>> + Send;
}
