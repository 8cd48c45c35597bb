//! Reads: lists from the query tables, single records from their documents, status.

use std::collections::HashSet;

use gridwalk_shared::{
    doc::{self, FieldConflict},
    model::ReferenceData,
    time::Timestamp,
    workflow::{fold_incident, fold_service, IncidentState, ServiceState},
    Record,
};
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, outbox, queries, records};
use crate::{
    Account, Client, ConflictCopy, HouseholdRow, IncidentRow, Result, ServiceRequestRow, VisitRow,
};

/// A workflow state folded from a record's events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(untagged)]
pub enum RecordState {
    /// An incident's state.
    Incident(IncidentState),
    /// A service request's state.
    Service(ServiceState),
}

impl RecordState {
    /// The folded state of `record`, for the kinds that have a workflow.
    pub fn of(record: &Record) -> Option<RecordState> {
        match record {
            Record::Incident(i) => Some(RecordState::Incident(fold_incident(&i.events))),
            Record::ServiceRequest(s) => Some(RecordState::Service(fold_service(&s.events))),
            _ => None,
        }
    }
}

/// One record as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RecordView {
    /// The record (concurrent values resolved to the one Automerge shows first).
    pub record: Record,
    /// Fields holding concurrent values, for the user to settle.
    pub conflicts: Vec<FieldConflict>,
    /// Folded workflow state (incidents and service requests).
    pub state: Option<RecordState>,
}

impl RecordView {
    pub(crate) fn of(stored: &records::StoredDoc) -> Result<RecordView> {
        let record = stored.record()?;
        Ok(RecordView {
            state: RecordState::of(&record),
            conflicts: doc::conflicts(&stored.doc),
            record,
        })
    }
}

/// What the device holds and when it last synced.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Status {
    /// The signed-in account.
    pub account: Option<Account>,
    /// Local changes not yet acknowledged by the server.
    pub pending_changes: u64,
    /// When the last sync round completed.
    pub last_sync: Option<Timestamp>,
    /// Version of the reference data held (0: none).
    pub reference_version: u64,
    /// Records held.
    pub records: usize,
    /// Rejected local versions kept aside.
    pub conflict_copies: usize,
}

impl Client {
    /// The signed-in account, if the device is enrolled.
    pub fn account(&self) -> Result<Option<Account>> {
        Ok(meta::credentials(self.store().conn())?.map(|c| Account::from(&c)))
    }

    /// Account, pending changes and last sync.
    pub fn status(&self) -> Result<Status> {
        let store = self.store();
        let conn = store.conn();
        let (records, conflict_copies) = records::counts(conn)?;
        Ok(Status {
            account: meta::credentials(conn)?.map(|c| Account::from(&c)),
            pending_changes: outbox::pending(conn)?,
            last_sync: meta::last_sync(conn)?,
            reference_version: meta::reference_version(conn)?,
            records,
            conflict_copies,
        })
    }

    /// Local changes not yet acknowledged by the server.
    pub fn pending_changes(&self) -> Result<u64> {
        outbox::pending(self.store().conn())
    }

    /// The reference data held (org tree, users, categories, …), if synced.
    pub fn reference(&self) -> Result<Option<ReferenceData>> {
        meta::reference(self.store().conn())
    }

    /// Households in the signed-in user's scope, ordered by address.
    pub fn households(&self) -> Result<Vec<HouseholdRow>> {
        let store = self.store();
        let conn = store.conn();
        let rows = queries::households(conn)?;
        let (Some(credentials), Some(reference)) =
            (meta::credentials(conn)?, meta::reference(conn)?)
        else {
            return Ok(rows);
        };
        let in_scope: HashSet<Uuid> = reference
            .subtree(credentials.user.scope_id)
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .filter(|h| in_scope.contains(&h.grid_id))
            .collect())
    }

    /// Visits, newest first; only those to `household` when given.
    pub fn visits(&self, household: Option<Uuid>) -> Result<Vec<VisitRow>> {
        queries::visits(self.store().conn(), household)
    }

    /// Incidents held, most recently updated first.
    pub fn incidents(&self) -> Result<Vec<IncidentRow>> {
        queries::incidents(self.store().conn())
    }

    /// Walk-in service requests held, by due time.
    pub fn service_requests(&self) -> Result<Vec<ServiceRequestRow>> {
        queries::service_requests(self.store().conn())
    }

    /// One record with its conflicts and workflow state, if held.
    pub fn record(&self, id: Uuid) -> Result<Option<RecordView>> {
        match records::load(self.store().conn(), id)? {
            None => Ok(None),
            Some(stored) => RecordView::of(&stored).map(Some),
        }
    }

    /// Local versions the server refused, kept aside for the user.
    pub fn conflict_copies(&self) -> Result<Vec<ConflictCopy>> {
        records::conflict_copies(self.store().conn())
    }
}
