//! SQLite's online backup and restore of the store file (docs/decisions.md, "Backups").
//! [`backup_file`] copies the database with the online backup API in one step, so the copy is
//! one consistent snapshot while the server keeps syncing; [`restore_file`] copies a backup
//! over a stopped server's database and starts a new epoch, so devices re-send what the
//! backup missed. The blob manifest beside a backup is the server's (`gridwalk_server::backup`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gridwalk_store::StoreError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::SqliteStore;

/// A backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// SQLite refused.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store failed (opening the restored copy, the new epoch).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database stayed locked (a restore under a running server?).
    #[error("the database stayed locked for 60 s: is a server running on it?")]
    Locked,
    /// The file is not a Gridwalk store, or is damaged.
    #[error("{0}")]
    NotAStore(String),
}

/// What a restore did to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The store's new epoch.
    pub epoch: Uuid,
    /// Every blob hash the restored records reference.
    pub referenced: Vec<String>,
}

/// Copies every page of `from` into `to` in one step (one read transaction on `from`, so a
/// consistent snapshot however busy the writer is), retrying while a lock is held.
fn copy(from: &Connection, to: &mut Connection) -> Result<(), BackupError> {
    let backup = Backup::new(from, to)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked
                if Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => return Err(BackupError::Locked),
        }
    }
}

/// Checks that `conn` holds an undamaged Gridwalk store.
fn check(conn: &Connection, what: &Path) -> Result<(), BackupError> {
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    let epoch: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
            r.get(0)
        })
        .ok();
    if verdict != "ok" || epoch.is_none() {
        return Err(BackupError::NotAStore(format!(
            "{} is not an undamaged Gridwalk store ({verdict})",
            what.display()
        )));
    }
    Ok(())
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

/// Backs up the store in `data` to `to` while the server may be running; returns the copy's
/// size. The copy is written under a temporary name and renamed, so `to` is whole or absent.
pub fn backup_file(data: &Path, to: &Path) -> Result<u64, BackupError> {
    let source = data.join(SqliteStore::FILE_NAME);
    if !source.is_file() {
        return Err(BackupError::NotAStore(format!(
            "{} holds no Gridwalk store",
            data.display()
        )));
    }
    let from = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    from.busy_timeout(Duration::from_secs(30))?;
    let mut partial = to.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    {
        let mut copy_conn = Connection::open(&partial)?;
        copy(&from, &mut copy_conn)?;
        // One self-contained file: no WAL beside it.
        copy_conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
        check(&copy_conn, to)?;
    }
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, to)?;
    sync_parent(to)?;
    Ok(std::fs::metadata(to)?.len())
}

/// Restores backup `from` into `data` (the server stopped) and gives the store a new epoch.
pub fn restore_file(from: &Path, data: &Path) -> Result<Restored, BackupError> {
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&source, from)?;
    std::fs::create_dir_all(data)?;
    {
        let mut target = Connection::open(data.join(SqliteStore::FILE_NAME))?;
        target.busy_timeout(Duration::from_secs(5))?;
        copy(&source, &mut target)?;
        target.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    drop(source);
    let store = SqliteStore::open(data)?;
    let epoch = store.new_epoch_blocking()?;
    Ok(Restored {
        epoch,
        referenced: referenced_blobs(&data.join(SqliteStore::FILE_NAME))?,
    })
}

/// Every blob hash the store's records reference.
fn referenced_blobs(db: &Path) -> Result<Vec<String>, BackupError> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT DISTINCT blob FROM blob_refs")?;
    let hashes = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(hashes)
}
