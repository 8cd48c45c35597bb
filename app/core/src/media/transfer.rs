//! Blob requests on the device's one HTTP stack ([`crate::http`]): the blob URL, the
//! resumable-upload headers, bounded bodies.

use reqwest::{Method, RequestBuilder, Response};

pub(crate) use crate::http::Failure;
use crate::http::{describe, read_limited, status_failure, Http, Retry};
use crate::store::meta::Credentials;
use crate::Error;

/// Header naming the blob a response carries (a thumbnail's own hash).
pub const BLOB_HEADER: &str = "x-gridwalk-blob";
/// Header with the bytes the server holds of a blob.
pub const OFFSET_HEADER: &str = "upload-offset";
/// Header saying whether the server holds the whole blob (`1`) or part of it (`0`).
pub const COMPLETE_HEADER: &str = "upload-complete";

/// `/v1/blobs/{hash}` on the server, with `query` appended.
pub(crate) fn blob_url(credentials: &Credentials, hash: &str, query: &str) -> String {
    format!("{}/v1/blobs/{hash}{query}", credentials.server_url)
}

/// A blob request with the protocol header, the device token and the per-attempt timeout.
pub(crate) fn request(
    http: &Http,
    method: Method,
    url: &str,
    credentials: &Credentials,
) -> RequestBuilder {
    http.request(method, url, Some(&credentials.token), None)
}

/// Sends one attempt (blob requests may always be repeated).
pub(crate) async fn send(http: &Http, request: RequestBuilder) -> Result<Response, Failure> {
    http.send(request, Retry::Idempotent).await
}

/// The failure of a response that was not a success: 5xx and 429 are transient, after the
/// server's `Retry-After` if it sent one.
pub(crate) async fn refusal(response: Response) -> Failure {
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_limited(response, 64 * 1024)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    status_failure(status, &headers, &body, true)
}

/// Reads a whole body of at most `limit` bytes; a cut-off body is transient.
pub(crate) async fn body(response: Response, limit: u64) -> Result<Vec<u8>, Failure> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match read_limited(response, limit).await {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(Failure::Fatal(Error::Protocol(format!(
            "blob larger than {limit} bytes"
        )))),
        Err(e) => Err(Failure::transient(network(&e))),
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
