//! One retry policy for every request the device makes (sync, enrolment, blobs): a failure
//! worth another attempt is tried again after an exponential backoff with jitter — or, when
//! the server said how long to wait (`Retry-After`, on 429 and 503), after that (capped) plus
//! a little jitter, so a crowd of phones refused together does not come back together.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use super::error_from_body;
use crate::{Error, Result, SyncOptions};

/// Longest wait of our own backoff between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(10);
/// Longest wait a server's `Retry-After` may ask of the device.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// One attempt's failure.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth another attempt; `after`: how long the server asked us to wait.
    Transient {
        /// What went wrong.
        error: Error,
        /// The server's `Retry-After`.
        after: Option<Duration>,
    },
    /// Final.
    Fatal(Error),
}

impl Failure {
    /// A transient failure without a server-given wait.
    pub fn transient(error: Error) -> Failure {
        Failure::Transient { error, after: None }
    }

    /// The error inside.
    pub fn into_error(self) -> Error {
        match self {
            Failure::Transient { error, .. } | Failure::Fatal(error) => error,
        }
    }
}

/// The server's `Retry-After`, in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The failure an answer with `status` (not a success) stands for: 429 is always worth
/// another attempt (the server did nothing), 5xx only when the request may be repeated.
pub(crate) fn status_failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    repeatable: bool,
) -> Failure {
    let error = error_from_body(status, body);
    let transient =
        status == StatusCode::TOO_MANY_REQUESTS || (repeatable && status.is_server_error());
    if transient {
        Failure::Transient {
            error,
            after: retry_after(headers),
        }
    } else {
        Failure::Fatal(error)
    }
}

/// The wait before the next attempt after `failures` transient failures in a row.
pub(crate) fn delay(options: &SyncOptions, failures: u32, after: Option<Duration>) -> Duration {
    let mut rng = rand::thread_rng();
    match after {
        Some(after) => {
            let spread = options.base_delay.min(MAX_DELAY);
            after.min(MAX_RETRY_AFTER) + spread.mul_f64(rng.gen_range(0.0..1.0))
        }
        None => {
            let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
            let base = options.base_delay.saturating_mul(factor).min(MAX_DELAY);
            base.mul_f64(1.0 + rng.gen_range(0.0..0.25))
        }
    }
}

/// Counts transient failures in a row and waits between attempts.
pub(crate) struct Backoff {
    options: SyncOptions,
    failures: u32,
    what: &'static str,
}

impl Backoff {
    /// A fresh count for requests of `what` (named in the log).
    pub fn new(options: SyncOptions, what: &'static str) -> Backoff {
        Backoff {
            options,
            failures: 0,
            what,
        }
    }

    /// After a failed attempt: `Ok(())` once it is time to try again, or the error to give
    /// up with (a final failure, or the attempts are used up).
    pub async fn retry(&mut self, failure: Failure) -> Result<()> {
        let attempts = self.options.attempts.max(1);
        let (error, after) = match failure {
            Failure::Fatal(error) => return Err(error),
            Failure::Transient { error, after } => (error, after),
        };
        self.failures += 1;
        tracing::warn!(what = self.what, failures = self.failures, attempts, error = %error, "request failed");
        if self.failures >= attempts {
            return Err(match error {
                Error::Network { message, .. } => Error::Network { attempts, message },
                other => other,
            });
        }
        tokio::time::sleep(delay(&self.options, self.failures, after)).await;
        Ok(())
    }

    /// The last attempt made progress: the count starts again.
    pub fn progressed(&mut self) {
        self.failures = 0;
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the attempts are used up.
pub(crate) async fn with_retries<T, F, Fut>(
    options: SyncOptions,
    what: &'static str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
{
    let mut backoff = Backoff::new(options, what);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) => backoff.retry(failure).await?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SyncOptions {
        SyncOptions {
            attempts: 4,
            base_delay: Duration::from_millis(100),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let options = options();
        for (failures, base) in [(1, 100), (2, 200), (3, 400), (20, 10_000)] {
            let wait = delay(&options, failures, None);
            let base = Duration::from_millis(base);
            assert!(
                wait >= base && wait <= base.mul_f64(1.25),
                "{failures}: {wait:?}"
            );
        }
        let waits: std::collections::BTreeSet<_> =
            (0..20).map(|_| delay(&options, 3, None)).collect();
        assert!(waits.len() > 1, "no jitter: {waits:?}");
    }

    #[test]
    fn a_servers_retry_after_is_honoured_capped_and_spread() {
        let options = options();
        let wait = delay(&options, 1, Some(Duration::from_secs(3)));
        assert!(wait >= Duration::from_secs(3) && wait < Duration::from_millis(3_100));
        let wait = delay(&options, 1, Some(Duration::from_secs(3_600)));
        assert!(wait >= MAX_RETRY_AFTER && wait < MAX_RETRY_AFTER + Duration::from_millis(100));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn only_429_and_repeatable_5xx_are_worth_another_attempt() {
        let headers = HeaderMap::new();
        let transient = |status: u16, repeatable: bool| {
            let status = StatusCode::from_u16(status).unwrap();
            matches!(
                status_failure(status, &headers, b"", repeatable),
                Failure::Transient { .. }
            )
        };
        assert!(transient(429, false) && transient(429, true));
        assert!(transient(503, true) && !transient(503, false));
        assert!(!transient(400, true) && !transient(403, true) && !transient(409, true));
    }
}
