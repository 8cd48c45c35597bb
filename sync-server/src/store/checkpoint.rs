//! WAL checkpoints beside the writer instead of inside its commits.
//!
//! With SQLite's automatic checkpoint, the commit that crosses 1,000 WAL pages copies them all
//! into the database file while every sync round waits for the single writer. Here the writer
//! connection does not checkpoint on its own (`wal_autocheckpoint = 0`); after each commit
//! (a group commit of sync rounds, or an admin write) it nudges a checkpointer thread, which
//! copies frames with its own connection (`PASSIVE`: readers and the writer carry on).
//!
//! SQLite rewinds the WAL only when a write transaction starts with every frame copied, which
//! a checkpoint running beside a busy writer never leaves behind. So once the WAL holds more
//! than [`REWIND_FRAMES`], the checkpointer asks the writer to copy the remainder itself after
//! its next commit (a few rounds' pages; the rest is done), and the commit after that rewinds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use rusqlite::Connection;

use super::{StoreError, StoreResult};

/// WAL size (pages) from which the writer finishes a checkpoint itself so the WAL rewinds.
pub const REWIND_FRAMES: i64 = 4_000;

/// The writer's side: nudges after commits, and the request to finish a checkpoint.
pub struct Checkpointer {
    nudge: SyncSender<()>,
    rewind: Arc<AtomicBool>,
}

/// `(log, checkpointed)` frames after a passive checkpoint.
fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

impl Checkpointer {
    /// Turns off the automatic checkpoint of `writer` and starts the checkpointer thread on
    /// its own connection (`open` opens it); the thread ends with the [`Checkpointer`].
    pub fn start(
        writer: &Connection,
        open: impl FnOnce() -> StoreResult<Connection>,
    ) -> StoreResult<Checkpointer> {
        let conn = open()?;
        writer.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        let (nudge, nudges) = std::sync::mpsc::sync_channel(1);
        let rewind = Arc::new(AtomicBool::new(false));
        let flag = rewind.clone();
        std::thread::Builder::new()
            .name("gridwalk-checkpoint".into())
            .spawn(move || run(&conn, &nudges, &flag))
            .map_err(|e| StoreError::Other(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { nudge, rewind })
    }

    /// Called by the writer after each commit, on its connection.
    pub fn after_commit(&self, writer: &Connection) {
        // The checkpointer is idle while the flag is up: two checkpoints at once would leave
        // one of them busy.
        if self.rewind.load(Ordering::Acquire) {
            if let Err(e) = passive(writer) {
                tracing::warn!(error = %e, "WAL checkpoint by the writer failed");
            }
            self.rewind.store(false, Ordering::Release);
        }
        match self.nudge.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::warn!("the checkpoint thread has stopped");
            }
        }
    }
}

fn run(conn: &Connection, nudges: &Receiver<()>, rewind: &AtomicBool) {
    while nudges.recv().is_ok() {
        if rewind.load(Ordering::Acquire) {
            continue;
        }
        match passive(conn) {
            Ok((log, _)) if log > REWIND_FRAMES => rewind.store(true, Ordering::Release),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// WAL mode without an fsync per commit: the test is about the WAL's size, not durability.
    fn open(path: &Path) -> StoreResult<Connection> {
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        Ok(conn)
    }

    fn wal_pages(path: &Path) -> u64 {
        let wal = path.with_extension("sqlite-wal");
        std::fs::metadata(wal).map_or(0, |m| m.len()) / 4096
    }

    #[test]
    fn the_wal_is_copied_and_rewound_while_the_writer_keeps_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let writer = open(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE t (x BLOB NOT NULL)")
            .unwrap();
        let checkpointer = Checkpointer::start(&writer, || open(&path)).unwrap();
        let row = vec![7u8; 3_000];
        let mut insert = writer.prepare("INSERT INTO t (x) VALUES (?1)").unwrap();
        for _ in 0..3_000 {
            writer.execute_batch("BEGIN").unwrap();
            for _ in 0..8 {
                insert.execute([&row]).unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
            checkpointer.after_commit(&writer);
        }
        // Some 24,000 pages went through the WAL; without rewinds it would hold them all (the
        // file keeps the largest size it reached).
        let pages = wal_pages(&path);
        assert!(
            pages < 3 * REWIND_FRAMES as u64,
            "the WAL grew to {pages} pages"
        );
        let count: i64 = open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 24_000);
    }
}
