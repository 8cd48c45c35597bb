//! Campaign tasks (阶段性任务) that are not a visit draft: a building check (楼栋检查) and a
//! census visit (普查), done from one screen and stored at once.

use gridwalk_client::{CampaignTaskForm, CampaignVisit};
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// One open task of mine, with the household's base data for a census task.
#[tauri::command]
#[specta::specta]
pub fn campaign_task_form(
    state: State<'_, AppState>,
    campaign: Uuid,
    target: Uuid,
) -> CommandResult<CampaignTaskForm> {
    Ok(state.client.campaign_task_form(campaign, target)?)
}

/// Does the task now (the visit or building check, and a census task's household edit, in
/// one transaction); returns the visit's id.
#[tauri::command]
#[specta::specta]
pub fn do_campaign_task(state: State<'_, AppState>, task: CampaignVisit) -> CommandResult<Uuid> {
    let id = state.client.do_campaign_task(task)?;
    state.changed();
    Ok(id)
}
