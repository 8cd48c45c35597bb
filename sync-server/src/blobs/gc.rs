//! `gridwalk-server gc-blobs`: finds, and with `--delete` removes, what the blob storage
//! holds that nothing needs: partial uploads not appended to within the grace period, and
//! whole blobs that no record references (nor are the thumbnail of a referenced photo) and
//! are older than the grace period. Works over any [`BlobStore`].

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use super::{BlobError, BlobStore, Stored, StoredBlob};
use crate::store::BlobRefs;

/// Blob references read per store query.
const PAGE: usize = 500;

/// Why a blob may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garbage {
    /// A partial upload nobody appended to within the grace period.
    Partial,
    /// A whole blob no record references.
    Unreferenced,
}

impl Garbage {
    /// As printed: `partial`, `unreferenced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Garbage::Partial => "partial",
            Garbage::Unreferenced => "unreferenced",
        }
    }
}

/// A blob that may go, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collectable {
    /// The blob.
    pub file: StoredBlob,
    /// Why.
    pub why: Garbage,
}

/// Blobs that records reference, the thumbnails of those photos, and the tile packages the
/// reference data names.
pub async fn needed<S: BlobRefs>(
    store: &S,
    blobs: &dyn BlobStore,
) -> Result<HashSet<String>, BlobError> {
    let mut needed: HashSet<String> = store
        .reference()
        .tile_packages
        .iter()
        .map(|p| p.sha256.clone())
        .collect();
    let mut after = None;
    loop {
        let page = store.referenced_blobs(after.clone(), PAGE, None).await?;
        for doc in &page {
            if let Some(thumbnail) = blobs.thumbnail(&doc.blob).await? {
                needed.insert(thumbnail);
            }
            needed.insert(doc.blob.clone());
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.blob.clone()),
            _ => return Ok(needed),
        }
    }
}

/// What may go of `held` (a store's inventory) at `now`, given the `needed` blobs and
/// `grace`: old partials, then old unreferenced whole blobs.
pub fn collectable(
    held: Vec<StoredBlob>,
    needed: &HashSet<String>,
    grace: Duration,
    now: SystemTime,
) -> Vec<Collectable> {
    let old = |f: &StoredBlob| now.duration_since(f.modified).unwrap_or_default() > grace;
    let (partial, whole): (Vec<_>, Vec<_>) = held
        .into_iter()
        .filter(|f| old(f))
        .partition(|f| f.kind == Stored::Partial);
    let partial = partial.into_iter().map(|file| Collectable {
        file,
        why: Garbage::Partial,
    });
    let unreferenced = whole
        .into_iter()
        .filter(|f| !needed.contains(&f.hash))
        .map(|file| Collectable {
            file,
            why: Garbage::Unreferenced,
        });
    partial.chain(unreferenced).collect()
}

/// Deletes `garbage` from `blobs`, unless `store` references it by now (a record that
/// arrived meanwhile); an unreferenced photo's thumbnail record goes with it. Returns what
/// was deleted.
pub async fn delete<S: BlobRefs>(
    store: &S,
    blobs: &dyn BlobStore,
    garbage: Vec<Collectable>,
) -> Result<Vec<Collectable>, BlobError> {
    let mut deleted = Vec::new();
    for item in garbage {
        if item.why == Garbage::Unreferenced
            && !store
                .blob_docs(vec![item.file.hash.clone()])
                .await?
                .is_empty()
        {
            continue;
        }
        blobs.remove(&item.file).await?;
        deleted.push(item);
    }
    Ok(deleted)
}
