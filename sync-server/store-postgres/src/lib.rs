//! # gridwalk-store-postgres
//!
//! The PostgreSQL backend of the sync server's [`gridwalk_store`] traits, for several server
//! nodes sharing one database: a connection pool per node, the schema created or migrated on
//! open, change-log sequences handed out in commit order by one counter row, and one
//! `LISTEN` connection per node that keeps the node's caches (reference data, epoch) fresh
//! and relays other nodes' commits to its live streams. The design and why it is correct:
//! `docs/storage-postgres.md`.
//!
//! ```ignore
//! let store = PostgresStore::open("postgres://gridwalk@127.0.0.1:5432/gridwalk").await?;
//! ```

mod admin;
mod admin_queries;
mod blob_refs;
mod commit;
mod error;
mod log;
mod meta;
mod notify;
mod open311;
mod portable;
mod round_rows;
mod sync;

use std::str::FromStr;
use std::sync::{Arc, RwLock};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gridwalk_shared::model::{RecordKind, ReferenceData};
use gridwalk_store::{Changed, StoreError, StoreResult};
use tokio_postgres::NoTls;
use uuid::Uuid;

pub(crate) use error::{DbError, DbResult};

/// Connections per node. A sync round holds one for its commit, reads take one each.
const POOL_SIZE: usize = 16;

/// How long a request waits for a connection (a free one, or a new one to the database)
/// before it fails: a node whose database is gone answers errors instead of hanging.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// PostgreSQL-backed [`gridwalk_store::Store`] (and the admin, blob-reference and Open311
/// traits). Cheap to clone: clones share the pool and the caches.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// Where the listener connects.
    config: tokio_postgres::Config,
    /// This store instance, to tell its own notifications from other nodes'.
    node: Uuid,
    server_actor: Uuid,
    epoch: RwLock<Uuid>,
    past_epochs: RwLock<Vec<Uuid>>,
    reference: RwLock<Arc<ReferenceData>>,
    /// Commits other nodes made, as their notifications arrive.
    elsewhere: tokio::sync::broadcast::Sender<Changed>,
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn parse_kind(text: &str) -> DbResult<RecordKind> {
    RecordKind::parse(text).ok_or_else(|| StoreError::Other(format!("bad kind `{text}`")).into())
}

pub(crate) fn lock_err<T>(_: T) -> StoreError {
    StoreError::Other("a cache lock was poisoned by an earlier panic".into())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER@HOST:PORT/DB`), creates or
    /// migrates the schema, and starts the node's listener.
    pub async fn open(url: &str) -> StoreResult<PostgresStore> {
        Ok(Self::open_db(url).await?)
    }

    async fn open_db(url: &str) -> DbResult<PostgresStore> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| StoreError::Other(format!("cannot make the connection pool: {e}")))?;
        let mut client = pool.get().await?;
        meta::migrate(&mut client).await?;
        let ids = meta::load_ids(&client).await?;
        let reference = meta::load_reference(&client).await?.unwrap_or_default();
        drop(client);
        let store = PostgresStore {
            inner: Arc::new(Inner {
                pool,
                config,
                node: Uuid::now_v7(),
                server_actor: ids.server_actor,
                epoch: RwLock::new(ids.epoch),
                past_epochs: RwLock::new(ids.past_epochs),
                reference: RwLock::new(Arc::new(reference)),
                elsewhere: tokio::sync::broadcast::channel(1024).0,
            }),
        };
        notify::listen(&store).await?;
        Ok(store)
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> DbResult<deadpool_postgres::Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// The cached reference data, first reloaded if the database holds a newer version (for
    /// the few places where a change made on another node must be seen at once).
    pub(crate) async fn fresh_reference(&self) -> DbResult<Arc<ReferenceData>> {
        let client = self.client().await?;
        self.reload_reference(&client).await
    }

    /// Reads the reference data into the cache if the database holds a newer version than
    /// the cache (a version check first: the data itself is read only when it changed).
    pub(crate) async fn reload_reference(
        &self,
        client: &tokio_postgres::Client,
    ) -> DbResult<Arc<ReferenceData>> {
        let cached = self.cached_reference();
        let stored: Option<i64> = client
            .query_opt("SELECT version FROM reference WHERE id = 1", &[])
            .await?
            .map(|r| r.get(0));
        if stored.unwrap_or(0).max(0) as u64 <= cached.version {
            return Ok(cached);
        }
        let Some(data) = meta::load_reference(client).await? else {
            return Ok(cached);
        };
        let mut cache = self.inner.reference.write().map_err(lock_err)?;
        if data.version > cache.version {
            *cache = Arc::new(data);
        }
        Ok(cache.clone())
    }

    /// Reads the epoch and the past epochs into the cache.
    pub(crate) async fn reload_epoch(&self, client: &tokio_postgres::Client) -> DbResult<()> {
        let ids = meta::load_ids(client).await?;
        *self.inner.epoch.write().map_err(lock_err)? = ids.epoch;
        *self.inner.past_epochs.write().map_err(lock_err)? = ids.past_epochs;
        Ok(())
    }

    fn cached_reference(&self) -> Arc<ReferenceData> {
        self.inner
            .reference
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}
