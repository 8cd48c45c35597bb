//! Who may add which workflow event: decided by role **and** relationship to the record (the
//! reporter, a worker of the record's grid, staff of the department it is with, the staff of
//! its community or street), against the state just before the event. The table is in
//! docs/workflow.md; device and server both run this before a change is accepted.

use uuid::Uuid;

use super::{Actor, Result, ValidationError};
use crate::model::{
    Assignment, Incident, IncidentAction, IncidentEvent, Level, ReferenceData, Role, ServiceAction,
    ServiceEvent, ServiceRequest,
};
use crate::workflow::{
    incident_action_name, service_action_name, IncidentState, ServiceState, SYSTEM_USER,
};

fn forbidden(message: impl Into<String>) -> ValidationError {
    ValidationError::new("forbidden", message)
}

/// How the actor stands to one incident.
struct Relation {
    system: bool,
    reporter: bool,
    /// A grid worker or leader whose scope holds the incident's grid.
    grid_worker: bool,
    /// Staff of the department the incident is with.
    department_staff: bool,
    /// Community or street staff (admin, desk) whose area holds the incident.
    area_staff: bool,
    /// The person it is assigned to.
    assignee: bool,
    /// The one who reported it handled.
    handler: bool,
}

impl Relation {
    fn of(
        actor: &Actor,
        incident: &Incident,
        state: &IncidentState,
        reference: &ReferenceData,
    ) -> Self {
        let within = |scope: Uuid| reference.is_within(incident.grid_id, scope);
        Relation {
            system: actor.user_id == SYSTEM_USER,
            reporter: actor.user_id == incident.reporter_id,
            grid_worker: matches!(actor.role, Role::GridWorker | Role::GridLeader)
                && within(actor.scope_id),
            department_staff: actor.role == Role::Department
                && state.department_id == Some(actor.scope_id),
            area_staff: matches!(actor.role, Role::Admin | Role::Desk) && within(actor.scope_id),
            assignee: state.assignee_id == Some(actor.user_id),
            handler: state.handler_id == Some(actor.user_id),
        }
    }

    /// The party currently responsible for handling: the department it is with; at grid
    /// level without one, the grid's workers; otherwise the community or street staff.
    fn handles(&self, state: &IncidentState) -> bool {
        if self.assignee {
            return true;
        }
        match (state.department_id, state.level) {
            (Some(_), _) => self.department_staff,
            (None, Level::Grid) => self.grid_worker,
            (None, _) => self.area_staff,
        }
    }
}

fn check_assignment(action: &IncidentAction, to: Assignment, reference: &ReferenceData) -> Result {
    let name = incident_action_name(action);
    let Assignment {
        level,
        department_id: department,
        assignee_id: assignee,
        due,
    } = to;
    if due.is_none() {
        return Err(ValidationError::new(
            "missing_due",
            format!("a {name} needs a due time"),
        ));
    }
    match department {
        Some(id) if !reference.departments.iter().any(|d| d.id == id) => {
            return Err(super::invalid(format!("department {id} does not exist")))
        }
        None if matches!(level, Level::Street | Level::City) => {
            return Err(super::invalid(format!(
                "a {name} to the street or beyond names the department"
            )))
        }
        _ => {}
    }
    if let Some(id) = assignee.filter(|id| reference.user(*id).is_none()) {
        return Err(super::invalid(format!("user {id} does not exist")));
    }
    Ok(())
}

fn needs_reason(event: &IncidentEvent) -> bool {
    matches!(
        event.action,
        IncidentAction::Return | IncidentAction::Reopen | IncidentAction::Verify { passed: false }
    )
}

/// Checks that `actor` may add `event` to `incident`, whose state before it is `before`.
pub(super) fn check_incident_event(
    incident: &Incident,
    before: &IncidentState,
    event: &IncidentEvent,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    use IncidentAction as A;
    let rel = Relation::of(actor, incident, before, reference);
    let name = incident_action_name(&event.action);
    if needs_reason(event) && event.note.trim().is_empty() {
        return Err(ValidationError::new(
            "reason_required",
            format!("a {name} needs a reason in the note"),
        ));
    }
    let allowed = match &event.action {
        A::Report => rel.reporter,
        A::SelfHandle => rel.reporter && rel.grid_worker,
        A::Dispatch { .. } | A::Transfer { .. } | A::Escalate { .. } => {
            if let Some(to) = event.action.assignment() {
                check_assignment(&event.action, to, reference)?;
            }
            match event.action {
                A::Dispatch { .. } => rel.system || rel.area_staff,
                A::Transfer { .. } => rel.area_staff,
                _ => rel.area_staff || rel.department_staff,
            }
        }
        A::Accept | A::Feedback => rel.handles(before),
        A::Return => rel.department_staff || (rel.assignee && before.department_id.is_none()),
        A::Verify { .. } => {
            if rel.reporter || rel.handler {
                return Err(forbidden(
                    "the check on site is made by another worker of the grid, not by the one \
                     who reported or handled it",
                ));
            }
            rel.grid_worker
        }
        A::Evaluate { .. } => {
            (rel.reporter || rel.grid_worker || rel.area_staff)
                && !rel.handler
                && !rel.department_staff
        }
        A::Reopen => rel.reporter || rel.grid_worker || rel.area_staff,
        A::Urge => rel.system || rel.area_staff,
        A::Close => {
            rel.area_staff
                || (rel.grid_worker
                    && before.department_id.is_none()
                    && before.level == Level::Grid)
        }
        A::Comment => {
            rel.reporter || rel.grid_worker || rel.area_staff || rel.department_staff || rel.system
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden(format!(
            "{} may not {name} this incident ({})",
            who(actor),
            standing(&rel)
        )))
    }
}

fn who(actor: &Actor) -> String {
    if actor.user_id == SYSTEM_USER {
        "the server".into()
    } else {
        format!("a {}", actor.role.as_str())
    }
}

fn standing(rel: &Relation) -> &'static str {
    if rel.department_staff {
        "it is with your department"
    } else if rel.area_staff {
        "it is in your area"
    } else if rel.reporter {
        "you reported it"
    } else if rel.grid_worker {
        "it is in your grid"
    } else {
        "it is not with you"
    }
}

/// Checks that `actor` may add `event` to `request`, whose state before it is `before`.
pub(super) fn check_service_event(
    request: &ServiceRequest,
    before: &ServiceState,
    event: &ServiceEvent,
    actor: &Actor,
    reference: &ReferenceData,
) -> Result {
    use ServiceAction as A;
    let desk = matches!(actor.role, Role::Desk | Role::Admin)
        && reference.is_within(request.community_id, actor.scope_id);
    let department = actor.role == Role::Department && before.department_id == Some(actor.scope_id);
    let name = service_action_name(&event.action);
    let allowed = match &event.action {
        A::Register | A::HandOver { .. } | A::Rate { .. } => desk,
        A::Transfer { department_id, .. } => {
            if !reference.departments.iter().any(|d| d.id == *department_id) {
                return Err(super::invalid(format!(
                    "department {department_id} does not exist"
                )));
            }
            desk
        }
        A::Return => {
            if event.note.trim().is_empty() {
                return Err(ValidationError::new(
                    "reason_required",
                    "a return needs a reason in the note",
                ));
            }
            department
        }
        A::Complete { .. } => match before.department_id {
            Some(_) => department,
            None => desk,
        },
        A::Comment => desk || department,
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden(format!(
            "a {} may not {name} this service request",
            actor.role.as_str()
        )))
    }
}
