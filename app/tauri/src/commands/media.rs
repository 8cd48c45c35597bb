//! Photos and audio notes in the visit and snap-and-report flows, through the media pipeline
//! of gridwalk-client (photos downscaled, EXIF removed; recordings checked by format, size and
//! length), stored as blobs that sync after the records and are fetched on demand elsewhere.

use std::path::PathBuf;

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

/// An audio note stored on the device, to attach by its hash.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AudioInfo {
    /// SHA-256 of the recording (what records reference).
    pub hash: String,
    /// MIME type found from its bytes (e.g. `audio/webm`).
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// Length, from the file or else the recorder; `None` when neither knows it.
    pub duration_ms: Option<u64>,
}

/// A blob file as a `data:` URL whose MIME type comes from its bytes.
pub(crate) fn data_url(bytes: &[u8]) -> String {
    let mime = gridwalk_shared::media::sniff(bytes).mime();
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{text}")
}

fn decode(what: &str, data_base64: &str) -> CommandResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(data_base64.trim())
        .map_err(|e| CommandError::new(ErrorKind::Invalid, format!("{what} data: {e}")))
}

/// Runs CPU or file work off the UI thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(ErrorKind::Internal, e.to_string()))?
}

fn read_data_url(path: PathBuf) -> CommandResult<String> {
    let bytes =
        std::fs::read(path).map_err(|e| CommandError::new(ErrorKind::Storage, e.to_string()))?;
    Ok(data_url(&bytes))
}

/// Blob `hash` (or its thumbnail) as a data URL, fetched from the server if this device does
/// not hold it; `None` when it cannot be had now (offline).
async fn fetched(state: &AppState, hash: &str, thumbnail: bool) -> CommandResult<Option<String>> {
    match state.client.blob(hash, thumbnail).await {
        Ok(path) => blocking(move || read_data_url(path)).await.map(Some),
        Err(gridwalk_client::Error::Network { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Processes a photo (JPEG, PNG or WebP, base64) off the UI thread and stores it.
#[tauri::command]
#[specta::specta]
pub async fn add_photo(
    state: State<'_, AppState>,
    data_base64: String,
) -> CommandResult<PhotoInfo> {
    let bytes = decode("photo", &data_base64)?;
    let client = state.client.clone();
    blocking(move || {
        let photo = client.add_photo(&bytes)?;
        Ok(PhotoInfo {
            thumbnail: read_data_url(photo.thumbnail_path)?,
            hash: photo.hash,
            width: photo.width,
            height: photo.height,
        })
    })
    .await
}

/// The thumbnail of photo `hash` as a data URL; `None` when offline and not held.
#[tauri::command]
#[specta::specta]
pub async fn photo_thumbnail(
    state: State<'_, AppState>,
    hash: String,
) -> CommandResult<Option<String>> {
    fetched(&state, &hash, true).await
}

/// Photo `hash` at full size as a data URL; `None` when offline and not held.
#[tauri::command]
#[specta::specta]
pub async fn photo_full(state: State<'_, AppState>, hash: String) -> CommandResult<Option<String>> {
    fetched(&state, &hash, false).await
}

/// Checks an audio note (WebM, Ogg, WAV, M4A or MP3, base64; at most 8 MiB and 3 minutes,
/// `duration_ms` as the recorder measured it) off the UI thread and stores it.
#[tauri::command]
#[specta::specta]
pub async fn add_audio(
    state: State<'_, AppState>,
    data_base64: String,
    duration_ms: Option<u64>,
) -> CommandResult<AudioInfo> {
    let bytes = decode("audio", &data_base64)?;
    let client = state.client.clone();
    let note = blocking(move || Ok(client.add_audio(bytes, duration_ms)?)).await?;
    Ok(AudioInfo {
        hash: note.hash,
        mime: note.mime,
        size: note.size,
        duration_ms: note.duration_ms,
    })
}

/// Audio note `hash` as a playable data URL; `None` when offline and not held.
#[tauri::command]
#[specta::specta]
pub async fn audio_source(
    state: State<'_, AppState>,
    hash: String,
) -> CommandResult<Option<String>> {
    fetched(&state, &hash, false).await
}

/// Saves document `hash` (a notice's PDF) into the device's Downloads folder as `name`
/// (made a safe file name ending in `.pdf`), fetching it first if needed, so the phone's own
/// PDF viewer opens it; returns the saved path, or `None` when offline and not held.
#[tauri::command]
#[specta::specta]
pub async fn save_document(
    state: State<'_, AppState>,
    hash: String,
    name: String,
) -> CommandResult<Option<String>> {
    let source = match state.client.blob(&hash, false).await {
        Ok(path) => path,
        Err(gridwalk_client::Error::Network { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let dir = state.downloads.clone();
    let target = dir.join(document_file_name(&name));
    blocking(move || {
        let io = |e: std::io::Error| CommandError::new(ErrorKind::Storage, e.to_string());
        std::fs::create_dir_all(&dir).map_err(io)?;
        std::fs::copy(&source, &target).map_err(io)?;
        Ok(target.display().to_string())
    })
    .await
    .map(Some)
}

/// A file name from a notice's title: no path separators or control characters, at most 60
/// characters, ending in `.pdf`.
fn document_file_name(title: &str) -> String {
    let stem: String = title
        .trim()
        .trim_end_matches(".pdf")
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(60)
        .collect();
    let stem = stem.trim_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{}.pdf", if stem.is_empty() { "document" } else { stem })
}

/// Deletes a photo or audio note no record references (added, then removed from the form).
#[tauri::command]
#[specta::specta]
pub fn discard_media(state: State<'_, AppState>, hash: String) -> CommandResult<bool> {
    Ok(state.client.discard_blob(&hash)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_names_are_safe_file_names() {
        assert_eq!(
            document_file_name("关于燃气安全的通知"),
            "关于燃气安全的通知.pdf"
        );
        assert_eq!(document_file_name("../../etc/passwd"), "_.._etc_passwd.pdf");
        assert_eq!(document_file_name(" 通知.pdf "), "通知.pdf");
        assert_eq!(document_file_name("..."), "document.pdf");
        assert_eq!(document_file_name(&"长".repeat(100)).chars().count(), 64);
    }

    #[test]
    fn data_urls_name_the_type_found_in_the_bytes() {
        let wav = [b"RIFF".as_slice(), &[0; 4], b"WAVEfmt "].concat();
        assert!(data_url(&wav).starts_with("data:audio/wav;base64,UklGR"));
        assert!(data_url(&[0xFF, 0xD8, 0xFF, 0xE0]).starts_with("data:image/jpeg;base64,"));
        let refused = decode("audio", "not base64!").unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Invalid);
    }
}
