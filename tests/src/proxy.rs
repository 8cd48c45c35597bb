//! A loopback TCP proxy that cuts connections after a random number of client-to-server
//! bytes (or, armed for downloads, server-to-client bytes), and reads the HTTP requests passing through so a test can tell which blob bytes
//! were sent how often.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One `PUT /v1/blobs/…` as it passed the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutSeen {
    /// Request path (with the blob hash).
    pub path: String,
    /// First byte offset, from `Content-Range`.
    pub start: u64,
    /// Body bytes forwarded to the server (less than declared if the proxy cut it).
    pub forwarded: u64,
}

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct ProxyLog {
    /// Blob uploads, in order.
    pub puts: Vec<PutSeen>,
    /// Every request's method and path (with its query), in order.
    pub requests: Vec<String>,
}

/// The proxy; it stops when dropped.
pub struct CutProxy {
    /// Base URL to give the client.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How connections are cut.
#[derive(Debug, Clone, Copy)]
pub struct CutPlan {
    /// Connections cut in all (the first ones opened after [`CutProxy::arm`]).
    pub cuts: usize,
    /// Each cut connection forwards between 1 and this many client bytes.
    pub max_bytes: u64,
    /// Random seed.
    pub seed: u64,
}

struct Shared {
    upstream: String,
    log: Mutex<ProxyLog>,
    cuts: AtomicUsize,
    severed: AtomicUsize,
    plan: Mutex<Option<(CutPlan, StdRng)>>,
    /// The same for server-to-client bytes (cutting downloads).
    down_plan: Mutex<Option<(CutPlan, StdRng)>>,
    down_cuts: AtomicUsize,
}

impl CutProxy {
    /// Starts a proxy to `upstream` (`host:port`) that passes everything until armed.
    pub async fn start(upstream: &str) -> Result<CutProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            log: Mutex::new(ProxyLog::default()),
            cuts: AtomicUsize::new(0),
            severed: AtomicUsize::new(0),
            plan: Mutex::new(None),
            down_plan: Mutex::new(None),
            down_cuts: AtomicUsize::new(0),
        });
        let accept = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = accept.clone();
                tokio::spawn(async move {
                    let _ = shared.relay(client).await;
                });
            }
        });
        Ok(CutProxy { url, shared, task })
    }

    /// Starts cutting connections opened from now on, as `plan` says.
    pub fn arm(&self, plan: CutPlan) {
        if let Ok(mut slot) = self.shared.plan.lock() {
            *slot = Some((plan, StdRng::seed_from_u64(plan.seed)));
        }
    }

    /// Starts cutting the answers of connections opened from now on (downloads) after a
    /// random number of server-to-client bytes, as `plan` says.
    pub fn arm_downstream(&self, plan: CutPlan) {
        if let Ok(mut slot) = self.shared.down_plan.lock() {
            *slot = Some((plan, StdRng::seed_from_u64(plan.seed)));
        }
    }

    /// Answers cut so far.
    pub fn down_cuts(&self) -> usize {
        self.shared.down_cuts.load(Ordering::SeqCst)
    }

    /// Stops giving connections opened from now on a cut.
    pub fn disarm(&self) {
        if let Ok(mut slot) = self.shared.plan.lock() {
            *slot = None;
        }
    }

    /// Connections given a cut so far (each is cut once it forwards its share of bytes).
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    /// Connections the proxy has actually cut so far (ended before the client was done).
    pub fn severed(&self) -> usize {
        self.shared.severed.load(Ordering::SeqCst)
    }

    /// Requests seen so far, as `METHOD PATH?QUERY`.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .map(|log| log.requests.clone())
            .unwrap_or_default()
    }

    /// Blob uploads seen so far.
    pub fn puts(&self) -> Vec<PutSeen> {
        self.shared
            .log
            .lock()
            .map(|log| log.puts.clone())
            .unwrap_or_default()
    }
}

impl Shared {
    /// Client bytes a connection may forward from now before it is cut: `None` while the
    /// proxy is not armed, `u64::MAX` once every planned cut is used.
    fn budget(&self) -> Option<u64> {
        let mut slot = self.plan.lock().ok()?;
        let (plan, rng) = slot.as_mut()?;
        if self.cuts.load(Ordering::SeqCst) >= plan.cuts {
            return Some(u64::MAX);
        }
        self.cuts.fetch_add(1, Ordering::SeqCst);
        Some(rng.gen_range(1..=plan.max_bytes))
    }

    /// Server bytes a connection may pass to the client before it is cut (like [`budget`]).
    fn down_budget(&self) -> Option<u64> {
        let mut slot = self.down_plan.lock().ok()?;
        let (plan, rng) = slot.as_mut()?;
        if self.down_cuts.load(Ordering::SeqCst) >= plan.cuts {
            return Some(u64::MAX);
        }
        self.down_cuts.fetch_add(1, Ordering::SeqCst);
        Some(rng.gen_range(1..=plan.max_bytes))
    }

    async fn relay(&self, mut client: TcpStream) -> Result<()> {
        let mut server = TcpStream::connect(&self.upstream).await?;
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let down = async {
            let (mut budget, mut sent) = (None, 0u64);
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = server_read.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>(());
                }
                // Kept-alive connections opened before the proxy was armed are cut too.
                if budget.is_none() {
                    budget = self.down_budget();
                    sent = 0;
                }
                let left = budget.map_or(u64::MAX, |b| b - sent);
                let allowed = (n as u64).min(left) as usize;
                client_write.write_all(&buf[..allowed]).await?;
                sent += allowed as u64;
                if budget.is_some_and(|b| sent >= b) {
                    self.severed.fetch_add(1, Ordering::SeqCst);
                    client_write.flush().await?;
                    return Ok(());
                }
            }
        };
        let up = async {
            let mut parser = Parser::default();
            // Connections opened before the proxy was armed (kept alive) are cut too.
            let (mut budget, mut forwarded) = (None, 0u64);
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = client_read.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>(());
                }
                if budget.is_none() {
                    budget = self.budget();
                }
                let left = budget.map_or(u64::MAX, |b| b - forwarded);
                let allowed = (n as u64).min(left) as usize;
                server_write.write_all(&buf[..allowed]).await?;
                parser.feed(&buf[..allowed], &self.log);
                if budget.is_some() {
                    forwarded += allowed as u64;
                }
                if budget.is_some_and(|b| forwarded >= b) {
                    self.severed.fetch_add(1, Ordering::SeqCst);
                    server_write.flush().await?;
                    return Ok(());
                }
            }
        };
        // Either side ending ends the connection (a cut drops both halves at once).
        tokio::select! {
            _ = down => {}
            _ = up => {}
        }
        Ok(())
    }
}

/// Follows the HTTP/1.1 requests in the client-to-server stream.
#[derive(Default)]
struct Parser {
    head: Vec<u8>,
    body_left: u64,
    put: Option<usize>,
}

impl Parser {
    fn feed(&mut self, mut bytes: &[u8], log: &Mutex<ProxyLog>) {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let take = (bytes.len() as u64).min(self.body_left) as usize;
                if let (Some(i), Ok(mut log)) = (self.put, log.lock()) {
                    log.puts[i].forwarded += take as u64;
                }
                self.body_left -= take as u64;
                bytes = &bytes[take..];
                continue;
            }
            self.head.push(bytes[0]);
            bytes = &bytes[1..];
            if self.head.ends_with(b"\r\n\r\n") {
                self.start_request(log);
            }
        }
    }

    fn start_request(&mut self, log: &Mutex<ProxyLog>) {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        self.head.clear();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_string();
        let header = |name: &str| {
            head.split("\r\n")
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        self.body_left = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.put = None;
        if let Ok(mut log) = log.lock() {
            let seen: Vec<&str> = request_line.split_whitespace().take(2).collect();
            log.requests.push(seen.join(" "));
        }
        let mut parts = request_line.split_whitespace();
        if let (Some("PUT"), Some(path)) = (parts.next(), parts.next()) {
            let start = header("content-range")
                .and_then(|r| r.strip_prefix("bytes ")?.split('-').next()?.parse().ok())
                .unwrap_or(0);
            if let Ok(mut log) = log.lock() {
                log.puts.push(PutSeen {
                    path: path.split('?').next().unwrap_or(path).to_string(),
                    start,
                    forwarded: 0,
                });
                self.put = Some(log.puts.len() - 1);
            }
        }
    }
}

/// Body bytes sent more than once, per blob: everything forwarded minus the distinct bytes.
pub fn resent(puts: &[PutSeen]) -> u64 {
    let mut by_blob: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for put in puts {
        by_blob
            .entry(&put.path)
            .or_default()
            .push((put.start, put.start + put.forwarded));
    }
    let mut again = 0;
    for ranges in by_blob.values_mut() {
        let total: u64 = ranges.iter().map(|(a, b)| b - a).sum();
        ranges.sort_unstable();
        let (mut distinct, mut covered) = (0, 0);
        for &(start, end) in ranges.iter() {
            let from = start.max(covered);
            distinct += end.saturating_sub(from);
            covered = covered.max(end);
        }
        again += total - distinct;
    }
    again
}
