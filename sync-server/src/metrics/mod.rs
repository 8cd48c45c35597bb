//! `GET /metrics`: what an operator watches on a node, in the Prometheus text format —
//! requests by route and status with their latency, sync rounds and their latency, documents
//! accepted and refused, and the queues (rounds in flight, upload checks, live streams, the
//! backend's own connections and write queue). Counts are per node since it started;
//! Prometheus sums the nodes.

mod histogram;
mod text;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

pub use histogram::Histogram;
use text::Page;

use crate::store::Gauge;

/// Route label of requests that matched no route (scanners, typos): one series for all.
const UNMATCHED: &str = "unmatched";

/// The node's counters.
#[derive(Default)]
pub struct Metrics {
    /// Requests by (route, method, status).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Request latency by route.
    latency: Mutex<BTreeMap<String, Arc<Histogram>>>,
    rounds_ok: AtomicU64,
    rounds_with_rejections: AtomicU64,
    round_latency: Histogram,
    docs_accepted: AtomicU64,
    docs_rejected: AtomicU64,
    docs_sent: AtomicU64,
    rounds_in_flight: AtomicU64,
}

/// One sync round being served, counted in flight until it is dropped.
pub struct Round<'a> {
    metrics: &'a Metrics,
    started: Instant,
}

impl Metrics {
    /// Marks a sync round as started.
    pub fn round(&self) -> Round<'_> {
        self.rounds_in_flight.fetch_add(1, Ordering::Relaxed);
        Round {
            metrics: self,
            started: Instant::now(),
        }
    }

    fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((route.to_owned(), method.to_owned(), status))
                .or_default() += 1;
        }
        let histogram = self.latency.lock().ok().map(|mut by_route| {
            by_route
                .entry(route.to_owned())
                .or_insert_with(|| Arc::new(Histogram::default()))
                .clone()
        });
        if let Some(histogram) = histogram {
            histogram.observe(took);
        }
    }

    /// The page `GET /metrics` answers, with `gauges` read from the node's queues now.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut page = Page::default();
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let statuses: Vec<(String, String, String, u64)> = requests
            .into_iter()
            .map(|((route, method, status), n)| (route, method, status.to_string(), n))
            .collect();
        page.counter(
            "gridwalk_http_requests_total",
            "HTTP requests answered, by route, method and status.",
            statuses.iter().map(|(route, method, status, n)| {
                (
                    vec![
                        ("route", route.as_str()),
                        ("method", method.as_str()),
                        ("status", status.as_str()),
                    ],
                    *n,
                )
            }),
        );
        let latency = self.latency.lock().map(|l| l.clone()).unwrap_or_default();
        page.histogram(
            "gridwalk_http_request_duration_seconds",
            "Time to answer a request (to its response head), by route.",
            latency
                .iter()
                .map(|(route, h)| (vec![("route", route.as_str())], h.as_ref())),
        );
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        page.counter(
            "gridwalk_sync_rounds_total",
            "Sync rounds served: ok, or with some documents refused (422).",
            [
                (vec![("outcome", "ok")], load(&self.rounds_ok)),
                (
                    vec![("outcome", "rejected")],
                    load(&self.rounds_with_rejections),
                ),
            ],
        );
        page.histogram(
            "gridwalk_sync_round_duration_seconds",
            "Time to serve a sync round: check, store, page out.",
            [(vec![], &self.round_latency)],
        );
        page.counter(
            "gridwalk_sync_documents_total",
            "Uploaded documents accepted or refused whole, and documents sent to devices.",
            [
                (vec![("outcome", "accepted")], load(&self.docs_accepted)),
                (vec![("outcome", "rejected")], load(&self.docs_rejected)),
                (vec![("outcome", "sent")], load(&self.docs_sent)),
            ],
        );
        page.gauge(
            "gridwalk_sync_rounds_in_flight",
            "Sync rounds being served now.",
            load(&self.rounds_in_flight) as f64,
        );
        for gauge in gauges {
            page.gauge(gauge.name, gauge.help, gauge.value);
        }
        page.finish()
    }
}

impl Round<'_> {
    /// Counts the round's outcome: documents accepted, refused and sent.
    pub fn done(self, accepted: usize, rejected: usize, sent: usize) {
        let m = self.metrics;
        let outcome = if rejected == 0 {
            &m.rounds_ok
        } else {
            &m.rounds_with_rejections
        };
        outcome.fetch_add(1, Ordering::Relaxed);
        m.docs_accepted
            .fetch_add(accepted as u64, Ordering::Relaxed);
        m.docs_rejected
            .fetch_add(rejected as u64, Ordering::Relaxed);
        m.docs_sent.fetch_add(sent as u64, Ordering::Relaxed);
        m.round_latency.observe(self.started.elapsed());
    }
}

impl Drop for Round<'_> {
    fn drop(&mut self) {
        self.metrics
            .rounds_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware counting every request by its route template (never the raw path, so ids do
/// not make new series).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
