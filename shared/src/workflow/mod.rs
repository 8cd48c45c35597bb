//! Workflow state machines. State is folded from a record's append-only event list in a
//! deterministic order (time, then event id), so every replica derives the same state.
//! Events that are not legal in the state reached so far are skipped and listed in `ignored`;
//! the server refuses uploads that add such events. Who may add an event is decided by
//! [`crate::validate`] from role and relationship (docs/workflow.md).

mod incident;
mod service;
mod timing;

use uuid::Uuid;

use crate::model::Record;

pub use incident::{
    fold_incident, fold_incident_accounted, incident_action_name, IncidentState, IncidentStatus,
};
pub use service::{
    fold_service, fold_service_request, fold_service_request_accounted, service_action_name,
    ServiceState, ServiceStatus,
};
pub use timing::{effective_times, fold_order, TimedEvent};

/// The user id the server writes its own workflow events as (automatic dispatch, 督办). No
/// device can sign an event with it: devices may only add events in their own user's name.
pub const SYSTEM_USER: Uuid = Uuid::nil();

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

/// The department an incident or service request is with, from its folded state (what
/// department staff may see and act on).
pub fn department_of(record: &Record) -> Option<Uuid> {
    match record {
        Record::Incident(i) => fold_incident(&i.events).department_id,
        Record::ServiceRequest(s) => fold_service(&s.events).department_id,
        _ => None,
    }
}
