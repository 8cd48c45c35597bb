//! Domain model: reference data (plain serde types) and field records (Automerge documents).

mod catalogue;
mod household;
mod incident;
mod location;
mod org;
mod reference;
mod service;
mod visit;
mod worklog;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use catalogue::{
    ChecklistItem, ChecklistTemplate, IncidentCategory, ItemKind, Level, RoutingRule, ServiceItem,
};
pub use household::{Household, Member, EDITABLE_FIELDS as HOUSEHOLD_EDITABLE_FIELDS};
pub use incident::{Assignment, Incident, IncidentAction, IncidentEvent};
pub use location::Location;
pub use org::{Building, Department, OrgKind, OrgUnit, Role, User};
pub use reference::ReferenceData;
pub use service::{ServiceAction, ServiceEvent, ServiceRequest};
pub use visit::{Answer, Visit};
pub use worklog::{WorkLogDay, WorkLogEntry};

/// A resident's rating (满意/基本满意/不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    Basically,
    /// 不满意
    Dissatisfied,
}

/// The kinds of field record, each one Automerge document per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// [`Household`]
    Household,
    /// [`Visit`]
    Visit,
    /// [`Incident`]
    Incident,
    /// [`ServiceRequest`]
    ServiceRequest,
    /// [`WorkLogDay`]
    WorkLog,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Household,
        RecordKind::Visit,
        RecordKind::Incident,
        RecordKind::ServiceRequest,
        RecordKind::WorkLog,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
            RecordKind::Visit => "visit",
            RecordKind::Incident => "incident",
            RecordKind::ServiceRequest => "service_request",
            RecordKind::WorkLog => "work_log",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<RecordKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Any field record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A household.
    Household(Household),
    /// A visit.
    Visit(Visit),
    /// An incident.
    Incident(Incident),
    /// A walk-in service request.
    ServiceRequest(ServiceRequest),
    /// A work-log day.
    WorkLog(WorkLogDay),
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Household(_) => RecordKind::Household,
            Record::Visit(_) => RecordKind::Visit,
            Record::Incident(_) => RecordKind::Incident,
            Record::ServiceRequest(_) => RecordKind::ServiceRequest,
            Record::WorkLog(_) => RecordKind::WorkLog,
        }
    }

    /// The record's id (also its document id).
    pub fn id(&self) -> Uuid {
        match self {
            Record::Household(r) => r.id,
            Record::Visit(r) => r.id,
            Record::Incident(r) => r.id,
            Record::ServiceRequest(r) => r.id,
            Record::WorkLog(r) => r.id,
        }
    }

    /// The org unit the record belongs to; fixed at creation.
    pub fn scope(&self) -> Uuid {
        match self {
            Record::Household(r) => r.grid_id,
            Record::Visit(r) => r.grid_id,
            Record::Incident(r) => r.grid_id,
            Record::ServiceRequest(r) => r.community_id,
            Record::WorkLog(r) => r.scope_id,
        }
    }

    /// Blob hashes (photos, audio) the record references.
    pub fn blob_refs(&self) -> Vec<String> {
        let mut refs: Vec<String> = match self {
            Record::Household(_) | Record::ServiceRequest(_) | Record::WorkLog(_) => Vec::new(),
            Record::Visit(v) => {
                let mut refs = [v.photos.clone(), v.audio.clone()].concat();
                for answer in v.answers.values() {
                    if let Answer::Photos(p) = answer {
                        refs.extend(p.iter().cloned());
                    }
                }
                refs
            }
            Record::Incident(i) => {
                let mut refs = [i.photos.clone(), i.audio.clone()].concat();
                refs.extend(i.events.iter().flat_map(|e| e.photos.iter().cloned()));
                refs
            }
        };
        refs.sort();
        refs.dedup();
        refs
    }
}
