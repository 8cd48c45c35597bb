//! Walk-in service requests (办事登记): registered at the window, handed over to a colleague
//! or sent to the item's department, completed (on the spot or later), rated.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::TransitionError;
use crate::model::{Satisfaction, ServiceAction, ServiceEvent, ServiceRequest};
use crate::time::Timestamp;

/// Where a walk-in service request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// No events yet.
    New,
    /// 已登记, being handled at the desk.
    Registered,
    /// 已转办: with the item's department.
    Transferred,
    /// 已退回: the department sent it back to the desk.
    Returned,
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
            Self::Transferred => "transferred",
            Self::Returned => "returned",
            Self::Completed => "completed",
            Self::Rated => "rated",
        }
    }

    /// Whether it still waits to be completed.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Registered | Self::Transferred | Self::Returned)
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
    /// Department it was sent to.
    pub department_id: Option<Uuid>,
    /// Due time: the department's, once transferred.
    pub due: Option<Timestamp>,
    /// Completed at the window.
    pub on_the_spot: bool,
    /// When it was registered.
    pub registered_at: Option<Timestamp>,
    /// When it was completed.
    pub completed_at: Option<Timestamp>,
    /// Who completed it.
    pub completed_by: Option<Uuid>,
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
        ServiceAction::Transfer { .. } => "transfer",
        ServiceAction::Return => "return",
        ServiceAction::Complete { .. } => "complete",
        ServiceAction::Rate { .. } => "rate",
        ServiceAction::Comment => "comment",
    }
}

impl ServiceState {
    /// Applies one event at its own time, or says why it is not legal here.
    pub fn apply(&self, event: &ServiceEvent) -> Result<ServiceState, TransitionError> {
        self.apply_at(event, event.at)
    }

    /// Applies one event, counting it at `at` (its accounted time, see
    /// [`super::effective_times`]).
    fn apply_at(
        &self,
        event: &ServiceEvent,
        at: Timestamp,
    ) -> Result<ServiceState, TransitionError> {
        use ServiceAction as A;
        use ServiceStatus as S;
        let mut next = self.clone();
        next.status = match (&event.action, self.status) {
            (A::Register, S::New) => {
                next.registered_at = Some(at);
                next.responsible_id = Some(event.by);
                S::Registered
            }
            (A::HandOver { to }, S::Registered | S::Returned) => {
                next.responsible_id = Some(*to);
                S::Registered
            }
            (A::Transfer { department_id, due }, S::Registered | S::Returned) => {
                next.department_id = Some(*department_id);
                next.due = Some(*due);
                S::Transferred
            }
            (A::Return, S::Transferred) => {
                next.department_id = None;
                S::Returned
            }
            (A::Complete { on_the_spot }, S::Registered | S::Transferred | S::Returned) => {
                next.on_the_spot = *on_the_spot && self.status == S::Registered;
                next.completed_at = Some(at);
                next.completed_by = Some(event.by);
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

/// Folds a service request's events into its state; the due time starts as the record's
/// (the item's limit at registration).
pub fn fold_service_request(request: &ServiceRequest) -> ServiceState {
    with_record_due(fold_with(&request.events, |e| e.at), request)
}

/// Folds a whole service request counting every event at its [`super::effective_times`]
/// (the server's receipt times): the state the dashboards' on-time figures go by.
pub fn fold_service_request_accounted(request: &ServiceRequest) -> ServiceState {
    let times = super::effective_times(&request.events, &request.received);
    let state = fold_with(&request.events, |e| {
        times.get(&e.id).copied().unwrap_or(e.at)
    });
    with_record_due(state, request)
}

fn with_record_due(mut state: ServiceState, request: &ServiceRequest) -> ServiceState {
    if state.department_id.is_none() && state.due.is_none() {
        state.due = request.due;
    }
    state
}

/// Folds a service request's events into its state.
pub fn fold_service(events: &[ServiceEvent]) -> ServiceState {
    fold_with(events, |e| e.at)
}

fn fold_with(events: &[ServiceEvent], time: impl Fn(&ServiceEvent) -> Timestamp) -> ServiceState {
    let initial = ServiceState {
        status: ServiceStatus::New,
        responsible_id: None,
        department_id: None,
        due: None,
        on_the_spot: false,
        registered_at: None,
        completed_at: None,
        completed_by: None,
        satisfaction: None,
        ignored: Vec::new(),
    };
    super::fold_order(events)
        .into_iter()
        .fold(initial, |state, event| {
            match state.apply_at(event, time(event)) {
                Ok(next) => next,
                Err(_) => {
                    let mut same = state;
                    same.ignored.push(event.id);
                    same
                }
            }
        })
}
