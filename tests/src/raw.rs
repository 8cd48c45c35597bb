//! A device that speaks the sync protocol directly, for bad-input tests and the load generator.

use anyhow::{bail, Context, Result};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Record, ReferenceData, User, Visit};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::wire::{
    self, Cursor, DocUpload, EnrollRequest, EnrollResponse, Rejection, SyncRequest, SyncResponse,
};
use serde_bytes::ByteBuf;
use uuid::Uuid;

/// An enrolled device without a local store.
#[derive(Clone)]
pub struct RawDevice {
    /// HTTP client.
    pub http: reqwest::Client,
    /// Server base URL.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// Device id.
    pub device_id: Uuid,
    /// Signed-in user.
    pub user: User,
}

/// A sync response as seen on the wire.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Decoded body, when it was a sync response.
    pub body: Option<SyncResponse>,
    /// Raw body (JSON error text, or CBOR).
    pub raw: Vec<u8>,
    /// Bytes of the body on the wire (compressed size when compressed).
    pub wire_bytes: usize,
    /// The `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

impl Reply {
    /// The JSON error body's `code`, if any.
    pub fn error_code(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.raw).ok()?;
        Some(v.get("code")?.as_str()?.to_string())
    }
}

impl RawDevice {
    /// Enrols with a one-time code.
    pub async fn enroll(url: &str, code: &str) -> Result<RawDevice> {
        let http = reqwest::Client::builder().gzip(true).build()?;
        let res = http
            .post(format!("{url}/v1/enroll"))
            .json(&EnrollRequest {
                code: code.into(),
                device_name: "raw test device".into(),
                app_version: "test".into(),
            })
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("enrol failed: {} {}", res.status(), res.text().await?);
        }
        let enrolled: EnrollResponse = res.json().await?;
        Ok(RawDevice {
            http,
            url: url.to_string(),
            token: enrolled.token,
            device_id: enrolled.device_id,
            user: enrolled.user,
        })
    }

    /// Posts raw bytes to `/v1/sync` with this device's token.
    pub async fn post(&self, body: Vec<u8>, gzip: bool) -> Result<Reply> {
        self.post_with(body, gzip, &self.token, wire::PROTOCOL_VERSION)
            .await
    }

    /// Posts raw bytes with an explicit token and protocol header.
    pub async fn post_with(
        &self,
        body: Vec<u8>,
        gzip: bool,
        token: &str,
        protocol: u32,
    ) -> Result<Reply> {
        let mut req = self
            .http
            .post(format!("{}/v1/sync", self.url))
            .header(wire::PROTOCOL_HEADER, protocol.to_string())
            .header("content-type", wire::CONTENT_TYPE)
            .bearer_auth(token);
        if gzip {
            req = req.header("content-encoding", "gzip");
        }
        let res = req.body(body).send().await?;
        let status = res.status().as_u16();
        let wire_bytes = res.content_length().unwrap_or(0) as usize;
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let cbor = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes() == wire::CONTENT_TYPE.as_bytes());
        let raw = res.bytes().await?.to_vec();
        let body = if cbor {
            Some(wire::decode(&raw)?)
        } else {
            None
        };
        Ok(Reply {
            status,
            body,
            raw,
            wire_bytes,
            retry_after,
        })
    }

    /// Sends a sync request (gzip when large) and returns the reply.
    pub async fn sync(&self, request: &SyncRequest) -> Result<Reply> {
        let body = wire::encode(request);
        if body.len() >= wire::COMPRESS_FROM_BYTES {
            self.post(wire::gzip(&body), true).await
        } else {
            self.post(body, false).await
        }
    }

    /// Uploads a finished-enough visit to `household` with `notes` referencing `photos` (whose
    /// bytes it never sends), and checks the server accepted it.
    pub async fn upload_visit(
        &self,
        household: Uuid,
        notes: &str,
        photos: Vec<String>,
    ) -> Result<()> {
        if let Some(refused) = self.send_visit(household, notes, photos).await? {
            bail!("the visit was refused: {refused:?}");
        }
        Ok(())
    }

    /// As [`RawDevice::upload_visit`], answering with the server's refusal, if any.
    pub async fn send_visit(
        &self,
        household: Uuid,
        notes: &str,
        photos: Vec<String>,
    ) -> Result<Option<Rejection>> {
        let visit = Record::Visit(Visit {
            id: new_id(),
            grid_id: self.user.scope_id,
            household_id: household,
            worker_id: self.user.id,
            started_at: Timestamp::from(chrono::Utc::now()),
            ended_at: None,
            location: None,
            template_id: None,
            template_version: None,
            answers: Default::default(),
            notes: notes.into(),
            photos,
            audio: Vec::new(),
            follow_up: false,
            campaign: None,
        });
        let reply = self.sync(&request(vec![upload(&visit)], None, 0)).await?;
        let body = reply.body.context("the visit's sync had no answer body")?;
        Ok(body.rejected.into_iter().next())
    }

    /// Pulls until done from `cursor`; returns the last response's cursor, the reference data
    /// and every document downloaded.
    pub async fn pull(
        &self,
        mut cursor: Option<Cursor>,
    ) -> Result<(Cursor, Option<ReferenceData>, usize)> {
        let mut reference = None;
        let mut docs = 0;
        loop {
            let reply = self.sync(&request(Vec::new(), cursor, 0)).await?;
            let body = reply.body.context("sync answered without a body")?;
            docs += body.docs.len();
            reference = reference.or(body.reference);
            cursor = Some(body.cursor);
            if !body.more {
                return Ok((body.cursor, reference, docs));
            }
        }
    }
}

/// A sync request.
pub fn request(
    docs: Vec<DocUpload>,
    cursor: Option<Cursor>,
    reference_version: u64,
) -> SyncRequest {
    SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor,
        reference_version,
        docs,
        want_full: Vec::new(),
        pending: None,
        app_version: None,
    }
}

/// A new document for `record`, as an upload of all its changes.
pub fn upload(record: &Record) -> DocUpload {
    let mut document = doc::create(record).expect("record maps to a document");
    DocUpload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        changes: document
            .get_changes(&[])
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    }
}
