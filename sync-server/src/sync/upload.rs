//! Checking one uploaded document: apply its changes to the server's copy, hydrate the record
//! and run the shared validation. A document passes or fails whole.

use automerge::{Automerge, Change, ReadDoc};
use gridwalk_shared::model::{Record, ReferenceData};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{validate_change, validate_record, validate_recovered, Actor};
use gridwalk_shared::wire::DocUpload;
use gridwalk_shared::{doc, workflow};
use uuid::Uuid;

use super::server_events;
use crate::store::{DocWrite, StoredDoc};

/// The server's side of a check: its actor, and the time it received the upload.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    /// The deployment's server actor ([`crate::store::Store::server_actor`]).
    pub server_actor: Uuid,
    /// When the upload arrived.
    pub now: Timestamp,
    /// The device is re-sending after a restore from backup ([`super::Recovering`]).
    pub recovering: bool,
}

/// Why a document was refused: a stable code and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: String,
    /// Readable reason.
    pub reason: String,
}

fn refuse(code: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        code: code.to_string(),
        reason: reason.into(),
    }
}

/// Checks `upload` against the stored document (if any) and adds the server's own events
/// (dispatch, receipt times) to an accepted one. `Ok(None)`: nothing new to store.
pub fn check_upload(
    stored: Option<&StoredDoc>,
    upload: &DocUpload,
    actor: &Actor,
    reference: &ReferenceData,
    receipt: Receipt,
) -> Result<Option<DocWrite>, Refusal> {
    if let Some(stored) = stored {
        if stored.kind != upload.kind {
            return Err(refuse("immutable_field", "a record's kind cannot change"));
        }
        if stored.scope != upload.scope {
            return Err(refuse("immutable_field", "a record's scope cannot change"));
        }
    }
    let changes = upload
        .changes
        .iter()
        .map(|bytes| Change::try_from(bytes.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refuse("malformed_change", format!("not an Automerge change: {e}")))?;

    let mut document = match stored {
        Some(stored) => Automerge::load(&stored.snapshot).map_err(|e| {
            refuse(
                "storage_failure",
                format!("stored document is unreadable: {e}"),
            )
        })?,
        None => Automerge::new(),
    };
    let new: Vec<Change> = changes
        .into_iter()
        .filter(|c| document.get_change_by_hash(&c.hash()).is_none())
        .collect();
    if new.is_empty() {
        return Ok(None);
    }
    let old = match stored {
        Some(stored) => Some(
            doc::read(&document, stored.kind)
                .map_err(|e| refuse("storage_failure", e.to_string()))?,
        ),
        None => None,
    };
    let not_applied = |e: &dyn std::fmt::Display| {
        refuse("malformed_change", format!("changes do not apply: {e}"))
    };
    doc::guard(|| document.apply_changes(new.clone()))
        .map_err(|e| not_applied(&e))?
        .map_err(|e| not_applied(&e))?;
    if !document.get_missing_deps(&[]).is_empty() {
        return Err(refuse(
            "missing_dependencies",
            "changes depend on changes the server does not have; send the whole document",
        ));
    }
    let record =
        doc::read(&document, upload.kind).map_err(|e| refuse("invalid_record", e.to_string()))?;
    if record.id() != upload.doc_id {
        return Err(refuse(
            "invalid_record",
            "the record's id is not the document id",
        ));
    }
    if record.scope() != upload.scope {
        return Err(refuse(
            "invalid_record",
            "the record's scope is not the declared scope",
        ));
    }
    validate_record(&record, reference).map_err(|e| refuse(&e.code, e.message))?;
    let checked = if receipt.recovering {
        validate_recovered(old.as_ref(), &record, actor, reference)
    } else {
        validate_change(old.as_ref(), &record, actor, reference)
    };
    checked.map_err(|e| refuse(&e.code, e.message))?;

    let changes = new.iter().map(|c| c.raw_bytes().to_vec()).collect();
    let (record, server_change) = server_events::after_upload(
        &mut document,
        record,
        receipt.server_actor,
        reference,
        receipt.now,
    );
    let server_changes = server_change.into_iter().collect();
    Ok(Some(stored_write(
        document,
        record,
        changes,
        server_changes,
        stored.is_some(),
    )))
}

/// What to store for `document`, which now holds `record`.
pub fn stored_write(
    document: Automerge,
    record: Record,
    changes: Vec<Vec<u8>>,
    server_changes: Vec<Vec<u8>>,
    existed: bool,
) -> DocWrite {
    let doc = StoredDoc {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        department: workflow::department_of(&record),
        // Uncompressed: DEFLATE here cost ~18% of upload CPU; responses are gzipped anyway.
        snapshot: document.save_nocompress(),
    };
    let mut write = DocWrite::new(doc, &record, changes, existed);
    write.server_changes = server_changes;
    write
}
