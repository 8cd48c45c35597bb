//! Blob storage (photos, thumbnails, audio notes), content-addressed by SHA-256, behind the
//! [`BlobStore`] trait: a local directory by default ([`fs::FsBlobStore`]) or an
//! S3-compatible object store ([`s3::S3BlobStore`], docs/storage.md); [`Blobs::open_location`]
//! picks one from `DIR | s3://BUCKET/PREFIX`. The trait speaks in hashes, offsets and bytes
//! only. Uploads are resumable: a blob is first a *partial* that grows by appends at its end
//! and becomes *whole* only once its bytes hash to its name.

pub mod access;
pub mod copy;
pub mod fs;
pub mod gc;
mod location;
mod missing;
pub mod s3;
mod s3_partial;

use std::collections::HashSet;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use gridwalk_shared::media::MediaType;
use tokio::io::AsyncRead;

pub use location::BlobLocation;
pub use missing::{missing_blobs, MissingBlob};

/// A boxed future, so the trait can be used as `dyn BlobStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A blob being read.
pub type BlobRead = Pin<Box<dyn AsyncRead + Send>>;

/// A blob-storage failure.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The bytes do not hash to the blob's name; the partial upload was discarded.
    #[error("the uploaded bytes do not match the hash {0}")]
    HashMismatch(String),
    /// An append did not start at the partial's end (another writer got there first).
    #[error("the server holds {held} bytes of this blob; continue from there")]
    OffsetTaken {
        /// Bytes held now.
        held: u64,
    },
    /// A blob location that is neither a directory nor `s3://BUCKET/PREFIX`.
    #[error("{0}")]
    Location(String),
    /// The storage failed.
    #[error("blob storage failure: {0}")]
    Io(#[from] std::io::Error),
    /// The object store failed.
    #[error("object storage failure: {0}")]
    Object(#[from] object_store::Error),
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

/// A whole blob, or a range of it, opened for reading.
pub struct BlobReader {
    /// Size of the whole blob in bytes.
    pub size: u64,
    /// The bytes `body` carries (all of them unless a range was asked for).
    pub range: Range<u64>,
    /// Its type, from its first bytes.
    pub media: MediaType,
    /// The bytes.
    pub body: BlobRead,
}

/// Whether a stored blob is whole or a partial upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A whole, verified blob.
    Whole,
    /// A partial upload.
    Partial,
}

/// A blob (or partial upload) the store holds, as listed for garbage collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// The blob's hash.
    pub hash: String,
    /// Whole or partial.
    pub kind: Stored,
    /// Bytes held.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// Content-addressed blob storage. `hash` is always a checked SHA-256 hex name.
pub trait BlobStore: Send + Sync + 'static {
    /// What is held of `hash`.
    fn held(&self, hash: &str) -> BoxFuture<'_, BlobResult<Held>>;

    /// Appends `bytes` to the partial upload of `hash` (created if absent) at offset `at`,
    /// which must be its end: otherwise [`BlobError::OffsetTaken`], and nothing is written.
    /// Returns the bytes held after. Two writers racing for one offset: one wins.
    fn append(&self, hash: &str, at: u64, bytes: Bytes) -> BoxFuture<'_, BlobResult<u64>>;

    /// Bytes of an upload's body to gather before appending them: 0 for storage that keeps
    /// bytes as they arrive (a file), a whole part for one where each append is an object.
    fn gather_bytes(&self) -> usize;

    /// Checks the partial against its hash and makes it whole; on a mismatch the partial is
    /// deleted and [`BlobError::HashMismatch`] returned. Returns the size.
    fn finish(&self, hash: &str) -> BoxFuture<'_, BlobResult<u64>>;

    /// Opens a whole blob, or the bytes `range` of it (within the blob), if held.
    fn open(
        &self,
        hash: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, BlobResult<Option<BlobReader>>>;

    /// Records that `thumbnail` is the thumbnail of photo `photo` (the first one recorded
    /// stays).
    fn set_thumbnail(&self, photo: &str, thumbnail: &str) -> BoxFuture<'_, BlobResult<()>>;

    /// The thumbnail recorded for `photo`.
    fn thumbnail(&self, photo: &str) -> BoxFuture<'_, BlobResult<Option<String>>>;

    /// Every whole blob and partial upload held, by hash.
    fn inventory(&self) -> BoxFuture<'_, BlobResult<Vec<StoredBlob>>>;

    /// Deletes `blob`: a whole blob with its thumbnail record, or a partial upload.
    fn remove(&self, blob: &StoredBlob) -> BoxFuture<'_, BlobResult<()>>;
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

    /// Blobs where `location` says: a directory or `s3://BUCKET/PREFIX` (the object store's
    /// endpoint, region and keys from the `AWS_*` environment).
    pub fn open_location(location: &str) -> BlobResult<Blobs> {
        Ok(Blobs::new(match location.parse::<BlobLocation>()? {
            BlobLocation::Dir(dir) => Arc::new(fs::FsBlobStore::open(dir)?),
            BlobLocation::S3 { bucket, prefix } => {
                Arc::new(s3::S3BlobStore::from_env(&bucket, &prefix)?)
            }
        }))
    }

    /// Asks the storage about one blob, so a server that cannot reach it (a missing bucket,
    /// wrong keys) says so at start rather than on the first upload.
    pub async fn check(&self) -> BlobResult<()> {
        self.store.held(&"0".repeat(64)).await.map(|_| ())
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
