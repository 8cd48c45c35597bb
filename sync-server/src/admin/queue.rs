//! The work queue of the closed loop: `GET /api/queue` lists the incidents a caller works on
//! — a department's routed items, or a community's / street's board — sorted into boxes
//! (new, accepted, due soon, overdue, handled, returned) with counts; `POST
//! /api/incidents/{id}/events` adds a workflow event as the signed-in user (accept, feedback,
//! return, dispatch by hand, transfer, escalate, urge, close), through the same state machine
//! and permission table as a device. The change is written into the record's document by
//! the server and reaches every device in scope on its next sync.

use automerge::Automerge;
use axum::extract::{Path, Query, State};
use gridwalk_shared::model::{
    Incident, IncidentAction, IncidentEvent, Record, RecordKind, ReferenceData,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::validate::Actor;
use gridwalk_shared::workflow::{fold_incident, IncidentStatus};
use gridwalk_shared::{doc, validate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};
use crate::sync::stored_write;

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
    fn as_str(self) -> &'static str {
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

    /// The box of an item in `status`, due at `due`, at `now` (epoch ms).
    fn of(status: IncidentStatus, due: Option<i64>, now: i64) -> QueueBox {
        use IncidentStatus as S;
        let open = status.is_open();
        match due {
            Some(due) if open && due < now => QueueBox::Overdue,
            Some(due) if open && due < now + DUE_SOON_HOURS * 3_600_000 => QueueBox::DueSoon,
            _ => match status {
                S::Dispatched | S::Reported => QueueBox::New,
                S::Handling | S::VerifyFailed => QueueBox::Accepted,
                S::Returned => QueueBox::Returned,
                S::Handled | S::Verified | S::Evaluated => QueueBox::Handled,
                S::Closed | S::New => QueueBox::Closed,
            },
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
}

/// Query of `GET /api/queue`.
#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(rename = "box")]
    queue_box: Option<String>,
    q: Option<String>,
}

fn item(record: Record, reference: &ReferenceData, now: i64) -> Option<QueueItem> {
    let Record::Incident(incident) = record else {
        return None;
    };
    let state = gridwalk_shared::workflow::fold_incident_accounted(&incident);
    let names = incident
        .events
        .iter()
        .map(|e| {
            let name = match reference.user(e.by) {
                Some(u) => u.name.clone(),
                None if e.by == gridwalk_shared::workflow::SYSTEM_USER => "网格通系统".into(),
                None => e.by.to_string(),
            };
            (e.by, name)
        })
        .collect();
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
        queue_box: QueueBox::of(state.status, state.due.map(|d| d.millis()), now),
        urges: state.urges,
        grid: reference
            .unit(incident.grid_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        department: state.department_id.and_then(|d| {
            reference
                .departments
                .iter()
                .find(|x| x.id == d)
                .map(|x| x.name.clone())
        }),
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
    let rows = state.store.index_rows(RecordKind::Incident, filter).await?;
    let needle = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut items: Vec<QueueItem> = rows
        .into_iter()
        .filter_map(|row| serde_json::from_str::<Record>(&row.row.json).ok())
        .filter_map(|record| item(record, &caller.reference, now))
        .filter(|i| i.queue_box != QueueBox::Closed)
        .filter(|i| needle.is_none_or(|q| i.description.contains(q) || i.category.contains(q)))
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for i in &items {
        *counts.entry(i.queue_box.as_str()).or_insert(0) += 1;
        if i.status.is_open() {
            *counts.entry("open").or_insert(0) += 1;
        }
    }
    if let Some(b) = query.queue_box.as_deref() {
        items.retain(|i| i.queue_box.as_str() == b || (b == "open" && i.status.is_open()));
    }
    items.sort_by_key(|i| {
        (
            i.queue_box != QueueBox::Overdue,
            i.due.map(|d| d.millis()),
            i.reported_at,
        )
    });
    Ok(ApiJson(Queue { counts, items }))
}

/// Body of `POST /api/incidents/{id}/events`.
#[derive(Deserialize, specta::Type)]
pub struct EventRequest {
    action: IncidentAction,
    #[serde(default)]
    note: String,
    #[serde(default)]
    photos: Vec<String>,
}

/// The HTTP answer to a refused event: the shared validation's code, as a static string.
fn refused(e: validate::ValidationError) -> AppError {
    use axum::http::StatusCode as H;
    let (status, code) = match e.code.as_str() {
        "forbidden" => (H::FORBIDDEN, "forbidden"),
        "out_of_scope" => (H::FORBIDDEN, "out_of_scope"),
        "illegal_transition" => (H::CONFLICT, "illegal_transition"),
        "missing_due" => (H::UNPROCESSABLE_ENTITY, "missing_due"),
        "reason_required" => (H::UNPROCESSABLE_ENTITY, "reason_required"),
        _ => (H::UNPROCESSABLE_ENTITY, "invalid_record"),
    };
    AppError::new(status, code, e.message)
}

/// Adds a workflow event to an incident as the caller.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, incident = %id))]
pub async fn act<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(request): ApiJson<EventRequest>,
) -> Result<ApiJson<QueueItem>, AppError> {
    let not_found = || {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("incident {id} does not exist"),
        )
    };
    let _guard = state.locks.lock(std::iter::once(id)).await;
    let stored = state
        .store
        .load_docs(vec![id])
        .await?
        .pop()
        .ok_or_else(not_found)?;
    if stored.kind != RecordKind::Incident || !caller.sees(stored.scope, stored.department) {
        return Err(not_found());
    }
    let reference = caller.reference.clone();
    let mut document = Automerge::load(&stored.snapshot).map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "storage_failure",
            e.to_string(),
        )
    })?;
    let old = doc::read(&document, stored.kind).map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "storage_failure",
            e.to_string(),
        )
    })?;
    let Record::Incident(mut incident) = old.clone() else {
        return Err(not_found());
    };
    let now = Timestamp::from(chrono::Utc::now());
    let at = Timestamp::next_after(incident.events.iter().map(|e| e.at).max(), now);
    let action_name = gridwalk_shared::workflow::incident_action_name(&request.action);
    incident.events.push(IncidentEvent {
        id: new_id(),
        at,
        by: caller.user.id,
        action: request.action,
        note: request.note,
        photos: request.photos,
    });
    let new = Record::Incident(incident);
    let actor = Actor {
        user_id: caller.user.id,
        role: caller.user.role,
        scope_id: caller.user.scope_id,
    };
    validate::validate_record(&new, &reference).map_err(refused)?;
    validate::validate_change(Some(&old), &new, &actor, &reference).map_err(refused)?;
    let server_actor = state.store.server_actor();
    let written = crate::sync::write_as_server(&mut document, &new, server_actor).map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    let (record, added) =
        crate::sync::after_upload(&mut document, new, server_actor, &reference, now);
    let changes = std::iter::once(written).chain(added).collect();
    let status = match &record {
        Record::Incident(i) => fold_incident(&i.events).status,
        _ => IncidentStatus::New,
    };
    let write = stored_write(document, record.clone(), Vec::new(), changes, true);
    let changed = crate::live::Changed::of(std::slice::from_ref(&write));
    state.store.commit(Uuid::nil(), vec![write]).await?;
    state.live.notify(changed);
    caller
        .audit(
            &state.store,
            "incident.event",
            id.to_string(),
            serde_json::json!({ "action": action_name, "status": status.as_str() }),
        )
        .await?;
    let now_ms = now.millis();
    item(record, &reference, now_ms)
        .map(ApiJson)
        .ok_or_else(not_found)
}
