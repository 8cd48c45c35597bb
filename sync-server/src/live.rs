//! Live nudges over server-sent events: `GET /v1/events` for devices (Bearer) and
//! `GET /api/events` for the admin web (session). After every commit the server announces
//! which scopes and departments changed; each stream passes on only what its caller may see,
//! as a bare `changed` message — the client then syncs or reloads as it always does. SSE is an
//! optimisation: phones keep their timers, and a missed nudge costs only latency. Streams are
//! bounded (503 `too_many_streams` past the cap).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;
pub use crate::store::Changed;

/// Open streams allowed by default.
pub const DEFAULT_MAX_STREAMS: usize = 512;

/// The announcer and the cap on open streams.
pub struct Live {
    tx: broadcast::Sender<Arc<Changed>>,
    streams: Arc<Semaphore>,
    max_streams: usize,
}

impl Default for Live {
    fn default() -> Self {
        Live::new(DEFAULT_MAX_STREAMS)
    }
}

impl Live {
    /// An announcer allowing `max_streams` open streams.
    pub fn new(max_streams: usize) -> Live {
        let (tx, _) = broadcast::channel(256);
        Live {
            tx,
            streams: Arc::new(Semaphore::new(max_streams)),
            max_streams,
        }
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.max_streams
            .saturating_sub(self.streams.available_permits())
    }

    /// Announces a commit (nobody listening is fine).
    pub fn notify(&self, changed: Changed) {
        if !changed.scopes.is_empty() {
            let _ = self.tx.send(Arc::new(changed));
        }
    }

    /// A stream of nudges for a caller who sees what `sees` accepts.
    pub fn stream(
        &self,
        sees: impl Fn(&Changed) -> bool + Send + 'static,
    ) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
        let permit = self.streams.clone().try_acquire_owned().map_err(|_| {
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_streams",
                "too many live streams are open; sync on your timer instead",
            )
        })?;
        let state = (self.tx.subscribe(), permit, sees);
        let nudges = stream::unfold(
            state,
            |(mut rx, permit, sees): (_, OwnedSemaphorePermit, _)| async move {
                loop {
                    match rx.recv().await {
                        Ok(changed) if sees(&changed) => {
                            return Some((Ok(Event::default().data("changed")), (rx, permit, sees)))
                        }
                        Ok(_) => {}
                        // Fell behind: say something changed, the client reloads anyway.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            return Some((Ok(Event::default().data("changed")), (rx, permit, sees)))
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        Ok(Sse::new(nudges).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_are_capped() {
        let live = Live::new(1);
        let first = live.stream(|_| true);
        assert!(first.is_ok());
        let second = live.stream(|_| true).err().map(|e| e.code);
        assert_eq!(second, Some("too_many_streams"));
        drop(first);
        assert!(
            live.stream(|_| true).is_ok(),
            "a closed stream frees its place"
        );
    }
}
