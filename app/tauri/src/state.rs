//! What the commands share: the device core, the resolved settings and the sync task.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gridwalk_client::{Client, SyncOptions};
use tauri::{AppHandle, Manager, Runtime};

use crate::config::AppConfig;
use crate::sync::{Syncer, Trigger};

/// Managed state of the app.
pub struct AppState {
    /// The device core.
    pub client: Arc<Client>,
    /// Settings resolved at start-up.
    pub config: AppConfig,
    /// The background sync task.
    pub syncer: Syncer,
    /// Where documents the user saves go (the platform's Downloads folder).
    pub downloads: PathBuf,
}

impl AppState {
    /// Opens the store in the configured data directory and starts syncing.
    pub fn open<R: Runtime>(config: AppConfig, app: AppHandle<R>) -> gridwalk_client::Result<Self> {
        // A phone on a bad network should fail a sync in seconds, not minutes; the next
        // attempt comes soon anyway.
        let options = SyncOptions {
            attempts: 3,
            base_delay: Duration::from_millis(300),
            timeout: Duration::from_secs(20),
        };
        let client = Arc::new(Client::open(&config.data_dir)?.with_sync_options(options)?);
        let downloads = app
            .path()
            .download_dir()
            .unwrap_or_else(|_| config.data_dir.join("downloads"));
        let syncer = Syncer::start(client.clone(), app, config.sync_every);
        Ok(Self {
            client,
            config,
            syncer,
            downloads,
        })
    }

    /// Tells the sync task that something was written locally.
    pub fn changed(&self) {
        self.syncer.trigger(Trigger::LocalChange);
    }
}
