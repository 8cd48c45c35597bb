//! The incident closed loop (上报 → 分拨 → 受理 → 处置反馈 → 核查 → 评价 → 结案), folded from
//! the incident's event list. Who may add which event is [`crate::validate`]'s business; this
//! module only says which events are legal in which state and what they lead to.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{effective_times, fold_order, TransitionError};
use crate::calendar::WorkCalendar;
use crate::model::{Assignment, Incident, IncidentAction, IncidentEvent, Level, Satisfaction};
use crate::time::Timestamp;

/// Where an incident is in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// No events yet (never stored: every incident starts with `Report`).
    New,
    /// 已上报: with the community, waiting to be dispatched.
    Reported,
    /// 已分拨: with a level / department, not yet accepted.
    Dispatched,
    /// 处置中: accepted (or reopened), being handled.
    Handling,
    /// 已退回: a department returned it; the community re-dispatches.
    Returned,
    /// 已反馈: reported handled, waiting for the check on site.
    Handled,
    /// 核查未通过: the check on site failed; waiting to be reopened.
    VerifyFailed,
    /// 已核查
    Verified,
    /// 已评价
    Evaluated,
    /// 已结案
    Closed,
}

impl IncidentStatus {
    /// Every status, in loop order.
    pub const ALL: [IncidentStatus; 10] = [
        Self::New,
        Self::Reported,
        Self::Dispatched,
        Self::Handling,
        Self::Returned,
        Self::Handled,
        Self::VerifyFailed,
        Self::Verified,
        Self::Evaluated,
        Self::Closed,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Reported => "reported",
            Self::Dispatched => "dispatched",
            Self::Handling => "handling",
            Self::Returned => "returned",
            Self::Handled => "handled",
            Self::VerifyFailed => "verify_failed",
            Self::Verified => "verified",
            Self::Evaluated => "evaluated",
            Self::Closed => "closed",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the problem still waits for a handler (counts against the due time).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::New
                | Self::Reported
                | Self::Dispatched
                | Self::Handling
                | Self::Returned
                | Self::VerifyFailed
        )
    }
}

/// An incident's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncidentState {
    /// Status.
    pub status: IncidentStatus,
    /// Current level.
    pub level: Level,
    /// Department it is with.
    pub department_id: Option<Uuid>,
    /// Person it is with.
    pub assignee_id: Option<Uuid>,
    /// Due time at the current level.
    pub due: Option<Timestamp>,
    /// When it was last dispatched, transferred or escalated (the acceptance clock starts).
    pub assigned_at: Option<Timestamp>,
    /// Rating, once evaluated (cleared by a reopen).
    pub satisfaction: Option<Satisfaction>,
    /// When it was reported.
    pub reported_at: Option<Timestamp>,
    /// When it was last reported handled (cleared when a check sends it back).
    pub handled_at: Option<Timestamp>,
    /// Who reported it handled (the feedback's or the on-the-spot handling's author).
    pub handler_id: Option<Uuid>,
    /// Handled on the spot by the reporter (自行处置).
    pub self_handled: bool,
    /// Reminders (督办) so far.
    pub urges: u32,
    /// Whether the server already urged it for being past the current due time.
    pub overdue_urged: bool,
    /// Time of the last applied event.
    pub updated_at: Option<Timestamp>,
    /// Events that were not legal where they fell, in fold order.
    pub ignored: Vec<Uuid>,
}

/// Stable snake_case name of an incident action.
pub fn incident_action_name(action: &IncidentAction) -> &'static str {
    match action {
        IncidentAction::Report => "report",
        IncidentAction::SelfHandle => "self_handle",
        IncidentAction::Dispatch { .. } => "dispatch",
        IncidentAction::Transfer { .. } => "transfer",
        IncidentAction::Escalate { .. } => "escalate",
        IncidentAction::Accept => "accept",
        IncidentAction::Return => "return",
        IncidentAction::Feedback => "feedback",
        IncidentAction::Verify { .. } => "verify",
        IncidentAction::Evaluate { .. } => "evaluate",
        IncidentAction::Reopen => "reopen",
        IncidentAction::Urge => "urge",
        IncidentAction::Close => "close",
        IncidentAction::Comment => "comment",
    }
}

impl IncidentState {
    fn initial() -> Self {
        Self {
            status: IncidentStatus::New,
            level: Level::Grid,
            department_id: None,
            assignee_id: None,
            due: None,
            assigned_at: None,
            satisfaction: None,
            reported_at: None,
            handled_at: None,
            handler_id: None,
            self_handled: false,
            urges: 0,
            overdue_urged: false,
            updated_at: None,
            ignored: Vec::new(),
        }
    }

    /// Applies one event at its own time, or says why it is not legal here.
    pub fn apply(&self, event: &IncidentEvent) -> Result<IncidentState, TransitionError> {
        self.apply_at(event, event.at)
    }

    /// Applies one event, counting it at `at` (its accounted time, see [`effective_times`]).
    fn apply_at(&self, event: &IncidentEvent, at: Timestamp) -> Result<Self, TransitionError> {
        use IncidentAction as A;
        use IncidentStatus as S;
        let mut next = self.clone();
        let mut assign = |to: Assignment| {
            next.level = to.level;
            next.department_id = to.department_id;
            next.assignee_id = to.assignee_id;
            next.due = to.due;
            next.assigned_at = Some(at);
            next.overdue_urged = false;
            S::Dispatched
        };
        let status = match (&event.action, self.status) {
            (_, S::Closed) => return Err(self.illegal(&event.action)),
            (A::Report, S::New) => {
                next.reported_at = Some(at);
                S::Reported
            }
            (A::Comment, s) if s != S::New => s,
            (A::SelfHandle, S::Reported) => {
                next.self_handled = true;
                next.handler_id = Some(event.by);
                next.handled_at = Some(at);
                S::Handled
            }
            (A::Dispatch { .. }, S::Reported | S::Returned)
            | (A::Transfer { .. }, S::Dispatched | S::Handling | S::Returned) => {
                match event.action.assignment() {
                    Some(to) => assign(to),
                    None => return Err(self.illegal(&event.action)),
                }
            }
            (A::Escalate { .. }, S::Reported | S::Dispatched | S::Handling | S::Returned) => {
                match event.action.assignment() {
                    Some(to) if to.level > self.level => assign(to),
                    _ => return Err(self.illegal(&event.action)),
                }
            }
            (A::Accept, S::Dispatched) => S::Handling,
            (A::Return, S::Dispatched | S::Handling) => {
                next.level = Level::Community;
                next.department_id = None;
                next.assignee_id = None;
                next.due = None;
                next.assigned_at = None;
                next.overdue_urged = false;
                S::Returned
            }
            (A::Feedback, S::Handling) => {
                next.handler_id = Some(event.by);
                next.handled_at = Some(at);
                S::Handled
            }
            (A::Verify { passed: true }, S::Handled) => S::Verified,
            (A::Verify { passed: false }, S::Handled) => {
                next.handled_at = None;
                S::VerifyFailed
            }
            (A::Evaluate { satisfaction }, S::Verified) => {
                next.satisfaction = Some(*satisfaction);
                S::Evaluated
            }
            (A::Reopen, S::VerifyFailed) => S::Handling,
            (A::Reopen, S::Evaluated) if self.satisfaction == Some(Satisfaction::Dissatisfied) => {
                next.satisfaction = None;
                next.handled_at = None;
                S::Handling
            }
            (A::Urge, s) if s.is_open() && s != S::New => {
                next.urges += 1;
                if event.by == super::SYSTEM_USER && self.due.is_some_and(|due| due < at) {
                    next.overdue_urged = true;
                }
                s
            }
            (A::Close, S::Verified) => S::Closed,
            (A::Close, S::Evaluated) if self.satisfaction != Some(Satisfaction::Dissatisfied) => {
                S::Closed
            }
            (action, _) => return Err(self.illegal(action)),
        };
        next.status = status;
        next.updated_at = Some(at);
        Ok(next)
    }

    fn illegal(&self, action: &IncidentAction) -> TransitionError {
        TransitionError {
            record: "incident",
            action: incident_action_name(action),
            status: self.status.as_str(),
        }
    }

    /// Whether the incident is past its due time at `now` and still open.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && self.due.is_some_and(|due| due < now)
    }

    /// The time by which whoever it was dispatched to must accept it (受理): the end of the
    /// working day it reached them (`calendar`); only while it waits to be accepted.
    pub fn accept_due(&self, calendar: &WorkCalendar) -> Option<Timestamp> {
        match (self.status, self.assigned_at) {
            (IncidentStatus::Dispatched, Some(at)) => Some(calendar.due(at, 0)),
            _ => None,
        }
    }

    /// Whether it still waits to be accepted after its [`Self::accept_due`].
    pub fn is_late_to_accept(&self, calendar: &WorkCalendar, now: Timestamp) -> bool {
        self.accept_due(calendar).is_some_and(|due| due < now)
    }

    /// Whether the server should write its 督办 now: overdue and not yet urged for this due.
    pub fn needs_overdue_urge(&self, now: Timestamp) -> bool {
        self.is_overdue(now) && !self.overdue_urged && self.status != IncidentStatus::New
    }
}

fn fold_with(
    events: &[IncidentEvent],
    time: impl Fn(&IncidentEvent) -> Timestamp,
) -> IncidentState {
    fold_order(events)
        .into_iter()
        .fold(IncidentState::initial(), |state, event| {
            match state.apply_at(event, time(event)) {
                Ok(next) => next,
                Err(_) => {
                    let mut same = state;
                    same.ignored.push(event.id);
                    same
                }
            }
        })
}

/// Folds an incident's events (in any stored order) into its state, at device times.
pub fn fold_incident(events: &[IncidentEvent]) -> IncidentState {
    fold_with(events, |e| e.at)
}

/// Folds a whole incident, counting every event at its [`effective_times`]: the state the
/// server's queues, dashboards and the overdue reminder go by.
pub fn fold_incident_accounted(incident: &Incident) -> IncidentState {
    let times = effective_times(&incident.events, &incident.received);
    fold_with(&incident.events, |e| {
        times.get(&e.id).copied().unwrap_or(e.at)
    })
}
