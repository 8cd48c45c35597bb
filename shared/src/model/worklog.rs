//! Work-log day (工作日志/流水账) records.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::Timestamp;

/// One line in a work log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkLogEntry {
    /// Stable id.
    #[key]
    pub id: Uuid,
    /// When.
    pub at: Timestamp,
    /// What was done.
    pub text: String,
}

/// A worker's log for one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkLogDay {
    /// Record id.
    pub id: Uuid,
    /// Grid or community (scope), fixed at creation.
    pub scope_id: Uuid,
    /// Worker.
    pub worker_id: Uuid,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Entries in the order written.
    pub entries: Vec<WorkLogEntry>,
}
