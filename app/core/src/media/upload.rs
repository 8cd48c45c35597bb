//! Resumable blob upload after a sync round: ask the server how much it holds (`HEAD`), send
//! the rest in chunks (`PUT` with `Content-Range`), and after any failure ask again, so a cut
//! connection costs at most the chunk in flight.

use reqwest::{header, Method, StatusCode};
use serde::Serialize;

use super::transfer::{self, Failure, COMPLETE_HEADER, OFFSET_HEADER};
use super::{files, sha256_hex};
use crate::store::blobs::{self, BlobKind, BlobRow};
use crate::store::meta::Credentials;
use crate::{Client, Error, Result};

/// Bytes per `PUT`: what a cut connection can cost at most.
pub const CHUNK_BYTES: u64 = 256 * 1024;

/// Upload progress over one [`Client::sync`], for a progress bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UploadProgress {
    /// Whether an upload is running now.
    pub active: bool,
    /// Blobs to upload in this sync.
    pub blobs_total: usize,
    /// Blobs finished.
    pub blobs_done: usize,
    /// Bytes of all of them.
    pub bytes_total: u64,
    /// Bytes the server holds of them.
    pub bytes_sent: u64,
    /// The blob being sent.
    pub current: Option<String>,
}

/// What the blob uploads of one sync did.
#[derive(Debug, Default)]
pub(crate) struct UploadOutcome {
    /// Blobs the server now holds whole.
    pub uploaded: usize,
    /// Body bytes sent (including any re-sent after a cut).
    pub bytes_sent: u64,
    /// Blobs left for later (the server does not see them referenced yet, or the local file
    /// is damaged).
    pub deferred: usize,
}

/// What the server says it holds of a blob.
enum Held {
    /// All of it.
    Whole,
    /// This many bytes.
    Part(u64),
    /// It will not take the blob (no record it knows references it).
    Refused,
}

impl Client {
    /// Uploads every pending blob that a record references; returns what was done.
    pub(crate) async fn upload_blobs(&self, credentials: &Credentials) -> Result<UploadOutcome> {
        let pending = blobs::pending(self.store().conn())?;
        let mut outcome = UploadOutcome::default();
        if pending.is_empty() {
            return Ok(outcome);
        }
        self.progress.send_replace(UploadProgress {
            active: true,
            blobs_total: pending.len(),
            bytes_total: pending.iter().map(|b| b.size).sum(),
            bytes_sent: pending.iter().map(|b| b.sent.min(b.size)).sum(),
            ..UploadProgress::default()
        });
        let result = self.upload_each(credentials, &pending, &mut outcome).await;
        self.progress.send_modify(|p| {
            p.active = false;
            p.current = None;
        });
        result.map(|()| outcome)
    }

    async fn upload_each(
        &self,
        credentials: &Credentials,
        pending: &[BlobRow],
        outcome: &mut UploadOutcome,
    ) -> Result<()> {
        for blob in pending {
            self.progress
                .send_modify(|p| p.current = Some(blob.hash.clone()));
            let path = files::path(&self.dir, &blob.hash, blob.media_type());
            let bytes = match std::fs::read(&path) {
                Ok(bytes) if sha256_hex(&bytes) == blob.hash => bytes,
                other => {
                    let problem = other
                        .err()
                        .map_or("content does not match", |_| "unreadable");
                    tracing::error!(blob = %blob.hash, problem, "local blob file is damaged");
                    outcome.deferred += 1;
                    continue;
                }
            };
            if self.upload_one(credentials, blob, &bytes, outcome).await? {
                outcome.uploaded += 1;
                self.progress.send_modify(|p| p.blobs_done += 1);
            } else {
                outcome.deferred += 1;
            }
        }
        Ok(())
    }

    /// Sends one blob until the server holds it whole (`true`) or refuses it (`false`).
    async fn upload_one(
        &self,
        credentials: &Credentials,
        blob: &BlobRow,
        bytes: &[u8],
        outcome: &mut UploadOutcome,
    ) -> Result<bool> {
        let query = match (&blob.kind, &blob.thumbnail_of) {
            (BlobKind::Thumbnail, Some(photo)) => format!("?thumbnail_of={photo}"),
            _ => String::new(),
        };
        let url = transfer::blob_url(credentials, &blob.hash, &query);
        let size = bytes.len() as u64;
        let mut acknowledged = blob.sent.min(size);
        // `None`: ask the server what it holds (at the start and after every failure).
        let mut offset: Option<u64> = None;
        let mut backoff = crate::http::Backoff::new(self.http.options(), "blob upload");
        loop {
            let attempt = match offset {
                None => self.head(&url, credentials).await,
                Some(start) => {
                    let end = (start + CHUNK_BYTES).min(size);
                    let chunk = &bytes[start as usize..end as usize];
                    outcome.bytes_sent += chunk.len() as u64;
                    self.put(&url, credentials, chunk, start, size).await
                }
            };
            let held = match attempt {
                Ok(held) => held,
                Err(failure) => {
                    backoff.retry(failure).await?;
                    offset = None;
                    continue;
                }
            };
            let (now_held, whole) = match held {
                Held::Refused => return Ok(false),
                Held::Whole => (size, true),
                Held::Part(n) if n > size => {
                    return Err(Error::Protocol(format!(
                        "the server holds {n} bytes of blob {} of {size}",
                        blob.hash
                    )))
                }
                Held::Part(n) => (n, false),
            };
            if now_held > acknowledged || whole {
                backoff.progressed();
                let gained = now_held.saturating_sub(acknowledged);
                self.progress.send_modify(|p| p.bytes_sent += gained);
                acknowledged = now_held;
                self.store()
                    .write(|tx| blobs::set_sent(tx, &blob.hash, now_held, whole))?;
            }
            if whole {
                return Ok(true);
            }
            offset = Some(now_held);
        }
    }

    async fn head(&self, url: &str, credentials: &Credentials) -> Result<Held, Failure> {
        let request = transfer::request(&self.http, Method::HEAD, url, credentials);
        let response = transfer::send(&self.http, request).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(Held::Part(0)),
            StatusCode::FORBIDDEN => Ok(Held::Refused),
            status if status.is_success() => Ok(held(&response)),
            _ => Err(transfer::refusal(response).await),
        }
    }

    async fn put(
        &self,
        url: &str,
        credentials: &Credentials,
        chunk: &[u8],
        start: u64,
        size: u64,
    ) -> Result<Held, Failure> {
        let end = start + chunk.len() as u64;
        let range = format!("bytes {start}-{}/{size}", end.saturating_sub(1));
        let request = transfer::request(&self.http, Method::PUT, url, credentials)
            .header(header::CONTENT_RANGE, range)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(chunk.to_vec());
        let response = transfer::send(&self.http, request).await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::CONFLICT {
            // 409 `offset_mismatch` carries the offset the server holds: continue from there.
            if let Some(n) = transfer::header_u64(&response, OFFSET_HEADER) {
                return Ok(held(&response).or_part(n));
            }
        }
        if status == StatusCode::FORBIDDEN {
            return Ok(Held::Refused);
        }
        let failure = transfer::refusal(response).await;
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            // `hash_mismatch`: the server dropped a partial that was not ours to finish (or
            // was damaged); start again from what it holds now, within the attempt budget.
            return Err(Failure::transient(failure.into_error()));
        }
        Err(failure)
    }
}

fn held(response: &reqwest::Response) -> Held {
    let complete = response
        .headers()
        .get(COMPLETE_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1");
    if complete {
        Held::Whole
    } else {
        Held::Part(transfer::header_u64(response, OFFSET_HEADER).unwrap_or(0))
    }
}

impl Held {
    fn or_part(self, n: u64) -> Held {
        match self {
            Held::Whole => Held::Whole,
            _ => Held::Part(n),
        }
    }
}
