//! The sync client: rounds of `POST /v1/sync` as `docs/protocol.md` describes. A round is
//! prepared from the store ([`Client::prepare_round`]), sent, and its response applied in one
//! transaction ([`Client::apply_round`]); the two halves are public so tests and tools can
//! drive sync without a network.

mod apply;
mod decode;
mod live;
mod moved;
mod round;

use std::time::Duration;

use gridwalk_shared::wire::{self, SyncResponse, PROTOCOL_VERSION};
use serde::Serialize;
use tracing::Instrument;
use uuid::Uuid;

use crate::http::Retry;
use crate::store::meta;
use crate::{Client, Error, Result};

pub use round::{PreparedRound, RoundOutcome};

/// Most rounds one [`Client::sync`] runs before it stops and leaves the rest for next time.
const MAX_ROUNDS: u32 = 1000;

/// Retry and timeout settings for requests to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Attempts per request (connect errors, timeouts and 5xx are retried; 4xx are not).
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Timeout of one attempt (connect and whole request).
    pub timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(250),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What one [`Client::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncReport {
    /// Documents whose changes were sent.
    pub uploaded_docs: usize,
    /// Changes sent.
    pub uploaded_changes: usize,
    /// Documents received (whole or changes).
    pub downloaded_docs: usize,
    /// Documents the server refused: id, code, reason.
    pub rejected: Vec<(Uuid, String, String)>,
    /// Local versions kept aside as conflict copies.
    pub conflict_copies: usize,
    /// Records dropped because the server moved them to a grid this device does not see.
    pub moved_out: usize,
    /// Requests made.
    pub rounds: u32,
    /// Request bytes on the wire (after compression).
    pub bytes_sent: usize,
    /// Response bytes (after decompression).
    pub bytes_received: usize,
    /// Blobs (photos, thumbnails, audio) the server now holds whole.
    pub blobs_uploaded: usize,
    /// Blob bytes sent (including any re-sent after a cut connection).
    pub blob_bytes_sent: u64,
    /// Blobs left for a later sync (see [`Client::pending_uploads`]).
    pub blobs_pending: usize,
}

impl SyncReport {
    pub(crate) fn add(
        &mut self,
        prepared: &PreparedRound,
        outcome: RoundOutcome,
        sent: usize,
        received: usize,
    ) {
        self.uploaded_docs += prepared.docs();
        self.uploaded_changes += prepared.changes();
        self.downloaded_docs += outcome.downloaded_docs;
        self.rejected.extend(outcome.rejected);
        self.conflict_copies += outcome.conflict_copies;
        self.moved_out += outcome.moved_out;
        self.rounds += 1;
        self.bytes_sent += sent;
        self.bytes_received += received;
    }
}

impl Client {
    /// Syncs with the server until it has nothing more to send: uploads the outbox,
    /// downloads what changed in the user's scope, then uploads the blobs that records
    /// reference (resuming partial uploads; progress in [`Client::upload_progress`]). Safe to
    /// interrupt at any point.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let credentials = meta::credentials(self.store().conn())?.ok_or(Error::NotEnrolled)?;
        let span = tracing::info_span!("sync", device = %credentials.device_id);
        async {
            let url = format!("{}/v1/sync", credentials.server_url);
            let mut report = SyncReport::default();
            for _ in 0..MAX_ROUNDS {
                let prepared = self.prepare_round()?;
                let body = wire::encode(&prepared.request);
                let answer = self
                    .http
                    .post(
                        &url,
                        &body,
                        wire::CONTENT_TYPE,
                        Some(&credentials.token),
                        Retry::Idempotent,
                    )
                    .await?;
                let response: SyncResponse = wire::decode(&answer.body)?;
                if response.protocol != PROTOCOL_VERSION {
                    return Err(Error::UpdateRequired {
                        server: response.protocol.to_string(),
                        ours: PROTOCOL_VERSION,
                    });
                }
                let outcome = self.apply_round(&prepared, response)?;
                let again = outcome.again;
                report.add(&prepared, outcome, answer.sent, answer.body.len());
                if !again {
                    break;
                }
            }
            let blobs = self.upload_blobs(&credentials).await?;
            report.blobs_uploaded = blobs.uploaded;
            report.blob_bytes_sent = blobs.bytes_sent;
            report.blobs_pending = blobs.deferred;
            // Room on the phone; a failure here loses nothing and must not fail the sync.
            match self.free_uploaded_photos(crate::media::KEEP_UPLOADED_PHOTOS_DAYS) {
                Ok(freed) if freed.photos > 0 => {
                    tracing::info!(
                        photos = freed.photos,
                        bytes = freed.bytes,
                        "freed old photos"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not free old photos"),
            }
            tracing::info!(
                rounds = report.rounds,
                uploaded = report.uploaded_changes,
                downloaded = report.downloaded_docs,
                rejected = report.rejected.len(),
                blobs = report.blobs_uploaded,
                "sync done"
            );
            Ok(report)
        }
        .instrument(span)
        .await
    }
}
