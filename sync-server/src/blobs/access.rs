//! Who may read or upload a blob. Reading: a caller who may see at least one record that
//! references it, by the same rules as sync (`gridwalk_shared::validate::may_read`); a
//! thumbnail is reached through its photo. Uploading (and a photo's thumbnail): only the
//! device whose sync round first carried a reference to it — knowing a hash is not enough.

use gridwalk_shared::validate::{may_read, Actor};
use uuid::Uuid;

use crate::store::{BlobDoc, BlobRefs, StoreResult};

/// Whether `actor` may see some record that references blob `hash`, or `hash` is the tile
/// package of their community.
pub async fn may_read_blob<S: BlobRefs>(store: &S, actor: &Actor, hash: &str) -> StoreResult<bool> {
    let reference = store.reference();
    if reference
        .tile_package_for(actor.scope_id)
        .is_some_and(|p| p.sha256 == hash)
    {
        return Ok(true);
    }
    let docs = store.blob_docs(vec![hash.to_string()]).await?;
    Ok(sees_one(actor, &docs, &reference))
}

fn sees_one(
    actor: &Actor,
    docs: &[BlobDoc],
    reference: &gridwalk_shared::model::ReferenceData,
) -> bool {
    docs.iter()
        .any(|d| may_read(actor, d.scope, d.department, reference))
}

/// What a device may do about uploading a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// It may: its round first carried a reference to the blob.
    Allowed,
    /// No record references the blob (yet): sync the record first.
    NotReferenced,
    /// Another device's record brought the blob in: only that device uploads it.
    NotYours,
}

/// Whether `device` (signed in as `actor`) may upload blob `hash`, or the thumbnail of the
/// photo `hash`: the device whose round first carried a reference to it. References stored
/// before their origin was recorded let anyone who may read the blob upload it.
pub async fn may_upload_blob<S: BlobRefs>(
    store: &S,
    device: Uuid,
    actor: &Actor,
    hash: &str,
) -> StoreResult<Upload> {
    let docs = store.blob_docs(vec![hash.to_string()]).await?;
    if docs.is_empty() {
        return Ok(Upload::NotReferenced);
    }
    let first = docs
        .iter()
        .filter_map(|d| d.origin.as_ref())
        .min_by_key(|o| (o.since, o.device_id));
    let allowed = match first {
        Some(origin) => origin.device_id == device,
        None => sees_one(actor, &docs, &store.reference()),
    };
    Ok(if allowed {
        Upload::Allowed
    } else {
        Upload::NotYours
    })
}
