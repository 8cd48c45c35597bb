//! The basemap: my community's tile package and its download, the online source where no
//! package is held, and their tiles for the map.

use gridwalk_client::{Basemap, TilePackageState};
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

/// The basemap the maps draw (package or online source), with its coordinate system.
#[tauri::command]
#[specta::specta]
pub async fn basemap_status(state: State<'_, AppState>) -> CommandResult<Option<Basemap>> {
    let client = state.client.clone();
    blocking(move || Ok(client.basemap()?)).await
}

/// One basemap tile (XYZ) as a data URL; `None` where the basemap has none (or the online
/// source cannot be reached and the tile was never fetched).
#[tauri::command]
#[specta::specta]
pub async fn map_tile(
    state: State<'_, AppState>,
    z: u8,
    x: u32,
    y: u32,
) -> CommandResult<Option<String>> {
    let png = state.client.basemap_tile(z, x, y).await?;
    Ok(png.map(|png| data_url(&png)))
}
