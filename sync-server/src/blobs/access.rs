//! Who may read or upload a blob: a caller who may see at least one record that references
//! it, by the same rules as sync (`gridwalk_shared::validate::may_read`). A thumbnail is
//! reached through its photo.

use gridwalk_shared::validate::{may_read, Actor};

use crate::store::{BlobRefs, StoreResult};

/// Whether `actor` may see some record that references blob `hash`.
pub async fn may_read_blob<S: BlobRefs>(store: &S, actor: &Actor, hash: &str) -> StoreResult<bool> {
    let reference = store.reference();
    let docs = store.blob_docs(hash.to_string()).await?;
    Ok(docs
        .iter()
        .any(|d| may_read(actor, d.scope, d.department, &reference)))
}
