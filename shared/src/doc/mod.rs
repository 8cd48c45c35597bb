//! The one mapping between records and Automerge documents: written with `autosurgeon`,
//! read in one pass by [`read`](self::read) module.

mod read;

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
    }
    Ok(())
}

/// Reads the record of `kind` held by `doc` (in one pass, see [`read`](self::read) module).
pub fn read<D: automerge::ReadDoc>(doc: &D, kind: RecordKind) -> Result<Record, DocError> {
    use self::read::{map_of, tree, FromValue};
    let root = tree(doc)?;
    let record = (|| {
        map_of(&root)?;
        Ok(match kind {
            RecordKind::Household => Record::Household(FromValue::from_value(&root)?),
            RecordKind::Visit => Record::Visit(FromValue::from_value(&root)?),
            RecordKind::Incident => Record::Incident(FromValue::from_value(&root)?),
            RecordKind::ServiceRequest => Record::ServiceRequest(FromValue::from_value(&root)?),
            RecordKind::WorkLog => Record::WorkLog(FromValue::from_value(&root)?),
        })
    })();
    record.map_err(|message: String| DocError::Shape {
        kind: kind.as_str(),
        message,
    })
}

fn scalar_text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Top-level fields that hold concurrent values.
pub fn conflicts<D: automerge::ReadDoc>(doc: &D) -> Vec<FieldConflict> {
    doc.keys(ROOT)
        .filter_map(|field| {
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

/// Loads a document from saved bytes or a concatenation of changes.
pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    Ok(guard(|| AutoCommit::load(bytes))??)
}
