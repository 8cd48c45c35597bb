//! HTTP plumbing shared by blob upload and download: authenticated requests, version check,
//! and the split between failures worth another attempt and final ones.

use gridwalk_shared::wire::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};

use crate::http::{describe, error_from_body, read_limited, version_error, Http};
use crate::store::meta::Credentials;
use crate::Error;

/// Header naming the blob a response carries (a thumbnail's own hash).
pub const BLOB_HEADER: &str = "x-gridwalk-blob";
/// Header with the bytes the server holds of a blob.
pub const OFFSET_HEADER: &str = "upload-offset";
/// Header saying whether the server holds the whole blob (`1`) or part of it (`0`).
pub const COMPLETE_HEADER: &str = "upload-complete";

/// One attempt's failure.
pub(crate) enum Failure {
    /// Worth another attempt (network, timeout, 5xx).
    Transient(Error),
    /// Final.
    Fatal(Error),
}

impl Failure {
    /// The error inside.
    pub fn into_error(self) -> Error {
        match self {
            Failure::Transient(e) | Failure::Fatal(e) => e,
        }
    }
}

/// `/v1/blobs/{hash}` on the server, with `query` appended.
pub(crate) fn blob_url(credentials: &Credentials, hash: &str, query: &str) -> String {
    format!("{}/v1/blobs/{hash}{query}", credentials.server_url)
}

/// A request with the protocol header, the device token and the per-attempt timeout.
pub(crate) fn request(
    http: &Http,
    method: Method,
    url: &str,
    credentials: &Credentials,
) -> RequestBuilder {
    http.client()
        .request(method, url)
        .timeout(http.options().timeout)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .bearer_auth(&credentials.token)
}

/// Sends one attempt; transport errors are transient, another protocol version is final.
pub(crate) async fn send(request: RequestBuilder) -> Result<Response, Failure> {
    let response = request.send().await.map_err(|e| {
        if e.is_builder() {
            Failure::Fatal(Error::Usage(format!("invalid server URL: {e}")))
        } else {
            Failure::Transient(network(&e))
        }
    })?;
    match version_error(&response) {
        Some(error) => Err(Failure::Fatal(error)),
        None => Ok(response),
    }
}

/// The error of a response that was not a success; 5xx are transient.
pub(crate) async fn refusal(response: Response) -> Failure {
    let status = response.status();
    let body = read_limited(response, 64 * 1024)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let error = error_from_body(status, &body);
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        Failure::Transient(error)
    } else {
        Failure::Fatal(error)
    }
}

/// Reads a whole body of at most `limit` bytes; a cut-off body is transient.
pub(crate) async fn body(response: Response, limit: u64) -> Result<Vec<u8>, Failure> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match read_limited(response, limit).await {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(Failure::Fatal(Error::Protocol(format!(
            "blob larger than {limit} bytes"
        )))),
        Err(e) => Err(Failure::Transient(network(&e))),
    }
}

/// A header's value as a number.
pub(crate) fn header_u64(response: &Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn network(error: &reqwest::Error) -> Error {
    Error::Network {
        attempts: 1,
        message: describe(error),
    }
}

/// Runs `attempt` until it succeeds, fails for good, or `attempts` transient failures in a row.
pub(crate) async fn with_retries<T, F, Fut>(http: &Http, mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    let attempts = http.options().attempts.max(1);
    let mut last = None;
    for n in 1..=attempts {
        if n > 1 {
            tokio::time::sleep(http.delay(n - 1)).await;
        }
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transient(e)) => {
                tracing::warn!(attempt = n, attempts, error = %e, "blob request failed");
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
