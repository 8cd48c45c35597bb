//! The work queue of the closed loop: `GET /api/queue` lists the incidents a caller works on
//! — a department's routed items, or a community's / street's board — sorted into boxes
//! (new, accepted, due soon, overdue, handled, returned) with counts; `POST
//! /api/incidents/{id}/events` adds a workflow event as the signed-in user (accept, feedback,
//! return, dispatch by hand, transfer, escalate, urge, close), through the same state machine
//! and permission table as a device. The change is written into the record's document by
//! the server and reaches every device in scope on its next sync.

use axum::extract::{Path, Query, State};
use gridwalk_shared::model::{
    Incident, IncidentAction, IncidentEvent, Record, RecordKind, ReferenceData,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::workflow::{fold_incident, IncidentStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::service_queue::{self, ServiceQueueItem};
use super::workflow_write::{add_event, not_found};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/queue`.
pub const LIST: Doc = Doc {
    id: "queue",
    summary: "The incidents you work on, in boxes (new, accepted, due soon, overdue, handled, returned) with counts",
    tag: "workflow",
    public: false,
    query: &[
        ("box", "new, accepted, due_soon, overdue, handled, returned or open (default: all)"),
        ("q", "Text to look for in the description or category"),
    ],
    body: None,
    reply: Reply::json::<Queue>(),
};

/// Documentation of `POST /api/incidents/{id}/events`.
pub const ACT: Doc = Doc {
    id: "incidentEvent",
    summary: "Add a workflow event (accept, feedback, return, dispatch, transfer, escalate, urge, close) as yourself",
    tag: "workflow",
    public: false,
    query: &[],
    body: Some(Body::json::<EventRequest>()),
    reply: Reply::json::<QueueItem>(),
};

/// Documentation of `GET /api/events`.
pub const EVENTS: Doc = Doc {
    id: "events",
    summary: "Live nudges: a `changed` message whenever something you see changed (refresh then)",
    tag: "workflow",
    public: false,
    query: &[],
    body: None,
    reply: Reply::Events,
};

/// Opens the admin web's stream of `changed` nudges for what the caller sees.
pub async fn events<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
) -> Result<impl axum::response::IntoResponse, AppError> {
    let visibility = caller.visibility();
    state
        .live
        .stream(move |changed| crate::routes::events::visible(&visibility, changed))
}

/// Hours before the due time an item counts as due soon.
const DUE_SOON_HOURS: i64 = 24;

/// The box of the queue an item is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum QueueBox {
    /// Reported or dispatched, not accepted yet.
    New,
    /// Being handled (also after a failed verification).
    Accepted,
    /// Open and due within a day.
    DueSoon,
    /// Open and past its due time.
    Overdue,
    /// Handled, verified or evaluated: waiting to be closed.
    Handled,
    /// Returned to the community for re-dispatch.
    Returned,
    /// Closed (never listed).
    Closed,
}

impl QueueBox {
    /// Every box a `box` query may name, with `open` (every open item).
    const QUERY: [&str; 7] = [
        "new", "accepted", "due_soon", "overdue", "handled", "returned", "open",
    ];

    /// The snake_case name.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            QueueBox::New => "new",
            QueueBox::Accepted => "accepted",
            QueueBox::DueSoon => "due_soon",
            QueueBox::Overdue => "overdue",
            QueueBox::Handled => "handled",
            QueueBox::Returned => "returned",
            QueueBox::Closed => "closed",
        }
    }

    /// The box of an item, at `now` (epoch ms): overdue or due soon while `open` (or when
    /// late to be accepted), else `resting`, the box its status puts it in.
    pub(super) fn of(
        open: bool,
        due: Option<i64>,
        late_to_accept: bool,
        now: i64,
        resting: QueueBox,
    ) -> QueueBox {
        match due {
            _ if late_to_accept => QueueBox::Overdue,
            Some(due) if open && due < now => QueueBox::Overdue,
            Some(due) if open && due < now + DUE_SOON_HOURS * 3_600_000 => QueueBox::DueSoon,
            _ => resting,
        }
    }

    /// The box an incident's status puts it in, when not overdue or due soon.
    fn of_incident(status: IncidentStatus) -> QueueBox {
        use IncidentStatus as S;
        match status {
            S::Dispatched | S::Reported => QueueBox::New,
            S::Handling | S::VerifyFailed => QueueBox::Accepted,
            S::Returned => QueueBox::Returned,
            S::Handled | S::Verified | S::Evaluated => QueueBox::Handled,
            S::Closed | S::New => QueueBox::Closed,
        }
    }
}

/// One incident in the queue.
#[derive(Serialize, specta::Type)]
pub struct QueueItem {
    id: Uuid,
    grid_id: Uuid,
    category: String,
    description: String,
    status: IncidentStatus,
    level: String,
    department_id: Option<Uuid>,
    reported_at: Option<Timestamp>,
    due: Option<Timestamp>,
    /// Accept by (受理时限: the end of the working day it was dispatched), while not accepted.
    accept_due: Option<Timestamp>,
    /// Not accepted by `accept_due` (受理超时).
    late_to_accept: bool,
    #[serde(rename = "box")]
    queue_box: QueueBox,
    urges: u32,
    /// Display names: the grid, the department, and everyone in the timeline (user id →
    /// name; the server is 网格通系统).
    grid: String,
    department: Option<String>,
    names: std::collections::BTreeMap<Uuid, String>,
    /// The whole incident (its event timeline, photos, audio, location).
    record: Incident,
}

/// The queue: its items and how many are in each box.
#[derive(Serialize, specta::Type)]
pub struct Queue {
    counts: std::collections::BTreeMap<&'static str, usize>,
    items: Vec<QueueItem>,
    /// Walk-in service requests (办事登记) in the same boxes.
    services: Vec<ServiceQueueItem>,
}

/// Query of `GET /api/queue`.
#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(rename = "box")]
    queue_box: Option<String>,
    q: Option<String>,
}

/// Display names of the users in a timeline (user id → name; the server is 网格通系统).
pub(super) fn names(
    reference: &ReferenceData,
    users: impl Iterator<Item = Uuid>,
) -> std::collections::BTreeMap<Uuid, String> {
    users
        .map(|id| {
            let name = match reference.user(id) {
                Some(u) => u.name.clone(),
                None if id == gridwalk_shared::workflow::SYSTEM_USER => "网格通系统".into(),
                None => id.to_string(),
            };
            (id, name)
        })
        .collect()
}

/// The name of a department.
pub(super) fn department_name(reference: &ReferenceData, id: Option<Uuid>) -> Option<String> {
    let id = id?;
    reference
        .departments
        .iter()
        .find(|d| d.id == id)
        .map(|d| d.name.clone())
}

fn item(record: Record, reference: &ReferenceData, now: i64) -> Option<QueueItem> {
    let Record::Incident(incident) = record else {
        return None;
    };
    let state = gridwalk_shared::workflow::fold_incident_accounted(&incident);
    let late_to_accept = state.is_late_to_accept(&reference.calendar, Timestamp::from_millis(now));
    let names = names(reference, incident.events.iter().map(|e| e.by));
    Some(QueueItem {
        id: incident.id,
        grid_id: incident.grid_id,
        category: incident.category.clone(),
        description: incident.description.clone(),
        status: state.status,
        level: serde_json::to_value(state.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        department_id: state.department_id,
        reported_at: state.reported_at,
        due: state.due,
        accept_due: state.accept_due(&reference.calendar),
        late_to_accept,
        queue_box: QueueBox::of(
            state.status.is_open(),
            state.due.map(|d| d.millis()),
            late_to_accept,
            now,
            QueueBox::of_incident(state.status),
        ),
        urges: state.urges,
        grid: reference
            .unit(incident.grid_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        department: department_name(reference, state.department_id),
        names,
        record: incident,
    })
}

/// Lists the caller's queue, overdue and oldest due first.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<QueueQuery>,
) -> Result<ApiJson<Queue>, AppError> {
    if let Some(b) = query
        .queue_box
        .as_deref()
        .filter(|b| !QueueBox::QUERY.contains(b))
    {
        return Err(invalid(format!(
            "unknown box `{b}` (one of {})",
            QueueBox::QUERY.join(", ")
        )));
    }
    let filter = IndexFilter {
        limit: Some(2000),
        newest_first: true,
        ..caller.filter(None)?
    };
    let now = chrono::Utc::now().timestamp_millis();
    let needle = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let found = |text: &str| needle.is_none_or(|q| text.contains(q));
    let records = |rows: Vec<crate::store::IndexedRecord>| {
        rows.into_iter()
            .filter_map(|row| serde_json::from_str::<Record>(&row.row.json).ok())
    };
    let incidents = state
        .store
        .index_rows(RecordKind::Incident, filter.clone())
        .await?;
    let mut items: Vec<QueueItem> = records(incidents)
        .filter_map(|record| item(record, &caller.reference, now))
        .filter(|i| i.queue_box != QueueBox::Closed)
        .filter(|i| found(&i.description) || found(&i.category))
        .collect();
    let services = state
        .store
        .index_rows(RecordKind::ServiceRequest, filter)
        .await?;
    let mut services: Vec<ServiceQueueItem> = records(services)
        .filter_map(|record| service_queue::item(record, &caller.reference, now))
        .filter(|i| i.queue_box != QueueBox::Closed)
        .filter(|i| found(&i.item) || found(&i.resident_name))
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    let entries = items
        .iter()
        .map(|i| (i.queue_box, i.status.is_open()))
        .chain(services.iter().map(|s| (s.queue_box, s.status.is_open())));
    for (queue_box, open) in entries {
        *counts.entry(queue_box.as_str()).or_insert(0) += 1;
        if open {
            *counts.entry("open").or_insert(0) += 1;
        }
    }
    if let Some(b) = query.queue_box.as_deref() {
        let keep =
            |queue_box: QueueBox, open: bool| queue_box.as_str() == b || (b == "open" && open);
        items.retain(|i| keep(i.queue_box, i.status.is_open()));
        services.retain(|s| keep(s.queue_box, s.status.is_open()));
    }
    let order = |queue_box: QueueBox, due: Option<Timestamp>, at: Option<Timestamp>| {
        (queue_box != QueueBox::Overdue, due.map(|d| d.millis()), at)
    };
    items.sort_by_key(|i| order(i.queue_box, i.due, i.reported_at));
    services.sort_by_key(|s| order(s.queue_box, s.due, s.registered_at));
    Ok(ApiJson(Queue {
        counts,
        items,
        services,
    }))
}

/// Most working days a dispatch by hand may allow.
const MAX_DAYS: u32 = 60;

/// Body of `POST /api/incidents/{id}/events`.
#[derive(Deserialize, specta::Type)]
pub struct EventRequest {
    action: IncidentAction,
    #[serde(default)]
    note: String,
    #[serde(default)]
    photos: Vec<String>,
    /// With dispatch, transfer or escalate: working days allowed; the server sets the due
    /// time from the deployment's calendar (in place of `due`).
    days: Option<u32>,
}

/// Adds a workflow event to an incident as the caller.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, incident = %id))]
pub async fn act<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(request): ApiJson<EventRequest>,
) -> Result<ApiJson<QueueItem>, AppError> {
    let mut action = request.action;
    let action_name = gridwalk_shared::workflow::incident_action_name(&action);
    let reference = caller.reference.clone();
    let (record, now) = add_event(&state, &caller, id, RecordKind::Incident, |old, now| {
        let Record::Incident(mut incident) = old else {
            return Err(not_found(id));
        };
        let at = Timestamp::next_after(incident.events.iter().map(|e| e.at).max(), now);
        if let Some(days) = request.days {
            if days > MAX_DAYS || !action.set_due(reference.calendar.due(at, days)) {
                return Err(invalid(format!(
                    "`days` (0–{MAX_DAYS}) goes with dispatch, transfer or escalate"
                )));
            }
        }
        incident.events.push(IncidentEvent {
            id: new_id(),
            at,
            by: caller.user.id,
            action,
            note: request.note,
            photos: request.photos,
            location: None,
        });
        Ok(Record::Incident(incident))
    })
    .await?;
    let status = match &record {
        Record::Incident(i) => fold_incident(&i.events).status,
        _ => IncidentStatus::New,
    };
    caller
        .audit(
            &state.store,
            "incident.event",
            id.to_string(),
            serde_json::json!({ "action": action_name, "status": status.as_str() }),
        )
        .await?;
    item(record, &reference, now.millis())
        .map(ApiJson)
        .ok_or_else(|| not_found(id))
}
