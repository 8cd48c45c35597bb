//! Photos in the visit and snap-and-report flows, through the media pipeline of
//! gridwalk-client (downscaled, EXIF removed, stored as blobs that sync after the records).

use base64::Engine;
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::state::AppState;

/// A photo stored on the device, to attach by its hash.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PhotoInfo {
    /// SHA-256 of the stored JPEG (what records reference).
    pub hash: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Thumbnail as a `data:image/jpeg;base64,…` URL.
    pub thumbnail: String,
}

fn data_url(path: &std::path::Path) -> CommandResult<String> {
    let bytes =
        std::fs::read(path).map_err(|e| CommandError::new(ErrorKind::Storage, e.to_string()))?;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:image/jpeg;base64,{text}"))
}

/// Processes a photo (JPEG, PNG or WebP, base64) off the UI thread and stores it.
#[tauri::command]
#[specta::specta]
pub async fn add_photo(
    state: State<'_, AppState>,
    data_base64: String,
) -> CommandResult<PhotoInfo> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.trim())
        .map_err(|e| CommandError::new(ErrorKind::Invalid, format!("photo data: {e}")))?;
    let client = state.client.clone();
    let photo = tauri::async_runtime::spawn_blocking(move || client.add_photo(&bytes))
        .await
        .map_err(|e| CommandError::new(ErrorKind::Internal, e.to_string()))??;
    Ok(PhotoInfo {
        thumbnail: data_url(&photo.thumbnail_path)?,
        hash: photo.hash,
        width: photo.width,
        height: photo.height,
    })
}

/// The thumbnail of photo `hash` as a data URL, fetched from the server if this device does
/// not hold it; `None` when it cannot be had now (offline).
#[tauri::command]
#[specta::specta]
pub async fn photo_thumbnail(
    state: State<'_, AppState>,
    hash: String,
) -> CommandResult<Option<String>> {
    match state.client.blob(&hash, true).await {
        Ok(path) => data_url(&path).map(Some),
        Err(gridwalk_client::Error::Network { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a photo no record references (taken, then removed from the form).
#[tauri::command]
#[specta::specta]
pub fn discard_photo(state: State<'_, AppState>, hash: String) -> CommandResult<bool> {
    Ok(state.client.discard_blob(&hash)?)
}
