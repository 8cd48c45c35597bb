//! `--data`, `--database`, `--blobs`: where every `gridwalk-server` command finds its data,
//! and opening the backend they name.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use gridwalk_server::blobs::Blobs;
use gridwalk_server::location::Database;

/// Where a command's data lives. `--data DIR` alone means SQLite and blobs under DIR.
#[derive(clap::Args, Clone, Debug)]
pub struct StorageArgs {
    /// Data directory: the SQLite database and the blobs folder, unless `--database` and
    /// `--blobs` name others.
    #[arg(long, env = "GRIDWALK_DATA")]
    pub data: Option<PathBuf>,
    /// Database: `sqlite://DIR` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "GRIDWALK_DATABASE")]
    pub database: Option<String>,
    /// Blob storage: a directory or `s3://BUCKET/PREFIX` (endpoint, region and keys from
    /// `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "GRIDWALK_BLOBS")]
    pub blobs: Option<String>,
}

impl StorageArgs {
    /// The database named, or the SQLite store in `--data`.
    pub fn database(&self) -> Result<Database> {
        match (&self.database, &self.data) {
            (Some(url), _) => Ok(url.parse()?),
            (None, Some(dir)) => Ok(Database::in_dir(dir)),
            (None, None) => bail!(
                "say where the data is: --data DIR, or --database sqlite://DIR | postgres://USER@HOST:PORT/DB \
                 (or GRIDWALK_DATA / GRIDWALK_DATABASE)"
            ),
        }
    }

    /// The blob location named, or `blobs` under the data directory (or under the SQLite
    /// directory).
    pub fn blob_location(&self) -> Result<String> {
        if let Some(blobs) = &self.blobs {
            return Ok(blobs.clone());
        }
        let dir = match (self.data.clone(), self.database()?) {
            (Some(dir), _) | (None, Database::Sqlite(dir)) => dir,
            (None, Database::Postgres(_)) => bail!(
                "a PostgreSQL deployment keeps blobs elsewhere: add --blobs DIR | s3://BUCKET/PREFIX \
                 (or GRIDWALK_BLOBS)"
            ),
        };
        Ok(dir.join("blobs").to_string_lossy().into_owned())
    }

    /// Opens the blob storage: the directory, or the bucket of `s3://BUCKET/PREFIX`.
    pub fn open_blobs(&self) -> Result<Blobs> {
        let location = self.blob_location()?;
        Blobs::open_location(&location)
            .with_context(|| format!("cannot open the blob storage {location}"))
    }

    /// Refuses a command that works on a blob directory only when the blobs are in an
    /// object store.
    pub fn blobs_in_a_directory(&self, what: &str) -> Result<()> {
        let location = self.blob_location()?;
        if location.starts_with("s3://") {
            bail!(
                "`{what}` lists a blob directory; blobs in {location} stay in the object store: \
                 keep them with its versioning or replication (docs/storage.md)"
            );
        }
        Ok(())
    }

    /// How the data is named in messages (passwords left out).
    pub fn describe(&self) -> String {
        match (&self.data, &self.database) {
            (Some(dir), None) => format!("--data {}", dir.display()),
            _ => match self.database() {
                Ok(db) => format!("--database {}", db.display()),
                Err(_) => "(no data location)".into(),
            },
        }
    }
}
