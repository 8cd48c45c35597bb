//! The visit flow: a draft kept on the device until the worker finishes it.

use gridwalk_client::VisitDraft;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// The household's stored draft, or a new one with the current checklist (not stored yet).
#[tauri::command]
#[specta::specta]
pub fn open_visit_draft(state: State<'_, AppState>, household: Uuid) -> CommandResult<VisitDraft> {
    Ok(state.client.open_visit_draft(household)?)
}

/// The draft of a campaign visit task: the household's draft made the campaign's, or a new
/// one with the campaign's checklist (not stored yet).
#[tauri::command]
#[specta::specta]
pub fn open_campaign_draft(
    state: State<'_, AppState>,
    campaign: Uuid,
    household: Uuid,
) -> CommandResult<VisitDraft> {
    Ok(state.client.open_campaign_draft(campaign, household)?)
}

/// Stores the draft (its answers are checked against its template).
#[tauri::command]
#[specta::specta]
pub fn save_visit_draft(
    state: State<'_, AppState>,
    draft: VisitDraft,
) -> CommandResult<VisitDraft> {
    Ok(state.client.save_visit_draft(draft)?)
}

/// Throws the household's draft away.
#[tauri::command]
#[specta::specta]
pub fn discard_visit_draft(state: State<'_, AppState>, household: Uuid) -> CommandResult<()> {
    Ok(state.client.discard_visit_draft(household)?)
}

/// Records the visit from the stored draft; returns the visit's id.
#[tauri::command]
#[specta::specta]
pub fn finish_visit_draft(state: State<'_, AppState>, household: Uuid) -> CommandResult<Uuid> {
    let id = state.client.finish_visit_draft(household)?;
    state.changed();
    Ok(id)
}
