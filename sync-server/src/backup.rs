//! Online backup and restore of a SQLite deployment (docs/decisions.md, "Backups"): the
//! database through SQLite's online backup ([`gridwalk_store_sqlite::backup`]), and beside
//! it a manifest of the whole blobs held then (`FILE.blobs`: `HASH SIZE` per line). Blobs are
//! immutable and content-addressed, so the blob directory is copied on its own (`rsync`, any
//! time after the backup).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use gridwalk_store_sqlite::backup::BackupError;
use gridwalk_store_sqlite::backup::{backup_file, restore_file};
use uuid::Uuid;

use crate::blobs::fs::whole_blobs;

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The database copy.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The blob manifest beside it.
    pub manifest: PathBuf,
    /// Whole blobs it lists.
    pub blobs: usize,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The store's new epoch.
    pub epoch: Uuid,
    /// Blobs the restored records reference that the blob directory lacks.
    pub missing_blobs: usize,
}

/// The blob manifest of backup `file`: `FILE.blobs`.
pub fn manifest_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".blobs");
    PathBuf::from(name)
}

/// Backs up the store in `data` to `to`, with the manifest of `data/blobs`, while the server
/// may be running.
pub fn backup(data: &Path, to: &Path) -> Result<BackupReport, BackupError> {
    let bytes = backup_file(data, to)?;
    let blob_dir = data.join("blobs");
    let blobs = if blob_dir.is_dir() {
        whole_blobs(&blob_dir)?
    } else {
        Vec::new()
    };
    let manifest = manifest_of(to);
    let text: String = blobs
        .iter()
        .map(|b| format!("{} {}\n", b.hash, b.size))
        .collect();
    std::fs::write(&manifest, text)?;
    std::fs::File::open(&manifest)?.sync_all()?;
    Ok(BackupReport {
        file: to.to_path_buf(),
        bytes,
        manifest,
        blobs: blobs.len(),
    })
}

/// Restores backup `from` into `data` (the server stopped) with a new epoch, and counts the
/// referenced blobs `data/blobs` lacks.
pub fn restore(from: &Path, data: &Path) -> Result<RestoreReport, BackupError> {
    let restored = restore_file(from, data)?;
    let held: HashSet<String> = match whole_blobs(&data.join("blobs")) {
        Ok(blobs) => blobs.into_iter().map(|b| b.hash).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(RestoreReport {
        epoch: restored.epoch,
        missing_blobs: restored
            .referenced
            .iter()
            .filter(|h| !held.contains(*h))
            .count(),
    })
}
