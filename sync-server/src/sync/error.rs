//! Why a sync round failed as a whole. Each refused document travels in the answer instead;
//! the HTTP layer maps these to statuses (`crate::error`), so the engine knows no HTTP.

use crate::store::StoreError;

/// A sync round failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request is over the per-request limits.
    #[error(
        "at most {docs} documents and {changes} changes per request; send the rest in another"
    )]
    TooManyChanges {
        /// Most documents per request.
        docs: usize,
        /// Most changes per request.
        changes: usize,
    },
    /// The server is stopping and takes no more rounds.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A check task failed (a bug).
    #[error("sync check failed: {0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
