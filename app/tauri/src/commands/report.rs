//! Snap and report, my reports with their timeline, the community's incident board.

use gridwalk_client::{Attachments, IncidentRow, NewIncident, RecordView};
use gridwalk_shared::model::{IncidentAction, Location};
use serde::Deserialize;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// A problem to report (随手拍).
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ReportInput {
    /// Category code.
    pub category: String,
    /// Description.
    pub description: String,
    /// Position fix; `None` when there was none.
    pub location: Option<Location>,
    /// Grid to report in; `None`: the reporter's own grid.
    pub grid_id: Option<Uuid>,
    /// Photos added on this device (`add_photo`), by hash.
    pub photos: Vec<String>,
    /// Audio notes added on this device (`add_audio`), by hash.
    pub audio: Vec<String>,
    /// A small matter the reporter handled there and then (自行处置): it goes straight to
    /// the check on site by a colleague, with no dispatch.
    pub handled_on_the_spot: bool,
}

/// Reports a problem; returns its id.
#[tauri::command]
#[specta::specta]
pub fn report_incident(state: State<'_, AppState>, report: ReportInput) -> CommandResult<Uuid> {
    let incident = NewIncident {
        category: report.category,
        description: report.description,
        location: report.location,
    };
    let media = Attachments {
        photos: report.photos,
        audio: report.audio,
    };
    let id = state
        .client
        .report_incident_with(report.grid_id, incident, &media)?;
    if report.handled_on_the_spot {
        state
            .client
            .add_incident_event(id, IncidentAction::SelfHandle, "当场处置")?;
    }
    state.changed();
    Ok(id)
}

/// Incidents held, most recently updated first.
#[tauri::command]
#[specta::specta]
pub fn incidents(state: State<'_, AppState>) -> CommandResult<Vec<IncidentRow>> {
    Ok(state.client.incidents()?)
}

/// One record with its conflicts and workflow state (incident timelines, visit details).
#[tauri::command]
#[specta::specta]
pub fn record(state: State<'_, AppState>, id: Uuid) -> CommandResult<Option<RecordView>> {
    Ok(state.client.record(id)?)
}

/// Adds a workflow event (verify, evaluate, reopen, comment, …) to an incident, with photos
/// added on this device (`add_photo`) and the position fix where it was done.
#[tauri::command]
#[specta::specta]
pub fn incident_action(
    state: State<'_, AppState>,
    id: Uuid,
    action: IncidentAction,
    note: String,
    photos: Vec<String>,
    location: Option<Location>,
) -> CommandResult<()> {
    state
        .client
        .add_incident_event_with(id, action, &note, &photos, location)?;
    state.changed();
    Ok(())
}
