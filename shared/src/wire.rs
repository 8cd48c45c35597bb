//! Sync wire format (DESIGN §4): CBOR bodies, optionally gzip-compressed, one `POST /v1/sync`
//! per sync round. Frozen per [`PROTOCOL_VERSION`]; golden fixtures live in `tests/fixtures/`.

use std::io::Read;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::model::{RecordKind, ReferenceData, User};

/// Version of the sync protocol; both sides send it and refuse another.
pub const PROTOCOL_VERSION: u32 = 1;
/// Header carrying the protocol version on every request and response.
pub const PROTOCOL_HEADER: &str = "x-gridwalk-protocol";
/// Content type of sync bodies.
pub const CONTENT_TYPE: &str = "application/cbor";
/// Largest sync body accepted on the wire (compressed or not).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Largest sync body accepted after decompression.
pub const MAX_DECODED_BYTES: usize = 32 * 1024 * 1024;
/// Most documents one sync request may carry.
pub const MAX_DOCS_PER_REQUEST: usize = 2000;
/// Most changes one sync request may carry.
pub const MAX_CHANGES_PER_REQUEST: usize = 20_000;
/// Bodies at least this large are worth compressing.
pub const COMPRESS_FROM_BYTES: usize = 1024;

/// A body could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Not CBOR, or not the expected shape.
    #[error("malformed body: {0}")]
    Malformed(String),
    /// Larger than allowed.
    #[error("body is larger than {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A gzip stream that does not decompress.
    #[error("body is not valid gzip: {0}")]
    BadCompression(String),
}

/// A device's position in the server's change log. Opaque to devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The server store's epoch; a different epoch means the server was restored.
    pub epoch: Uuid,
    /// Highest change-log sequence the device has received.
    pub seq: u64,
    /// While a fresh device receives snapshots: the last document sent.
    pub snapshot_after: Option<Uuid>,
}

/// New changes to one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocUpload {
    /// Document (record) id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Org unit the record belongs to.
    pub scope: Uuid,
    /// Raw Automerge changes, in the order they were made.
    pub changes: Vec<ByteBuf>,
}

/// `POST /v1/sync` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Where the device is in the change log; `None` for a fresh device.
    pub cursor: Option<Cursor>,
    /// Version of the reference data the device holds (0: none).
    pub reference_version: u64,
    /// Documents with changes to upload.
    pub docs: Vec<DocUpload>,
    /// Documents the device could not complete (missing dependencies): send them whole.
    #[serde(default)]
    pub want_full: Vec<Uuid>,
    /// Unsent changes the device holds, this request's included (shown in the admin web's
    /// device list); absent from older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// The app's version now (it may have been updated since enrolment); absent from older
    /// clients. At most [`MAX_APP_VERSION_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
}

/// Longest app version a device may report (enrolment and sync).
pub const MAX_APP_VERSION_CHARS: usize = 50;

/// A document refused whole, with the server's copy for the device to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// Document id.
    pub doc_id: Uuid,
    /// Stable code, e.g. `out_of_scope`, `illegal_transition`, `invalid_record`.
    pub code: String,
    /// Readable reason.
    pub reason: String,
    /// The server's current document (`None`: the server has none or the caller may not see it).
    pub server_copy: Option<ByteBuf>,
}

/// Changes (or a snapshot) of one document for the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocDownload {
    /// Document id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Org unit the record belongs to.
    pub scope: Uuid,
    /// A saved document and/or concatenated changes; apply with `load_incremental`.
    pub data: ByteBuf,
}

/// `POST /v1/sync` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Documents whose uploaded changes are stored.
    pub accepted: Vec<Uuid>,
    /// Documents refused whole.
    pub rejected: Vec<Rejection>,
    /// One page of documents changed in the device's scope since its cursor.
    pub docs: Vec<DocDownload>,
    /// The cursor to send next time.
    pub cursor: Cursor,
    /// More pages wait: sync again at once.
    pub more: bool,
    /// Newer reference data, when the device's is out of date.
    pub reference: Option<ReferenceData>,
}

/// `POST /v1/enroll` request body (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// One-time enrolment code.
    pub code: String,
    /// Device name shown to admins.
    pub device_name: String,
    /// App version.
    pub app_version: String,
}

/// `POST /v1/enroll` response body (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The new device's id.
    pub device_id: Uuid,
    /// Bearer token; shown once, stored only as a hash on the server.
    pub token: String,
    /// The user the device signs in as.
    pub user: User,
}

/// Error body of every failed request (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: String,
    /// Readable message.
    pub message: String,
}

/// Encodes a body as CBOR.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail and our types always serialise.
    ciborium::into_writer(value, &mut out).expect("CBOR encoding into memory");
    out
}

/// Decodes a CBOR body.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    if bytes.len() > MAX_DECODED_BYTES {
        return Err(WireError::TooLarge {
            limit: MAX_DECODED_BYTES,
        });
    }
    ciborium::from_reader(bytes).map_err(|e| WireError::Malformed(e.to_string()))
}

/// gzip-compresses a body.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

/// Decompresses a gzip body, refusing output over `limit` bytes (decompression bombs).
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| WireError::BadCompression(e.to_string()))?;
    if out.len() > limit {
        return Err(WireError::TooLarge { limit });
    }
    Ok(out)
}
