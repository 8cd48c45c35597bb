//! [`BlobStore`] in a local directory (default: `DATA/blobs`):
//! `ab/abcdef…` whole blobs, `partial/abcdef…` uploads in progress, `thumbs/ab/abcdef…` the
//! thumbnail hash of a photo. Whole blobs are fsynced and renamed into place, never written
//! in place.

use std::io::{Read, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use gridwalk_shared::media::{is_blob_hash, sniff};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{BlobError, BlobReader, BlobResult, BlobStore, BoxFuture, Held, Stored, StoredBlob};

/// Blobs under one directory, on one node: its appends are serialised in the process.
pub struct FsBlobStore {
    dir: PathBuf,
    appending: tokio::sync::Mutex<()>,
}

impl FsBlobStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<FsBlobStore> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("partial"))?;
        Ok(FsBlobStore {
            dir,
            appending: tokio::sync::Mutex::new(()),
        })
    }

    fn whole(&self, hash: &str) -> PathBuf {
        self.dir.join(fan(hash)).join(hash)
    }

    fn partial(&self, hash: &str) -> PathBuf {
        self.dir.join("partial").join(hash)
    }

    fn thumb_link(&self, photo: &str) -> PathBuf {
        self.dir.join("thumbs").join(fan(photo)).join(photo)
    }
}

fn fan(hash: &str) -> &str {
    hash.get(..2).unwrap_or("00")
}

async fn len_of(path: &Path) -> BlobResult<Option<u64>> {
    match tokio::fs::metadata(path).await {
        Ok(meta) => Ok(Some(meta.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

/// Hashes the partial; if it matches, fsyncs it and renames it into place.
fn verify_and_move(partial: &Path, whole: &Path, hash: &str) -> BlobResult<u64> {
    let mut file = std::fs::File::open(partial)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    if hex::encode(hasher.finalize()) != hash {
        std::fs::remove_file(partial)?;
        return Err(BlobError::HashMismatch(hash.to_string()));
    }
    file.sync_all()?;
    let dir = whole.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    std::fs::rename(partial, whole)?;
    sync_dir(dir);
    Ok(size)
}

impl BlobStore for FsBlobStore {
    fn held(&self, hash: &str) -> BoxFuture<'_, BlobResult<Held>> {
        let (whole, partial) = (self.whole(hash), self.partial(hash));
        Box::pin(async move {
            if let Some(size) = len_of(&whole).await? {
                return Ok(Held::Whole(size));
            }
            Ok(match len_of(&partial).await? {
                Some(n) => Held::Partial(n),
                None => Held::Nothing,
            })
        })
    }

    fn append(&self, hash: &str, at: u64, bytes: Bytes) -> BoxFuture<'_, BlobResult<u64>> {
        let partial = self.partial(hash);
        Box::pin(async move {
            let _one_at_a_time = self.appending.lock().await;
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(partial)
                .await?;
            let held = file.metadata().await?.len();
            if held != at {
                return Err(BlobError::OffsetTaken { held });
            }
            file.write_all(&bytes).await?;
            file.flush().await?;
            Ok(at + bytes.len() as u64)
        })
    }

    fn gather_bytes(&self) -> usize {
        0
    }

    fn finish(&self, hash: &str) -> BoxFuture<'_, BlobResult<u64>> {
        let (partial, whole, hash) = (self.partial(hash), self.whole(hash), hash.to_string());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || verify_and_move(&partial, &whole, &hash))
                .await
                .map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?
        })
    }

    fn open(
        &self,
        hash: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, BlobResult<Option<BlobReader>>> {
        let whole = self.whole(hash);
        Box::pin(async move {
            let mut file = match tokio::fs::File::open(&whole).await {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let size = file.metadata().await?.len();
            let mut head = vec![0u8; 64];
            let n = file.read(&mut head).await?;
            let range = range.unwrap_or(0..size);
            file.seek(SeekFrom::Start(range.start)).await?;
            Ok(Some(BlobReader {
                size,
                media: sniff(&head[..n]),
                body: Box::pin(file.take(range.end.saturating_sub(range.start))),
                range,
            }))
        })
    }

    fn set_thumbnail(&self, photo: &str, thumbnail: &str) -> BoxFuture<'_, BlobResult<()>> {
        let (link, thumbnail) = (self.thumb_link(photo), thumbnail.to_string());
        Box::pin(async move {
            if len_of(&link).await?.is_some() {
                return Ok(());
            }
            let dir = link.parent().unwrap_or(Path::new(".")).to_path_buf();
            tokio::fs::create_dir_all(&dir).await?;
            let tmp = dir.join(format!(".{thumbnail}.tmp"));
            tokio::fs::write(&tmp, thumbnail.as_bytes()).await?;
            tokio::fs::rename(&tmp, &link).await?;
            Ok(())
        })
    }

    fn thumbnail(&self, photo: &str) -> BoxFuture<'_, BlobResult<Option<String>>> {
        let link = self.thumb_link(photo);
        Box::pin(async move {
            match tokio::fs::read_to_string(&link).await {
                Ok(text) => Ok(Some(text.trim().to_string()).filter(|t| is_blob_hash(t))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn inventory(&self) -> BoxFuture<'_, BlobResult<Vec<StoredBlob>>> {
        Box::pin(async move { self.inventory_now() })
    }

    fn remove(&self, blob: &StoredBlob) -> BoxFuture<'_, BlobResult<()>> {
        let blob = blob.clone();
        Box::pin(async move { self.remove_now(&blob) })
    }
}

impl FsBlobStore {
    fn inventory_now(&self) -> BlobResult<Vec<StoredBlob>> {
        let mut all = whole_blobs(&self.dir)?;
        let mut partial = Vec::new();
        files_in(&self.dir.join("partial"), Stored::Partial, &mut partial)?;
        all.extend(partial);
        all.sort_by(|a, b| a.hash.cmp(&b.hash));
        Ok(all)
    }

    fn remove_now(&self, blob: &StoredBlob) -> BlobResult<()> {
        match blob.kind {
            Stored::Partial => remove(&self.partial(&blob.hash))?,
            Stored::Whole => {
                remove(&self.thumb_link(&blob.hash))?;
                remove(&self.whole(&blob.hash))?;
            }
        }
        Ok(())
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn files_in(dir: &Path, kind: Stored, out: &mut Vec<StoredBlob>) -> std::io::Result<()> {
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
            out.push(StoredBlob {
                hash: name,
                kind,
                size: meta.len(),
                modified: meta.modified()?,
            });
        }
    }
    Ok(())
}

/// Whole blobs in blob directory `dir` (`ab/abcdef…`), by hash.
pub fn whole_blobs(dir: &Path) -> std::io::Result<Vec<StoredBlob>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let fan_out = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if fan_out && entry.file_type()?.is_dir() {
            files_in(&entry.path(), Stored::Whole, &mut out)?;
        }
    }
    out.sort_by(|a, b| a.hash.cmp(&b.hash));
    Ok(out)
}
