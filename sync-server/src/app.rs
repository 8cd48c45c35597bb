//! The router and its shared state; `app(state)` is what tests and `serve` both run.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::admin::AdminConfig;
use crate::blobs::Blobs;
use crate::error::AppError;
use crate::http_limits::{self, HttpLimits};
use crate::metrics::Metrics;
use crate::routes;
use crate::store::{ServerStore, Store};
use crate::sync::{CheckSlots, DocLocks, PageLimits, RoundLimit};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState<S: Store> {
    /// Storage.
    pub store: S,
    /// Per-document upload locks.
    pub locks: Arc<DocLocks>,
    /// How many rounds' uploads are checked at once.
    pub checks: Arc<CheckSlots>,
    /// Sync rounds per device.
    pub rounds: Arc<RoundLimit>,
    /// Download page sizes.
    pub limits: PageLimits,
    /// Admin web and API settings.
    pub admin: Arc<AdminConfig>,
    /// Blob storage (photos, audio); `None`: blob routes answer 503.
    pub blobs: Option<Blobs>,
    /// Live nudges (SSE).
    pub live: Arc<crate::live::Live>,
    /// How often the server looks for overdue items to urge (督办).
    pub overdue_every: std::time::Duration,
    /// Timeouts and the connection cap.
    pub http: HttpLimits,
    /// The node's counters for `GET /metrics`.
    pub metrics: Arc<Metrics>,
    /// Bearer token `GET /metrics` asks for; `None`: open (block it at the proxy).
    pub metrics_token: Option<Arc<str>>,
}

impl<S: Store> AppState<S> {
    /// State over `store` with default limits.
    pub fn new(store: S) -> Self {
        Self {
            store,
            locks: Arc::new(DocLocks::default()),
            checks: Arc::new(CheckSlots::default()),
            rounds: Arc::new(RoundLimit::default()),
            limits: PageLimits::default(),
            admin: Arc::new(AdminConfig::default()),
            blobs: None,
            live: Arc::new(crate::live::Live::default()),
            overdue_every: std::time::Duration::from_secs(60),
            http: HttpLimits::default(),
            metrics: Arc::new(Metrics::default()),
            metrics_token: None,
        }
    }

    /// The same state, storing blobs in `blobs`.
    pub fn with_blobs(self, blobs: Blobs) -> Self {
        Self {
            blobs: Some(blobs),
            ..self
        }
    }
}

async fn stamp_protocol(mut response: Response) -> Response {
    response.headers_mut().insert(
        gridwalk_shared::wire::PROTOCOL_HEADER,
        HeaderValue::from(gridwalk_shared::wire::PROTOCOL_VERSION),
    );
    response
}

/// The 408 of the request timeout, with the error body every other refusal has.
async fn explain_timeout(response: Response) -> Response {
    if response.status() != StatusCode::REQUEST_TIMEOUT
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    AppError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request took too long (its body came too slowly); send it again",
    )
    .into_response()
}

/// The server's routes.
pub fn app<S: ServerStore>(state: AppState<S>) -> Router {
    let request_timeout = state.http.request_timeout;
    Router::new()
        .route("/health", get(routes::health::health::<S>))
        .route("/ready", get(routes::metrics::ready::<S>))
        .route("/metrics", get(routes::metrics::metrics::<S>))
        .route("/v1/events", get(routes::events::events::<S>))
        .route(
            "/v1/enroll",
            post(routes::enroll::enroll::<S>).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route(
            "/v1/sync",
            post(routes::sync::sync::<S>)
                .layer(DefaultBodyLimit::max(gridwalk_shared::wire::MAX_BODY_BYTES)),
        )
        .route(
            "/v1/blobs/{sha256}",
            get(routes::blobs::get::<S>)
                .head(routes::blobs::head::<S>)
                .put(routes::blobs::put::<S>)
                .layer(DefaultBodyLimit::disable()),
        )
        .merge(crate::admin::router())
        .merge(crate::open311::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::map_response(explain_timeout))
        .layer(axum::middleware::map_response(stamp_protocol))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `app` on `listener` within `state.http` until `shutdown` resolves.
pub async fn serve<S: ServerStore>(
    listener: tokio::net::TcpListener,
    state: AppState<S>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let reminders = tokio::spawn(crate::sync::run_overdue_reminders(
        state.store.clone(),
        state.locks.clone(),
        state.live.clone(),
        state.overdue_every,
    ));
    let _stop_reminders = AbortOnDrop(reminders);
    let _stop_relay = state
        .store
        .commits_elsewhere()
        .map(|commits| AbortOnDrop(tokio::spawn(relay(commits, state.live.clone()))));
    let limits = state.http;
    http_limits::serve(listener, app(state), limits, shutdown).await
}

/// Passes on to this node's live streams what other nodes commit.
async fn relay(
    mut commits: tokio::sync::broadcast::Receiver<crate::live::Changed>,
    live: Arc<crate::live::Live>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match commits.recv().await {
            Ok(changed) => live.notify(changed),
            // A missed nudge costs only latency: phones keep their timers.
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "live nudges from other nodes were dropped")
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Stops a background task when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
