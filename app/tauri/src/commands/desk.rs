//! The hall desk: walk-in registration, the desk queue, hand-over and the resident's rating.

use gridwalk_client::{NewServiceRequest, ServiceRequestRow};
use gridwalk_shared::{model::ServiceAction, time::Timestamp};
use serde::Deserialize;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// A walk-in request as the desk registers it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct WalkInInput {
    /// Service catalogue item.
    pub item_id: Uuid,
    /// Resident's name.
    pub resident_name: String,
    /// Resident's phone.
    pub resident_phone: String,
    /// Materials received at the window.
    pub materials_received: Vec<String>,
}

/// Walk-in requests held, by due time.
#[tauri::command]
#[specta::specta]
pub fn service_requests(state: State<'_, AppState>) -> CommandResult<Vec<ServiceRequestRow>> {
    Ok(state.client.service_requests()?)
}

/// When a request for `item` registered now would be due (from its time limit in working
/// days); `None` if the item is unknown.
#[tauri::command]
#[specta::specta]
pub fn due_preview(state: State<'_, AppState>, item: Uuid) -> CommandResult<Option<Timestamp>> {
    let now = state.client.now();
    Ok(state.client.reference()?.and_then(|r| {
        r.service(item)
            .map(|s| r.calendar.due(now, s.time_limit_days))
    }))
}

/// Registers a walk-in request with the signed-in user as first responder; returns its id.
#[tauri::command]
#[specta::specta]
pub fn register_walk_in(state: State<'_, AppState>, request: WalkInInput) -> CommandResult<Uuid> {
    let id = state.client.register_service_request(NewServiceRequest {
        item_id: request.item_id,
        resident_name: request.resident_name,
        resident_phone: request.resident_phone,
        materials_received: request.materials_received,
    })?;
    state.changed();
    Ok(id)
}

/// Adds a workflow event (hand over, complete, rate, comment) to a walk-in request.
#[tauri::command]
#[specta::specta]
pub fn service_action(
    state: State<'_, AppState>,
    id: Uuid,
    action: ServiceAction,
    note: String,
) -> CommandResult<()> {
    state.client.add_service_event(id, action, &note)?;
    state.changed();
    Ok(())
}
