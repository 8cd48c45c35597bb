//! Fetching blobs other devices made: thumbnails on demand, full files when opened. Every
//! download is checked against its SHA-256 before it is kept.

use std::path::PathBuf;

use gridwalk_shared::media::{is_blob_hash, sniff, MAX_BLOB_BYTES};
use reqwest::{Method, StatusCode};

use super::transfer::{self, Failure, BLOB_HEADER};
use super::{files, photo, sha256_hex};
use crate::store::blobs::{self, BlobKind, BlobRow};
use crate::store::meta::{self, Credentials};
use crate::{Client, Error, Result};

impl Client {
    /// The local file of blob `hash` (with `thumbnail`: of its thumbnail), fetched from the
    /// server first if it is not held. A photo whose thumbnail the server lacks is fetched
    /// whole and its thumbnail made here.
    pub async fn blob(&self, hash: &str, thumbnail: bool) -> Result<PathBuf> {
        if !is_blob_hash(hash) {
            return Err(Error::Usage(format!(
                "`{hash}` is not a blob hash (64 lowercase hex digits)"
            )));
        }
        if let Some(path) = self.local_blob(hash, thumbnail)? {
            return Ok(path);
        }
        let credentials = meta::credentials(self.store().conn())?.ok_or(Error::NotEnrolled)?;
        if !thumbnail {
            return self.fetch_full(&credentials, hash).await;
        }
        match self.fetch(&credentials, hash, true).await {
            Ok((bytes, thumb_hash)) => self.keep(&bytes, &thumb_hash, Some(hash)),
            Err(Error::Server { code, .. }) if code == "no_thumbnail" => {
                let full = match self.local_blob(hash, false)? {
                    Some(path) => path,
                    None => self.fetch_full(&credentials, hash).await?,
                };
                let made = photo::process(&std::fs::read(full)?)?;
                self.keep(&made.thumbnail.bytes, &made.thumbnail.hash, Some(hash))
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch_full(&self, credentials: &Credentials, hash: &str) -> Result<PathBuf> {
        let (bytes, _) = self.fetch(credentials, hash, false).await?;
        self.keep(&bytes, hash, None)
    }

    /// Stores downloaded bytes as blob `hash` (a thumbnail of `thumbnail_of`, if given).
    fn keep(&self, bytes: &[u8], hash: &str, thumbnail_of: Option<&str>) -> Result<PathBuf> {
        let media = sniff(bytes);
        let kind = match (thumbnail_of, media.is_audio()) {
            (Some(_), _) => BlobKind::Thumbnail,
            (None, true) => BlobKind::Audio,
            (None, false) => BlobKind::Photo,
        };
        let path = files::path(&self.dir, hash, media);
        files::write(&path, bytes)?;
        let row = BlobRow {
            hash: hash.to_string(),
            kind,
            mime: media.mime().to_string(),
            size: bytes.len() as u64,
            thumbnail_of: thumbnail_of.map(str::to_string),
            uploaded: true,
            sent: bytes.len() as u64,
            duration_ms: None,
        };
        let now = self.clock.now().millis();
        self.store().write(|tx| blobs::insert(tx, &row, now))?;
        Ok(path)
    }

    /// Downloads a blob (or its thumbnail) and checks it: returns the bytes and their hash.
    async fn fetch(
        &self,
        credentials: &Credentials,
        hash: &str,
        thumbnail: bool,
    ) -> Result<(Vec<u8>, String)> {
        let query = if thumbnail { "?thumbnail=1" } else { "" };
        let url = transfer::blob_url(credentials, hash, query);
        crate::http::with_retries(self.http.options(), "blob download", || async {
            let request = transfer::request(&self.http, Method::GET, &url, credentials);
            let response = transfer::send(&self.http, request).await?;
            if response.status() != StatusCode::OK {
                return Err(transfer::refusal(response).await);
            }
            let expected = if thumbnail {
                let named = response
                    .headers()
                    .get(BLOB_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| is_blob_hash(v))
                    .map(str::to_string);
                named.ok_or_else(|| {
                    Failure::Fatal(Error::Protocol(format!(
                        "thumbnail answer without a valid `{BLOB_HEADER}` header"
                    )))
                })?
            } else {
                hash.to_string()
            };
            let bytes = transfer::body(response, MAX_BLOB_BYTES).await?;
            if sha256_hex(&bytes) != expected {
                // Most likely cut short or damaged on the way: worth another attempt.
                return Err(Failure::transient(Error::Protocol(format!(
                    "downloaded blob does not match its hash {expected}"
                ))));
            }
            Ok((bytes, expected))
        })
        .await
    }
}
