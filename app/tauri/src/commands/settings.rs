//! UI preferences kept in the data directory (settings screen).

use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::state::AppState;

const FILE: &str = "ui-settings.json";

/// Preferences of the person holding the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct UiSettings {
    /// UI language: `zh-CN` or `en`.
    pub language: String,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self {
            language: "zh-CN".into(),
        }
    }
}

/// The saved preferences (defaults if none were saved or the file is unreadable).
#[tauri::command]
#[specta::specta]
pub fn ui_settings(state: State<'_, AppState>) -> UiSettings {
    std::fs::read_to_string(state.config.data_dir.join(FILE))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Saves the preferences.
#[tauri::command]
#[specta::specta]
pub fn set_ui_settings(state: State<'_, AppState>, settings: UiSettings) -> CommandResult<()> {
    let text = serde_json::to_string_pretty(&settings)
        .map_err(|e| CommandError::new(ErrorKind::Internal, e.to_string()))?;
    std::fs::write(state.config.data_dir.join(FILE), text)
        .map_err(|e| CommandError::new(ErrorKind::Storage, e.to_string()))
}
