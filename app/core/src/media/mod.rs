//! Photos and audio notes: the processing pipeline, blob files beside the store, and what the
//! app calls to add, find and fetch them. Records reference blobs by SHA-256; the files are
//! uploaded after the records by [`Client::sync`] and fetched by other devices on demand.

pub mod audio;
pub(crate) mod download;
pub(crate) mod files;
pub mod photo;
pub(crate) mod space;
pub(crate) mod transfer;
pub(crate) mod upload;

use std::io::Read;
use std::path::{Path, PathBuf};

use gridwalk_shared::media::MediaType;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::blobs::{self, BlobKind, BlobRow};
use crate::{Client, Error, Result};

pub use audio::ProcessedAudio;
pub use photo::ProcessedPhoto;
pub use space::{Freed, KEEP_UPLOADED_PHOTOS_DAYS};
pub use upload::{UploadProgress, CHUNK_BYTES};

/// Why a photo or recording was refused. Messages are zh-CN first, then English.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Nothing to process.
    #[error("文件为空 / the file is empty")]
    Empty,
    /// Larger than the limit for its kind (checked before decoding).
    #[error("文件过大 / the {what} is too large: {bytes} bytes, the limit is {limit}")]
    TooLarge {
        /// `photo` or `audio`.
        what: &'static str,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A format the app does not take.
    #[error("不支持的格式 / unsupported format: this is {found}; accepted: {accepted}")]
    Unsupported {
        /// What the file is, by its magic bytes (e.g. `HEIC`, `text`).
        found: &'static str,
        /// The formats accepted.
        accepted: &'static str,
    },
    /// The image header claims more pixels than allowed (a decompression bomb, or a panorama).
    #[error(
        "图片像素过多 / the image is too large: {width}×{height} pixels, \
         the limit is {limit} pixels"
    )]
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
        /// Most pixels allowed.
        limit: u64,
    },
    /// The decoder's own size or memory limits refused the image.
    #[error("图片超出解码限制 / the image exceeds the decoding limits: {0}")]
    Limit(String),
    /// Damaged or truncated.
    #[error("文件已损坏 / the {format} file is damaged: {message}")]
    Corrupt {
        /// Format it claims to be.
        format: &'static str,
        /// What the decoder said.
        message: String,
    },
    /// A recording longer than allowed.
    #[error("录音过长 / the recording is too long: {seconds} s, the limit is {limit} s")]
    TooLong {
        /// Its length.
        seconds: u64,
        /// The limit.
        limit: u64,
    },
    /// Re-encoding failed.
    #[error("图片编码失败 / cannot encode the photo: {0}")]
    Encode(String),
}

/// SHA-256 of bytes, lowercase hex: a blob's name.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A stored photo, ready to attach to a record by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Photo {
    /// SHA-256 of the processed JPEG: what records reference.
    pub hash: String,
    /// SHA-256 of its thumbnail.
    pub thumbnail: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the JPEG in bytes.
    pub size: u64,
    /// The JPEG file.
    pub path: PathBuf,
    /// The thumbnail file.
    pub thumbnail_path: PathBuf,
}

/// A stored audio note, ready to attach to a record by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudioNote {
    /// SHA-256 of the recording.
    pub hash: String,
    /// MIME type (e.g. `audio/webm`).
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// Duration, when known.
    pub duration_ms: Option<u64>,
    /// The file.
    pub path: PathBuf,
}

/// Reads at most `limit` bytes of a file, refusing a larger one before reading it.
fn read_bounded(path: &Path, what: &'static str, limit: u64) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| Error::Usage(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    if size > limit {
        return Err(MediaError::TooLarge {
            what,
            bytes: size,
            limit,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    Ok(bytes)
}

impl Client {
    /// Processes a photo file (JPEG, PNG or WebP) and stores the result; see
    /// [`Client::add_photo`]. A file over the size limit is refused before it is read.
    pub fn add_photo_file(&self, path: impl AsRef<Path>) -> Result<Photo> {
        let bytes = read_bounded(path.as_ref(), "photo", photo::MAX_INPUT_BYTES)?;
        self.add_photo(&bytes)
    }

    /// Processes a photo (limits checked before decoding, EXIF orientation applied, long
    /// edge ≤ 1920 px, JPEG q80 without metadata, 320 px thumbnail) and stores both files as
    /// blobs waiting for upload. CPU-bound (~0.3 s for 12 MP): call it off the UI thread.
    pub fn add_photo(&self, input: &[u8]) -> Result<Photo> {
        let processed = photo::process(input)?;
        let (full, thumb) = (&processed.full, &processed.thumbnail);
        let path = files::path(&self.dir, &full.hash, MediaType::Jpeg);
        let thumbnail_path = files::path(&self.dir, &thumb.hash, MediaType::Jpeg);
        files::write(&path, &full.bytes)?;
        files::write(&thumbnail_path, &thumb.bytes)?;
        let now = self.clock.now().millis();
        self.store().write(|tx| {
            blobs::insert(
                tx,
                &new_row(&full.hash, BlobKind::Photo, &full.bytes, None),
                now,
            )?;
            let row = new_row(
                &thumb.hash,
                BlobKind::Thumbnail,
                &thumb.bytes,
                Some(&full.hash),
            );
            blobs::insert(tx, &row, now)
        })?;
        Ok(Photo {
            hash: full.hash.clone(),
            thumbnail: thumb.hash.clone(),
            width: full.width,
            height: full.height,
            size: full.bytes.len() as u64,
            path,
            thumbnail_path,
        })
    }

    /// Checks an audio recording (format by magic bytes, size, duration: the file's own, or
    /// `declared_ms` from the recorder) and stores it as a blob waiting for upload.
    pub fn add_audio(&self, bytes: Vec<u8>, declared_ms: Option<u64>) -> Result<AudioNote> {
        let note = audio::check(bytes, declared_ms)?;
        let path = files::path(&self.dir, &note.hash, note.media_type);
        files::write(&path, &note.bytes)?;
        let mut row = new_row(&note.hash, BlobKind::Audio, &note.bytes, None);
        row.mime = note.media_type.mime().to_string();
        row.duration_ms = note.duration_ms;
        let now = self.clock.now().millis();
        self.store().write(|tx| blobs::insert(tx, &row, now))?;
        Ok(AudioNote {
            hash: note.hash,
            mime: row.mime,
            size: row.size,
            duration_ms: note.duration_ms,
            path,
        })
    }

    /// Reads an audio file and adds it as [`Client::add_audio`] does.
    pub fn add_audio_file(
        &self,
        path: impl AsRef<Path>,
        declared_ms: Option<u64>,
    ) -> Result<AudioNote> {
        let bytes = read_bounded(path.as_ref(), "audio", audio::MAX_AUDIO_BYTES)?;
        self.add_audio(bytes, declared_ms)
    }

    /// Deletes a photo (with its thumbnail) or audio note that no record references, e.g.
    /// when the user cancels a form. Returns whether anything was deleted.
    pub fn discard_blob(&self, hash: &str) -> Result<bool> {
        let gone = self.store().write(|tx| {
            if blobs::is_referenced(tx, hash)? {
                return Err(Error::Usage(format!(
                    "blob {hash} is attached to a record and cannot be discarded"
                )));
            }
            blobs::delete_with_thumbnail(tx, hash)
        })?;
        for blob in &gone {
            files::remove(&files::path(&self.dir, &blob.hash, blob.media_type()))?;
        }
        Ok(!gone.is_empty())
    }

    /// The local file of blob `hash` (with `thumbnail`: of its thumbnail), if held. Never
    /// touches the network; [`Client::blob`] fetches what is missing.
    pub fn local_blob(&self, hash: &str, thumbnail: bool) -> Result<Option<PathBuf>> {
        let store = self.store();
        let row = if thumbnail {
            blobs::thumbnail_of(store.conn(), hash)?
        } else {
            blobs::get(store.conn(), hash)?
        };
        Ok(row
            .map(|r| files::path(&self.dir, &r.hash, r.media_type()))
            .filter(|p| p.is_file()))
    }

    /// Blobs waiting for upload that records reference, with the bytes the server has
    /// acknowledged so far (`sent` of `size`); thumbnails first.
    pub fn pending_uploads(&self) -> Result<Vec<BlobRow>> {
        blobs::pending(self.store().conn())
    }

    /// Live upload progress during [`Client::sync`], for a progress bar.
    pub fn upload_progress(&self) -> tokio::sync::watch::Receiver<UploadProgress> {
        self.progress.subscribe()
    }
}

/// A blob row for bytes just made on this device (not uploaded yet).
fn new_row(hash: &str, kind: BlobKind, bytes: &[u8], thumbnail_of: Option<&str>) -> BlobRow {
    BlobRow {
        hash: hash.to_string(),
        kind,
        mime: gridwalk_shared::media::sniff(bytes).mime().to_string(),
        size: bytes.len() as u64,
        thumbnail_of: thumbnail_of.map(str::to_string),
        uploaded: false,
        sent: 0,
        duration_ms: None,
    }
}
