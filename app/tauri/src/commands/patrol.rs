//! Patrols (巡查) on the phone — start, position fixes while it runs, stop, the week against
//! the rule — the worker's own figures (我的指标), and the weekly hand-over (交班会) on the
//! tablet with the grid leader's remarks.

use chrono::NaiveDate;
use gridwalk_client::{MyFigures, PatrolStatus};
use gridwalk_shared::handover::HandoverSheet;
use gridwalk_shared::model::Location;
use gridwalk_shared::scores::PeriodKind;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// The running patrol, if any, and this week's patrol time against the rule.
#[tauri::command]
#[specta::specta]
pub fn patrol_status(state: State<'_, AppState>) -> CommandResult<PatrolStatus> {
    Ok(state.client.patrol_status()?)
}

/// Starts a patrol of the worker's grid at `at` (when there is a fix); returns its id.
#[tauri::command]
#[specta::specta]
pub fn start_patrol(state: State<'_, AppState>, at: Option<Location>) -> CommandResult<Uuid> {
    let id = state.client.start_patrol(at)?;
    state.changed();
    Ok(id)
}

/// Adds a position fix to the running patrol's route.
#[tauri::command]
#[specta::specta]
pub fn patrol_fix(state: State<'_, AppState>, at: Location) -> CommandResult<Uuid> {
    let id = state.client.patrol_fix(at)?;
    state.changed();
    Ok(id)
}

/// Ends the running patrol, attaching the visits and reports made on it.
#[tauri::command]
#[specta::specta]
pub fn stop_patrol(state: State<'_, AppState>) -> CommandResult<Uuid> {
    let id = state.client.stop_patrol()?;
    state.changed();
    Ok(id)
}

/// The worker's own figures for the week, month or quarter holding today.
#[tauri::command]
#[specta::specta]
pub fn my_figures(state: State<'_, AppState>, period: PeriodKind) -> CommandResult<MyFigures> {
    Ok(state.client.my_figures(period)?)
}

/// A grid's hand-over sheet for the week holding `week` (`None`: last week).
#[tauri::command]
#[specta::specta]
pub fn handover_sheet(
    state: State<'_, AppState>,
    grid: Uuid,
    week: Option<NaiveDate>,
) -> CommandResult<HandoverSheet> {
    Ok(state.client.handover_sheet(grid, week)?)
}

/// Adds the grid leader's remark to a grid's hand-over of the week holding `week`.
#[tauri::command]
#[specta::specta]
pub fn add_handover_remark(
    state: State<'_, AppState>,
    grid: Uuid,
    week: Option<NaiveDate>,
    text: String,
) -> CommandResult<Uuid> {
    let id = state.client.add_handover_remark(grid, week, &text)?;
    state.changed();
    Ok(id)
}
