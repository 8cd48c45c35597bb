//! Blob storage (photos, thumbnails, audio notes), content-addressed by SHA-256, behind the
//! [`BlobStore`] trait: a local directory by default ([`fs::FsBlobStore`]); the trait speaks
//! in hashes, offsets and byte streams only, so an S3-compatible store can stand beside it.
//! Uploads are resumable: a blob is first a *partial* that grows by appends and becomes
//! *whole* only once its bytes hash to its name.

pub mod access;
pub mod fs;
pub mod gc;
mod missing;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use gridwalk_shared::media::MediaType;
use tokio::io::{AsyncRead, AsyncWrite};

pub use missing::{missing_blobs, MissingBlob};

/// A boxed future, so the trait can be used as `dyn BlobStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A blob being read.
pub type BlobRead = Pin<Box<dyn AsyncRead + Send>>;
/// A partial upload being appended to.
pub type BlobWrite = Pin<Box<dyn AsyncWrite + Send>>;

/// A blob-storage failure.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The bytes do not hash to the blob's name; the partial upload was discarded.
    #[error("the uploaded bytes do not match the hash {0}")]
    HashMismatch(String),
    /// The storage failed.
    #[error("blob storage failure: {0}")]
    Io(#[from] std::io::Error),
    /// The database of blob references failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Result of a blob-store call.
pub type BlobResult<T> = Result<T, BlobError>;

/// How much of a blob the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Nothing.
    Nothing,
    /// A partial upload of this many bytes.
    Partial(u64),
    /// The whole blob, verified, of this size.
    Whole(u64),
}

impl Held {
    /// Bytes held.
    pub fn bytes(self) -> u64 {
        match self {
            Held::Nothing => 0,
            Held::Partial(n) | Held::Whole(n) => n,
        }
    }
}

/// A whole blob opened for reading.
pub struct BlobReader {
    /// Size in bytes.
    pub size: u64,
    /// Its type, from its first bytes.
    pub media: MediaType,
    /// The bytes.
    pub body: BlobRead,
}

/// Content-addressed blob storage. `hash` is always a checked SHA-256 hex name.
pub trait BlobStore: Send + Sync + 'static {
    /// What is held of `hash`.
    fn held(&self, hash: &str) -> BoxFuture<'_, BlobResult<Held>>;

    /// A writer appending to the partial upload of `hash` (created if absent). The caller
    /// appends only at the partial's current end, under the blob's lock.
    fn append(&self, hash: &str) -> BoxFuture<'_, BlobResult<BlobWrite>>;

    /// Checks the partial against its hash and makes it whole; on a mismatch the partial is
    /// deleted and [`BlobError::HashMismatch`] returned. Returns the size.
    fn finish(&self, hash: &str) -> BoxFuture<'_, BlobResult<u64>>;

    /// Opens a whole blob, if held.
    fn open(&self, hash: &str) -> BoxFuture<'_, BlobResult<Option<BlobReader>>>;

    /// Records that `thumbnail` is the thumbnail of photo `photo` (the first one recorded
    /// stays).
    fn set_thumbnail(&self, photo: &str, thumbnail: &str) -> BoxFuture<'_, BlobResult<()>>;

    /// The thumbnail recorded for `photo`.
    fn thumbnail(&self, photo: &str) -> BoxFuture<'_, BlobResult<Option<String>>>;
}

/// The blob store the server uses, with the set of blobs being uploaded right now.
#[derive(Clone)]
pub struct Blobs {
    /// Where blobs live.
    pub store: Arc<dyn BlobStore>,
    uploading: Arc<std::sync::Mutex<HashSet<String>>>,
}

/// The right to append to one blob, held while its body is read; given back on drop.
pub struct UploadClaim {
    hash: String,
    uploading: Arc<std::sync::Mutex<HashSet<String>>>,
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        if let Ok(mut set) = self.uploading.lock() {
            set.remove(&self.hash);
        }
    }
}

impl Blobs {
    /// Blobs kept in `store`.
    pub fn new(store: Arc<dyn BlobStore>) -> Blobs {
        Blobs {
            store,
            uploading: Arc::default(),
        }
    }

    /// Blobs in a local directory.
    pub fn in_dir(dir: impl Into<std::path::PathBuf>) -> std::io::Result<Blobs> {
        Ok(Blobs::new(Arc::new(fs::FsBlobStore::open(dir)?)))
    }

    /// Claims blob `hash` for one upload at a time; `None` while another upload of it is
    /// in progress (never waits: a slow or stalled body holds up no other request).
    pub fn claim(&self, hash: &str) -> Option<UploadClaim> {
        let mut set = self.uploading.lock().ok()?;
        set.insert(hash.to_string()).then(|| UploadClaim {
            hash: hash.to_string(),
            uploading: self.uploading.clone(),
        })
    }
}
