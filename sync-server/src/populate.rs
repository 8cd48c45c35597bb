//! Writing server-created records (demo data, imports) into the store as documents.

use gridwalk_shared::model::Record;
use uuid::Uuid;

use crate::store::{DocWrite, Store, StoreResult};

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
    records.iter().map(DocWrite::created).collect()
}
