//! Walk-in service requests (办事登记) at the community hall.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Satisfaction;
use crate::time::Timestamp;

/// What a service request event does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ServiceAction {
    /// 登记: the first event; the registering user is the first responder (首问负责).
    Register,
    /// 转交: hand over to another desk worker.
    HandOver {
        /// New responsible user.
        to: Uuid,
    },
    /// 转办: send to the department responsible for the item, with a due time from the
    /// item's time limit.
    Transfer {
        /// Department.
        department_id: Uuid,
        /// Due time (working days from the catalogue item's limit).
        due: Timestamp,
    },
    /// 退回: the department sends it back to the desk (reason in the note).
    Return,
    /// 办结.
    Complete {
        /// Completed at the window without a follow-up (当场办结).
        on_the_spot: bool,
    },
    /// The resident's rating.
    Rate {
        /// Rating.
        satisfaction: Satisfaction,
    },
    /// A note that does not change the state.
    Comment,
}

/// One entry in a service request's event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServiceEvent {
    /// Stable id (UUID v7).
    #[key]
    pub id: Uuid,
    /// When.
    pub at: Timestamp,
    /// Who (user id).
    pub by: Uuid,
    /// What.
    pub action: ServiceAction,
    /// Note.
    pub note: String,
}

/// A resident's walk-in request for a catalogue item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServiceRequest {
    /// Record id.
    pub id: Uuid,
    /// Community (scope), fixed at creation.
    pub community_id: Uuid,
    /// Service catalogue item.
    pub item_id: Uuid,
    /// Resident's name.
    pub resident_name: String,
    /// Resident's phone.
    pub resident_phone: String,
    /// Materials received at the window.
    pub materials_received: Vec<String>,
    /// Due time from the item's time limit.
    pub due: Option<Timestamp>,
    /// Event list; the state is folded from it.
    pub events: Vec<ServiceEvent>,
    /// When the server received each event (event id → server time), written by the server
    /// only; on-time figures are accounted with these ([`crate::workflow::effective_times`]).
    #[autosurgeon(missing = "BTreeMap::new")]
    #[serde(default)]
    pub received: BTreeMap<String, Timestamp>,
}
