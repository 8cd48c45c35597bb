//! Checking one uploaded document: apply its changes to the server's copy, hydrate the record
//! and run the shared validation. A document passes or fails whole. What costs nothing is
//! checked first: the upload's size against the document budget, then each change's chunk
//! (compressed and run-length bombs) before automerge parses a byte of it.

use automerge::{Automerge, Change, ReadDoc};
use gridwalk_shared::doc::chunks;
use gridwalk_shared::model::{Record, ReferenceData, Role};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{
    budget, validate_change, validate_record, validate_recovered, Actor, ValidationError,
};
use gridwalk_shared::wire::DocUpload;
use gridwalk_shared::{doc, workflow};
use uuid::Uuid;

use super::server_events;
use crate::regrid::{self, Standing};
use crate::store::{DocWrite, StoredDoc};

/// The server's side of a check: its actor, and the time it received the upload.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    /// The deployment's server actor ([`crate::store::Store::server_actor`]).
    pub server_actor: Uuid,
    /// When the upload arrived.
    pub now: Timestamp,
    /// The device is re-sending after a restore from backup (`sync::recovery`).
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

impl From<ValidationError> for Refusal {
    fn from(e: ValidationError) -> Self {
        refuse(&e.code, e.message)
    }
}

impl From<chunks::ChunkError> for Refusal {
    fn from(e: chunks::ChunkError) -> Self {
        refuse(e.code(), e.to_string())
    }
}

impl From<doc::DocError> for Refusal {
    fn from(e: doc::DocError) -> Self {
        refuse(e.code(), e.to_string())
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
    precheck(upload, actor, reference)?;
    check_prechecked(stored, upload, actor, reference, receipt)
}

/// What is checked before the document is locked or loaded: the declared scope is the
/// caller's (departments write only what is routed to them: that needs the stored copy),
/// the upload fits the document budget, and every change is an uncompressed change chunk
/// within the chunk limits.
pub fn precheck(
    upload: &DocUpload,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result<(), Refusal> {
    let writable = actor.is_system()
        || actor.role == Role::Department
        || upload.scope == actor.user_id
        || reference.is_within(upload.scope, actor.scope_id);
    if !writable {
        return Err(refuse(
            "out_of_scope",
            format!(
                "{} {} is outside your scope",
                upload.kind.as_str(),
                upload.doc_id
            ),
        ));
    }
    let bytes = upload.changes.iter().map(|c| c.len()).sum();
    budget::check_upload(upload.changes.len(), bytes)?;
    chunks::check_changes(upload.changes.iter().map(|c| c.as_slice()))?;
    Ok(())
}

/// [`check_upload`] after [`precheck`] passed.
pub(super) fn check_prechecked(
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
    let held = match stored {
        Some(stored) => {
            chunks::check_received(&stored.snapshot)
                .map_err(|e| refuse("storage_failure", format!("stored document: {e}")))?
                .changes
        }
        None => 0,
    };
    let changes_after = held + new.len() as u64;
    budget::check_document(changes_after, 0)?;
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
    let record = doc::read_exact(&document, upload.kind)?;
    if record.id() != upload.doc_id {
        return Err(refuse(
            "invalid_record",
            "the record's id is not the document id",
        ));
    }
    // A stored record's scope is the stored one; a device of a grid it moved out of may
    // still declare that grid (`regrid::standing`).
    if record.scope() != stored.map_or(upload.scope, |s| s.scope) {
        return Err(refuse(
            "invalid_record",
            "the record's scope is not the declared scope",
        ));
    }
    validate_record(&record, reference)?;
    let standing = match stored {
        Some(_) => regrid::standing(
            &document,
            &new,
            &record,
            upload.scope,
            actor,
            reference,
            receipt.now,
        )?,
        None => Standing::Current,
    };
    let checked = match standing {
        Standing::Current => check_change(old.as_ref(), &record, actor, reference, receipt),
        left => {
            let old = old.map(|o| left.view(o));
            check_change(
                old.as_ref(),
                &left.view(record.clone()),
                actor,
                reference,
                receipt,
            )
        }
    };
    checked?;

    let changes = new.iter().map(|c| c.raw_bytes().to_vec()).collect();
    let (record, server_change) = server_events::after_upload(
        &mut document,
        record,
        receipt.server_actor,
        reference,
        receipt.now,
    );
    let server_changes: Vec<_> = server_change.into_iter().collect();
    let changes_after = changes_after + server_changes.len() as u64;
    let write = stored_write(
        document,
        record,
        changes,
        server_changes,
        stored.map(|s| s.seq),
    );
    budget::check_document(changes_after, write.doc.snapshot.len())?;
    Ok(Some(write))
}

/// The shared validation of `old` becoming `new` (the recovery rules for a re-send after a
/// restore).
fn check_change(
    old: Option<&Record>,
    new: &Record,
    actor: &Actor,
    reference: &ReferenceData,
    receipt: Receipt,
) -> Result<(), ValidationError> {
    if receipt.recovering {
        validate_recovered(old, new, actor, reference)
    } else {
        validate_change(old, new, actor, reference)
    }
}

/// What to store for `document`, which now holds `record`, worked out from the stored
/// revision `base` (`None`: a new document).
pub fn stored_write(
    document: Automerge,
    record: Record,
    changes: Vec<Vec<u8>>,
    server_changes: Vec<Vec<u8>>,
    base: Option<u64>,
) -> DocWrite {
    let doc = StoredDoc {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        department: workflow::department_of(&record),
        // Uncompressed: DEFLATE here cost ~18% of upload CPU; responses are gzipped anyway.
        snapshot: document.save_nocompress(),
        seq: 0,
    };
    let mut write = DocWrite::new(doc, &record, changes, base);
    write.server_changes = server_changes;
    write
}
