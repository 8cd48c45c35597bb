//! The contract every blob store keeps ([`BlobStore`]): one suite, run against the directory
//! and the S3 backends by tests/tests/blob_storage.rs. A [`Backing`] is the storage itself;
//! each [`Backing::node`] is a store over it as one server node would open it.

use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use gridwalk_server::blobs::fs::FsBlobStore;
use gridwalk_server::blobs::{BlobError, BlobStore, Held, Stored};
use gridwalk_shared::media::MediaType;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::s3::S3Bucket;

/// The bytes devices send per piece.
pub const PIECE: usize = 256 * 1024;
const MIB: usize = 1024 * 1024;

/// Storage that blob stores ("nodes") open.
pub trait Backing: Send + Sync {
    /// A store over the storage, as another node opens it.
    fn node(&self) -> Arc<dyn BlobStore>;
    /// Two stores whose writers race: two nodes where the storage is shared by nodes, one
    /// node twice for a directory (one node's by design).
    fn racers(&self) -> (Arc<dyn BlobStore>, Arc<dyn BlobStore>);
}

/// A blob directory.
pub struct DirBacking {
    dir: tempfile::TempDir,
}

impl DirBacking {
    /// In a new temporary directory.
    pub fn new() -> Result<DirBacking> {
        Ok(DirBacking {
            dir: tempfile::tempdir()?,
        })
    }
}

impl Backing for DirBacking {
    fn node(&self) -> Arc<dyn BlobStore> {
        Arc::new(FsBlobStore::open(self.dir.path()).expect("open the blob directory"))
    }

    fn racers(&self) -> (Arc<dyn BlobStore>, Arc<dyn BlobStore>) {
        let node = self.node();
        (node.clone(), node)
    }
}

/// A prefix of an S3 bucket.
pub struct S3Backing {
    bucket: S3Bucket,
    prefix: String,
}

impl S3Backing {
    /// Under `prefix` in `bucket`.
    pub fn new(bucket: S3Bucket, prefix: &str) -> S3Backing {
        S3Backing {
            bucket,
            prefix: prefix.into(),
        }
    }
}

impl Backing for S3Backing {
    fn node(&self) -> Arc<dyn BlobStore> {
        self.bucket.store(&self.prefix).expect("open the bucket")
    }

    fn racers(&self) -> (Arc<dyn BlobStore>, Arc<dyn BlobStore>) {
        (self.node(), self.node())
    }
}

/// `len` bytes that sniff as JPEG, then noise; and their hash.
pub fn blob(len: usize, seed: u64) -> (Vec<u8>, String) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
    bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let hash = hex::encode(Sha256::digest(&bytes));
    (bytes, hash)
}

/// Appends `bytes[from..to]` in pieces of `piece` bytes; returns the bytes held after.
async fn send(
    store: &dyn BlobStore,
    hash: &str,
    bytes: &[u8],
    from: usize,
    to: usize,
    piece: usize,
) -> Result<u64> {
    let mut at = from;
    while at < to {
        let end = (at + piece).min(to);
        let piece = Bytes::copy_from_slice(&bytes[at..end]);
        let held = store.append(hash, at as u64, piece).await?;
        ensure!(held == end as u64, "append at {at} held {held}, not {end}");
        at = end;
    }
    Ok(at as u64)
}

/// The bytes of `hash` (or of `range` of it), with the reader's size and type.
async fn read(
    store: &dyn BlobStore,
    hash: &str,
    range: Option<std::ops::Range<u64>>,
) -> Result<Option<(u64, MediaType, Vec<u8>)>> {
    let Some(mut reader) = store.open(hash, range.clone()).await? else {
        return Ok(None);
    };
    if let Some(range) = range {
        ensure!(reader.range == range, "served {:?}", reader.range);
    }
    let mut out = Vec::new();
    reader.body.read_to_end(&mut out).await?;
    Ok(Some((reader.size, reader.media, out)))
}

/// A blob sent in one append is held whole after `finish`, and reads back.
pub async fn whole_blob_round_trip(backing: &dyn Backing) -> Result<()> {
    let store = backing.node();
    let (bytes, hash) = blob(300 * 1024, 1);
    ensure!(store.held(&hash).await? == Held::Nothing);
    ensure!(store.open(&hash, None).await?.is_none());
    send(store.as_ref(), &hash, &bytes, 0, bytes.len(), bytes.len()).await?;
    ensure!(store.held(&hash).await? == Held::Partial(bytes.len() as u64));
    ensure!(store.finish(&hash).await? == bytes.len() as u64);
    ensure!(store.held(&hash).await? == Held::Whole(bytes.len() as u64));
    let (size, media, back) = read(store.as_ref(), &hash, None).await?.context("held")?;
    ensure!((size, media) == (bytes.len() as u64, MediaType::Jpeg));
    ensure!(back == bytes, "the blob reads back as written");
    Ok(())
}

/// Pieces of 256 KiB (and one odd one) over the 5 MiB part boundary; the first node stops,
/// a second finds the offset, is refused anywhere else, continues and finishes.
pub async fn resumable_upload_continues_on_another_node(backing: &dyn Backing) -> Result<()> {
    let (bytes, hash) = blob(7 * MIB + 12_345, 2);
    let first = backing.node();
    let mut held = send(first.as_ref(), &hash, &bytes, 0, 3 * MIB, PIECE).await?;
    held = send(
        first.as_ref(),
        &hash,
        &bytes,
        held as usize,
        3 * MIB + 100_000,
        PIECE,
    )
    .await?;
    held = send(
        first.as_ref(),
        &hash,
        &bytes,
        held as usize,
        5 * MIB + PIECE,
        PIECE,
    )
    .await?;
    drop(first);

    let second = backing.node();
    ensure!(
        second.held(&hash).await? == Held::Partial(held),
        "the second node sees {held}"
    );
    for wrong in [held + 1, held - 10, 0] {
        match second.append(&hash, wrong, Bytes::from_static(b"xx")).await {
            Err(BlobError::OffsetTaken { held: h }) if h == held => {}
            other => anyhow::bail!("append at {wrong}: {other:?}"),
        }
    }
    send(
        second.as_ref(),
        &hash,
        &bytes,
        held as usize,
        bytes.len(),
        PIECE,
    )
    .await?;
    ensure!(second.finish(&hash).await? == bytes.len() as u64);
    let third = backing.node();
    ensure!(third.held(&hash).await? == Held::Whole(bytes.len() as u64));
    let (_, _, back) = read(third.as_ref(), &hash, None).await?.context("held")?;
    ensure!(back == bytes, "the blob reads back as sent");
    Ok(())
}

/// Two writers at one offset: exactly one append lands, the other is told the new end; the
/// upload then completes intact.
pub async fn racing_writers_on_one_offset(backing: &dyn Backing) -> Result<()> {
    let (bytes, hash) = blob(MIB, 3);
    let (a, b) = backing.racers();
    send(a.as_ref(), &hash, &bytes, 0, PIECE, PIECE).await?;
    let at = PIECE as u64;
    let long = Bytes::copy_from_slice(&bytes[PIECE..2 * PIECE]);
    let short = Bytes::copy_from_slice(&bytes[PIECE..PIECE + 100_000]);
    let (ra, rb) = tokio::join!(a.append(&hash, at, long), b.append(&hash, at, short));
    let end = match (ra, rb) {
        (Ok(end), Err(BlobError::OffsetTaken { held })) if held == end => end,
        (Err(BlobError::OffsetTaken { held }), Ok(end)) if held == end => end,
        other => anyhow::bail!("one writer must win: {other:?}"),
    };
    ensure!(b.held(&hash).await? == Held::Partial(end));
    send(b.as_ref(), &hash, &bytes, end as usize, bytes.len(), PIECE).await?;
    ensure!(a.finish(&hash).await? == bytes.len() as u64);
    let (_, _, back) = read(b.as_ref(), &hash, None).await?.context("held")?;
    ensure!(back == bytes, "the raced blob is intact");
    Ok(())
}

/// Bytes that do not hash to their name are refused at `finish`, small or past a part, and
/// nothing of them stays.
pub async fn a_bad_hash_is_refused_and_nothing_kept(backing: &dyn Backing) -> Result<()> {
    let store = backing.node();
    for (len, piece) in [(200 * 1024, PIECE), (6 * MIB, 3 * MIB)] {
        let (bytes, _) = blob(len, 4);
        let (_, wrong) = blob(10, 5);
        send(store.as_ref(), &wrong, &bytes, 0, len, piece).await?;
        match store.finish(&wrong).await {
            Err(BlobError::HashMismatch(h)) if h == wrong => {}
            other => anyhow::bail!("finish of a wrong hash: {other:?}"),
        }
        ensure!(
            store.held(&wrong).await? == Held::Nothing,
            "{len} bytes: nothing held"
        );
        ensure!(store.open(&wrong, None).await?.is_none());
        let left = store.inventory().await?;
        ensure!(
            left.iter().all(|b| b.hash != wrong),
            "{len} bytes: {left:?}"
        );
    }
    Ok(())
}

/// A range of a whole blob is read as a range, its type still from the first bytes.
pub async fn ranged_reads(backing: &dyn Backing) -> Result<()> {
    let store = backing.node();
    let (bytes, hash) = blob(300 * 1024, 6);
    send(store.as_ref(), &hash, &bytes, 0, bytes.len(), PIECE).await?;
    store.finish(&hash).await?;
    let size = bytes.len() as u64;
    for range in [0..10, 1000..2000, size - 7..size] {
        let (total, media, part) = read(store.as_ref(), &hash, Some(range.clone()))
            .await?
            .context("held")?;
        ensure!((total, media) == (size, MediaType::Jpeg), "{range:?}");
        ensure!(
            part == bytes[range.start as usize..range.end as usize],
            "{range:?}"
        );
    }
    let (_, missing) = blob(10, 7);
    ensure!(store.open(&missing, Some(0..5)).await?.is_none());
    Ok(())
}

/// What gc needs: every whole blob and partial listed with its size; removing a whole blob
/// takes its thumbnail record, removing a partial clears the upload.
pub async fn inventory_and_remove(backing: &dyn Backing) -> Result<()> {
    let store = backing.node();
    let (photo, photo_hash) = blob(64 * 1024, 8);
    let (thumb, thumb_hash) = blob(4 * 1024, 9);
    let (partial, partial_hash) = blob(300 * 1024, 10);
    for (bytes, hash) in [(&photo, &photo_hash), (&thumb, &thumb_hash)] {
        send(store.as_ref(), hash, bytes, 0, bytes.len(), PIECE).await?;
        store.finish(hash).await?;
    }
    store.set_thumbnail(&photo_hash, &thumb_hash).await?;
    send(store.as_ref(), &partial_hash, &partial, 0, 100_000, PIECE).await?;
    let listed = store.inventory().await?;
    let find = |hash: &str| listed.iter().find(|b| b.hash == hash).cloned();
    let photo_entry = find(&photo_hash).context("photo listed")?;
    ensure!((photo_entry.kind, photo_entry.size) == (Stored::Whole, photo.len() as u64));
    ensure!(find(&thumb_hash).is_some_and(|b| b.kind == Stored::Whole));
    let partial_entry = find(&partial_hash).context("partial listed")?;
    ensure!((partial_entry.kind, partial_entry.size) == (Stored::Partial, 100_000));
    ensure!(listed.len() == 3, "{listed:?}");

    store.remove(&partial_entry).await?;
    ensure!(store.held(&partial_hash).await? == Held::Nothing);
    store.remove(&photo_entry).await?;
    ensure!(store.held(&photo_hash).await? == Held::Nothing);
    ensure!(
        store.thumbnail(&photo_hash).await?.is_none(),
        "the thumbnail record went too"
    );
    ensure!(store.held(&thumb_hash).await? == Held::Whole(thumb.len() as u64));
    ensure!(store.inventory().await?.len() == 1);
    Ok(())
}

/// A photo's thumbnail is recorded beside it, the first one stays, every node sees it.
pub async fn thumbnails_beside_their_photo(backing: &dyn Backing) -> Result<()> {
    let store = backing.node();
    let (_, photo) = blob(10, 11);
    let (_, first) = blob(10, 12);
    let (_, second) = blob(10, 13);
    ensure!(store.thumbnail(&photo).await?.is_none());
    store.set_thumbnail(&photo, &first).await?;
    store.set_thumbnail(&photo, &second).await?;
    ensure!(store.thumbnail(&photo).await? == Some(first.clone()));
    ensure!(backing.node().thumbnail(&photo).await? == Some(first));
    ensure!(store.thumbnail(&second).await?.is_none());
    Ok(())
}
