//! The phone's home screen and the position source.

use gridwalk_client::Today;
use gridwalk_shared::model::Location;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// Today's list, tasks and own open reports.
#[tauri::command]
#[specta::specta]
pub fn today(state: State<'_, AppState>) -> CommandResult<Today> {
    Ok(state.client.today()?)
}

/// The fake position fix, timed now, when the app runs with a fake position source;
/// `None` means: ask the device.
#[tauri::command]
#[specta::specta]
pub fn fake_fix(state: State<'_, AppState>) -> Option<Location> {
    state.config.location.fake_fix(state.client.now())
}
