//! The storage contract suite (`gridwalk_store::contract`) against the SQLite backend, each
//! test in a new temporary directory.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_store::contract::Backend;
use gridwalk_store_sqlite::SqliteStore;

struct Sqlite;

impl Backend for Sqlite {
    type Store = SqliteStore;
    type Place = tempfile::TempDir;

    async fn place(&self) -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    async fn open(&self, place: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(place.path()).unwrap()
    }

    async fn execute(&self, place: &tempfile::TempDir, sql: &str) -> Result<u64, String> {
        let conn = rusqlite::Connection::open(place.path().join(SqliteStore::FILE_NAME))
            .map_err(|e| e.to_string())?;
        conn.execute(sql, [])
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }
}

gridwalk_store::contract_tests!(Sqlite);
