//! The `serve` command of the `gridwalk-server` binary: its flags (page sizes, admin web,
//! cookies, HTTP limits), logging and the signal that stops it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use gridwalk_server::admin::AdminConfig;
use gridwalk_server::app::{self, AppState};
use gridwalk_server::http_limits::HttpLimits;
use gridwalk_server::store::ServerStore;
use gridwalk_server::sync::PageLimits;

use crate::storage_cmd::StorageArgs;

/// Log line format.
#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Flags of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, env = "GRIDWALK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Change-log rows per sync response.
    #[arg(long, env = "GRIDWALK_LOG_PAGE", default_value_t = PageLimits::default().log_rows)]
    log_page: usize,
    /// Whole documents per sync response while a fresh device catches up.
    #[arg(long, env = "GRIDWALK_SNAPSHOT_PAGE", default_value_t = PageLimits::default().snapshot_docs)]
    snapshot_page: usize,
    /// Bytes of document data per sync response (at least one document always goes; at
    /// most half the sync body limit).
    #[arg(long, env = "GRIDWALK_PAGE_BYTES", default_value_t = PageLimits::default().bytes)]
    page_bytes: usize,
    /// Folder of the built admin UI (default: ui/dist/admin of the checkout).
    #[arg(long, env = "GRIDWALK_ADMIN_UI")]
    admin_ui: Option<PathBuf>,
    /// Mark admin session cookies `Secure` always (serve behind HTTPS, e.g. a reverse proxy).
    #[arg(long, env = "GRIDWALK_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Seconds between the server's looks for overdue items to urge (督办).
    #[arg(long, env = "GRIDWALK_OVERDUE_SECS", default_value_t = 60)]
    overdue_secs: u64,
    /// Believe `X-Forwarded-Proto: https` (set only behind a TLS proxy that sets it): cookies
    /// of such requests are marked `Secure`.
    #[arg(long, env = "GRIDWALK_TRUST_FORWARDED_PROTO")]
    trust_forwarded_proto: bool,
    /// Seconds a client has to send a request's headers; idle keep-alive connections are
    /// closed after the same time.
    #[arg(long, env = "GRIDWALK_HEADER_TIMEOUT_SECS", default_value_t = HttpLimits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Seconds a request may take, its body included (408 `request_timeout` after).
    #[arg(long, env = "GRIDWALK_REQUEST_TIMEOUT_SECS", default_value_t = HttpLimits::default().request_timeout.as_secs())]
    request_timeout_secs: u64,
    /// Connections open at once; more wait to be accepted.
    #[arg(long, env = "GRIDWALK_MAX_CONNECTIONS", default_value_t = HttpLimits::default().max_connections)]
    max_connections: usize,
    /// Bearer token `GET /metrics` asks for; without one `/metrics` is open to whoever
    /// reaches the node (keep it off the public side of the proxy).
    #[arg(long, env = "GRIDWALK_METRICS_TOKEN")]
    metrics_token: Option<String>,
}

impl ServeArgs {
    fn http_limits(&self) -> Result<HttpLimits> {
        if self.header_timeout_secs == 0 || self.request_timeout_secs == 0 {
            bail!("timeouts must be at least 1 second");
        }
        if self.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        Ok(HttpLimits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_connections: self.max_connections,
            ..HttpLimits::default()
        })
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve<S: ServerStore>(args: ServeArgs, store: S) -> Result<()> {
    init_logs(args.log_format);
    let limits = PageLimits {
        log_rows: args.log_page,
        snapshot_docs: args.snapshot_page,
        bytes: args.page_bytes,
    };
    if limits.log_rows == 0 || limits.snapshot_docs == 0 || limits.bytes == 0 {
        bail!("page sizes must be at least 1");
    }
    if limits.bytes > PageLimits::default().bytes {
        bail!(
            "--page-bytes may be at most {} (half the sync body limit)",
            PageLimits::default().bytes
        );
    }
    let http = args.http_limits()?;
    let blobs = args.storage.open_blobs()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        database = %args.storage.database()?.display(),
        blobs = %args.storage.blob_location()?,
        %addr,
        epoch = %store.epoch(),
        reference_version = store.reference().version,
        log_page = limits.log_rows,
        snapshot_page = limits.snapshot_docs,
        page_bytes = limits.bytes,
        header_timeout_secs = http.header_timeout.as_secs(),
        request_timeout_secs = http.request_timeout.as_secs(),
        max_connections = http.max_connections,
        secure_cookies = args.secure_cookies,
        trust_forwarded_proto = args.trust_forwarded_proto,
        "gridwalk-server starting"
    );
    let admin = AdminConfig {
        ui_dir: args.admin_ui.or_else(|| AdminConfig::default().ui_dir),
        secure_cookies: args.secure_cookies,
        trust_forwarded_proto: args.trust_forwarded_proto,
        ..AdminConfig::default()
    };
    match &admin.ui_dir {
        Some(dir) => tracing::info!(admin_ui = %dir.display(), "serving the admin web at /admin"),
        None => tracing::warn!("admin UI not built (npm run build:admin in ui/): /admin shows how"),
    }
    println!("Gridwalk server listening on http://{addr}");
    let state = AppState {
        limits,
        http,
        admin: std::sync::Arc::new(admin),
        overdue_every: std::time::Duration::from_secs(args.overdue_secs.max(1)),
        metrics_token: args.metrics_token.map(std::sync::Arc::from),
        ..AppState::new(store)
    }
    .with_blobs(blobs);
    app::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}
