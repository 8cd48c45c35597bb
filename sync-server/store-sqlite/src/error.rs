//! Failures inside the SQLite backend, turned into [`StoreError`] at the trait boundary (the
//! trait crate knows no database driver).

use gridwalk_store::StoreError;

/// A failure inside the backend: SQLite's own, or one the backend decided.
#[derive(Debug)]
pub(crate) enum DbError {
    /// SQLite failed.
    Sql(rusqlite::Error),
    /// A refusal or a bad stored value.
    Store(StoreError),
}

/// Result inside the backend.
pub(crate) type DbResult<T> = Result<T, DbError>;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sql(e) => e.fmt(f),
            DbError::Store(e) => e.fmt(f),
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sql(e)
    }
}

impl From<StoreError> for DbError {
    fn from(e: StoreError) -> Self {
        DbError::Store(e)
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Sql(e) => StoreError::Other(e.to_string()),
            DbError::Store(e) => e,
        }
    }
}
