//! `gridwalk-server open311-key`: issue or revoke an Open311 API key (docs/open311.md).

use anyhow::Result;
use gridwalk_server::store::{AdminStore, Open311Store};
use serde_json::json;

use crate::accounts_cmd::audit_cli;

/// Issues (or with `revoke`, revokes) the Open311 key named `name`; the key is the last line.
pub async fn open311_key<S: AdminStore + Open311Store>(
    store: &S,
    name: String,
    unit: Option<uuid::Uuid>,
    revoke: bool,
) -> Result<()> {
    if revoke {
        gridwalk_server::open311::keys::revoke(store, &name).await?;
        audit_cli(store, "open311_key.revoke", &name, json!({})).await?;
        println!("Open311 key `{name}` revoked");
        return Ok(());
    }
    let (key, unit) = gridwalk_server::open311::keys::issue(store, &name, unit).await?;
    audit_cli(store, "open311_key.issue", &name, json!({ "unit": unit })).await?;
    println!(
        "Open311 key `{name}` for org unit {unit}; send it as `api_key` to /open311/v2/. \
         It is shown once; an earlier key of this name no longer works:"
    );
    println!("{key}");
    Ok(())
}
