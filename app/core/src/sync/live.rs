//! Listening for the server's live nudges (`GET /v1/events`, server-sent events): the hall
//! tablet syncs as soon as something in its community changes instead of on its next timer.
//! Optional: a phone without it still syncs on its timers, and any failure just means
//! "listen again later". The stream goes through the device's one HTTP stack (protocol header,
//! token, version check); it is not retried here: the caller listens again.

use std::time::Duration;

use crate::http::{Failure, Retry};
use crate::store::meta;
use crate::{Client, Error, Result};

fn network(message: String) -> Error {
    Error::Network {
        attempts: 1,
        message,
    }
}

impl Client {
    /// Waits until the server says something this device sees changed (`Ok(true)`), or
    /// `within` passes quietly (`Ok(false)`). An error means the stream could not be opened
    /// or broke (offline, not enrolled, an older server): try again later.
    pub async fn wait_for_change(&self, within: Duration) -> Result<bool> {
        let credentials = meta::credentials(self.store().conn())?.ok_or(Error::NotEnrolled)?;
        let url = format!("{}/v1/events", credentials.server_url);
        let listen = async {
            let request = self.http.request(
                reqwest::Method::GET,
                &url,
                Some(&credentials.token),
                Some(within + Duration::from_secs(5)),
            );
            let mut response = self
                .http
                .send(request, Retry::Idempotent)
                .await
                .map_err(Failure::into_error)?;
            if !response.status().is_success() {
                let status = response.status();
                let body = response.bytes().await.unwrap_or_default();
                return Err(crate::http::error_from_body(status, &body));
            }
            // Keep only the tail: a line never spans more than a few bytes here.
            let mut seen = String::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| network(crate::http::describe(&e)))?
            {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains("data: changed") {
                    return Ok(true);
                }
                if seen.len() > 4096 {
                    seen = seen.split_off(seen.len() - 64);
                }
            }
            Err(network("the live stream ended".into()))
        };
        match tokio::time::timeout(within, listen).await {
            Ok(result) => result,
            Err(_) => Ok(false),
        }
    }
}
