//! Workflow state machines. State is folded from a record's append-only event list in a
//! deterministic order (time, then event id), so every replica derives the same state.
//! Events that are not legal in the state reached so far are skipped and listed in `ignored`;
//! the server refuses uploads that add such events.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{
    IncidentAction, IncidentEvent, Level, Role, Satisfaction, ServiceAction, ServiceEvent,
};
use crate::time::Timestamp;

/// Where an incident is in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// No events yet (never stored: every incident starts with `Report`).
    New,
    /// 已上报
    Reported,
    /// 已分拨
    Dispatched,
    /// 处置中
    Handling,
    /// 已反馈
    Handled,
    /// 已核查
    Verified,
    /// 已评价
    Evaluated,
    /// 已结案
    Closed,
}

impl IncidentStatus {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Reported => "reported",
            Self::Dispatched => "dispatched",
            Self::Handling => "handling",
            Self::Handled => "handled",
            Self::Verified => "verified",
            Self::Evaluated => "evaluated",
            Self::Closed => "closed",
        }
    }

    /// Whether the problem still waits for a handler (counts against the due time).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Reported | Self::Dispatched | Self::Handling | Self::New
        )
    }
}

/// An incident's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncidentState {
    /// Status.
    pub status: IncidentStatus,
    /// Current level.
    pub level: Level,
    /// Department it is with.
    pub department_id: Option<Uuid>,
    /// Person it is with.
    pub assignee_id: Option<Uuid>,
    /// Due time at the current level.
    pub due: Option<Timestamp>,
    /// Rating, once evaluated.
    pub satisfaction: Option<Satisfaction>,
    /// When it was reported.
    pub reported_at: Option<Timestamp>,
    /// When it was last reported handled (cleared when a check sends it back).
    pub handled_at: Option<Timestamp>,
    /// Time of the last applied event.
    pub updated_at: Option<Timestamp>,
    /// Events that were not legal where they fell, in fold order.
    pub ignored: Vec<Uuid>,
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{action}` is not allowed when the {record} is `{status}`")]
pub struct TransitionError {
    /// Record kind name.
    pub record: &'static str,
    /// Action name.
    pub action: &'static str,
    /// Status name.
    pub status: &'static str,
}

/// Stable snake_case name of an incident action.
pub fn incident_action_name(action: &IncidentAction) -> &'static str {
    match action {
        IncidentAction::Report => "report",
        IncidentAction::Dispatch { .. } => "dispatch",
        IncidentAction::Accept => "accept",
        IncidentAction::Feedback => "feedback",
        IncidentAction::Verify { .. } => "verify",
        IncidentAction::Evaluate { .. } => "evaluate",
        IncidentAction::Close => "close",
        IncidentAction::Comment => "comment",
    }
}

impl IncidentState {
    fn initial() -> Self {
        Self {
            status: IncidentStatus::New,
            level: Level::Grid,
            department_id: None,
            assignee_id: None,
            due: None,
            satisfaction: None,
            reported_at: None,
            handled_at: None,
            updated_at: None,
            ignored: Vec::new(),
        }
    }

    /// Applies one event, or says why it is not legal here.
    pub fn apply(&self, event: &IncidentEvent) -> Result<IncidentState, TransitionError> {
        use IncidentAction as A;
        use IncidentStatus as S;
        let mut next = self.clone();
        next.status = match (&event.action, self.status) {
            (A::Report, S::New) => {
                next.reported_at = Some(event.at);
                S::Reported
            }
            (A::Comment, s) if s != S::New => s,
            (
                A::Dispatch {
                    level,
                    department_id,
                    assignee_id,
                    due,
                },
                S::Reported | S::Dispatched | S::Handling,
            ) => {
                next.level = *level;
                next.department_id = *department_id;
                next.assignee_id = *assignee_id;
                next.due = *due;
                S::Dispatched
            }
            (A::Accept, S::Dispatched) => S::Handling,
            (A::Feedback, S::Reported | S::Handling) => {
                next.handled_at = Some(event.at);
                S::Handled
            }
            (A::Verify { passed: true }, S::Handled) => S::Verified,
            (A::Verify { passed: false }, S::Handled) => {
                next.handled_at = None;
                S::Handling
            }
            (A::Evaluate { satisfaction }, S::Verified) => {
                next.satisfaction = Some(*satisfaction);
                S::Evaluated
            }
            (A::Close, S::Verified | S::Evaluated) => S::Closed,
            (action, status) => {
                return Err(TransitionError {
                    record: "incident",
                    action: incident_action_name(action),
                    status: status.as_str(),
                })
            }
        };
        next.updated_at = Some(event.at);
        Ok(next)
    }

    /// Whether the incident is past its due time at `now` and still open.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && self.due.is_some_and(|due| due < now)
    }
}

/// Folds an incident's events (in any stored order) into its state.
pub fn fold_incident(events: &[IncidentEvent]) -> IncidentState {
    let mut ordered: Vec<&IncidentEvent> = events.iter().collect();
    ordered.sort_by_key(|e| (e.at, e.id));
    ordered
        .into_iter()
        .fold(IncidentState::initial(), |state, event| {
            match state.apply(event) {
                Ok(next) => next,
                Err(_) => {
                    let mut same = state;
                    same.ignored.push(event.id);
                    same
                }
            }
        })
}

/// Whether a user with `role` may append an incident event with `action`.
pub fn may_act_on_incident(role: Role, action: &IncidentAction) -> bool {
    use IncidentAction as A;
    match action {
        A::Report => matches!(
            role,
            Role::GridWorker | Role::GridLeader | Role::Desk | Role::Admin
        ),
        A::Dispatch { .. } => matches!(
            role,
            Role::GridLeader | Role::Desk | Role::Admin | Role::Department
        ),
        A::Accept | A::Feedback | A::Comment => true,
        A::Verify { .. } | A::Evaluate { .. } | A::Close => role != Role::Department,
    }
}

/// Where a walk-in service request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// No events yet.
    New,
    /// 已登记, being handled.
    Registered,
    /// 已办结
    Completed,
    /// 已评价
    Rated,
}

impl ServiceStatus {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Registered => "registered",
            Self::Completed => "completed",
            Self::Rated => "rated",
        }
    }
}

/// A service request's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServiceState {
    /// Status.
    pub status: ServiceStatus,
    /// Responsible desk worker (first responder, or whom it was handed to).
    pub responsible_id: Option<Uuid>,
    /// Completed at the window.
    pub on_the_spot: bool,
    /// When it was registered.
    pub registered_at: Option<Timestamp>,
    /// When it was completed.
    pub completed_at: Option<Timestamp>,
    /// Rating.
    pub satisfaction: Option<Satisfaction>,
    /// Events not legal where they fell.
    pub ignored: Vec<Uuid>,
}

/// Stable snake_case name of a service action.
pub fn service_action_name(action: &ServiceAction) -> &'static str {
    match action {
        ServiceAction::Register => "register",
        ServiceAction::HandOver { .. } => "hand_over",
        ServiceAction::Complete { .. } => "complete",
        ServiceAction::Rate { .. } => "rate",
        ServiceAction::Comment => "comment",
    }
}

impl ServiceState {
    /// Applies one event, or says why it is not legal here.
    pub fn apply(&self, event: &ServiceEvent) -> Result<ServiceState, TransitionError> {
        use ServiceAction as A;
        use ServiceStatus as S;
        let mut next = self.clone();
        next.status = match (&event.action, self.status) {
            (A::Register, S::New) => {
                next.registered_at = Some(event.at);
                next.responsible_id = Some(event.by);
                S::Registered
            }
            (A::HandOver { to }, S::Registered) => {
                next.responsible_id = Some(*to);
                S::Registered
            }
            (A::Complete { on_the_spot }, S::Registered) => {
                next.on_the_spot = *on_the_spot;
                next.completed_at = Some(event.at);
                S::Completed
            }
            (A::Rate { satisfaction }, S::Completed) => {
                next.satisfaction = Some(*satisfaction);
                S::Rated
            }
            (A::Comment, s) if s != S::New => s,
            (action, status) => {
                return Err(TransitionError {
                    record: "service request",
                    action: service_action_name(action),
                    status: status.as_str(),
                })
            }
        };
        Ok(next)
    }
}

/// Folds a service request's events into its state.
pub fn fold_service(events: &[ServiceEvent]) -> ServiceState {
    let mut ordered: Vec<&ServiceEvent> = events.iter().collect();
    ordered.sort_by_key(|e| (e.at, e.id));
    let initial = ServiceState {
        status: ServiceStatus::New,
        responsible_id: None,
        on_the_spot: false,
        registered_at: None,
        completed_at: None,
        satisfaction: None,
        ignored: Vec::new(),
    };
    ordered
        .into_iter()
        .fold(initial, |state, event| match state.apply(event) {
            Ok(next) => next,
            Err(_) => {
                let mut same = state;
                same.ignored.push(event.id);
                same
            }
        })
}
