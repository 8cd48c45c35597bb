//! Deployments for the load phases: the seeded demo street or its reference data alone, with
//! enrolment codes issued in-process (much faster than one CLI call per code).

use std::path::Path;

use anyhow::{Context, Result};
use gridwalk_server::store::{SqliteStore, Store};
use gridwalk_server::{auth, seed};

use crate::Deployment;

/// Grid-worker logins of the demo street, each with its grid (worker1b shares grid 1).
pub const GRID_WORKERS: [&str; 7] = [
    "worker1", "worker2", "worker3", "worker4", "worker5", "worker6", "worker1b",
];

/// The seed `gridwalk-server seed-demo` uses by default.
pub const DEMO_SEED: u64 = 2026;

/// A deployment holding the demo reference data but no households or other records.
pub async fn reference_only() -> Result<Deployment> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path()).context("open the store")?;
    store.put_reference(seed::demo(DEMO_SEED).reference).await?;
    Ok(Deployment { dir })
}

/// Issues one enrolment code for each login in `logins` (repeats allowed), in order.
pub async fn issue_codes(data: &Path, logins: &[&str]) -> Result<Vec<String>> {
    let store = SqliteStore::open(data).context("open the store")?;
    let reference = store.reference();
    let mut codes = Vec::with_capacity(logins.len());
    for login in logins {
        let user = reference
            .users
            .iter()
            .find(|u| u.login == *login)
            .with_context(|| format!("no user `{login}` in the deployment"))?;
        let code = auth::new_enroll_code();
        store
            .issue_enroll_code(user.id, auth::enroll_code_hash(&code), 24)
            .await?;
        codes.push(code);
    }
    Ok(codes)
}
