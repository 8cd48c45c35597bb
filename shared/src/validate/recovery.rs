//! Documents a device re-sends after the server was restored from a backup (a new epoch):
//! the server may have lost events that others — the server itself, a department, a
//! colleague — had added, so the device's copy carries events in other names. Each event the
//! server does not hold is checked as its **own author's**, against the state just before it,
//! with the same permission table; the fields, scope and kind rules are the uploader's as
//! usual. Used by the server only for devices that came back from a past epoch of this
//! deployment (docs/workflow.md, "After a restore").

use uuid::Uuid;

use super::{check_immutables, check_scope, invalid, may_create, Actor, Result};
use crate::model::{Record, RecordKind, ReferenceData, ServiceEvent};
use crate::workflow::SYSTEM_USER;

/// The actor an event was made by: the server, or a user of the reference data.
fn author(by: Uuid, reference: &ReferenceData) -> Result<Actor> {
    if by == SYSTEM_USER {
        return Ok(Actor::system());
    }
    let user = reference
        .user(by)
        .ok_or_else(|| invalid(format!("an event names user {by}, who does not exist")))?;
    Ok(Actor {
        user_id: user.id,
        role: user.role,
        scope_id: user.scope_id,
    })
}

fn kept<E: PartialEq>(old: &[E], new: &[E]) -> Result {
    if old.iter().all(|o| new.contains(o)) {
        Ok(())
    } else {
        Err(super::ValidationError::new(
            "immutable_field",
            "an event was changed or removed; events are append-only",
        ))
    }
}

/// Checks a re-sent document: `old` is what the server still holds (if anything).
pub fn validate_recovered(
    old: Option<&Record>,
    new: &Record,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    check_scope(old, new, actor, reference)?;
    if let Some(old) = old {
        check_immutables(old, new, actor)?;
    }
    match (old, new) {
        (old, Record::Incident(new)) => {
            let old = match old {
                Some(Record::Incident(o)) => Some(o),
                _ => None,
            };
            let old_events = old.map_or(&[][..], |o| o.events.as_slice());
            kept(old_events, &new.events)?;
            super::receipts_kept(old.map(|o| &o.received), super::Receipts::of_incident(new))?;
            let reporter = author(new.reporter_id, reference)?;
            if old.is_none() && !may_create(reporter.role, RecordKind::Incident) {
                return Err(super::ValidationError::new(
                    "forbidden",
                    "the reporter may not report",
                ));
            }
            super::replay_incident(old_events, new, reference, |e| author(e.by, reference))
        }
        (old, Record::ServiceRequest(new)) => {
            let old = match old {
                Some(Record::ServiceRequest(o)) => Some(o),
                _ => None,
            };
            let old_events: &[ServiceEvent] = old.map_or(&[][..], |o| o.events.as_slice());
            kept(old_events, &new.events)?;
            super::receipts_kept(old.map(|o| &o.received), super::Receipts::of_service(new))?;
            super::replay_service(old_events, new, reference, |e| author(e.by, reference))
        }
        // Households, visits and work logs carry no events in other names.
        (old, new) => super::validate_change(old, new, actor, reference),
    }
}
