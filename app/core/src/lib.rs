//! # gridwalk-client
//!
//! Everything the Gridwalk app does, without a UI: the local store (one SQLite file), one
//! Automerge document per record, the outbox of unsent changes, the batched sync client
//! (`docs/protocol.md`), enrolment and export, and photos and audio notes as blobs beside the
//! store ([`media`]). The Tauri shell and the `gridwalk` CLI are thin layers over [`Client`].
//!
//! ```no_run
//! # async fn demo() -> gridwalk_client::Result<()> {
//! use gridwalk_client::{Client, NewIncident};
//! let client = Client::open("/tmp/gridwalk-demo")?;
//! client.enroll("http://127.0.0.1:8080", "ABCD-1234", "phone").await?;
//! client.sync().await?;
//! let id = client.report_incident(NewIncident {
//!     category: "env.garbage".into(),
//!     description: "楼道堆放杂物".into(),
//!     location: None,
//! })?;
//! assert!(client.record(id)?.is_some());
//! client.sync().await?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod basemap;
mod campaign;
mod card;
mod due;
mod edit;
mod enrol;
mod error;
mod export;
mod grid_map;
mod http;
pub mod media;
mod store;
mod sync;
mod tiles;
mod today;
mod view;
mod workday;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use gridwalk_shared::time::{Clock, SystemClock};

pub use basemap::{Basemap, BasemapKind, CACHE_TILES};
pub use campaign::{CampaignTask, CampaignTaskForm, CampaignView, CensusForm};
pub use card::{BuildingOverview, GridOverview, HouseholdCard, VisitSummary};
pub use edit::{
    Attachments, CampaignVisit, MyFigures, NewIncident, NewServiceRequest, NewVisit, NoticeItem,
    PatrolStatus, VisitDraft,
};
pub use enrol::Account;
pub use error::{Error, Result};
pub use grid_map::{BuildingCoverage, MapIncident};
pub use media::{AudioNote, MediaError, Photo, UploadProgress};
pub use store::blobs::{BlobKind, BlobRow};
pub use store::queries::{HouseholdRow, IncidentRow, ServiceRequestRow, VisitRow};
pub use store::records::ConflictCopy;
pub use store::{FILE_NAME, SCHEMA_VERSION};
pub use sync::{PreparedRound, RoundOutcome, SyncOptions, SyncReport};
pub use tiles::TilePackageState;
pub use today::{DueHousehold, Task, Today};
pub use view::{RecordState, RecordView, Status};
pub use workday::{WorkDay, WorkItem};

/// This app's version, reported to the server at enrolment and in every sync round.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The device core: one data directory, one signed-in account. `Send + Sync`; share it in an
/// `Arc`. Every method that writes does so in one transaction.
pub struct Client {
    dir: PathBuf,
    store: Mutex<store::Store>,
    clock: Arc<dyn Clock>,
    http: http::Http,
    sync_lock: tokio::sync::Mutex<()>,
    progress: tokio::sync::watch::Sender<UploadProgress>,
    /// The held tile package, opened once for the map's many tile reads.
    basemap: Mutex<Option<rusqlite::Connection>>,
}

impl Client {
    /// Opens (creating if needed) the store in `dir`, with the system clock.
    pub fn open(dir: impl AsRef<Path>) -> Result<Client> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// Opens the store in `dir` with an injected clock (tests, simulations).
    pub fn open_with_clock(dir: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Client> {
        let dir = dir.as_ref().to_path_buf();
        let store = store::Store::open(&dir)?;
        Ok(Client {
            dir,
            store: Mutex::new(store),
            clock,
            http: http::Http::new(SyncOptions::default())?,
            sync_lock: tokio::sync::Mutex::new(()),
            progress: tokio::sync::watch::Sender::new(UploadProgress::default()),
            basemap: Mutex::new(None),
        })
    }

    /// Uses other retry and timeout settings for enrolment and sync.
    pub fn with_sync_options(mut self, options: SyncOptions) -> Result<Client> {
        self.http = http::Http::new(options)?;
        Ok(self)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// The current time by the client's clock.
    pub fn now(&self) -> gridwalk_shared::time::Timestamp {
        self.clock.now()
    }

    /// The store, locked. Never held across an `.await`.
    fn store(&self) -> MutexGuard<'_, store::Store> {
        // A panic while holding the lock cannot leave a half-written transaction behind (it
        // rolls back on drop), so the store is still consistent.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
