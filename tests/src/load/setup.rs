//! Deployments for the load phases: the seeded demo street, the demo street widened to as
//! many grids as a real street has, or its reference data alone, with enrolment codes issued
//! in-process (much faster than one CLI call per code).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use gridwalk_server::store::Store;
use gridwalk_server::{auth, populate, seed};
use gridwalk_shared::model::{OrgKind, OrgUnit, Record, Role, User};
use gridwalk_store_sqlite::SqliteStore;
use uuid::Uuid;

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
    store
        .put_reference(seed::demo(DEMO_SEED).reference, None)
        .await?;
    Ok(Deployment {
        dir,
        database: None,
        blobs: Default::default(),
    })
}

/// The demo street widened to `grids` grids (at least the demo's 6): grid `n` past the sixth
/// copies demo grid `n % 6` — its community, buildings and 300 households, under new ids —
/// and has its own worker `worker{n+1}` (the demo street: a street of 133 grids had 500+
/// workers, DESIGN). Returns the deployment and each grid's worker login, grid by grid.
pub async fn wide_street(grids: usize) -> Result<(Deployment, Vec<String>)> {
    let mut demo = seed::demo(DEMO_SEED);
    let reference = &mut demo.reference;
    let demo_grids: Vec<OrgUnit> = reference
        .units
        .iter()
        .filter(|u| u.kind == OrgKind::Grid)
        .cloned()
        .collect();
    ensure!(demo_grids.len() == 6, "the demo street changed its grids");
    let mut logins: Vec<String> = (1..=6).map(|n| format!("worker{n}")).collect();
    let mut households = Vec::new();
    for n in 6..grids {
        let template = &demo_grids[n % 6];
        let grid = OrgUnit {
            id: Uuid::now_v7(),
            kind: OrgKind::Grid,
            name: format!("{}（副本{}）", template.name, n / 6),
            parent: template.parent,
            boundary: None,
        };
        let mut buildings: HashMap<Uuid, Uuid> = HashMap::new();
        let copies: Vec<_> = reference
            .buildings_in(template.id)
            .map(|b| {
                let mut copy = b.clone();
                copy.id = Uuid::now_v7();
                copy.grid_id = grid.id;
                buildings.insert(b.id, copy.id);
                copy
            })
            .collect();
        reference.buildings.extend(copies);
        for home in demo.households.iter().filter(|h| h.grid_id == template.id) {
            let mut copy = home.clone();
            copy.id = Uuid::now_v7();
            copy.grid_id = grid.id;
            copy.building_id = *buildings
                .get(&home.building_id)
                .with_context(|| format!("household {} has no building in its grid", home.id))?;
            households.push(copy);
        }
        let login = format!("worker{}", n + 1);
        reference.users.push(User {
            id: Uuid::now_v7(),
            login: login.clone(),
            name: format!("网格员{}", n + 1),
            role: Role::GridWorker,
            scope_id: grid.id,
        });
        reference.units.push(grid);
        logins.push(login);
    }
    demo.households.extend(households);

    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path()).context("open the store")?;
    store.put_reference(demo.reference, None).await?;
    let records = demo.households.into_iter().map(Record::Household).collect();
    populate::insert_records(&store, records).await?;
    Ok((
        Deployment {
            dir,
            database: None,
            blobs: Default::default(),
        },
        logins,
    ))
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use gridwalk_server::store::{Store, Visibility};
    use gridwalk_shared::RecordKind;
    use gridwalk_store_sqlite::SqliteStore;

    use super::*;

    #[tokio::test]
    async fn a_wide_street_has_a_worker_and_300_households_in_every_grid() {
        let (deployment, logins) = wide_street(8).await.unwrap();
        let store = SqliteStore::open(deployment.dir.path()).unwrap();
        let reference = store.reference();
        let grids: Vec<Uuid> = reference
            .units
            .iter()
            .filter(|u| u.kind == OrgKind::Grid)
            .map(|u| u.id)
            .collect();
        assert_eq!(grids.len(), 8);
        assert_eq!(logins.len(), 8);
        let scopes: HashSet<Uuid> = logins
            .iter()
            .map(|login| {
                let user = reference.users.iter().find(|u| &u.login == login).unwrap();
                assert_eq!(user.role, Role::GridWorker);
                user.scope_id
            })
            .collect();
        assert_eq!(
            scopes,
            grids.iter().copied().collect(),
            "one worker per grid"
        );
        for grid in grids {
            let page = store
                .snapshot_page(
                    Visibility {
                        units: vec![grid],
                        department: None,
                    },
                    None,
                    gridwalk_server::store::PageSize::rows(1000),
                )
                .await
                .unwrap();
            let homes = page
                .docs
                .iter()
                .filter(|d| d.kind == RecordKind::Household && d.scope == grid)
                .count();
            assert_eq!(homes, 300, "grid {grid}");
        }
    }
}
