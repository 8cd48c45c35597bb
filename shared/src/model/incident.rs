//! Incident (随手拍 / 事件) records and their event list.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Level, Location, Satisfaction};
use crate::time::Timestamp;

/// What an incident event does; the workflow folds these into a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum IncidentAction {
    /// 上报: the first event of every incident.
    Report,
    /// 分拨: send to a level / department / person with a due time (also escalation).
    Dispatch {
        /// Level it goes to.
        level: Level,
        /// Department, if any.
        department_id: Option<Uuid>,
        /// Person, if any.
        assignee_id: Option<Uuid>,
        /// Due time computed from the working-day calendar.
        due: Option<Timestamp>,
    },
    /// 受理: the handler accepts it.
    Accept,
    /// 处置反馈: the handler reports it handled.
    Feedback,
    /// 核查: the reporter checks the result; a failed check sends it back.
    Verify {
        /// Whether the result was accepted.
        passed: bool,
    },
    /// 评价: satisfaction with the result.
    Evaluate {
        /// Rating.
        satisfaction: Satisfaction,
    },
    /// 结案归档.
    Close,
    /// A note that does not change the state.
    Comment,
}

/// One entry in an incident's append-only event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncidentEvent {
    /// Stable id (UUID v7), also the tie-breaker when folding.
    #[key]
    pub id: Uuid,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (user id).
    pub by: Uuid,
    /// What was done.
    pub action: IncidentAction,
    /// Note.
    pub note: String,
    /// Photo blob hashes.
    pub photos: Vec<String>,
}

/// A reported problem in a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Incident {
    /// Record id.
    pub id: Uuid,
    /// Grid (scope), fixed at creation.
    pub grid_id: Uuid,
    /// Category code.
    pub category: String,
    /// Description.
    pub description: String,
    /// Where; `None` when there was no fix.
    pub location: Option<Location>,
    /// Photo blob hashes.
    pub photos: Vec<String>,
    /// Audio note blob hashes.
    pub audio: Vec<String>,
    /// Reporter (user id).
    pub reporter_id: Uuid,
    /// Append-only event list; the state is folded from it.
    pub events: Vec<IncidentEvent>,
}
