//! The rows one round writes besides the change log, each kind in one statement over arrays
//! (`unnest`): the documents with their revision check, their query rows, their blob
//! references. One statement per kind, not per document: on PostgreSQL each statement is a
//! round trip and an executor start, and per-document statements were most of a round's cost.

use std::collections::HashSet;

use deadpool_postgres::Transaction;
use gridwalk_store::DocWrite;
use uuid::Uuid;

use crate::{now_ms, DbResult};

/// Writes every document row whose stored revision is its write's base (no row, or a row
/// still at revision 0, for a new document), in the order given (doc-id order: the row
/// locks); the ids another writer got to first. The revisions are set by the change log's
/// append.
pub(crate) async fn store_docs(tx: &Transaction<'_>, writes: &[&DocWrite]) -> DbResult<Vec<Uuid>> {
    let upsert = tx
        .prepare_cached(
            // The inserted row carries the base as its `seq`, so the conflict arm can compare
            // it: a new document goes in at 0 and gets its revision with its changes.
            "INSERT INTO docs (doc_id, kind, scope, department, snapshot, seq, updated_at)
             SELECT *, $7::bigint FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[],
                                              $5::bytea[], $6::bigint[])
             ON CONFLICT (doc_id) DO UPDATE SET scope = excluded.scope,
                department = excluded.department, snapshot = excluded.snapshot, updated_at = excluded.updated_at
             WHERE docs.seq = excluded.seq
             RETURNING doc_id",
        )
        .await?;
    let ids: Vec<Uuid> = writes.iter().map(|w| w.doc.doc_id).collect();
    let kinds: Vec<&str> = writes.iter().map(|w| w.doc.kind.as_str()).collect();
    let scopes: Vec<Uuid> = writes.iter().map(|w| w.doc.scope).collect();
    let departments: Vec<Option<Uuid>> = writes.iter().map(|w| w.doc.department).collect();
    let snapshots: Vec<&[u8]> = writes.iter().map(|w| w.doc.snapshot.as_slice()).collect();
    let bases: Vec<i64> = writes
        .iter()
        .map(|w| w.base.map_or(0, |b| b as i64))
        .collect();
    let stored: HashSet<Uuid> = tx
        .query(
            &upsert,
            &[
                &ids,
                &kinds,
                &scopes,
                &departments,
                &snapshots,
                &bases,
                &now_ms(),
            ],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    Ok(ids.into_iter().filter(|id| !stored.contains(id)).collect())
}

/// Each document's query row (dashboards, queues, exports).
pub(crate) async fn store_index(tx: &Transaction<'_>, writes: &[&DocWrite]) -> DbResult<()> {
    let upsert = tx
        .prepare_cached(
            "INSERT INTO record_index (doc_id, kind, scope, department, status, category, level,
                actor, subject, at, due, done_at, satisfaction, json)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[],
                $6::text[], $7::text[], $8::uuid[], $9::uuid[], $10::bigint[], $11::bigint[],
                $12::bigint[], $13::text[], $14::text[])
             ON CONFLICT (doc_id) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
                department = excluded.department, status = excluded.status,
                category = excluded.category, level = excluded.level, actor = excluded.actor,
                subject = excluded.subject, at = excluded.at, due = excluded.due,
                done_at = excluded.done_at, satisfaction = excluded.satisfaction,
                json = excluded.json",
        )
        .await?;
    let col = |f: fn(&DocWrite) -> Option<String>| -> Vec<Option<String>> {
        writes.iter().map(|w| f(w)).collect()
    };
    let ids: Vec<Uuid> = writes.iter().map(|w| w.doc.doc_id).collect();
    let kinds: Vec<&str> = writes.iter().map(|w| w.doc.kind.as_str()).collect();
    let scopes: Vec<Uuid> = writes.iter().map(|w| w.doc.scope).collect();
    let departments: Vec<Option<Uuid>> = writes.iter().map(|w| w.doc.department).collect();
    let status = col(|w| w.row.status.clone());
    let category = col(|w| w.row.category.clone());
    let level = col(|w| w.row.level.clone());
    let actor: Vec<Option<Uuid>> = writes.iter().map(|w| w.row.actor).collect();
    let subject: Vec<Option<Uuid>> = writes.iter().map(|w| w.row.subject).collect();
    let at: Vec<Option<i64>> = writes.iter().map(|w| w.row.at).collect();
    let due: Vec<Option<i64>> = writes.iter().map(|w| w.row.due).collect();
    let done_at: Vec<Option<i64>> = writes.iter().map(|w| w.row.done_at).collect();
    let satisfaction = col(|w| w.row.satisfaction.clone());
    let json: Vec<&str> = writes.iter().map(|w| w.row.json.as_str()).collect();
    tx.execute(
        &upsert,
        &[
            &ids,
            &kinds,
            &scopes,
            &departments,
            &status,
            &category,
            &level,
            &actor,
            &subject,
            &at,
            &due,
            &done_at,
            &satisfaction,
            &json,
        ],
    )
    .await?;
    Ok(())
}

/// The documents' blob references: references a stored document dropped go; new ones come
/// with this device and the time; kept ones keep the device and time they came with.
pub(crate) async fn store_refs(
    tx: &Transaction<'_>,
    device_id: Uuid,
    writes: &[&DocWrite],
) -> DbResult<()> {
    let (mut docs, mut blobs) = (Vec::new(), Vec::new());
    for write in writes {
        for blob in &write.blobs {
            docs.push(write.doc.doc_id);
            blobs.push(blob.as_str());
        }
    }
    let stored: Vec<Uuid> = writes
        .iter()
        .filter(|w| w.base.is_some())
        .map(|w| w.doc.doc_id)
        .collect();
    if !stored.is_empty() {
        tx.execute(
            "DELETE FROM blob_refs WHERE doc_id = ANY($1)
               AND (doc_id, blob) NOT IN (SELECT * FROM unnest($2::uuid[], $3::text[]))",
            &[&stored, &docs, &blobs],
        )
        .await?;
    }
    if !docs.is_empty() {
        tx.execute(
            "INSERT INTO blob_refs (blob, doc_id, device_id, since)
             SELECT b, d, $3, $4 FROM unnest($1::text[], $2::uuid[]) AS r(b, d)
             ON CONFLICT (blob, doc_id) DO NOTHING",
            &[&blobs, &docs, &device_id, &now_ms()],
        )
        .await?;
    }
    Ok(())
}
