//! Building the download half of a sync response: snapshots for fresh devices, change-log
//! pages for the rest, and whole documents on request.

use std::collections::HashMap;

use gridwalk_shared::wire::{Cursor, DocDownload};
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::store::{LogRow, Store, StoreResult, StoredDoc, Visibility};

/// Page sizes for downloads.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Change-log rows per response.
    pub log_rows: usize,
    /// Whole documents per response in the snapshot phase.
    pub snapshot_docs: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            log_rows: 5000,
            snapshot_docs: 2000,
        }
    }
}

/// One page for the device, and where it will be next.
pub struct Page {
    /// Documents (whole or changes).
    pub docs: Vec<DocDownload>,
    /// The next cursor.
    pub cursor: Cursor,
    /// Whether more pages wait.
    pub more: bool,
}

/// A whole stored document, for the device.
pub fn whole(doc: StoredDoc) -> DocDownload {
    DocDownload {
        doc_id: doc.doc_id,
        kind: doc.kind,
        scope: doc.scope,
        data: ByteBuf::from(doc.snapshot),
    }
}

/// Groups log rows per document (first appearance order), concatenating their changes.
fn group(rows: Vec<LogRow>) -> Vec<DocDownload> {
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    let mut docs: Vec<DocDownload> = Vec::new();
    for row in rows {
        match index.get(&row.doc_id) {
            Some(&i) => docs[i].data.extend_from_slice(&row.data),
            None => {
                index.insert(row.doc_id, docs.len());
                docs.push(DocDownload {
                    doc_id: row.doc_id,
                    kind: row.kind,
                    scope: row.scope,
                    data: ByteBuf::from(row.data),
                });
            }
        }
    }
    docs
}

/// The next page for a device at `cursor`.
pub async fn next_page<S: Store>(
    store: &S,
    visibility: Visibility,
    device_id: Uuid,
    cursor: Option<Cursor>,
    limits: PageLimits,
) -> StoreResult<Page> {
    let epoch = store.epoch();
    let floor = store.log_floor().await?;
    let (high, after) = match cursor {
        Some(c) if c.epoch == epoch && c.snapshot_after.is_none() && c.seq >= floor => {
            let page = store
                .log_page(visibility, device_id, c.seq, limits.log_rows)
                .await?;
            return Ok(Page {
                docs: group(page.rows),
                cursor: Cursor {
                    epoch,
                    seq: page.cursor,
                    snapshot_after: None,
                },
                more: page.more,
            });
        }
        Some(c) if c.epoch == epoch && c.snapshot_after.is_some() => (c.seq, c.snapshot_after),
        _ => (store.top_seq().await?, None),
    };
    let docs = store
        .snapshot_page(visibility, after, limits.snapshot_docs)
        .await?;
    let full = docs.len() >= limits.snapshot_docs;
    let last = docs.last().map(|d| d.doc_id);
    let cursor = Cursor {
        epoch,
        seq: high,
        snapshot_after: if full { last } else { None },
    };
    let more = full || store.top_seq().await? > high;
    Ok(Page {
        docs: docs.into_iter().map(whole).collect(),
        cursor,
        more,
    })
}
