//! Sync now, sync state, network changes (sync banner, settings).

use gridwalk_client::SyncReport;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;
use crate::sync::{SyncState, Trigger};

/// Syncs now and returns what it did.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<SyncReport> {
    state.syncer.now().await
}

/// Where sync stands (the UI also gets each change as an event).
#[tauri::command]
#[specta::specta]
pub fn sync_state(state: State<'_, AppState>) -> SyncState {
    state.syncer.state()
}

/// The webview saw the network go or come back; coming back starts a sync.
#[tauri::command]
#[specta::specta]
pub fn network_changed(state: State<'_, AppState>, online: bool) {
    if online {
        state.syncer.trigger(Trigger::NetworkBack);
    }
}
