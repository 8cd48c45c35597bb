//! The server's own workflow events, written into a record's document as the deployment's
//! server actor and checked by the same state machine and permission table as a device's:
//! the dispatch by the routing rules when a new incident arrives, the receipt time of every
//! event of an incident or a service request (deadlines and on-time figures are accounted
//! with it), and the 督办 when an item goes overdue.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, Automerge, ReadDoc};
use gridwalk_shared::model::{
    Incident, IncidentAction, IncidentEvent, Record, ReferenceData, ServiceRequest,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::validate::{validate_change, validate_record, Actor};
use gridwalk_shared::workflow::{fold_incident, SYSTEM_USER};
use gridwalk_shared::{doc, ValidationError};
use uuid::Uuid;

/// What the server adds to a record after an upload, or for a reason of its own.
pub enum Addition {
    /// Route a new incident and stamp receipt times (after an upload).
    Upload,
    /// Remind the handler of an overdue item (督办), once per due time.
    OverdueUrge,
}

/// A record the server changed, and the change it made.
pub struct ServerChange {
    /// The record after the change.
    pub record: Record,
    /// The raw Automerge change, made as the server actor.
    pub change: Vec<u8>,
}

/// Why the server could not add its events (a bug if it ever happens: logged, and the
/// upload is stored without them).
#[derive(Debug, thiserror::Error)]
pub enum ServerEventError {
    /// The shared validation refused the server's own change.
    #[error("the server's own change was refused: {0}")]
    Refused(#[from] ValidationError),
    /// Automerge or the record mapping failed.
    #[error("the server's change could not be written: {0}")]
    Document(String),
}

fn system_event(incident: &Incident, action: IncidentAction, now: Timestamp) -> IncidentEvent {
    IncidentEvent {
        id: new_id(),
        at: Timestamp::next_after(incident.events.iter().map(|e| e.at).max(), now),
        by: SYSTEM_USER,
        action,
        note: String::new(),
        photos: Vec::new(),
        location: None,
    }
}

/// The dispatch the routing rules give a newly reported incident: the rule of the nearest
/// area with one for the category; none when no rule applies (the community dispatches).
fn routed(incident: &Incident, reference: &ReferenceData, now: Timestamp) -> Option<IncidentEvent> {
    if fold_incident(&incident.events).status != gridwalk_shared::workflow::IncidentStatus::Reported
    {
        return None;
    }
    let rule = reference.route(&incident.category, incident.grid_id)?;
    let due = reference.calendar.due(now, rule.days);
    Some(system_event(
        incident,
        IncidentAction::Dispatch {
            level: rule.level,
            department_id: rule.department_id,
            assignee_id: None,
            due: Some(due),
        },
        now,
    ))
}

/// The incident with the server's additions, or `None` when it has nothing to add.
fn with_additions(
    incident: &Incident,
    addition: &Addition,
    reference: &ReferenceData,
    now: Timestamp,
) -> Option<Incident> {
    let mut next = incident.clone();
    match addition {
        Addition::Upload => next.events.extend(routed(incident, reference, now)),
        Addition::OverdueUrge => {
            if !fold_incident(&incident.events).needs_overdue_urge(now) {
                return None;
            }
            let mut urge = system_event(incident, IncidentAction::Urge, now);
            urge.note = "已超期，系统自动督办 / overdue: automatic reminder".into();
            next.events.push(urge);
        }
    }
    for event in &next.events {
        next.received.entry(event.id.to_string()).or_insert(now);
    }
    (next != *incident).then_some(next)
}

/// The request with the server's receipt time for every event it has none for; `None` when
/// every event has one.
fn service_receipts(request: &ServiceRequest, now: Timestamp) -> Option<ServiceRequest> {
    let mut next = request.clone();
    for event in &next.events {
        next.received.entry(event.id.to_string()).or_insert(now);
    }
    (next != *request).then_some(next)
}

/// Adds the server's events to `record` held by `document`, as `server_actor`: validated
/// like a device's change, written as one Automerge change. `Ok(None)`: nothing to add.
pub fn add(
    document: &mut Automerge,
    record: &Record,
    addition: Addition,
    server_actor: Uuid,
    reference: &ReferenceData,
    now: Timestamp,
) -> Result<Option<ServerChange>, ServerEventError> {
    let next = match record {
        Record::Incident(incident) => {
            with_additions(incident, &addition, reference, now).map(Record::Incident)
        }
        Record::ServiceRequest(request) => {
            service_receipts(request, now).map(Record::ServiceRequest)
        }
        _ => None,
    };
    let Some(next) = next else {
        return Ok(None);
    };
    validate_record(&next, reference)?;
    validate_change(Some(record), &next, &Actor::system(), reference)?;
    let change = write_as_server(document, &next, server_actor)?;
    Ok(Some(ServerChange {
        record: next,
        change,
    }))
}

/// Writes `record` into `document` as one change made by `server_actor` (checked by the
/// caller); returns the change's raw bytes.
pub fn write_as_server(
    document: &mut Automerge,
    record: &Record,
    server_actor: Uuid,
) -> Result<Vec<u8>, ServerEventError> {
    write_as_server_with(document, record, server_actor, CommitOptions::default())
}

/// [`write_as_server`] with the change's message and time set (e.g. a re-gridding move).
pub fn write_as_server_with(
    document: &mut Automerge,
    record: &Record,
    server_actor: Uuid,
    options: CommitOptions,
) -> Result<Vec<u8>, ServerEventError> {
    let failed = |e: &dyn std::fmt::Display| ServerEventError::Document(e.to_string());
    document.set_actor(ActorId::from(server_actor.as_bytes().as_slice()));
    let mut tx = document.transaction();
    let hash = match doc::write(&mut tx, record) {
        Ok(()) => tx.commit_with(options).0,
        Err(e) => {
            tx.rollback();
            return Err(failed(&e));
        }
    };
    hash.and_then(|h| document.get_change_by_hash(&h))
        .map(|c| c.raw_bytes().to_vec())
        .ok_or_else(|| failed(&"the change was not recorded"))
}

/// `record` (held by `document`) with the server's additions after an upload — routing and
/// receipt times — and the change that adds them. A refusal of the server's own change is a
/// bug: it is logged and the record is stored without it.
pub fn after_upload(
    document: &mut Automerge,
    record: Record,
    server_actor: Uuid,
    reference: &ReferenceData,
    now: Timestamp,
) -> (Record, Option<Vec<u8>>) {
    match add(
        document,
        &record,
        Addition::Upload,
        server_actor,
        reference,
        now,
    ) {
        Ok(Some(added)) => (added.record, Some(added.change)),
        Ok(None) => (record, None),
        Err(e) => {
            tracing::error!(doc = %record.id(), "{e}");
            (record, None)
        }
    }
}
