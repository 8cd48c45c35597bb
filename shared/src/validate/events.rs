//! The event logs of incidents and service requests: old events stay as they were, new ones
//! are the actor's own and legal where they fall in the order, and the server's receipt times
//! are the server's alone.

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use super::{invalid, permit, Actor, Result, ValidationError};
use crate::model::{Incident, IncidentEvent, ReferenceData, ServiceEvent, ServiceRequest};
use crate::time::Timestamp;
use crate::workflow::{fold_incident, fold_order, fold_service, TimedEvent};

pub(super) fn check_service_events(
    old: &[ServiceEvent],
    new: &ServiceRequest,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    check_appended(old, &new.events, |e| (e.id, e.by), actor)?;
    replay_service(old, new, reference, |_| Ok(*actor))
}

/// [`replay_incident`] for a service request's events.
pub(super) fn replay_service(
    old: &[ServiceEvent],
    new: &ServiceRequest,
    reference: &ReferenceData,
    author: impl Fn(&ServiceEvent) -> Result<Actor>,
) -> Result {
    let old_ids: HashSet<Uuid> = old.iter().map(|e| e.id).collect();
    let mut ordered: Vec<&ServiceEvent> = new.events.iter().collect();
    ordered.sort_by_key(|e| (e.at, e.id));
    for (i, event) in ordered.iter().enumerate() {
        if old_ids.contains(&event.id) {
            continue;
        }
        let before: Vec<ServiceEvent> = ordered[..i].iter().map(|e| (*e).clone()).collect();
        permit::check_service_event(
            new,
            &fold_service(&before),
            event,
            &author(event)?,
            reference,
        )?;
    }
    let old_ignored = fold_service(old).ignored;
    let state = fold_service(&new.events);
    match state.ignored.iter().find(|id| !old_ignored.contains(id)) {
        Some(id) => Err(illegal_service_event(new, *id)),
        None => Ok(()),
    }
}

/// Old events must stay as they were; new ones must be the actor's own.
pub(super) fn check_appended<E: PartialEq>(
    old: &[E],
    new: &[E],
    key: impl Fn(&E) -> (Uuid, Uuid),
    actor: &Actor,
) -> Result {
    for o in old {
        if !new.iter().any(|n| n == o) {
            return Err(ValidationError::new(
                "immutable_field",
                format!(
                    "event {} was changed or removed; events are append-only",
                    key(o).0
                ),
            ));
        }
    }
    let old_ids: HashSet<Uuid> = old.iter().map(|e| key(e).0).collect();
    for n in new {
        let (id, by) = key(n);
        if !old_ids.contains(&id) && by != actor.user_id {
            return Err(ValidationError::new(
                "forbidden",
                format!("event {id} is not in your name"),
            ));
        }
    }
    Ok(())
}

pub(super) fn check_incident_events(
    old: Option<&Incident>,
    new: &Incident,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    let old_events = old.map_or(&[][..], |o| o.events.as_slice());
    check_appended(old_events, &new.events, |e| (e.id, e.by), actor)?;
    check_receipts(old.map(|o| &o.received), Receipts::of_incident(new), actor)?;
    replay_incident(old_events, new, reference, |_| Ok(*actor))
}

/// Folds `new`'s events in order, checking each one the server does not hold yet (not in
/// `old`) as `author` says made it, against the state just before it; an event already held
/// that was out of place stays ignored, any other that no longer applies is refused.
pub(super) fn replay_incident(
    old: &[IncidentEvent],
    new: &Incident,
    reference: &ReferenceData,
    author: impl Fn(&IncidentEvent) -> Result<Actor>,
) -> Result {
    let old_ids: HashSet<Uuid> = old.iter().map(|e| e.id).collect();
    let old_ignored = fold_incident(old).ignored;
    let mut state = fold_incident(&[]);
    for event in fold_order(&new.events) {
        if !old_ids.contains(&event.id) {
            permit::check_incident_event(new, &state, event, &author(event)?, reference)?;
        }
        match state.apply(event) {
            Ok(next) => state = next,
            Err(_) if old_ignored.contains(&event.id) => {}
            Err(e) => return Err(ValidationError::new("illegal_transition", e.to_string())),
        }
    }
    if state.status == crate::workflow::IncidentStatus::New {
        return Err(invalid("an incident must start with a `report` event"));
    }
    Ok(())
}

/// Server receipt times (event id → time) and the events they name.
pub(super) struct Receipts<'a, E> {
    /// The receipt times.
    pub received: &'a BTreeMap<String, Timestamp>,
    /// The record's events.
    pub events: &'a [E],
}

impl<'a> Receipts<'a, IncidentEvent> {
    /// An incident's.
    pub fn of_incident(incident: &'a Incident) -> Self {
        Receipts {
            received: &incident.received,
            events: &incident.events,
        }
    }
}

impl<'a> Receipts<'a, ServiceEvent> {
    /// A service request's.
    pub fn of_service(request: &'a ServiceRequest) -> Self {
        Receipts {
            received: &request.received,
            events: &request.events,
        }
    }
}

/// Server receipt times are the server's alone: it may add one per event, never change one.
pub(super) fn check_receipts<E: TimedEvent>(
    old: Option<&BTreeMap<String, Timestamp>>,
    new: Receipts<'_, E>,
    actor: &Actor,
) -> Result {
    let unchanged = match old {
        Some(r) => r == new.received,
        None => new.received.is_empty(),
    };
    if unchanged {
        return Ok(());
    }
    if !actor.is_system() {
        return Err(ValidationError::new(
            "forbidden",
            "receipt times are written by the server only",
        ));
    }
    receipts_kept(old, new)
}

/// Receipt times already held stay as they were, and each names an event of the record.
pub(super) fn receipts_kept<E: TimedEvent>(
    old: Option<&BTreeMap<String, Timestamp>>,
    new: Receipts<'_, E>,
) -> Result {
    let kept = old.is_none_or(|o| o.iter().all(|(k, v)| new.received.get(k) == Some(v)));
    let known = new
        .received
        .keys()
        .all(|k| new.events.iter().any(|e| e.id().to_string() == *k));
    if kept && known {
        Ok(())
    } else {
        Err(invalid("a receipt time was changed or names no event"))
    }
}

pub(super) fn illegal_service_event(new: &ServiceRequest, id: Uuid) -> ValidationError {
    let event = new.events.iter().find(|e| e.id == id);
    let action = event
        .map(|e| crate::workflow::service_action_name(&e.action))
        .unwrap_or("event");
    ValidationError::new(
        "illegal_transition",
        format!("`{action}` is not allowed in the service request's state"),
    )
}
