//! Checks on patrols (巡查) and hand-over remarks (交班会): schema, budget and who may change
//! what. Dispatched from [`super::validate_record`] and [`super::validate_change`].

use super::budget::{MAX_EVENTS, MAX_TEXT};
use super::{check_appended, check_unit, immutable, invalid, required, Actor, Result};
use crate::model::{Handover, OrgKind, Patrol, ReferenceData, Role};
use crate::ValidationError;

/// Most points of a patrol's route: a fix every 30 s for eight hours and more. The device
/// thins the route (every other point) before it would hold more.
pub const MAX_TRACK: usize = 1000;

fn too_long(field: &str, max: usize) -> ValidationError {
    ValidationError::new(
        "list_too_long",
        format!("`{field}` holds more than {max} items"),
    )
}

/// Schema and budget of a patrol.
pub(super) fn check_patrol(p: &Patrol, reference: &ReferenceData) -> Result {
    if p.track.len() > MAX_TRACK {
        return Err(too_long("track", MAX_TRACK));
    }
    if p.visit_ids.len() > MAX_EVENTS || p.incident_ids.len() > MAX_EVENTS {
        return Err(too_long("visit_ids/incident_ids", MAX_EVENTS));
    }
    check_unit(reference, p.grid_id, OrgKind::Grid)?;
    if p.ended_at.is_some_and(|end| end < p.started_at) {
        return Err(invalid("a patrol cannot end before it starts"));
    }
    for point in &p.track {
        let ok = point.lat.is_finite()
            && point.lon.is_finite()
            && (-90.0..=90.0).contains(&point.lat)
            && (-180.0..=180.0).contains(&point.lon)
            && point.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
        if !ok {
            return Err(invalid(format!(
                "track point {},{} is not a valid position",
                point.lat, point.lon
            )));
        }
    }
    Ok(())
}

/// Schema and budget of a grid's hand-over remarks.
pub(super) fn check_handover(h: &Handover, reference: &ReferenceData) -> Result {
    if h.remarks.len() > MAX_EVENTS {
        return Err(too_long("remarks", MAX_EVENTS));
    }
    check_unit(reference, h.grid_id, OrgKind::Grid)?;
    let monday = chrono::NaiveDate::parse_from_str(&h.week, "%Y-%m-%d")
        .ok()
        .filter(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Mon);
    if monday.is_none() {
        return Err(invalid(format!(
            "hand-over week `{}` is not a Monday (YYYY-MM-DD)",
            h.week
        )));
    }
    for remark in &h.remarks {
        required("remark", &remark.text)?;
        if remark.text.chars().count() > MAX_TEXT {
            return Err(ValidationError::new(
                "field_too_long",
                format!("`remark` is longer than {MAX_TEXT} characters"),
            ));
        }
    }
    Ok(())
}

/// Who may create a hand-over record and add remarks: the grid leader (or an admin).
pub(super) fn may_remark(role: Role) -> bool {
    matches!(role, Role::GridLeader | Role::Admin)
}

/// A new patrol is the actor's own; new remarks are in the actor's name.
pub(super) fn author_ok(
    patrol: Option<&Patrol>,
    handover: Option<&Handover>,
    actor: &Actor,
) -> bool {
    patrol.is_none_or(|p| p.worker_id == actor.user_id)
        && handover.is_none_or(|h| h.remarks.iter().all(|r| r.by == actor.user_id))
}

/// A patrol's worker and start stay; only its worker changes it, and an end once set stays.
pub(super) fn check_patrol_change(old: &Patrol, new: &Patrol, actor: &Actor) -> Result {
    if old.worker_id != new.worker_id || old.started_at != new.started_at {
        return Err(immutable("worker_id/started_at"));
    }
    if new.worker_id != actor.user_id {
        return Err(ValidationError::new(
            "forbidden",
            "only the worker on a patrol may change it",
        ));
    }
    if old.ended_at.is_some() && old.ended_at != new.ended_at {
        return Err(immutable("ended_at"));
    }
    Ok(())
}

/// A hand-over's week stays; remarks are append-only, added by the grid leader in their name.
pub(super) fn check_handover_change(old: &Handover, new: &Handover, actor: &Actor) -> Result {
    if old.week != new.week {
        return Err(immutable("week"));
    }
    if !may_remark(actor.role) && old.remarks != new.remarks {
        return Err(ValidationError::new(
            "forbidden",
            "only the grid leader adds hand-over remarks",
        ));
    }
    check_appended(&old.remarks, &new.remarks, |r| (r.id, r.by), actor)
}
