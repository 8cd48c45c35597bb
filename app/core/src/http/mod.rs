//! HTTP transport: the one request stack of the device (sync, enrolment, blobs, the live
//! stream): protocol header, device token, per-attempt timeout, gzip bodies, bounded
//! responses, and one retry policy ([`retry`]).

mod retry;

use std::time::Duration;

use gridwalk_shared::wire::{self, ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};

pub(crate) use retry::{status_failure, with_retries, Backoff, Failure};

use crate::{Error, Result, SyncOptions};

/// Whether a request may be sent again after a failure that might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Safe to repeat (sync): retry connect errors, timeouts and 5xx.
    Idempotent,
    /// Not safe to repeat (enrolment uses up a code): retry only when nothing was sent.
    ConnectOnly,
}

/// A successful answer.
pub(crate) struct Answer {
    /// Response body (decompressed).
    pub body: Vec<u8>,
    /// Bytes of the request body on the wire.
    pub sent: usize,
}

/// The HTTP client with its retry settings.
pub(crate) struct Http {
    client: reqwest::Client,
    options: SyncOptions,
}

impl Http {
    /// A client with `options`.
    pub fn new(options: SyncOptions) -> Result<Http> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("gridwalk/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeout)
            .build()
            .map_err(|e| Error::Network {
                attempts: 0,
                message: format!("cannot start the HTTP client: {e}"),
            })?;
        Ok(Http { client, options })
    }

    /// POSTs `body` to `url`, retrying as `retry` allows; bodies of at least
    /// [`wire::COMPRESS_FROM_BYTES`] are sent gzip-compressed.
    pub async fn post(
        &self,
        url: &str,
        body: &[u8],
        content_type: &str,
        token: Option<&str>,
        retry: Retry,
    ) -> Result<Answer> {
        let gzipped = body.len() >= wire::COMPRESS_FROM_BYTES;
        let payload = if gzipped {
            wire::gzip(body)
        } else {
            body.to_vec()
        };
        let what = if retry == Retry::Idempotent {
            "sync"
        } else {
            "enrolment"
        };
        let body = with_retries(self.options, what, || {
            self.once(url, &payload, gzipped, content_type, token, retry)
        })
        .await?;
        Ok(Answer {
            body,
            sent: payload.len(),
        })
    }

    /// The retry and timeout settings.
    pub fn options(&self) -> SyncOptions {
        self.options
    }

    /// A plain GET to another server (an online basemap): no protocol header, no token.
    pub fn external_get(&self, url: &str, timeout: Duration) -> RequestBuilder {
        self.client.get(url).timeout(timeout)
    }

    /// A request with the protocol header, the device token (if any) and `timeout` (the
    /// per-attempt one when `None`).
    pub fn request(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        timeout: Option<Duration>,
    ) -> RequestBuilder {
        let request = self
            .client
            .request(method, url)
            .timeout(timeout.unwrap_or(self.options.timeout))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends one attempt: transport errors are transient when the request may be repeated
    /// (or nothing was sent), another protocol version is final.
    pub async fn send(&self, request: RequestBuilder, retry: Retry) -> Result<Response, Failure> {
        let response = request.send().await.map_err(|e| transport(e, retry))?;
        match version_error(&response) {
            Some(error) => Err(Failure::Fatal(error)),
            None => Ok(response),
        }
    }

    async fn once(
        &self,
        url: &str,
        payload: &[u8],
        gzipped: bool,
        content_type: &str,
        token: Option<&str>,
        retry: Retry,
    ) -> Result<Vec<u8>, Failure> {
        let mut request = self
            .request(Method::POST, url, token, None)
            .header(header::CONTENT_TYPE, content_type)
            .body(payload.to_vec());
        if gzipped {
            request = request.header(header::CONTENT_ENCODING, "gzip");
        }
        let response = self.send(request, retry).await?;
        let status = response.status();
        // A sync round with a refused document is a 422 whose body is still the whole CBOR
        // response (docs/protocol.md); JSON 422s (`too_many_changes`) are errors.
        let is_cbor = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(wire::CONTENT_TYPE.as_bytes()));
        let answered =
            status.is_success() || (status == StatusCode::UNPROCESSABLE_ENTITY && is_cbor);
        let headers = response.headers().clone();
        let body = read_limited(response, wire::MAX_DECODED_BYTES)
            .await
            .map_err(|e| transport(e, retry))?
            .ok_or_else(|| {
                Failure::Fatal(Error::Protocol(format!(
                    "response larger than {} bytes",
                    wire::MAX_DECODED_BYTES
                )))
            })?;
        if answered {
            return Ok(body);
        }
        Err(status_failure(
            status,
            &headers,
            &body,
            retry == Retry::Idempotent,
        ))
    }
}

/// `UpdateRequired` when the response says it speaks another protocol version.
pub(crate) fn version_error(response: &reqwest::Response) -> Option<Error> {
    let version = response
        .headers()
        .get(PROTOCOL_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    let ours = PROTOCOL_VERSION.to_string();
    let other = version.as_ref().is_some_and(|v| *v != ours);
    (response.status() == StatusCode::UPGRADE_REQUIRED || other).then(|| Error::UpdateRequired {
        server: version.unwrap_or_else(|| "unknown".into()),
        ours: PROTOCOL_VERSION,
    })
}

/// Reads the body; `None` if it is longer than `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if out.len() + chunk.len() > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn transport(error: reqwest::Error, retry: Retry) -> Failure {
    if error.is_builder() {
        return Failure::Fatal(Error::Usage(format!("invalid server URL: {error}")));
    }
    let message = describe(&error);
    let network = Error::Network {
        attempts: 1,
        message,
    };
    if retry == Retry::Idempotent || error.is_connect() {
        Failure::transient(network)
    } else {
        Failure::Fatal(network)
    }
}

/// The error with its causes, e.g. "error sending request: connection refused".
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The server's `{code, message}` body, or a stand-in when it sent something else.
pub(crate) fn error_from_body(status: StatusCode, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => (e.code, e.message),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(200).collect();
            (format!("http_{}", status.as_u16()), text)
        }
    };
    Error::Server {
        status: status.as_u16(),
        code,
        message,
    }
}
