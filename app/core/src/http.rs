//! HTTP transport: protocol header, gzip bodies, bounded responses, retries with backoff.

use std::time::Duration;

use gridwalk_shared::wire::{self, ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION};
use rand::Rng;
use reqwest::{header, StatusCode};

use crate::{Error, Result, SyncOptions};

/// Longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(10);

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

/// One attempt's failure.
enum Failure {
    /// Worth another attempt.
    Transient(Error),
    /// Final.
    Fatal(Error),
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
        let attempts = self.options.attempts.max(1);
        let mut last = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.delay(attempt - 1)).await;
            }
            match self
                .once(url, &payload, gzipped, content_type, token, retry)
                .await
            {
                Ok(body) => {
                    return Ok(Answer {
                        body,
                        sent: payload.len(),
                    })
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(e)) => {
                    tracing::warn!(attempt, attempts, error = %e, "request failed");
                    last = Some(e);
                }
            }
        }
        Err(match last {
            Some(Error::Network { message, .. }) => Error::Network { attempts, message },
            Some(other) => other,
            None => Error::Network {
                attempts,
                message: "no attempt was made".into(),
            },
        })
    }

    /// The underlying client, for blob transfers (`media::transfer`).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The retry and timeout settings.
    pub fn options(&self) -> SyncOptions {
        self.options
    }

    /// Exponential backoff with a little jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(16));
        let base = self
            .options
            .base_delay
            .saturating_mul(factor)
            .min(MAX_DELAY);
        base.mul_f64(1.0 + rand::thread_rng().gen_range(0.0..0.25))
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
            .client
            .post(url)
            .timeout(self.options.timeout)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(header::CONTENT_TYPE, content_type)
            .body(payload.to_vec());
        if gzipped {
            request = request.header(header::CONTENT_ENCODING, "gzip");
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| transport(e, retry))?;
        let status = response.status();
        if let Some(error) = version_error(&response) {
            return Err(Failure::Fatal(error));
        }
        // A sync round with a refused document is a 422 whose body is still the whole CBOR
        // response (docs/protocol.md); JSON 422s (`too_many_changes`) are errors.
        let is_cbor = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(wire::CONTENT_TYPE.as_bytes()));
        let answered =
            status.is_success() || (status == StatusCode::UNPROCESSABLE_ENTITY && is_cbor);
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
        let error = error_from_body(status, &body);
        let transient = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
        if transient && retry == Retry::Idempotent {
            Err(Failure::Transient(error))
        } else {
            Err(Failure::Fatal(error))
        }
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
        Failure::Transient(network)
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
