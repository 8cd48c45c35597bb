//! Incident (随手拍 / 事件) records and their event list.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Level, Location, Satisfaction};
use crate::time::Timestamp;

/// What an incident event does; the workflow folds these into a state
/// (`docs/workflow.md` has the whole table of who may do what, when).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum IncidentAction {
    /// 上报: the first event of every incident.
    Report,
    /// 自行处置: the reporter handled a small matter on the spot, at report time.
    SelfHandle,
    /// 分拨: send to a level / department / person with a due time.
    Dispatch {
        /// Level it goes to.
        level: Level,
        /// Department, if any.
        department_id: Option<Uuid>,
        /// Person, if any.
        assignee_id: Option<Uuid>,
        /// Due time computed from the working-day calendar (required).
        due: Option<Timestamp>,
    },
    /// 转派: community staff send it on to another department.
    Transfer {
        /// Level it goes to.
        level: Level,
        /// Department, if any.
        department_id: Option<Uuid>,
        /// Person, if any.
        assignee_id: Option<Uuid>,
        /// New due time (required).
        due: Option<Timestamp>,
    },
    /// 吹哨 / 上报: escalate to a higher level.
    Escalate {
        /// Level it goes to (above the current one).
        level: Level,
        /// Department, if any.
        department_id: Option<Uuid>,
        /// Person, if any.
        assignee_id: Option<Uuid>,
        /// New due time (required).
        due: Option<Timestamp>,
    },
    /// 受理: the handler accepts it.
    Accept,
    /// 退回: the department says it is not theirs (reason in the note); back to the
    /// community for re-dispatch.
    Return,
    /// 处置反馈: the handler reports it handled.
    Feedback,
    /// 核查: a worker of the grid checks the result on site; a failed check needs a reason.
    Verify {
        /// Whether the result was accepted.
        passed: bool,
    },
    /// 评价: the resident's or reporter's satisfaction with the result.
    Evaluate {
        /// Rating.
        satisfaction: Satisfaction,
    },
    /// 重新办理: back to the handler after a failed check or a 不满意 rating.
    Reopen,
    /// 督办: a reminder to the handler (written by the server when an item goes overdue).
    Urge,
    /// 结案归档.
    Close,
    /// A note that does not change the state.
    Comment,
}

/// Where a dispatch, transfer or escalation sends an incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Level it goes to.
    pub level: Level,
    /// Department, if any.
    pub department_id: Option<Uuid>,
    /// Person, if any.
    pub assignee_id: Option<Uuid>,
    /// Due time.
    pub due: Option<Timestamp>,
}

impl IncidentAction {
    /// Where the action sends the incident, for dispatch, transfer and escalation.
    pub fn assignment(&self) -> Option<Assignment> {
        match *self {
            IncidentAction::Dispatch {
                level,
                department_id,
                assignee_id,
                due,
            }
            | IncidentAction::Transfer {
                level,
                department_id,
                assignee_id,
                due,
            }
            | IncidentAction::Escalate {
                level,
                department_id,
                assignee_id,
                due,
            } => Some(Assignment {
                level,
                department_id,
                assignee_id,
                due,
            }),
            _ => None,
        }
    }

    /// Sets the due time of a dispatch, transfer or escalation; `false` for other actions.
    pub fn set_due(&mut self, at: Timestamp) -> bool {
        match self {
            IncidentAction::Dispatch { due, .. }
            | IncidentAction::Transfer { due, .. }
            | IncidentAction::Escalate { due, .. } => {
                *due = Some(at);
                true
            }
            _ => false,
        }
    }
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
    /// Where it was done, when the phone had a fix (the check on site, 现场核查).
    #[autosurgeon(missing = "Option::default")]
    #[serde(default)]
    pub location: Option<Location>,
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
    /// When the server received each event (event id → server time), written by the server
    /// only; deadlines are accounted with these ([`crate::workflow::effective_times`]).
    #[autosurgeon(missing = "BTreeMap::new")]
    #[serde(default)]
    pub received: BTreeMap<String, Timestamp>,
}
