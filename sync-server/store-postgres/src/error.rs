//! Failures inside the PostgreSQL backend, turned into [`StoreError`] at the trait boundary
//! (the trait crate knows no database driver).

use gridwalk_store::StoreError;

/// A failure inside the backend: PostgreSQL's, the pool's, or one the backend decided.
#[derive(Debug)]
pub(crate) enum DbError {
    /// PostgreSQL failed.
    Sql(tokio_postgres::Error),
    /// No connection could be had from the pool.
    Pool(deadpool_postgres::PoolError),
    /// A refusal or a bad stored value.
    Store(StoreError),
}

/// Result inside the backend.
pub(crate) type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// Whether PostgreSQL gave up on the transaction because of another one (serialization
    /// failure, deadlock): redoing the work is the answer.
    pub(crate) fn is_contention(&self) -> bool {
        use tokio_postgres::error::SqlState;
        match self {
            DbError::Sql(e) => matches!(
                e.code(),
                Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
            ),
            _ => false,
        }
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sql(e) => match e.as_db_error() {
                Some(db) => write!(f, "PostgreSQL: {}", db.message()),
                None => write!(f, "PostgreSQL: {e}"),
            },
            DbError::Pool(e) => write!(f, "PostgreSQL connection pool: {e}"),
            DbError::Store(e) => e.fmt(f),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Sql(e)
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Pool(e)
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
            DbError::Store(e) => e,
            other => StoreError::Other(other.to_string()),
        }
    }
}
