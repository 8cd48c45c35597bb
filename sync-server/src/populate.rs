//! Writing server-created records (demo data, imports) into the store as documents.

use gridwalk_shared::doc;
use gridwalk_shared::model::Record;
use uuid::Uuid;

use crate::store::{DocWrite, Store, StoreError, StoreResult, StoredDoc};

/// The device id the server's own changes are logged under.
pub const SERVER_DEVICE: Uuid = Uuid::nil();

/// Stores new records as documents (one transaction per 500), appending them to the log.
pub async fn insert_records<S: Store>(store: &S, records: Vec<Record>) -> StoreResult<usize> {
    let count = records.len();
    for chunk in records.chunks(500) {
        store.commit(SERVER_DEVICE, writes(chunk)?).await?;
    }
    Ok(count)
}

/// Stores new records as documents in one transaction: all of them or none.
pub async fn insert_all<S: Store>(store: &S, records: &[Record]) -> StoreResult<usize> {
    store.commit(SERVER_DEVICE, writes(records)?).await?;
    Ok(records.len())
}

/// New documents for records, ready to commit.
fn writes(records: &[Record]) -> StoreResult<Vec<DocWrite>> {
    records
        .iter()
        .map(|record| {
            let mut document = doc::create(record).map_err(|e| StoreError::Other(e.to_string()))?;
            let changes = document
                .get_changes(&[])
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect();
            let doc = StoredDoc {
                doc_id: record.id(),
                kind: record.kind(),
                scope: record.scope(),
                department: match record {
                    Record::Incident(i) => {
                        gridwalk_shared::workflow::fold_incident(&i.events).department_id
                    }
                    _ => None,
                },
                snapshot: document.save(),
                seq: 0,
            };
            // New documents: a commit finding one already stored fails as a conflict.
            Ok(DocWrite::new(doc, record, changes, None))
        })
        .collect()
}
