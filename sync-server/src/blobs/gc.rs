//! `gridwalk-server gc-blobs`: finds, and with `--delete` removes, what the blob directory
//! holds that nothing needs: partial uploads not appended to within the grace period, and
//! whole blobs that no record references (nor are the thumbnail of a referenced photo) and
//! are older than the grace period. Works on the directory layout of [`super::fs`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gridwalk_shared::media::is_blob_hash;

use super::fs::FsBlobStore;
use super::{BlobError, BlobStore};
use crate::store::BlobRefs;

/// Blob references read per store query.
const PAGE: usize = 500;

/// A file in the blob directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobFile {
    /// The blob's hash.
    pub hash: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// Why a file may go.
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

/// A file that may go, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collectable {
    /// The file.
    pub file: BlobFile,
    /// Why.
    pub why: Garbage,
}

fn files_in(dir: &Path, out: &mut Vec<BlobFile>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata()?;
        if meta.is_file() && is_blob_hash(&name) {
            out.push(BlobFile {
                hash: name,
                path: entry.path(),
                size: meta.len(),
                modified: meta.modified()?,
            });
        }
    }
    Ok(())
}

/// Whole blobs in blob directory `dir` (`ab/abcdef…`), by hash.
pub fn whole_blobs(dir: &Path) -> std::io::Result<Vec<BlobFile>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let fan_out = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if fan_out && entry.file_type()?.is_dir() {
            files_in(&entry.path(), &mut out)?;
        }
    }
    out.sort_by(|a, b| a.hash.cmp(&b.hash));
    Ok(out)
}

/// Partial uploads in blob directory `dir` (`partial/abcdef…`), by hash.
pub fn partial_blobs(dir: &Path) -> std::io::Result<Vec<BlobFile>> {
    let mut out = Vec::new();
    files_in(&dir.join("partial"), &mut out)?;
    out.sort_by(|a, b| a.hash.cmp(&b.hash));
    Ok(out)
}

/// Blobs that records reference, and the thumbnails of those photos.
pub async fn needed<S: BlobRefs>(
    store: &S,
    blobs: &FsBlobStore,
) -> Result<HashSet<String>, BlobError> {
    let mut needed = HashSet::new();
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

/// What may go from blob directory `dir` at `now`, given the `needed` blobs and `grace`.
pub fn collectable(
    dir: &Path,
    needed: &HashSet<String>,
    grace: Duration,
    now: SystemTime,
) -> std::io::Result<Vec<Collectable>> {
    let old = |f: &BlobFile| now.duration_since(f.modified).unwrap_or_default() > grace;
    let partial = partial_blobs(dir)?
        .into_iter()
        .filter(|f| old(f))
        .map(|file| Collectable {
            file,
            why: Garbage::Partial,
        });
    let unreferenced = whole_blobs(dir)?
        .into_iter()
        .filter(|f| old(f) && !needed.contains(&f.hash))
        .map(|file| Collectable {
            file,
            why: Garbage::Unreferenced,
        });
    Ok(partial.chain(unreferenced).collect())
}

/// Deletes `garbage` from blob directory `dir`, unless `store` references it by now (a record
/// that arrived meanwhile); an unreferenced photo's thumbnail record goes with it. Returns
/// what was deleted.
pub async fn delete<S: BlobRefs>(
    store: &S,
    dir: &Path,
    garbage: Vec<Collectable>,
) -> Result<Vec<Collectable>, BlobError> {
    let mut deleted = Vec::new();
    for item in garbage {
        if item.why == Garbage::Unreferenced {
            if !store.blob_docs(item.file.hash.clone()).await?.is_empty() {
                continue;
            }
            let fan = item.file.hash.get(..2).unwrap_or("00");
            let link = dir.join("thumbs").join(fan).join(&item.file.hash);
            remove(&link)?;
        }
        remove(&item.file.path)?;
        deleted.push(item);
    }
    Ok(deleted)
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
