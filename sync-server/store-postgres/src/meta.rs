//! The store's bookkeeping in `meta`: the schema (created or migrated on open), the epoch,
//! past epochs, the server's actor, and the reference data row.

use gridwalk_shared::model::ReferenceData;
use gridwalk_store::StoreError;
use tokio_postgres::Client;
use uuid::Uuid;

use crate::DbResult;

/// Key of the advisory lock nodes take while creating or migrating the schema, so two nodes
/// starting at once do not race on `CREATE`.
const SCHEMA_LOCK: i64 = 0x6772_6964_7761_6c6b; // "gridwalk"

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 1;

/// Ids kept in `meta`.
pub(crate) struct Ids {
    pub epoch: Uuid,
    pub server_actor: Uuid,
    pub past_epochs: Vec<Uuid>,
}

/// Creates the schema, or brings an older one up to date, in one transaction under the
/// schema lock; refuses a database written by a newer version.
pub(crate) async fn migrate(client: &mut Client) -> DbResult<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await?;
    tx.batch_execute(include_str!("schema.sql")).await?;
    let version: i64 = tx
        .query_one("SELECT version FROM schema_version WHERE id = 1", &[])
        .await?
        .get(0);
    if version > SCHEMA_VERSION {
        return Err(StoreError::Other(format!(
            "the database has schema version {version}, newer than this server's \
             {SCHEMA_VERSION}: update the server"
        ))
        .into());
    }
    for key in ["epoch", "server_actor"] {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &Uuid::now_v7().to_string()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn parse_id(text: &str) -> DbResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Other(format!("bad id in meta: {e}")).into())
}

/// The epoch, the server actor and the past epochs.
pub(crate) async fn load_ids(client: &Client) -> DbResult<Ids> {
    let rows = client
        .query(
            "SELECT key, value FROM meta WHERE key IN ('epoch', 'server_actor', 'past_epochs')",
            &[],
        )
        .await?;
    let (mut epoch, mut server_actor, mut past_epochs) = (None, None, Vec::new());
    for row in rows {
        let (key, value): (&str, &str) = (row.get(0), row.get(1));
        match key {
            "epoch" => epoch = Some(parse_id(value)?),
            "server_actor" => server_actor = Some(parse_id(value)?),
            _ => past_epochs = serde_json::from_str(value).unwrap_or_default(),
        }
    }
    let missing = || StoreError::Other("meta lacks the epoch or the server actor".into());
    Ok(Ids {
        epoch: epoch.ok_or_else(missing)?,
        server_actor: server_actor.ok_or_else(missing)?,
        past_epochs,
    })
}

/// The stored reference data, if any was stored.
pub(crate) async fn load_reference(client: &Client) -> DbResult<Option<ReferenceData>> {
    let row = client
        .query_opt("SELECT data FROM reference WHERE id = 1", &[])
        .await?;
    row.map(|r| {
        serde_json::from_str::<ReferenceData>(r.get(0))
            .map_err(|e| StoreError::Other(format!("stored reference data is corrupt: {e}")).into())
    })
    .transpose()
}

/// Makes a new epoch current and keeps the old one among the past epochs; returns the new.
pub(crate) async fn new_epoch(client: &mut Client, node: Uuid) -> DbResult<Uuid> {
    let tx = client.transaction().await?;
    let old: String = tx
        .query_one("SELECT value FROM meta WHERE key = 'epoch' FOR UPDATE", &[])
        .await?
        .get(0);
    let past: Option<String> = tx
        .query_opt("SELECT value FROM meta WHERE key = 'past_epochs'", &[])
        .await?
        .map(|r| r.get(0));
    let mut past: Vec<Uuid> = past
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    past.push(parse_id(&old)?);
    let epoch = Uuid::now_v7();
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('past_epochs', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&serde_json::to_string(&past).unwrap_or_default()],
    )
    .await?;
    tx.execute(
        "UPDATE meta SET value = $1 WHERE key = 'epoch'",
        &[&epoch.to_string()],
    )
    .await?;
    crate::notify::send(&tx, &crate::notify::Note::Epoch { node }).await?;
    tx.commit().await?;
    Ok(epoch)
}
