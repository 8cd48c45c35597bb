//! Building the download half of a sync response: snapshots for fresh devices, change-log
//! pages for the rest, and whole documents on request, all within one byte budget per
//! response ([`PageLimits::bytes`]; at least one document always goes, and documents are
//! size-capped, so every document a device may see can be delivered).

use std::collections::HashMap;

use gridwalk_shared::wire::{Cursor, DocDownload};
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::store::{LogRow, PageSize, Store, StoreResult, StoredDoc, Visibility};

/// Page sizes for downloads.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Change-log rows per response.
    pub log_rows: usize,
    /// Whole documents per response in the snapshot phase.
    pub snapshot_docs: usize,
    /// Bytes of document data per response (server copies of refused documents, the page,
    /// documents asked for whole), at least one document.
    pub bytes: usize,
}

/// Bytes of document data per response by default: half the sync body's limit, leaving room
/// for everything else in the answer.
pub const PAGE_BYTES: usize = gridwalk_shared::wire::MAX_BODY_BYTES / 2;

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            log_rows: 5000,
            snapshot_docs: 2000,
            bytes: PAGE_BYTES,
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

/// The next page for a device at `cursor`, of at most `bytes` bytes of document data (at
/// least one document).
pub async fn next_page<S: Store>(
    store: &S,
    visibility: Visibility,
    device_id: Uuid,
    cursor: Option<Cursor>,
    limits: PageLimits,
    bytes: usize,
) -> StoreResult<Page> {
    let epoch = store.epoch();
    let floor = store.log_floor().await?;
    let (high, after) = match cursor {
        Some(c) if c.epoch == epoch && c.snapshot_after.is_none() && c.seq >= floor => {
            let size = PageSize {
                rows: limits.log_rows,
                bytes,
            };
            let page = store.log_page(visibility, device_id, c.seq, size).await?;
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
    let size = PageSize {
        rows: limits.snapshot_docs,
        bytes,
    };
    let page = store.snapshot_page(visibility, after, size).await?;
    let (docs, full) = (page.docs, page.full);
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

/// Documents asked for whole that the caller may read (`readable`), loaded one at a time
/// while they fit in `bytes` (the first always does when `first_free`); whether some were
/// left for the next round.
pub async fn wanted<S: Store>(
    store: &S,
    ids: Vec<Uuid>,
    mut bytes: usize,
    first_free: bool,
    readable: impl Fn(&StoredDoc) -> bool,
) -> StoreResult<(Vec<DocDownload>, bool)> {
    let mut docs = Vec::new();
    for id in ids {
        let Some(doc) = store.load_docs(vec![id]).await?.pop() else {
            continue;
        };
        if !readable(&doc) {
            continue;
        }
        let free = first_free && docs.is_empty();
        if doc.snapshot.len() > bytes && !free {
            return Ok((docs, true));
        }
        bytes = bytes.saturating_sub(doc.snapshot.len());
        docs.push(whole(doc));
    }
    Ok((docs, false))
}
