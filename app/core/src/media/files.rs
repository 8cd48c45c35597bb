//! Where blob files live: `DIR/blobs/ab/abcdef….jpg`, named by SHA-256, written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use gridwalk_shared::media::MediaType;

/// Folder of blob files inside the data directory.
pub const BLOB_DIR: &str = "blobs";

/// Path of blob `hash` of type `media` under data directory `dir`.
pub fn path(dir: &Path, hash: &str, media: MediaType) -> PathBuf {
    let fan = hash.get(..2).unwrap_or("00");
    dir.join(BLOB_DIR)
        .join(fan)
        .join(format!("{hash}.{}", media.extension()))
}

/// Writes `bytes` to `path` (temporary file, fsync, rename), so a crash never leaves a
/// half-written blob under its final name. An existing file is kept: same name, same bytes.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("blob"),
        std::process::id()
    ));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    Ok(())
}

/// Removes a blob file; a file already gone is fine.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
