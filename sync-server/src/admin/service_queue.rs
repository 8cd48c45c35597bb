//! Walk-in service requests (办事登记) in the work queue, beside the incidents: what the
//! desk transferred (转办) to a department, with its due time from the catalogue item's
//! limit; `POST /api/services/{id}/events` lets the department complete (办结) or return
//! (退回) it, and the community's desk staff act on their community's, through the same
//! validation as the hall tablet.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use gridwalk_shared::model::{
    Record, RecordKind, ReferenceData, ServiceAction, ServiceEvent, ServiceRequest,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::workflow::{fold_service_request, ServiceStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::ApiJson;
use super::queue::{department_name, names, QueueBox};
use super::workflow_write::{add_event, not_found};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `POST /api/services/{id}/events`.
pub const ACT: Doc = Doc {
    id: "serviceEvent",
    summary:
        "Add an event to a walk-in service request (complete, return, comment, ...) as yourself",
    tag: "workflow",
    public: false,
    query: &[],
    body: Some(Body::json::<ServiceEventRequest>()),
    reply: Reply::json::<ServiceQueueItem>(),
};

/// One service request in the queue.
#[derive(Serialize, specta::Type)]
pub struct ServiceQueueItem {
    pub(super) id: Uuid,
    community_id: Uuid,
    item_id: Uuid,
    /// The catalogue item's name.
    pub(super) item: String,
    pub(super) resident_name: String,
    pub(super) status: ServiceStatus,
    department_id: Option<Uuid>,
    department: Option<String>,
    pub(super) due: Option<Timestamp>,
    pub(super) registered_at: Option<Timestamp>,
    #[serde(rename = "box")]
    pub(super) queue_box: QueueBox,
    /// The community's name.
    community: String,
    /// user id → display name, for the timeline.
    names: BTreeMap<Uuid, String>,
    /// The whole request with its event timeline.
    record: ServiceRequest,
}

/// The box a service request's status puts it in, when not overdue or due soon.
fn service_box(status: ServiceStatus) -> QueueBox {
    use ServiceStatus as S;
    match status {
        S::Registered | S::Transferred => QueueBox::New,
        S::Returned => QueueBox::Returned,
        S::Completed => QueueBox::Handled,
        S::Rated | S::New => QueueBox::Closed,
    }
}

/// The queue's view of a service request record; `None` for other records.
pub(super) fn item(
    record: Record,
    reference: &ReferenceData,
    now: i64,
) -> Option<ServiceQueueItem> {
    let Record::ServiceRequest(request) = record else {
        return None;
    };
    let state = fold_service_request(&request);
    let names = names(reference, request.events.iter().map(|e| e.by));
    Some(ServiceQueueItem {
        id: request.id,
        community_id: request.community_id,
        item_id: request.item_id,
        item: reference
            .service(request.item_id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        resident_name: request.resident_name.clone(),
        status: state.status,
        department_id: state.department_id,
        department: department_name(reference, state.department_id),
        due: state.due,
        registered_at: state.registered_at,
        queue_box: QueueBox::of(
            state.status.is_open(),
            state.due.map(|d| d.millis()),
            false,
            now,
            service_box(state.status),
        ),
        community: reference
            .unit(request.community_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        names,
        record: request,
    })
}

/// Body of `POST /api/services/{id}/events`.
#[derive(Deserialize, specta::Type)]
pub struct ServiceEventRequest {
    action: ServiceAction,
    #[serde(default)]
    note: String,
}

/// Adds an event to a service request as the caller.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, service = %id))]
pub async fn act<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(request): ApiJson<ServiceEventRequest>,
) -> Result<ApiJson<ServiceQueueItem>, AppError> {
    let action_name = gridwalk_shared::workflow::service_action_name(&request.action);
    let by = caller.user.id;
    let (record, now) = add_event(
        &state,
        &caller,
        id,
        RecordKind::ServiceRequest,
        |old, now| {
            let Record::ServiceRequest(mut service) = old else {
                return Err(not_found(id));
            };
            service.events.push(ServiceEvent {
                id: new_id(),
                at: Timestamp::next_after(service.events.iter().map(|e| e.at).max(), now),
                by,
                action: request.action,
                note: request.note,
            });
            Ok(Record::ServiceRequest(service))
        },
    )
    .await?;
    let status = match &record {
        Record::ServiceRequest(s) => fold_service_request(s).status,
        _ => ServiceStatus::New,
    };
    caller
        .audit(
            &state.store,
            "service.event",
            id.to_string(),
            serde_json::json!({ "action": action_name, "status": status.as_str() }),
        )
        .await?;
    item(record, &caller.reference, now.millis())
        .map(ApiJson)
        .ok_or_else(|| not_found(id))
}
