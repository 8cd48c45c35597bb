//! [`gridwalk_store::Store::commit`] over PostgreSQL: one transaction per round.
//!
//! The order inside it is what makes the change log safe with many writers (see
//! `docs/storage-postgres.md`): first every document row is written with its revision check,
//! in doc-id order (row locks: a second node writing the same document waits, then finds the
//! revision changed and fails with a conflict the sync engine redoes); then, as the last
//! statements before `COMMIT`, the counter row `log_top` is advanced by the number of new
//! changes, the change rows are inserted with those sequences and the documents get their
//! new revision. The counter's row lock is held until `COMMIT`, so sequences are handed out
//! in commit order: whoever reads `log_top = N` sees every change up to N committed.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use gridwalk_store::{Changed, DocWrite, StoreError};
use uuid::Uuid;

use crate::{now_ms, DbError, DbResult, PostgresStore};

/// The device id change rows written by the server itself carry.
const SERVER: Uuid = Uuid::nil();

/// Stores one round; the highest sequence it wrote (the log's top when it wrote none).
pub(crate) async fn commit(
    store: &PostgresStore,
    device_id: Uuid,
    writes: Vec<DocWrite>,
) -> DbResult<u64> {
    let ids: Vec<Uuid> = writes.iter().map(|w| w.doc.doc_id).collect();
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    let outcome = write_round(&tx, store.inner.node, device_id, &writes).await;
    let outcome = match outcome {
        Ok(top) => tx.commit().await.map(|()| top).map_err(DbError::from),
        Err(e) => Err(e),
    };
    match outcome {
        // Another transaction won a lock race: as good as a stale revision.
        Err(e) if e.is_contention() => Err(StoreError::Conflict(ids).into()),
        other => other,
    }
}

async fn write_round(
    tx: &Transaction<'_>,
    node: Uuid,
    device_id: Uuid,
    writes: &[DocWrite],
) -> DbResult<u64> {
    // Fixed lock order: two rounds touching the same documents cannot deadlock.
    let mut order: Vec<&DocWrite> = writes.iter().collect();
    order.sort_by_key(|w| w.doc.doc_id);
    let mut conflicts = Vec::new();
    for write in order {
        if !store_doc(tx, write).await? {
            conflicts.push(write.doc.doc_id);
            continue;
        }
        store_index_and_refs(tx, device_id, write).await?;
    }
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict(conflicts).into());
    }
    tx.execute(
        "UPDATE devices SET last_sync_at = $1 WHERE device_id = $2",
        &[&now_ms(), &device_id],
    )
    .await?;
    crate::notify::send_changed(tx, node, Changed::of(writes)).await?;
    append_changes(tx, device_id, writes).await
}

/// Writes the document row if the stored revision is the write's base (no row for a new
/// document); false when another writer got there first. The revision itself is set by
/// [`append_changes`].
async fn store_doc(tx: &Transaction<'_>, write: &DocWrite) -> DbResult<bool> {
    let upsert = tx
        .prepare_cached(
            "INSERT INTO docs (doc_id, kind, scope, department, snapshot, seq, updated_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6)
             ON CONFLICT (doc_id) DO UPDATE SET department = excluded.department,
                snapshot = excluded.snapshot, updated_at = excluded.updated_at
             WHERE docs.seq = $7",
        )
        .await?;
    let doc = &write.doc;
    let base = write.base.map_or(-1, |b| b as i64);
    let stored = tx
        .execute(
            &upsert,
            &[
                &doc.doc_id,
                &doc.kind.as_str(),
                &doc.scope,
                &doc.department,
                &doc.snapshot,
                &now_ms(),
                &base,
            ],
        )
        .await?;
    Ok(stored == 1)
}

/// The record's query row and blob references (dropped references go; kept ones keep the
/// device and time they came with).
async fn store_index_and_refs(
    tx: &Transaction<'_>,
    device_id: Uuid,
    write: &DocWrite,
) -> DbResult<()> {
    let index = tx
        .prepare_cached(
            "INSERT INTO record_index (doc_id, kind, scope, department, status, category, level,
                actor, subject, at, due, done_at, satisfaction, json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (doc_id) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
                department = excluded.department, status = excluded.status,
                category = excluded.category, level = excluded.level, actor = excluded.actor,
                subject = excluded.subject, at = excluded.at, due = excluded.due,
                done_at = excluded.done_at, satisfaction = excluded.satisfaction,
                json = excluded.json",
        )
        .await?;
    let (doc, row) = (&write.doc, &write.row);
    tx.execute(
        &index,
        &[
            &doc.doc_id,
            &doc.kind.as_str(),
            &doc.scope,
            &doc.department,
            &row.status,
            &row.category,
            &row.level,
            &row.actor,
            &row.subject,
            &row.at,
            &row.due,
            &row.done_at,
            &row.satisfaction,
            &row.json,
        ],
    )
    .await?;
    if write.base.is_some() {
        tx.execute(
            "DELETE FROM blob_refs WHERE doc_id = $1 AND NOT (blob = ANY($2))",
            &[&doc.doc_id, &write.blobs],
        )
        .await?;
    }
    if !write.blobs.is_empty() {
        tx.execute(
            "INSERT INTO blob_refs (blob, doc_id, device_id, since)
             SELECT b, $2, $3, $4 FROM unnest($1::text[]) AS b
             ON CONFLICT (blob, doc_id) DO NOTHING",
            &[&write.blobs, &doc.doc_id, &device_id, &now_ms()],
        )
        .await?;
    }
    Ok(())
}

/// Takes sequences for every new change from `log_top` (its row lock is held until
/// `COMMIT`), appends the change rows and sets each document's revision; the highest
/// sequence, or the log's top when there were no changes.
async fn append_changes(
    tx: &Transaction<'_>,
    device_id: Uuid,
    writes: &[DocWrite],
) -> DbResult<u64> {
    let count: usize = writes
        .iter()
        .map(|w| w.changes.len() + w.server_changes.len())
        .sum();
    if count == 0 {
        return crate::log::top_seq(&**tx).await;
    }
    let top: i64 = tx
        .query_one(
            "UPDATE log_top SET seq = seq + $1 WHERE id = 1 RETURNING seq",
            &[&(count as i64)],
        )
        .await?
        .get(0);
    let mut seq = top - count as i64;
    let mut rows = ChangeRows::default();
    let mut revisions: HashMap<Uuid, i64> = HashMap::new();
    for write in writes {
        let own = write.changes.iter().map(|c| (device_id, c));
        let server = write.server_changes.iter().map(|c| (SERVER, c));
        for (origin, change) in own.chain(server) {
            seq += 1;
            rows.push(seq, write, origin, change);
            revisions.insert(write.doc.doc_id, seq);
        }
    }
    tx.execute(
        "INSERT INTO changes (seq, doc_id, device_id, data, kind, scope)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::bytea[], $5::text[],
                              $6::uuid[])",
        &[
            &rows.seq,
            &rows.doc_id,
            &rows.device_id,
            &rows.data,
            &rows.kind,
            &rows.scope,
        ],
    )
    .await?;
    let (docs, seqs): (Vec<Uuid>, Vec<i64>) = revisions.into_iter().unzip();
    tx.execute(
        "UPDATE docs SET seq = v.seq FROM unnest($1::uuid[], $2::bigint[]) AS v(doc_id, seq)
         WHERE docs.doc_id = v.doc_id",
        &[&docs, &seqs],
    )
    .await?;
    Ok(top.max(0) as u64)
}

/// Change rows as columns, for one `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct ChangeRows<'a> {
    seq: Vec<i64>,
    doc_id: Vec<Uuid>,
    device_id: Vec<Uuid>,
    data: Vec<&'a [u8]>,
    kind: Vec<&'static str>,
    scope: Vec<Uuid>,
}

impl<'a> ChangeRows<'a> {
    fn push(&mut self, seq: i64, write: &DocWrite, device_id: Uuid, data: &'a [u8]) {
        self.seq.push(seq);
        self.doc_id.push(write.doc.doc_id);
        self.device_id.push(device_id);
        self.data.push(data);
        self.kind.push(write.doc.kind.as_str());
        self.scope.push(write.doc.scope);
    }
}
