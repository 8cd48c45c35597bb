//! The one mapping between records and Automerge documents: written with `autosurgeon`,
//! read in one pass by [`read`](self::read) module.

pub mod chunks;
mod read;

pub use read::MAX_DEPTH;

use automerge::{AutoCommit, ScalarValue, Value, ROOT};
use serde::{Deserialize, Serialize};

use crate::model::{Record, RecordKind};

/// A document could not be built, read or changed.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an Automerge document or change.
    #[error("not a valid Automerge document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document does not have the shape of its record kind.
    #[error("document does not match the {kind} schema: {message}")]
    Shape {
        /// Expected kind.
        kind: &'static str,
        /// What did not fit.
        message: String,
    },
    /// The document holds a key its record's schema does not have.
    #[error("`{path}` is not a field of a {kind}")]
    UnknownKey {
        /// Record kind.
        kind: &'static str,
        /// Where, e.g. `members[2].nickname`.
        path: String,
    },
    /// Maps and lists nested deeper than any record's ([`MAX_DEPTH`]).
    #[error("the document nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Bytes from outside refused before automerge saw them ([`chunks`]).
    #[error("{0}")]
    Chunks(#[from] chunks::ChunkError),
    /// Writing the record into the document failed.
    #[error("could not write the record: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    /// Automerge panicked on bytes from outside (see [`guard`]).
    #[error("Automerge failed on these bytes: {0}")]
    Panicked(String),
}

/// Runs `f`, Automerge's work on bytes from outside, turning a panic inside Automerge into
/// [`DocError::Panicked`]. Automerge 0.12 unwraps on some malformed changes (found by
/// fuzzing, docs/fuzzing.md); whatever document `f` changed must then be dropped.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, DocError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        DocError::Panicked(message)
    })
}

impl DocError {
    /// Stable code, as a [`crate::wire::Rejection`] carries it.
    pub fn code(&self) -> &'static str {
        match self {
            DocError::Automerge(_) | DocError::Panicked(_) => "malformed_change",
            DocError::Shape { .. } => "invalid_record",
            DocError::UnknownKey { .. } => "unknown_field",
            DocError::TooDeep => "too_deep",
            DocError::Chunks(e) => e.code(),
            DocError::Reconcile(_) => "internal",
        }
    }
}

/// A field with several concurrent values (Automerge `get_all`), shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldConflict {
    /// Field name.
    pub field: String,
    /// Every concurrent value, the one the record currently shows first.
    pub values: Vec<String>,
}

/// A new document holding `record`.
pub fn create(record: &Record) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new();
    write(&mut doc, record)?;
    Ok(doc)
}

/// Writes `record` into `doc` (a document or an open transaction), recording only what
/// differs.
pub fn write<D: autosurgeon::Doc>(doc: &mut D, record: &Record) -> Result<(), DocError> {
    match record {
        Record::Household(r) => autosurgeon::reconcile(doc, r)?,
        Record::Visit(r) => autosurgeon::reconcile(doc, r)?,
        Record::Incident(r) => autosurgeon::reconcile(doc, r)?,
        Record::ServiceRequest(r) => autosurgeon::reconcile(doc, r)?,
        Record::WorkLog(r) => autosurgeon::reconcile(doc, r)?,
        Record::Notice(r) => autosurgeon::reconcile(doc, r)?,
        Record::NoticeDelivery(r) => autosurgeon::reconcile(doc, r)?,
        Record::Patrol(r) => autosurgeon::reconcile(doc, r)?,
        Record::Handover(r) => autosurgeon::reconcile(doc, r)?,
        Record::Campaign(r) => autosurgeon::reconcile(doc, r)?,
    }
    Ok(())
}

/// Reads the record of `kind` held by `doc` (in one pass, see [`read`](self::read) module);
/// keys outside the schema are ignored (a newer app's fields, as autosurgeon does).
pub fn read<D: automerge::ReadDoc>(doc: &D, kind: RecordKind) -> Result<Record, DocError> {
    read_tree(doc, kind, false)
}

/// [`read`], refusing keys outside the record's schema: what the server accepts.
pub fn read_exact<D: automerge::ReadDoc>(doc: &D, kind: RecordKind) -> Result<Record, DocError> {
    read_tree(doc, kind, true)
}

fn read_tree<D: automerge::ReadDoc>(
    doc: &D,
    kind: RecordKind,
    exact: bool,
) -> Result<Record, DocError> {
    use self::read::{map_of, tree, unread, FromValue};
    let root = tree(doc).map_err(|_| DocError::TooDeep)?;
    let record = (|| {
        map_of(&root)?;
        Ok(match kind {
            RecordKind::Household => Record::Household(FromValue::from_value(&root)?),
            RecordKind::Visit => Record::Visit(FromValue::from_value(&root)?),
            RecordKind::Incident => Record::Incident(FromValue::from_value(&root)?),
            RecordKind::ServiceRequest => Record::ServiceRequest(FromValue::from_value(&root)?),
            RecordKind::WorkLog => Record::WorkLog(FromValue::from_value(&root)?),
            RecordKind::Notice => Record::Notice(FromValue::from_value(&root)?),
            RecordKind::NoticeDelivery => Record::NoticeDelivery(FromValue::from_value(&root)?),
            RecordKind::Patrol => Record::Patrol(FromValue::from_value(&root)?),
            RecordKind::Handover => Record::Handover(FromValue::from_value(&root)?),
            RecordKind::Campaign => Record::Campaign(FromValue::from_value(&root)?),
        })
    })();
    let record = record.map_err(|message: String| DocError::Shape {
        kind: kind.as_str(),
        message,
    })?;
    match unread(&root).filter(|_| exact) {
        Some(path) => Err(DocError::UnknownKey {
            kind: kind.as_str(),
            path,
        }),
        None => Ok(record),
    }
}

fn scalar_text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Top-level fields that hold concurrent values.
pub fn conflicts<D: automerge::ReadDoc>(doc: &D) -> Vec<FieldConflict> {
    // `map_range` marks the keys with concurrent values as it walks the root once; asking
    // `get_all` of every key was half of reading a downloaded document.
    doc.map_range(ROOT, ..)
        .filter(|item| item.conflict)
        .filter_map(|item| {
            let field = item.key.into_owned();
            let all = doc.get_all(ROOT, field.as_str()).ok()?;
            if all.len() < 2 {
                return None;
            }
            let winner = doc.get(ROOT, field.as_str()).ok().flatten();
            let mut values: Vec<(bool, String)> = all
                .iter()
                .map(|(value, id)| {
                    let first = winner.as_ref().is_some_and(|(_, w)| w == id);
                    let text = match value {
                        Value::Scalar(s) => scalar_text(s),
                        Value::Object(t) => format!("<{t:?}>"),
                    };
                    (first, text)
                })
                .collect();
            values.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            Some(FieldConflict {
                field,
                values: values.into_iter().map(|(_, v)| v).collect(),
            })
        })
        .collect()
}

/// Settles a conflicting text field on `value` (overwrites every concurrent value).
pub fn resolve_text(doc: &mut AutoCommit, field: &str, value: &str) -> Result<(), DocError> {
    use automerge::transaction::Transactable;
    doc.put(ROOT, field, value)?;
    Ok(())
}

/// Loads a document from saved bytes or a concatenation of changes this side wrote itself.
pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    Ok(guard(|| AutoCommit::load(bytes))??)
}

/// Loads a document received from the other side, checked first ([`chunks::check_received`]).
pub fn load_received(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    chunks::check_received(bytes)?;
    load(bytes)
}

/// Merges bytes received from the other side into `doc` (`load_incremental`), checked first
/// ([`chunks::check_received`]).
pub fn merge_received(doc: &mut AutoCommit, bytes: &[u8]) -> Result<(), DocError> {
    chunks::check_received(bytes)?;
    doc.load_incremental(bytes)?;
    Ok(())
}
