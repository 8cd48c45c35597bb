//! The notices screen (通知公告 / 信息指令): the list with its unread count, opening one
//! (records the read receipt), and an instruction's reply or done mark.

use gridwalk_client::NoticeItem;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandResult;
use crate::state::AppState;

/// The notices addressed to the signed-in user, newest first.
#[tauri::command]
#[specta::specta]
pub fn notices(state: State<'_, AppState>) -> CommandResult<Vec<NoticeItem>> {
    Ok(state.client.notices()?)
}

/// How many notices are not opened yet (the home screen's badge).
#[tauri::command]
#[specta::specta]
pub fn unread_notices(state: State<'_, AppState>) -> CommandResult<u32> {
    Ok(u32::try_from(state.client.unread_notices()?).unwrap_or(u32::MAX))
}

/// Opens a notice: records the read receipt the first time.
#[tauri::command]
#[specta::specta]
pub fn open_notice(state: State<'_, AppState>, id: Uuid) -> CommandResult<NoticeItem> {
    let item = state.client.open_notice(id)?;
    state.changed();
    Ok(item)
}

/// Replies to an instruction (回复).
#[tauri::command]
#[specta::specta]
pub fn reply_notice(state: State<'_, AppState>, id: Uuid, text: String) -> CommandResult<()> {
    state.client.reply_notice(id, &text)?;
    state.changed();
    Ok(())
}

/// Marks an instruction done (办结).
#[tauri::command]
#[specta::specta]
pub fn mark_notice_done(state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    state.client.mark_notice_done(id)?;
    state.changed();
    Ok(())
}
