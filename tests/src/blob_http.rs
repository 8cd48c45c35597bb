//! Raw blob requests (`HEAD`/`PUT`/`GET /v1/blobs/{sha256}`) for tests that need to send
//! what no honest client sends.

use anyhow::Result;
use gridwalk_shared::wire;

use crate::raw::RawDevice;

/// A blob answer as seen on the wire.
pub struct BlobReply {
    /// HTTP status.
    pub status: u16,
    /// `Upload-Offset`, when present.
    pub offset: Option<u64>,
    /// `Upload-Complete: 1`.
    pub complete: bool,
    /// Error `code` of a JSON error body, if any.
    pub code: Option<String>,
    /// `Connection: close`: the server will not take another request on this connection.
    pub closes: bool,
    /// The body.
    pub body: Vec<u8>,
}

async fn reply(res: reqwest::Response) -> Result<BlobReply> {
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let offset = header("upload-offset").and_then(|v| v.parse().ok());
    let complete = header("upload-complete").as_deref() == Some("1");
    let closes = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = res.bytes().await?.to_vec();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("code")?.as_str().map(str::to_string));
    Ok(BlobReply {
        status,
        offset,
        complete,
        code,
        closes,
        body,
    })
}

impl RawDevice {
    fn blob_request(
        &self,
        method: reqwest::Method,
        hash: &str,
        query: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/v1/blobs/{hash}{query}", self.url))
            .header(wire::PROTOCOL_HEADER, wire::PROTOCOL_VERSION.to_string())
            .bearer_auth(&self.token)
    }

    /// `HEAD /v1/blobs/{hash}`.
    pub async fn head_blob(&self, hash: &str) -> Result<BlobReply> {
        reply(
            self.blob_request(reqwest::Method::HEAD, hash, "")
                .send()
                .await?,
        )
        .await
    }

    /// `PUT /v1/blobs/{hash}` of `bytes` as the piece at `start` of a `total`-byte blob.
    pub async fn put_blob(
        &self,
        hash: &str,
        bytes: &[u8],
        start: u64,
        total: u64,
    ) -> Result<BlobReply> {
        self.put_blob_with(hash, "", bytes, start, total).await
    }

    /// A whole blob uploaded as the thumbnail of `photo`.
    pub async fn put_thumbnail(&self, hash: &str, photo: &str, bytes: &[u8]) -> Result<BlobReply> {
        let query = format!("?thumbnail_of={photo}");
        let size = bytes.len() as u64;
        self.put_blob_with(hash, &query, bytes, 0, size).await
    }

    async fn put_blob_with(
        &self,
        hash: &str,
        query: &str,
        bytes: &[u8],
        start: u64,
        total: u64,
    ) -> Result<BlobReply> {
        let end = start + bytes.len() as u64 - 1;
        let res = self
            .blob_request(reqwest::Method::PUT, hash, query)
            .header("content-range", format!("bytes {start}-{end}/{total}"))
            .body(bytes.to_vec())
            .send()
            .await?;
        reply(res).await
    }

    /// `GET /v1/blobs/{hash}` (`?thumbnail=1` with `thumbnail`).
    pub async fn get_blob(&self, hash: &str, thumbnail: bool) -> Result<BlobReply> {
        let query = if thumbnail { "?thumbnail=1" } else { "" };
        reply(
            self.blob_request(reqwest::Method::GET, hash, query)
                .send()
                .await?,
        )
        .await
    }

    /// `GET /v1/blobs/{hash}` with `Range: bytes={range}`.
    pub async fn get_blob_range(&self, hash: &str, range: &str) -> Result<BlobReply> {
        reply(
            self.blob_request(reqwest::Method::GET, hash, "")
                .header("range", format!("bytes={range}"))
                .send()
                .await?,
        )
        .await
    }
}
