//! One sync round's request, built from the outbox, and what applying its response did.

use std::collections::BTreeMap;

use gridwalk_shared::wire::{self, DocUpload, SyncRequest, PROTOCOL_VERSION};
use rusqlite::Connection;
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::store::{meta, outbox};
use crate::{Client, Result};

/// Change bytes one request carries at most (the body limit is [`wire::MAX_BODY_BYTES`]): the
/// server's cap per document and upload, so no document's share can pass it.
const MAX_CHANGE_BYTES: usize = gridwalk_shared::validate::budget::MAX_UPLOAD_BYTES_PER_DOC;

/// A sync request and what it carries from the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRound {
    /// The body to send.
    pub request: SyncRequest,
    /// Per document sent: the highest outbox row id included.
    pub(crate) sent: BTreeMap<Uuid, i64>,
    /// Whether the outbox holds more than this request carries.
    pub(crate) truncated: bool,
}

impl PreparedRound {
    /// Documents uploaded.
    pub fn docs(&self) -> usize {
        self.request.docs.len()
    }

    /// Changes uploaded.
    pub fn changes(&self) -> usize {
        self.request.docs.iter().map(|d| d.changes.len()).sum()
    }
}

/// What applying one response did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundOutcome {
    /// Uploaded documents the server stored.
    pub accepted: usize,
    /// Documents refused: id, code, reason.
    pub rejected: Vec<(Uuid, String, String)>,
    /// Documents received.
    pub downloaded_docs: usize,
    /// Local versions kept aside.
    pub conflict_copies: usize,
    /// Documents still missing dependencies (asked for whole next round).
    pub incomplete: Vec<Uuid>,
    /// Records dropped because the server moved them to a grid this device does not see.
    pub moved_out: usize,
    /// The server's epoch changed: every document is queued for upload again.
    pub epoch_changed: bool,
    /// Another round should follow at once.
    pub again: bool,
}

/// Builds the next request from the store.
pub(crate) fn prepare(conn: &Connection) -> Result<PreparedRound> {
    let limits = outbox::Limits {
        docs: wire::MAX_DOCS_PER_REQUEST,
        changes: wire::MAX_CHANGES_PER_REQUEST,
        bytes: MAX_CHANGE_BYTES,
    };
    let (pending, truncated) = outbox::batch(conn, limits)?;
    let mut sent = BTreeMap::new();
    let docs = pending
        .into_iter()
        .map(|doc| {
            if let Some((max_id, _)) = doc.rows.last() {
                sent.insert(doc.doc_id, *max_id);
            }
            DocUpload {
                doc_id: doc.doc_id,
                kind: doc.kind,
                scope: doc.scope,
                changes: doc
                    .rows
                    .into_iter()
                    .map(|(_, c)| ByteBuf::from(c))
                    .collect(),
            }
        })
        .collect();
    let want_full = crate::store::want_full::list(conn)?;
    Ok(PreparedRound {
        request: SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: meta::cursor(conn)?,
            reference_version: meta::reference_version(conn)?,
            docs,
            want_full,
            pending: Some(outbox::pending(conn)?),
            app_version: Some(crate::APP_VERSION.to_string()),
        },
        sent,
        truncated,
    })
}

impl Client {
    /// The next sync request: unsent changes (oldest first, within the protocol's limits),
    /// the cursor, the reference-data version and the documents to fetch whole.
    pub fn prepare_round(&self) -> Result<PreparedRound> {
        prepare(self.store().conn())
    }
}
