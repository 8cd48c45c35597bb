//! The offline basemap: my community's tile package, its download, and its tiles for the map.

use gridwalk_client::TilePackageState;
use tauri::State;

use super::media::{blocking, data_url};
use crate::error::CommandResult;
use crate::state::AppState;

/// What the server offers and how much of it this device holds.
#[tauri::command]
#[specta::specta]
pub fn tile_package_status(state: State<'_, AppState>) -> CommandResult<TilePackageState> {
    Ok(state.client.tile_package()?)
}

/// Downloads (or resumes) the offline map; the screen polls `tile_package_status` meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn download_tile_package(state: State<'_, AppState>) -> CommandResult<TilePackageState> {
    Ok(state.client.download_tile_package(|_, _| {}).await?)
}

/// One basemap tile (XYZ) as a data URL; `None` where the package has none.
#[tauri::command]
#[specta::specta]
pub async fn map_tile(
    state: State<'_, AppState>,
    z: u8,
    x: u32,
    y: u32,
) -> CommandResult<Option<String>> {
    let client = state.client.clone();
    blocking(move || Ok(client.tile(z, x, y)?.map(|png| data_url(&png)))).await
}
