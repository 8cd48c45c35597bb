//! Copying every whole blob (and its thumbnail record) from one blob store into another, for
//! `migrate --blobs-to`: resumable — a blob the target already holds whole is skipped, a
//! partial one goes on from its end — and each blob checked against its hash by the target.

use tokio::io::AsyncReadExt;

use super::{BlobError, BlobResult, BlobStore, Held, Stored};

/// Bytes read and appended at a time when the target keeps bytes as they arrive.
const PIECE: usize = 256 * 1024;

/// What a copy did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Blobs copied.
    pub blobs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Blobs the target already held whole.
    pub skipped: u64,
}

/// Copies every whole blob of `from` that `to` lacks; `progress` hears the running count
/// after each blob.
pub async fn copy_all(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    mut progress: impl FnMut(&Copied),
) -> BlobResult<Copied> {
    let mut copied = Copied::default();
    let whole = from
        .inventory()
        .await?
        .into_iter()
        .filter(|b| b.kind == Stored::Whole);
    for blob in whole {
        match to.held(&blob.hash).await? {
            Held::Whole(_) => copied.skipped += 1,
            held => copied.bytes += copy_one(from, to, &blob.hash, held.bytes(), blob.size).await?,
        }
        if let Some(thumbnail) = from.thumbnail(&blob.hash).await? {
            to.set_thumbnail(&blob.hash, &thumbnail).await?;
        }
        copied.blobs += 1;
        progress(&copied);
    }
    copied.blobs -= copied.skipped;
    Ok(copied)
}

/// Appends `hash`'s bytes (`size` in all) from `at` on to `to` and finishes it there; the
/// bytes sent.
async fn copy_one(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    hash: &str,
    mut at: u64,
    size: u64,
) -> BlobResult<u64> {
    let started = at;
    if at < size {
        let Some(source) = from.open(hash, Some(at..size)).await? else {
            return Err(BlobError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("blob {hash} is gone from the source"),
            )));
        };
        let mut reader = source.body;
        let piece = to.gather_bytes().max(PIECE);
        let mut buffer = vec![0u8; piece];
        loop {
            let mut filled = 0;
            while filled < piece {
                let n = reader.read(&mut buffer[filled..]).await?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            let bytes = bytes::Bytes::copy_from_slice(&buffer[..filled]);
            at = to.append(hash, at, bytes).await?;
        }
    }
    to.finish(hash).await?;
    Ok(at - started)
}
