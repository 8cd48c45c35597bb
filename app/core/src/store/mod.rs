//! The device's one SQLite file: documents, the outbox of unsent changes, query tables derived
//! from documents, blob metadata, reference data, credentials and the sync cursor. Every write
//! is one `BEGIN IMMEDIATE` transaction. Blob files live beside it (`media::files`).

pub(crate) mod blobs;
pub(crate) mod drafts;
pub(crate) mod meta;
pub(crate) mod outbox;
pub(crate) mod queries;
pub(crate) mod records;
mod schema;
pub(crate) mod want_full;

use std::path::Path;

use rusqlite::{types::Type, Connection, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::Result;

pub use schema::SCHEMA_VERSION;

/// Name of the store file inside the data directory.
pub const FILE_NAME: &str = "gridwalk.sqlite";

/// An open store.
pub(crate) struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) `dir/gridwalk.sqlite` and migrates it.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)?;
        let mut conn = Connection::open(dir.join(FILE_NAME))?;
        // Saving a document runs about twenty statements; each is prepared once (rusqlite
        // keeps 16 by default, and preparing them anew was ~10% of a fresh device's sync).
        conn.set_prepared_statement_cache_capacity(64);
        schema::prepare(&mut conn)?;
        Ok(Store { conn })
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `work` in one write transaction; commits only if it succeeds.
    pub fn write<T>(&mut self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// Reads a UUID stored as text in column `index`.
pub(crate) fn uuid_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(index)?;
    Uuid::parse_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

/// Reads an optional UUID stored as text in column `index`.
pub(crate) fn opt_uuid_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Uuid>> {
    match row.get::<_, Option<String>>(index)? {
        None => Ok(None),
        Some(text) => Uuid::parse_str(&text)
            .map(Some)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e))),
    }
}
