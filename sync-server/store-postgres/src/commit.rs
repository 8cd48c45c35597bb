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
use gridwalk_store::{Changed, DocWrite, LogEntry, StoreError};
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
    let conflicts = crate::round_rows::store_docs(tx, &order).await?;
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict(conflicts).into());
    }
    crate::round_rows::store_index(tx, &order).await?;
    crate::round_rows::store_refs(tx, device_id, &order).await?;
    tx.execute(
        "UPDATE devices SET last_sync_at = $1 WHERE device_id = $2",
        &[&now_ms(), &device_id],
    )
    .await?;
    crate::notify::send_changed(tx, node, Changed::of(writes)).await?;
    append_changes(tx, device_id, writes).await
}

/// Takes sequences for every new change from `log_top` (its row lock is held until
/// `COMMIT`), appends the change rows and sets each document's revision; the highest
/// sequence, or the log's top when there were no changes.
async fn append_changes(
    tx: &Transaction<'_>,
    device_id: Uuid,
    writes: &[DocWrite],
) -> DbResult<u64> {
    let count: usize = writes.iter().map(|w| w.log_entries().count()).sum();
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
        for entry in write.log_entries() {
            seq += 1;
            let origin = if entry.from_server { SERVER } else { device_id };
            rows.push(seq, write, origin, entry);
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
    fn push(&mut self, seq: i64, write: &DocWrite, device_id: Uuid, entry: LogEntry<'a>) {
        self.seq.push(seq);
        self.doc_id.push(write.doc.doc_id);
        self.device_id.push(device_id);
        self.data.push(entry.data);
        self.kind.push(write.doc.kind.as_str());
        self.scope.push(entry.scope);
    }
}
