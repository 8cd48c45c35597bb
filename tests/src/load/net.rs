//! The load generator's side of the wire: prepared sync bodies, posts that count bytes on the
//! wire (gzip handled here, not by reqwest), enrolment and paged pulls.

use anyhow::{bail, Context, Result};
use gridwalk_shared::model::{ReferenceData, User};
use gridwalk_shared::wire::{
    self, Cursor, DocDownload, EnrollRequest, EnrollResponse, SyncRequest, SyncResponse,
};
use reqwest::header;
use uuid::Uuid;

use crate::raw::request;

/// A sync request body, encoded (and gzip-compressed when large, as the client does).
#[derive(Debug, Clone)]
pub struct Body {
    /// Bytes as sent.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is gzip.
    pub gzip: bool,
    /// CBOR size before compression.
    pub cbor_len: usize,
}

/// Encodes a request as the device client does: CBOR, gzip from
/// [`wire::COMPRESS_FROM_BYTES`] on.
pub fn body(request: &SyncRequest) -> Body {
    let cbor = wire::encode(request);
    let cbor_len = cbor.len();
    if cbor_len >= wire::COMPRESS_FROM_BYTES {
        Body {
            bytes: wire::gzip(&cbor),
            gzip: true,
            cbor_len,
        }
    } else {
        Body {
            bytes: cbor,
            gzip: false,
            cbor_len,
        }
    }
}

/// A response as it came off the wire, not yet decoded.
#[derive(Debug)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// Body bytes as received (compressed if `gzip`).
    pub bytes: Vec<u8>,
    /// Whether the body is gzip.
    pub gzip: bool,
}

impl RawReply {
    /// Decodes a CBOR sync response (gunzipping first if needed).
    pub fn decode(&self) -> Result<SyncResponse> {
        if self.status != 200 && self.status != 422 {
            bail!(
                "HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            );
        }
        let plain = if self.gzip {
            wire::gunzip(&self.bytes, wire::MAX_DECODED_BYTES)?
        } else {
            self.bytes.clone()
        };
        Ok(wire::decode(&plain)?)
    }
}

/// An enrolled device: its credentials.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// Bearer token.
    pub token: String,
    /// Device id.
    pub device_id: Uuid,
    /// The user it signs in as.
    pub user: User,
}

/// What a pull from a cursor to the end brought.
#[derive(Debug, Default)]
pub struct Pulled {
    /// The cursor after the last page.
    pub cursor: Option<Cursor>,
    /// Reference data, if sent.
    pub reference: Option<ReferenceData>,
    /// Every document downloaded.
    pub docs: Vec<DocDownload>,
    /// Requests made.
    pub rounds: usize,
    /// Response bytes on the wire.
    pub wire_bytes: usize,
}

impl Pulled {
    /// The version of the reference data received (0: none).
    pub fn reference_version(&self) -> u64 {
        self.reference.as_ref().map_or(0, |r| r.version)
    }
}

/// One HTTP client for many simulated devices (a keep-alive pool on loopback).
#[derive(Clone)]
pub struct Net {
    http: reqwest::Client,
    /// Server base URL.
    pub url: String,
}

impl Net {
    /// A client for the server at `url`, keeping up to `pool` idle connections.
    pub fn new(url: &str, pool: usize) -> Result<Net> {
        let http = reqwest::Client::builder()
            .gzip(false)
            .pool_max_idle_per_host(pool)
            .timeout(std::time::Duration::from_secs(300))
            .build()?;
        Ok(Net {
            http,
            url: url.to_string(),
        })
    }

    /// Enrols a device with a one-time code.
    pub async fn enroll(&self, code: &str, name: &str) -> Result<Enrolled> {
        let res = self
            .http
            .post(format!("{}/v1/enroll", self.url))
            .json(&EnrollRequest {
                code: code.into(),
                device_name: name.into(),
                app_version: "loadgen".into(),
            })
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("enrolment failed: {} {}", res.status(), res.text().await?);
        }
        let enrolled: EnrollResponse = res.json().await?;
        Ok(Enrolled {
            token: enrolled.token,
            device_id: enrolled.device_id,
            user: enrolled.user,
        })
    }

    /// Posts a prepared body to `/v1/sync` and reads the whole answer.
    pub async fn post(&self, token: &str, body: Body) -> Result<RawReply> {
        let mut req = self
            .http
            .post(format!("{}/v1/sync", self.url))
            .header(wire::PROTOCOL_HEADER, wire::PROTOCOL_VERSION.to_string())
            .header(header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .header(header::ACCEPT_ENCODING, "gzip")
            .bearer_auth(token);
        if body.gzip {
            req = req.header(header::CONTENT_ENCODING, "gzip");
        }
        let res = req.body(body.bytes).send().await?;
        let status = res.status().as_u16();
        let gzip = res
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let bytes = res.bytes().await?.to_vec();
        Ok(RawReply {
            status,
            bytes,
            gzip,
        })
    }

    /// Syncs with no uploads from `cursor` until the server has nothing more.
    pub async fn pull(&self, token: &str, cursor: Option<Cursor>) -> Result<Pulled> {
        self.pull_holding(token, cursor, 0).await
    }

    /// [`Net::pull`] by a device that already holds reference data version `held` (as a
    /// real device says in every request, so the server sends the reference only if newer).
    pub async fn pull_holding(
        &self,
        token: &str,
        mut cursor: Option<Cursor>,
        held: u64,
    ) -> Result<Pulled> {
        let mut pulled = Pulled::default();
        loop {
            let held = pulled.reference_version().max(held);
            let reply = self
                .post(token, body(&request(Vec::new(), cursor, held)))
                .await?;
            pulled.wire_bytes += reply.bytes.len();
            let response = reply.decode().context("pull")?;
            pulled.rounds += 1;
            pulled.docs.extend(response.docs);
            pulled.reference = pulled.reference.or(response.reference);
            cursor = Some(response.cursor);
            pulled.cursor = cursor;
            if !response.more {
                return Ok(pulled);
            }
        }
    }

    /// Uploads documents in requests of at most `batch`, each one acknowledged in full, from
    /// a device holding reference data version `reference_version`; returns the cursor after
    /// the last request.
    pub async fn upload(
        &self,
        token: &str,
        mut cursor: Option<Cursor>,
        reference_version: u64,
        docs: Vec<wire::DocUpload>,
        batch: usize,
    ) -> Result<Option<Cursor>> {
        let mut docs = docs.into_iter().peekable();
        while docs.peek().is_some() {
            let chunk: Vec<_> = docs.by_ref().take(batch.max(1)).collect();
            let sent = chunk.len();
            let reply = self
                .post(token, body(&request(chunk, cursor, reference_version)))
                .await?;
            let response = reply.decode().context("upload")?;
            if reply.status != 200 || response.accepted.len() != sent {
                bail!(
                    "upload: HTTP {}, {} of {sent} accepted, first rejection: {:?}",
                    reply.status,
                    response.accepted.len(),
                    response.rejected.first().map(|r| (&r.code, &r.reason))
                );
            }
            cursor = Some(response.cursor);
        }
        Ok(cursor)
    }
}
