//! Validation shared by device and server: schema checks on a record, and the rules for who
//! may create or change what (scope, role, immutable fields, workflow).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coords::LatLon;
use crate::geometry::{distance_m, valid_position};
use crate::model::{
    Answer, Incident, ItemKind, Location, OrgKind, Record, RecordKind, ReferenceData, Role,
    ServiceRequest, Visit,
};
use crate::workflow::SYSTEM_USER;

pub mod budget;
mod campaign;
mod events;
mod notice;
mod patrol;
mod permit;
mod recovery;

use events::{
    check_appended, check_incident_events, check_receipts, check_service_events, receipts_kept,
    replay_incident, replay_service, Receipts,
};

pub use budget::MAX_TEXT;
pub use campaign::MAX_TARGETS;
pub use notice::{check_content, expand_audience, MAX_RECIPIENTS};
pub use patrol::MAX_TRACK;
pub use recovery::validate_recovered;

/// Why a record or change is refused: a stable machine-readable code and a readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// Stable code, e.g. `out_of_scope`, `illegal_transition`.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
}

impl ValidationError {
    /// Builds an error from a code and a message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

type Result<T = ()> = std::result::Result<T, ValidationError>;

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError::new("invalid_record", message)
}

/// The signed-in user a change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id.
    pub user_id: Uuid,
    /// Role.
    pub role: Role,
    /// Org unit (or department) the role applies to.
    pub scope_id: Uuid,
}

impl Actor {
    /// The server itself, writing its automatic workflow events (dispatch, 督办) as
    /// [`SYSTEM_USER`]; the state machine and the permission table hold for it too.
    pub fn system() -> Actor {
        Actor {
            user_id: SYSTEM_USER,
            role: Role::Admin,
            scope_id: SYSTEM_USER,
        }
    }

    /// Whether this is the server itself.
    pub fn is_system(&self) -> bool {
        self.user_id == SYSTEM_USER
    }
}

/// A text that must hold something (lengths are the [`budget`]'s).
fn required(field: &str, value: &str) -> Result {
    if value.trim().is_empty() {
        return Err(invalid(format!("`{field}` must not be empty")));
    }
    Ok(())
}

fn check_blobs(field: &str, hashes: &[String]) -> Result {
    for hash in hashes {
        let ok = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(invalid(format!(
                "`{field}` holds `{hash}`, which is not a SHA-256 hex hash"
            )));
        }
    }
    Ok(())
}

fn check_location(location: &Option<Location>) -> Result {
    let Some(loc) = location else { return Ok(()) };
    let finite = loc.lat.is_finite() && loc.lon.is_finite();
    if !finite || !(-90.0..=90.0).contains(&loc.lat) || !(-180.0..=180.0).contains(&loc.lon) {
        return Err(invalid(format!(
            "location {},{} is not a valid latitude/longitude",
            loc.lat, loc.lon
        )));
    }
    if loc.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
        return Err(invalid(
            "location accuracy must be a positive number of metres",
        ));
    }
    if let Some(gps) = &loc.adjusted_from {
        let from = LatLon {
            lat: gps.lat,
            lon: gps.lon,
        };
        if !valid_position(from) || gps.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
            return Err(invalid(
                "the fix a position was moved from is not a valid fix",
            ));
        }
        let moved = distance_m(
            from,
            LatLon {
                lat: loc.lat,
                lon: loc.lon,
            },
        );
        if moved > MAX_ADJUSTMENT_M {
            return Err(invalid(format!(
                "a position may be moved at most {MAX_ADJUSTMENT_M} m from its fix (moved {moved:.0} m)"
            )));
        }
    }
    Ok(())
}

/// Farthest a worker may drag a position from the phone's fix, metres: a correction of poor
/// GPS, not a different place.
pub const MAX_ADJUSTMENT_M: f64 = 1_000.0;

fn check_unit(reference: &ReferenceData, id: Uuid, kind: OrgKind) -> Result {
    match reference.unit(id) {
        Some(unit) if unit.kind == kind => Ok(()),
        Some(_) => Err(invalid(format!("org unit {id} is not a {kind:?}"))),
        None => Err(invalid(format!("org unit {id} does not exist"))),
    }
}

/// Schema checks on one record against the reference data, its [`budget`] first.
pub fn validate_record(record: &Record, reference: &ReferenceData) -> Result {
    budget::check_record(record)?;
    match record {
        Record::Household(h) => {
            check_unit(reference, h.grid_id, OrgKind::Grid)?;
            required("address", &h.address)?;
            campaign::check_phone(&h.phone)?;
            match reference.buildings.iter().find(|b| b.id == h.building_id) {
                Some(b) if b.grid_id == h.grid_id => {}
                Some(_) => return Err(invalid("the building is in another grid")),
                None => {
                    return Err(invalid(format!(
                        "building {} does not exist",
                        h.building_id
                    )))
                }
            }
            for m in &h.members {
                required("member name", &m.name)?;
            }
            Ok(())
        }
        Record::Visit(v) => validate_visit(v, reference),
        Record::Incident(i) => validate_incident(i, reference),
        Record::ServiceRequest(s) => validate_service_request(s, reference),
        Record::Notice(n) => notice::validate_notice(n, reference),
        Record::NoticeDelivery(d) => notice::validate_delivery(d, reference),
        Record::Patrol(p) => patrol::check_patrol(p, reference),
        Record::Handover(h) => patrol::check_handover(h, reference),
        Record::WorkLog(w) => {
            chrono::NaiveDate::parse_from_str(&w.date, "%Y-%m-%d")
                .map_err(|_| invalid(format!("work-log date `{}` is not YYYY-MM-DD", w.date)))?;
            if reference.unit(w.scope_id).is_none() {
                return Err(invalid(format!("org unit {} does not exist", w.scope_id)));
            }
            w.entries
                .iter()
                .try_for_each(|e| required("entry", &e.text))
        }
        Record::Campaign(c) => campaign::validate_campaign(c, reference),
    }
}

fn validate_visit(v: &Visit, reference: &ReferenceData) -> Result {
    check_unit(reference, v.grid_id, OrgKind::Grid)?;
    campaign::validate_work(v, reference)?;
    check_location(&v.location)?;
    check_blobs("photos", &v.photos)?;
    check_blobs("audio", &v.audio)?;
    if v.ended_at.is_some_and(|end| end < v.started_at) {
        return Err(invalid("a visit cannot end before it starts"));
    }
    let template = match (v.template_id, v.template_version) {
        (None, None) if v.answers.is_empty() => return Ok(()),
        (Some(id), Some(version)) => u32::try_from(version)
            .ok()
            .and_then(|version| reference.checklist(id, version))
            .ok_or_else(|| invalid(format!("checklist {id} version {version} does not exist")))?,
        _ => return Err(invalid("checklist answers need a template id and version")),
    };
    for (key, answer) in &v.answers {
        let item = template
            .items
            .iter()
            .find(|i| &i.key == key)
            .ok_or_else(|| invalid(format!("checklist has no item `{key}`")))?;
        let fits = match (&item.kind, answer) {
            (ItemKind::YesNo, Answer::YesNo(_)) => true,
            (ItemKind::SingleChoice { options }, Answer::Choice(c)) => options.contains(c),
            (ItemKind::MultiChoice { options }, Answer::Choices(cs)) => {
                cs.iter().all(|c| options.contains(c))
            }
            (ItemKind::Text, Answer::Text(_)) => true,
            (ItemKind::Number, Answer::Number(n)) => n.is_finite(),
            (ItemKind::Photo, Answer::Photos(p)) => check_blobs(key, p).is_ok(),
            _ => false,
        };
        if !fits {
            return Err(invalid(format!("answer to `{key}` does not fit the item")));
        }
    }
    if v.ended_at.is_some() {
        if let Some(missing) = template
            .items
            .iter()
            .find(|i| i.required && !v.answers.contains_key(&i.key))
        {
            return Err(invalid(format!(
                "required item `{}` is not answered",
                missing.key
            )));
        }
    }
    Ok(())
}

fn validate_incident(i: &Incident, reference: &ReferenceData) -> Result {
    check_unit(reference, i.grid_id, OrgKind::Grid)?;
    if reference.category(&i.category).is_none() {
        return Err(invalid(format!(
            "incident category `{}` does not exist",
            i.category
        )));
    }
    required("description", &i.description)?;
    check_location(&i.location)?;
    check_blobs("photos", &i.photos)?;
    check_blobs("audio", &i.audio)?;
    let mut ids = HashSet::new();
    for e in &i.events {
        check_blobs("event photos", &e.photos)?;
        if !ids.insert(e.id) {
            return Err(invalid(format!("event {} appears twice", e.id)));
        }
    }
    Ok(())
}

fn validate_service_request(s: &ServiceRequest, reference: &ReferenceData) -> Result {
    check_unit(reference, s.community_id, OrgKind::Community)?;
    let item = reference
        .service(s.item_id)
        .ok_or_else(|| invalid(format!("service item {} does not exist", s.item_id)))?;
    required("resident_name", &s.resident_name)?;
    match s
        .materials_received
        .iter()
        .find(|m| !item.materials.contains(m))
    {
        Some(m) => Err(invalid(format!("`{m}` is not a material of this item"))),
        None => Ok(()),
    }
}

fn may_create(role: Role, kind: RecordKind) -> bool {
    use RecordKind as K;
    use Role as R;
    match kind {
        K::Household => matches!(role, R::GridWorker | R::GridLeader | R::Admin),
        K::Visit => matches!(role, R::GridWorker | R::GridLeader),
        K::Incident => matches!(role, R::GridWorker | R::GridLeader | R::Desk | R::Admin),
        K::ServiceRequest => matches!(role, R::Desk | R::Admin),
        K::WorkLog => matches!(role, R::GridWorker | R::GridLeader | R::Desk),
        K::Notice | K::NoticeDelivery => false,
        K::Patrol => matches!(role, R::GridWorker | R::GridLeader),
        K::Handover => patrol::may_remark(role),
        K::Campaign => role == R::Admin,
    }
}

/// Whether `actor` may see a record of `kind` in `scope` (for incidents, `department` is the
/// department it is routed to).
pub fn may_read(
    actor: &Actor,
    scope: Uuid,
    department: Option<Uuid>,
    reference: &ReferenceData,
) -> bool {
    if scope == actor.user_id {
        return true;
    }
    match actor.role {
        Role::Department => department == Some(actor.scope_id),
        _ => reference.is_within(scope, actor.scope_id),
    }
}

/// Checks that `actor` may turn `old` (`None`: a new record) into `new`: kind and scope,
/// role, immutable fields and the workflow. Schema checks are [`validate_record`]'s.
pub fn validate_change(
    old: Option<&Record>,
    new: &Record,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    check_scope(old, new, actor, reference)?;
    match old {
        None => check_creation(new, actor)?,
        Some(old) => check_immutables(old, new, actor)?,
    }
    match (old, new) {
        (old, Record::Incident(new)) => {
            let old = match old {
                Some(Record::Incident(o)) => Some(o),
                _ => None,
            };
            check_incident_events(old, new, actor, reference)
        }
        (old, Record::ServiceRequest(new)) => {
            let old = match old {
                Some(Record::ServiceRequest(o)) => Some(o),
                _ => None,
            };
            let old_events = old.map_or(&[][..], |o| o.events.as_slice());
            check_receipts(old.map(|o| &o.received), Receipts::of_service(new), actor)?;
            check_service_events(old_events, new, actor, reference)
        }
        _ => Ok(()),
    }
}

/// The record is within what `actor` may change.
fn check_scope(
    old: Option<&Record>,
    new: &Record,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    let department = old.and_then(crate::workflow::department_of);
    let scope_ok = match actor.role {
        _ if actor.is_system() || new.scope() == actor.user_id => true,
        Role::Department => old.is_some() && department == Some(actor.scope_id),
        _ => reference.is_within(new.scope(), actor.scope_id),
    };
    if scope_ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "out_of_scope",
            format!("{} {} is outside your scope", new.kind().as_str(), new.id()),
        ))
    }
}

fn check_creation(new: &Record, actor: &Actor) -> Result {
    if let Some(checked) = notice::check_creation(new, actor) {
        return checked;
    }
    if !may_create(actor.role, new.kind()) {
        return Err(ValidationError::new(
            "forbidden",
            format!(
                "role {} may not create a {}",
                actor.role.as_str(),
                new.kind().as_str()
            ),
        ));
    }
    let author_ok = match new {
        Record::Visit(v) => v.worker_id == actor.user_id,
        Record::Incident(i) => i.reporter_id == actor.user_id,
        Record::WorkLog(w) => w.worker_id == actor.user_id,
        Record::Patrol(p) => patrol::author_ok(Some(p), None, actor),
        Record::Handover(h) => patrol::author_ok(None, Some(h), actor),
        Record::Campaign(c) => c.created_by == actor.user_id,
        Record::Household(_) | Record::ServiceRequest(_) => true,
        _ => true,
    };
    if !author_ok {
        return Err(ValidationError::new(
            "forbidden",
            "a record may only be created in your own name",
        ));
    }
    Ok(())
}

pub(super) fn immutable(field: &str) -> ValidationError {
    ValidationError::new("immutable_field", format!("`{field}` cannot be changed"))
}

fn check_immutables(old: &Record, new: &Record, actor: &Actor) -> Result {
    if old.kind() != new.kind() {
        return Err(immutable("kind"));
    }
    if old.id() != new.id() {
        return Err(immutable("id"));
    }
    if old.scope() != new.scope() {
        return Err(immutable("scope"));
    }
    if let Some(checked) = notice::check_change(old, new, actor) {
        return checked;
    }
    let forbidden = |what: &str| ValidationError::new("forbidden", what.to_string());
    match (old, new) {
        (Record::Visit(o), Record::Visit(n)) => {
            if o.household_id != n.household_id {
                return Err(immutable("household_id"));
            }
            if o.worker_id != n.worker_id {
                return Err(immutable("worker_id"));
            }
            if n.worker_id != actor.user_id && actor.role != Role::Admin {
                return Err(forbidden("only the worker who made a visit may change it"));
            }
            campaign::check_work_kept(o, n)?;
        }
        (Record::Incident(o), Record::Incident(n)) => {
            if o.reporter_id != n.reporter_id {
                return Err(immutable("reporter_id"));
            }
            let fields_changed = o.category != n.category
                || o.description != n.description
                || o.location != n.location
                || o.photos != n.photos
                || o.audio != n.audio;
            if fields_changed && actor.role == Role::Department {
                return Err(forbidden(
                    "department staff may only add events to an incident",
                ));
            }
        }
        (Record::ServiceRequest(o), Record::ServiceRequest(n)) => {
            if o.item_id != n.item_id {
                return Err(immutable("item_id"));
            }
        }
        (Record::WorkLog(o), Record::WorkLog(n)) => {
            if o.worker_id != n.worker_id || o.date != n.date {
                return Err(immutable("worker_id/date"));
            }
            if n.worker_id != actor.user_id {
                return Err(forbidden("only its writer may change a work log"));
            }
        }
        (Record::Patrol(o), Record::Patrol(n)) => patrol::check_patrol_change(o, n, actor)?,
        (Record::Handover(o), Record::Handover(n)) => patrol::check_handover_change(o, n, actor)?,
        (Record::Household(_), Record::Household(_)) => {
            if actor.role == Role::Department {
                return Err(forbidden("department staff may not edit households"));
            }
        }
        (Record::Campaign(o), Record::Campaign(n)) => campaign::check_kept(o, n, actor)?,
        _ => return Err(immutable("kind")),
    }
    Ok(())
}
