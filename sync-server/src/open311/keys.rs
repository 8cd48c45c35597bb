//! `gridwalk-server open311-key`: issue and revoke Open311 API keys. A key is random, shown
//! once and stored only as its SHA-256 (like API tokens); it is bound to an org unit, the
//! area it files into and may read.

use anyhow::{bail, Context, Result};
use gridwalk_shared::model::{OrgKind, ReferenceData};
use uuid::Uuid;

use crate::auth;
use crate::store::Open311Store;

/// The unit a key is bound to: `unit` if it exists, else the topmost unit (the street).
fn bound_unit(reference: &ReferenceData, unit: Option<Uuid>) -> Result<Uuid> {
    match unit {
        Some(id) => reference
            .unit(id)
            .map(|u| u.id)
            .with_context(|| format!("org unit {id} does not exist")),
        None => reference
            .units
            .iter()
            .find(|u| u.parent.is_none() || u.kind == OrgKind::Street)
            .map(|u| u.id)
            .context("there are no org units yet; seed or import the organisation first"),
    }
}

/// Issues a key named `name` (replacing an earlier one of that name) bound to `unit` (default:
/// the root); returns the key and the unit.
pub async fn issue<S: Open311Store>(
    store: &S,
    name: &str,
    unit: Option<Uuid>,
) -> Result<(String, Uuid)> {
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let unit = bound_unit(&store.reference(), unit)?;
    let key = format!("o311_{}", auth::new_token());
    store
        .issue_open311_key(auth::sha256_hex(key.as_bytes()), name.to_string(), unit)
        .await?;
    Ok((key, unit))
}

/// Revokes the key named `name`.
pub async fn revoke<S: Open311Store>(store: &S, name: &str) -> Result<()> {
    if !store.revoke_open311_key(name.to_string()).await? {
        bail!("there is no live Open311 key named `{name}`");
    }
    Ok(())
}
