//! Enrolment, account, status and reference data (enrolment screen, settings, every header).

use gridwalk_client::{Account, Status};
use gridwalk_shared::model::ReferenceData;
use serde::Serialize;
use tauri::State;

use crate::config::LocationSource;
use crate::error::CommandResult;
use crate::state::AppState;

/// What the About screen and the start-up code need to know.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    /// App version.
    pub version: String,
    /// Data directory.
    pub data_dir: String,
    /// Server URL to offer at enrolment.
    pub default_server: Option<String>,
    /// Position source.
    pub location: LocationSource,
    /// Built for a phone (Android/iOS) rather than the desktop.
    pub mobile: bool,
}

/// Version, data directory, default server and position source.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.config.data_dir.display().to_string(),
        default_server: state.config.default_server.clone(),
        location: state.config.location.clone(),
        mobile: cfg!(mobile),
    }
}

/// Enrols this device with a one-time code, then syncs.
#[tauri::command]
#[specta::specta]
pub async fn enroll(
    state: State<'_, AppState>,
    server: String,
    code: String,
    device_name: String,
) -> CommandResult<Account> {
    let account = state.client.enroll(&server, &code, &device_name).await?;
    state.changed();
    Ok(account)
}

/// Account, pending changes and last sync.
#[tauri::command]
#[specta::specta]
pub fn status(state: State<'_, AppState>) -> CommandResult<Status> {
    Ok(state.client.status()?)
}

/// The reference data (org tree, users, categories, checklist, catalogue), once synced.
#[tauri::command]
#[specta::specta]
pub fn reference(state: State<'_, AppState>) -> CommandResult<Option<ReferenceData>> {
    Ok(state.client.reference()?)
}
