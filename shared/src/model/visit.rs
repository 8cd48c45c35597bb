//! Door-to-door visit (入户走访) records.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CampaignWork, Location};
use crate::time::Timestamp;

/// An answer to one checklist item. In the visit's document it is one string scalar holding
/// [`Answer::to_json`] (`{"kind":"yes_no","value":true}`): an answer is written whole, and a
/// map object per answer made applying and reading a visit 2–3× as costly (docs/benchmarks.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Answer {
    /// Yes or no.
    YesNo(bool),
    /// One option.
    Choice(String),
    /// Several options.
    Choices(Vec<String>),
    /// Free text.
    Text(String),
    /// A number.
    Number(f64),
    /// Photo blob hashes.
    Photos(Vec<String>),
}

impl Answer {
    /// The answer as it is stored in a document: its JSON form. (Serialising cannot fail: it
    /// has no maps; a non-finite number, which validation refuses, would read back as an error.)
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// An answer from its stored JSON form.
    pub fn from_json(json: &str) -> Result<Answer, String> {
        serde_json::from_str(json).map_err(|e| format!("not an answer ({e}): {json}"))
    }
}

impl Reconcile for Answer {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_json())
    }
}

impl Hydrate for Answer {
    fn hydrate_string(json: &'_ str) -> Result<Self, HydrateError> {
        Answer::from_json(json).map_err(|e| HydrateError::unexpected("an answer as JSON", e))
    }
}

/// One visit to a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Visit {
    /// Record id.
    pub id: Uuid,
    /// Grid (scope), fixed at creation (the server moves it when re-gridding).
    pub grid_id: Uuid,
    /// Household visited.
    pub household_id: Uuid,
    /// Worker who visited.
    pub worker_id: Uuid,
    /// Start of the visit.
    pub started_at: Timestamp,
    /// End of the visit; `None` while it is a draft.
    pub ended_at: Option<Timestamp>,
    /// Where the visit was logged; `None` when there was no fix.
    pub location: Option<Location>,
    /// Checklist template id.
    pub template_id: Option<Uuid>,
    /// Checklist template version answered against.
    pub template_version: Option<i64>,
    /// Answers by item key.
    pub answers: BTreeMap<String, Answer>,
    /// Notes.
    pub notes: String,
    /// Photo blob hashes (SHA-256, hex).
    pub photos: Vec<String>,
    /// Audio note blob hashes.
    pub audio: Vec<String>,
    /// Needs a follow-up visit.
    pub follow_up: bool,
    /// The campaign task this visit did, if any (absent in visits stored before campaigns).
    #[autosurgeon(missing = "Option::default")]
    #[serde(default)]
    pub campaign: Option<CampaignWork>,
}
