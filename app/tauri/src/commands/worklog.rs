//! The work-log day view.

use gridwalk_client::WorkDay;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// The signed-in user's day (`YYYY-MM-DD`; `None`: today).
#[tauri::command]
#[specta::specta]
pub fn work_day(state: State<'_, AppState>, date: Option<String>) -> CommandResult<WorkDay> {
    Ok(state.client.work_day(date.as_deref())?)
}

/// Adds a line to today's work log.
#[tauri::command]
#[specta::specta]
pub fn add_work_log(state: State<'_, AppState>, text: String) -> CommandResult<()> {
    state.client.add_work_log(&text)?;
    state.changed();
    Ok(())
}
