//! [`BlobStore`] in a local directory (default: `DATA/blobs`):
//! `ab/abcdef…` whole blobs, `partial/abcdef…` uploads in progress, `thumbs/ab/abcdef…` the
//! thumbnail hash of a photo. Whole blobs are fsynced and renamed into place, never written
//! in place.

use std::io::{Read, SeekFrom};
use std::path::{Path, PathBuf};

use gridwalk_shared::media::{is_blob_hash, sniff};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{BlobError, BlobReader, BlobResult, BlobStore, BlobWrite, BoxFuture, Held};

/// Blobs under one directory.
pub struct FsBlobStore {
    dir: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<FsBlobStore> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("partial"))?;
        Ok(FsBlobStore { dir })
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

    fn append(&self, hash: &str) -> BoxFuture<'_, BlobResult<BlobWrite>> {
        let partial = self.partial(hash);
        Box::pin(async move {
            let file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(partial)
                .await?;
            Ok(Box::pin(file) as BlobWrite)
        })
    }

    fn finish(&self, hash: &str) -> BoxFuture<'_, BlobResult<u64>> {
        let (partial, whole, hash) = (self.partial(hash), self.whole(hash), hash.to_string());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || verify_and_move(&partial, &whole, &hash))
                .await
                .map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?
        })
    }

    fn open(&self, hash: &str) -> BoxFuture<'_, BlobResult<Option<BlobReader>>> {
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
            file.seek(SeekFrom::Start(0)).await?;
            Ok(Some(BlobReader {
                size,
                media: sniff(&head[..n]),
                body: Box::pin(file),
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
}
