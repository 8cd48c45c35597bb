//! Domain model: reference data (plain serde types) and field records (Automerge documents).

mod assessment;
mod campaign;
mod catalogue;
mod household;
mod incident;
mod location;
mod notice;
mod org;
mod patrol;
mod reference;
mod service;
mod visit;
mod visit_rule;
mod worklog;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use assessment::ScoreWeights;
pub use campaign::{
    Campaign, CampaignKind, CampaignTarget, CampaignWork, CensusEdit, HouseholdFacts,
};
pub use catalogue::{
    ChecklistItem, ChecklistTemplate, IncidentCategory, ItemKind, Level, RoutingRule, ServiceItem,
};
pub use household::{Household, Member, EDITABLE_FIELDS as HOUSEHOLD_EDITABLE_FIELDS};
pub use incident::{Assignment, Incident, IncidentAction, IncidentEvent};
pub use location::{GpsFix, Location};
pub use notice::{
    Audience, Notice, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt, NoticeResponse,
};
pub use org::{Building, Department, OrgKind, OrgUnit, Role, TilePackage, TileSource, User};
pub use patrol::{Handover, HandoverRemark, Patrol, PatrolRule, TrackPoint};
pub use reference::ReferenceData;
pub use service::{ServiceAction, ServiceEvent, ServiceRequest};
pub use visit::{Answer, Visit};
pub use visit_rule::{Frequency, VisitCheckRule, VisitRule, VisitRules};
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
    /// [`Notice`]
    Notice,
    /// [`NoticeDelivery`]
    NoticeDelivery,
    /// [`Patrol`]
    Patrol,
    /// [`Handover`]
    Handover,
    /// [`Campaign`]
    Campaign,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 10] = [
        RecordKind::Household,
        RecordKind::Visit,
        RecordKind::Incident,
        RecordKind::ServiceRequest,
        RecordKind::WorkLog,
        RecordKind::Notice,
        RecordKind::NoticeDelivery,
        RecordKind::Patrol,
        RecordKind::Handover,
        RecordKind::Campaign,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
            RecordKind::Visit => "visit",
            RecordKind::Incident => "incident",
            RecordKind::ServiceRequest => "service_request",
            RecordKind::WorkLog => "work_log",
            RecordKind::Notice => "notice",
            RecordKind::NoticeDelivery => "notice_delivery",
            RecordKind::Patrol => "patrol",
            RecordKind::Handover => "handover",
            RecordKind::Campaign => "campaign",
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
// A visit with a census edit is the largest; records are built and stored one at a time.
#[allow(clippy::large_enum_variant)]
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
    /// A notice, as its sender sent it.
    Notice(Notice),
    /// A notice's copy for one recipient, with the receipt.
    NoticeDelivery(NoticeDelivery),
    /// A patrol.
    Patrol(Patrol),
    /// A grid's hand-over remarks for a week.
    Handover(Handover),
    /// A campaign's part in one grid.
    Campaign(Campaign),
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
            Record::Notice(_) => RecordKind::Notice,
            Record::NoticeDelivery(_) => RecordKind::NoticeDelivery,
            Record::Patrol(_) => RecordKind::Patrol,
            Record::Handover(_) => RecordKind::Handover,
            Record::Campaign(_) => RecordKind::Campaign,
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
            Record::Notice(r) => r.id,
            Record::NoticeDelivery(r) => r.id,
            Record::Patrol(r) => r.id,
            Record::Handover(r) => r.id,
            Record::Campaign(r) => r.id,
        }
    }

    /// The same record in another grid, for the kinds that belong to a grid (`None` for the
    /// others): the server's re-gridding is the only writer of a new grid.
    pub fn in_grid(&self, grid: Uuid) -> Option<Record> {
        let mut moved = self.clone();
        match &mut moved {
            Record::Household(r) => r.grid_id = grid,
            Record::Visit(r) => r.grid_id = grid,
            Record::Incident(r) => r.grid_id = grid,
            Record::Patrol(r) => r.grid_id = grid,
            Record::Handover(r) => r.grid_id = grid,
            Record::Campaign(r) => r.grid_id = grid,
            Record::ServiceRequest(_)
            | Record::WorkLog(_)
            | Record::Notice(_)
            | Record::NoticeDelivery(_) => return None,
        }
        Some(moved)
    }

    /// The org unit the record belongs to (for notices and deliveries, the sender's or
    /// recipient's user id); fixed at creation, changed only by the server's re-gridding.
    pub fn scope(&self) -> Uuid {
        match self {
            Record::Household(r) => r.grid_id,
            Record::Visit(r) => r.grid_id,
            Record::Incident(r) => r.grid_id,
            Record::ServiceRequest(r) => r.community_id,
            Record::WorkLog(r) => r.scope_id,
            Record::Notice(r) => r.sender_id,
            Record::NoticeDelivery(r) => r.recipient_id,
            Record::Patrol(r) => r.grid_id,
            Record::Handover(r) => r.grid_id,
            Record::Campaign(r) => r.grid_id,
        }
    }

    /// Blob hashes (photos, audio) the record references.
    pub fn blob_refs(&self) -> Vec<String> {
        let mut refs: Vec<String> = match self {
            Record::Household(_)
            | Record::ServiceRequest(_)
            | Record::WorkLog(_)
            | Record::Patrol(_)
            | Record::Handover(_)
            | Record::Campaign(_) => Vec::new(),
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
            Record::Notice(n) => n.content.blob_refs(),
            Record::NoticeDelivery(d) => d.content.blob_refs(),
        };
        refs.sort();
        refs.dedup();
        refs
    }
}
