//! My grid → buildings → households → household card; resident lookup at the desk.

use chrono::NaiveDate;
use gridwalk_client::{BuildingCoverage, GridOverview, HouseholdCard, HouseholdRow, MapIncident};
use gridwalk_shared::track::DayTrack;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// Grids in scope with their buildings and counts.
#[tauri::command]
#[specta::specta]
pub fn my_grids(state: State<'_, AppState>) -> CommandResult<Vec<GridOverview>> {
    Ok(state.client.my_grids()?)
}

/// Open incidents in scope at their fixes, for the grid map (those to check on site first).
#[tauri::command]
#[specta::specta]
pub fn map_incidents(state: State<'_, AppState>) -> CommandResult<Vec<MapIncident>> {
    Ok(state.client.map_incidents()?)
}

/// Per building: households held and how many were visited from `from` to `to`.
#[tauri::command]
#[specta::specta]
pub fn coverage(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> CommandResult<Vec<BuildingCoverage>> {
    Ok(state.client.coverage(from, to)?)
}

/// A worker's day as a track, from the visits, reports and patrols held.
#[tauri::command]
#[specta::specta]
pub fn day_track(
    state: State<'_, AppState>,
    worker: Uuid,
    date: NaiveDate,
) -> CommandResult<DayTrack> {
    Ok(state.client.day_track(worker, date)?)
}

/// Households in a building.
#[tauri::command]
#[specta::specta]
pub fn households_in(
    state: State<'_, AppState>,
    building: Uuid,
) -> CommandResult<Vec<HouseholdRow>> {
    Ok(state.client.households_in(building)?)
}

/// Households whose head, phone or address contains `query`.
#[tauri::command]
#[specta::specta]
pub fn search_households(
    state: State<'_, AppState>,
    query: String,
) -> CommandResult<Vec<HouseholdRow>> {
    Ok(state.client.search_households(&query)?)
}

/// One household's card.
#[tauri::command]
#[specta::specta]
pub fn household_card(state: State<'_, AppState>, id: Uuid) -> CommandResult<HouseholdCard> {
    Ok(state.client.household_card(id)?)
}

/// Keeps `value` for a field that holds concurrent versions.
#[tauri::command]
#[specta::specta]
pub fn resolve_conflict(
    state: State<'_, AppState>,
    id: Uuid,
    field: String,
    value: String,
) -> CommandResult<()> {
    state.client.resolve_conflict(id, &field, &value)?;
    state.changed();
    Ok(())
}

/// Sets one editable household field (address, head, phone, notes, tags).
#[tauri::command]
#[specta::specta]
pub fn set_household_field(
    state: State<'_, AppState>,
    id: Uuid,
    field: String,
    value: String,
) -> CommandResult<()> {
    state.client.set_household_field(id, &field, &value)?;
    state.changed();
    Ok(())
}
