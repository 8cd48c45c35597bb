//! Group commit for the SQLite store: sync rounds hand their document writes to one writer
//! thread, which commits every round waiting at that moment in a single transaction — one
//! fsync for many devices — with a savepoint per round so one failure does not undo another.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection};
use uuid::Uuid;

use gridwalk_store::{DocWrite, StoreError};

use crate::{DbError, DbResult};

/// Most rounds committed together.
const MAX_BATCH: usize = 64;

/// One sync round's writes, and where to send the outcome.
pub struct CommitJob {
    /// Uploading device.
    pub device_id: Uuid,
    /// Validated documents.
    pub writes: Vec<DocWrite>,
    /// Receives the top sequence after the commit, or the error.
    pub reply: tokio::sync::oneshot::Sender<DbResult<u64>>,
}

/// Starts the writer thread; it ends when every sender is dropped.
pub fn start(conn: Arc<Mutex<Connection>>) -> DbResult<Sender<CommitJob>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("gridwalk-commit".into())
        .spawn(move || run(&conn, &receiver))
        .map_err(|e| StoreError::Other(format!("cannot start the commit thread: {e}")))?;
    Ok(sender)
}

fn run(conn: &Mutex<Connection>, jobs: &Receiver<CommitJob>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcomes = match conn.lock() {
            Ok(mut conn) => commit_batch(&mut conn, &batch),
            Err(_) => batch
                .iter()
                .map(|_| Err(StoreError::Other("the writer connection was poisoned".into()).into()))
                .collect(),
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // The round may have been abandoned (client gone); nothing to tell then.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Commits the batch in one transaction; each job's writes are all-or-nothing.
fn commit_batch(conn: &mut Connection, batch: &[CommitJob]) -> Vec<DbResult<u64>> {
    let fail_all = |e: DbError| {
        batch
            .iter()
            .map(|_| Err(StoreError::Other(e.to_string()).into()))
            .collect()
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        return fail_all(e.into());
    }
    let mut done: Vec<DbResult<()>> = Vec::with_capacity(batch.len());
    for job in batch {
        let outcome = conn
            .execute_batch("SAVEPOINT round")
            .map_err(DbError::from)
            .and_then(|()| write_round(conn, job.device_id, &job.writes));
        let settle = match outcome {
            Ok(()) => "RELEASE round",
            Err(_) => "ROLLBACK TO round; RELEASE round",
        };
        if let Err(e) = conn.execute_batch(settle) {
            let _ = conn.execute_batch("ROLLBACK");
            return fail_all(e.into());
        }
        done.push(outcome);
    }
    let top = conn
        .execute_batch("COMMIT")
        .map_err(DbError::from)
        .and_then(|()| crate::top_seq(conn));
    match top {
        Ok(top) => done.into_iter().map(|d| d.map(|()| top)).collect(),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            fail_all(e)
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Stores one round's documents, index rows, blob references and change-log rows.
fn write_round(conn: &Connection, device_id: Uuid, writes: &[DocWrite]) -> DbResult<()> {
    let device = device_id.to_string();
    let server = Uuid::nil().to_string();
    let mut insert_change = conn.prepare_cached(
        "INSERT INTO changes (doc_id, device_id, data, kind, scope) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut upsert_doc = conn.prepare_cached(
        "INSERT INTO docs (doc_id, kind, scope, department, snapshot, seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (doc_id) DO UPDATE SET scope = excluded.scope,
            department = excluded.department,
            snapshot = excluded.snapshot, updated_at = excluded.updated_at,
            seq = CASE WHEN excluded.seq = 0 THEN docs.seq ELSE excluded.seq END
         WHERE docs.seq = ?8",
    )?;
    let mut upsert_index = conn.prepare_cached(
        "INSERT OR REPLACE INTO record_index (doc_id, kind, scope, department, status,
            category, level, actor, subject, at, due, done_at, satisfaction, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    // References the record dropped go; kept ones keep the device and time they came with.
    let mut clear_refs = conn.prepare_cached(
        "DELETE FROM blob_refs
         WHERE doc_id = ?1 AND blob NOT IN (SELECT value FROM json_each(?2))",
    )?;
    let mut insert_ref = conn.prepare_cached(
        "INSERT OR IGNORE INTO blob_refs (blob, doc_id, device_id, since) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let now = now_ms();
    let id_text = |id: Option<Uuid>| id.map(|u| u.to_string());
    let mut conflicts = Vec::new();
    for write in writes {
        let doc_id = write.doc.doc_id.to_string();
        let mut seq = 0;
        for entry in write.log_entries() {
            let origin = if entry.from_server { &server } else { &device };
            insert_change.execute(params![
                doc_id,
                origin,
                entry.data,
                write.doc.kind.as_str(),
                entry.scope.to_string()
            ])?;
            seq = conn.last_insert_rowid();
        }
        let row = &write.row;
        upsert_index.execute(params![
            doc_id,
            write.doc.kind.as_str(),
            write.doc.scope.to_string(),
            id_text(write.doc.department),
            row.status,
            row.category,
            row.level,
            id_text(row.actor),
            id_text(row.subject),
            row.at,
            row.due,
            row.done_at,
            row.satisfaction,
            row.json
        ])?;
        if write.base.is_some() {
            clear_refs.execute(params![
                doc_id,
                serde_json::Value::from(write.blobs.clone()).to_string()
            ])?;
        }
        for blob in &write.blobs {
            insert_ref.execute(params![blob, doc_id, device, now])?;
        }
        // A stored revision other than the one the write was worked out from: another
        // writer got there first (no base: the document was not stored, so none may be).
        let base = write.base.map_or(-1, |b| b as i64);
        let stored = upsert_doc.execute(params![
            doc_id,
            write.doc.kind.as_str(),
            write.doc.scope.to_string(),
            id_text(write.doc.department),
            write.doc.snapshot,
            seq,
            now_ms(),
            base
        ])?;
        if stored == 0 {
            conflicts.push(write.doc.doc_id);
        }
    }
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict(conflicts).into());
    }
    conn.execute(
        "UPDATE devices SET last_sync_at = ?1 WHERE device_id = ?2",
        params![now_ms(), device],
    )?;
    Ok(())
}
