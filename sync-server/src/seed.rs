//! The demo deployment: 和平区新华街道 with two communities, six grids, 60 buildings and 1,800
//! households, plus departments, incident routing, the visit checklist, the service catalogue,
//! users and the 2026 working-day calendar. Pure and deterministic for a given seed.

mod catalogue;
mod geometry;
mod households;
mod names;

use gridwalk_shared::model::{
    Building, Department, Household, OrgKind, OrgUnit, ReferenceData, Role, User,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use uuid::Uuid;

use households::Namer;

/// Communities: (name, road, house number of each grid's compound).
const COMMUNITIES: [(&str, &str, [u32; 3]); 2] = [
    ("幸福社区", "幸福路", [18, 36, 52]),
    ("光明社区", "光明路", [9, 27, 45]),
];
/// Ordinal names of the grids within a community.
const GRID_ORDINALS: [&str; 3] = ["第一网格", "第二网格", "第三网格"];
/// Buildings per grid.
const BUILDINGS_PER_GRID: u32 = 10;

/// The demo deployment: reference data plus the households to store as documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    /// Org tree, buildings, departments, users, catalogues and calendar (version 1).
    pub reference: ReferenceData,
    /// The households, 300 per grid.
    pub households: Vec<Household>,
}

/// Builds the demo street deterministically from `seed` (same seed → identical output, ids included).
pub fn demo(seed: u64) -> Demo {
    let mut rng = StdRng::seed_from_u64(seed);
    let namer = Namer::new();
    let mut reference = ReferenceData {
        version: 1,
        calendar: catalogue::calendar_2026(),
        visit_rules: gridwalk_shared::model::VisitRules::seeded(),
        ..ReferenceData::default()
    };
    let org = org_tree(&mut rng, &mut reference);
    reference.departments = catalogue::departments(&mut rng, org.street, org.district);
    reference.categories = catalogue::categories();
    reference.routing = catalogue::routing(org.street, &reference.departments);
    reference.checklists = vec![catalogue::checklist(&mut rng)];
    reference.services = catalogue::services(&mut rng);
    reference.users = users(&mut rng, &namer, &org, &reference.departments);
    let households = households::households(&mut rng, &reference.buildings, &namer);
    Demo {
        reference,
        households,
    }
}

/// A UUID drawn from the seeded generator.
fn new_id(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// Ids of the org tree's nodes.
struct Org {
    district: Uuid,
    street: Uuid,
    communities: Vec<Uuid>,
    grids: Vec<Uuid>,
}

/// Adds the org tree and the buildings to `reference`.
fn org_tree(rng: &mut StdRng, reference: &mut ReferenceData) -> Org {
    let mut unit = |kind, name: &str, parent| {
        let id = new_id(rng);
        reference.units.push(OrgUnit {
            id,
            kind,
            name: name.to_string(),
            parent,
            boundary: None,
        });
        id
    };
    let district = unit(OrgKind::District, "和平区", None);
    let street = unit(OrgKind::Street, "新华街道", Some(district));
    let communities: Vec<Uuid> = COMMUNITIES
        .iter()
        .map(|(name, _, _)| unit(OrgKind::Community, name, Some(street)))
        .collect();
    let mut grids = Vec::new();
    let mut compounds = Vec::new();
    for (&community, (name, road, numbers)) in communities.iter().zip(COMMUNITIES) {
        for (ordinal, number) in GRID_ORDINALS.iter().zip(numbers) {
            grids.push(unit(
                OrgKind::Grid,
                &format!("{name}{ordinal}"),
                Some(community),
            ));
            compounds.push(format!("{road}{number}号"));
        }
    }
    for (&grid_id, compound) in grids.iter().zip(&compounds) {
        for n in 1..=BUILDINGS_PER_GRID {
            reference.buildings.push(Building {
                id: new_id(rng),
                grid_id,
                name: format!("{n}号楼"),
                address: format!("{compound}{n}号楼"),
                position: None,
            });
        }
    }
    geometry::place(reference, &communities, &grids, GRID_ORDINALS.len());
    Org {
        district,
        street,
        communities,
        grids,
    }
}

/// The demo users: one worker per grid plus a second phone in grid 1, a leader and a desk per
/// community, two department staff and the street admin.
fn users(rng: &mut StdRng, namer: &Namer, org: &Org, departments: &[Department]) -> Vec<User> {
    let department = |name: &str| departments.iter().find(|d| d.name == name).map(|d| d.id);
    let mut accounts: Vec<(String, Role, Uuid)> = Vec::new();
    for (i, &grid) in org.grids.iter().enumerate() {
        accounts.push((format!("worker{}", i + 1), Role::GridWorker, grid));
    }
    accounts.extend(
        org.grids
            .first()
            .map(|&g| ("worker1b".into(), Role::GridWorker, g)),
    );
    for (role, prefix) in [(Role::GridLeader, "leader"), (Role::Desk, "desk")] {
        for (i, &community) in org.communities.iter().enumerate() {
            accounts.push((format!("{prefix}{}", i + 1), role, community));
        }
    }
    for (login, name) in [("dept1", "城管科"), ("dept2", "民政科")] {
        accounts.extend(department(name).map(|id| (login.into(), Role::Department, id)));
    }
    accounts.push(("admin".into(), Role::Admin, org.street));
    accounts
        .into_iter()
        .map(|(login, role, scope_id)| {
            let female = rng.gen_bool(0.6);
            User {
                id: new_id(rng),
                login,
                name: namer.name(rng, female),
                role,
                scope_id,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use gridwalk_shared::model::{Level, Record};
    use gridwalk_shared::validate::validate_record;

    use super::*;

    fn units(reference: &ReferenceData, kind: OrgKind) -> Vec<&OrgUnit> {
        reference.units.iter().filter(|u| u.kind == kind).collect()
    }

    #[test]
    fn same_seed_same_demo_other_seed_other_demo() {
        let (a, b, c) = (demo(42), demo(42), demo(43));
        assert_eq!(a, b);
        assert_ne!(a.reference.units[0].id, c.reference.units[0].id);
        assert_ne!(a.households, c.households);
        let heads = |d: &Demo| {
            d.households
                .iter()
                .map(|h| h.head.clone())
                .collect::<Vec<_>>()
        };
        assert_ne!(heads(&a), heads(&c));
    }

    #[test]
    fn sizes_match_the_design() {
        let demo = demo(1);
        let r = &demo.reference;
        assert_eq!(r.version, 1);
        assert_eq!(units(r, OrgKind::District).len(), 1);
        assert_eq!(units(r, OrgKind::Street).len(), 1);
        assert_eq!(units(r, OrgKind::Community).len(), 2);
        let grids = units(r, OrgKind::Grid);
        assert_eq!(grids.len(), 6);
        assert_eq!(grids[0].name, "幸福社区第一网格");
        assert_eq!(grids[5].name, "光明社区第三网格");
        assert_eq!(r.buildings.len(), 60);
        assert_eq!(demo.households.len(), 1800);
        for grid in grids {
            assert_eq!(r.buildings_in(grid.id).count(), 10);
            let in_grid = demo.households.iter().filter(|h| h.grid_id == grid.id);
            assert_eq!(in_grid.count(), 300, "{}", grid.name);
        }
        for b in &r.buildings {
            let in_building = demo.households.iter().filter(|h| h.building_id == b.id);
            assert_eq!(in_building.count(), 30, "{}", b.address);
        }
        let ids: HashSet<Uuid> = r
            .units
            .iter()
            .map(|u| u.id)
            .chain(r.buildings.iter().map(|b| b.id))
            .collect();
        assert_eq!(ids.len(), r.units.len() + r.buildings.len());
    }

    #[test]
    fn the_demo_street_has_plausible_geometry() {
        use gridwalk_shared::geometry::{check_ring, contains, distance_m};
        let r = demo(3).reference;
        let grids = units(&r, OrgKind::Grid);
        let rings: Vec<&Vec<_>> = grids.iter().map(|g| g.boundary.as_ref().unwrap()).collect();
        for unit in units(&r, OrgKind::Community)
            .into_iter()
            .chain(grids.iter().copied())
        {
            let ring = unit
                .boundary
                .as_ref()
                .expect("every community and grid has a boundary");
            assert_eq!(check_ring(ring), Ok(()), "{}", unit.name);
        }
        for b in &r.buildings {
            let p = b.position.expect("every building is placed");
            let holding: Vec<_> = grids
                .iter()
                .zip(&rings)
                .filter(|(_, ring)| contains(ring, p))
                .collect();
            assert_eq!(holding.len(), 1, "{} lies in one grid", b.address);
            assert_eq!(
                holding[0].0.id, b.grid_id,
                "{} lies in its own grid",
                b.address
            );
            let community = r
                .unit(b.grid_id)
                .and_then(|g| g.parent)
                .and_then(|c| r.unit(c))
                .unwrap();
            assert!(contains(community.boundary.as_ref().unwrap(), p));
        }
        // A grid block is a few hundred metres across, as real grids of ~300 households are.
        let side = distance_m(rings[0][0], rings[0][1]);
        assert!((200.0..500.0).contains(&side), "{side}");
    }

    #[test]
    fn every_household_is_valid_with_a_unique_address() {
        let demo = demo(7);
        for h in &demo.households {
            let record = Record::Household(h.clone());
            if let Err(e) = validate_record(&record, &demo.reference) {
                panic!("{} is invalid: {e}", h.address);
            }
        }
        let addresses: HashSet<&str> = demo.households.iter().map(|h| h.address.as_str()).collect();
        assert_eq!(addresses.len(), demo.households.len());
        let ids: HashSet<Uuid> = demo.households.iter().map(|h| h.id).collect();
        assert_eq!(ids.len(), demo.households.len());
        let first = &demo.households[0];
        assert_eq!(first.address, "幸福路18号1号楼1单元101");
    }

    #[test]
    fn users_have_their_roles_and_scopes() {
        let r = demo(1).reference;
        let grids = units(&r, OrgKind::Grid);
        let communities = units(&r, OrgKind::Community);
        let street = units(&r, OrgKind::Street)[0].id;
        let dept = |name: &str| {
            r.departments
                .iter()
                .find(|d| d.name == name)
                .expect("department")
                .id
        };
        let mut expected = vec![("worker1b".to_string(), Role::GridWorker, grids[0].id)];
        for (i, g) in grids.iter().enumerate() {
            expected.push((format!("worker{}", i + 1), Role::GridWorker, g.id));
        }
        for (i, c) in communities.iter().enumerate() {
            expected.push((format!("leader{}", i + 1), Role::GridLeader, c.id));
            expected.push((format!("desk{}", i + 1), Role::Desk, c.id));
        }
        expected.push(("dept1".into(), Role::Department, dept("城管科")));
        expected.push(("dept2".into(), Role::Department, dept("民政科")));
        expected.push(("admin".into(), Role::Admin, street));
        assert_eq!(r.users.len(), expected.len());
        for (login, role, scope) in expected {
            let user = r.users.iter().find(|u| u.login == login).expect(&login);
            assert_eq!((user.role, user.scope_id), (role, scope), "{login}");
            assert!(user.name.chars().count() >= 2);
        }
        assert!(grids[..3]
            .iter()
            .all(|g| g.parent == Some(communities[0].id)));
        assert!(grids[3..]
            .iter()
            .all(|g| g.parent == Some(communities[1].id)));
        for u in &r.users {
            let scope_exists =
                r.unit(u.scope_id).is_some() || r.departments.iter().any(|d| d.id == u.scope_id);
            assert!(scope_exists, "{}", u.login);
        }
        let logins: HashSet<&str> = r.users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins.len(), r.users.len());
    }

    #[test]
    fn every_category_routes_from_every_grid() {
        let r = demo(1).reference;
        let street = units(&r, OrgKind::Street)[0].id;
        let district = units(&r, OrgKind::District)[0].id;
        assert_eq!(
            r.departments.iter().filter(|d| d.unit_id == street).count(),
            8
        );
        assert_eq!(
            r.departments
                .iter()
                .filter(|d| d.unit_id == district)
                .count(),
            3
        );
        assert!(r.category("env.garbage").is_some());
        assert!(r.categories.len() >= 15);
        for c in &r.categories {
            for grid in units(&r, OrgKind::Grid) {
                let rule = r.route(&c.code, grid.id).expect("a routing rule");
                assert_eq!(rule.days, rule.level.default_days());
                let owner = rule
                    .department_id
                    .and_then(|id| r.departments.iter().find(|d| d.id == id));
                match rule.level {
                    Level::Grid | Level::Community => assert!(owner.is_none(), "{}", c.code),
                    Level::Street => {
                        assert_eq!(owner.map(|d| d.unit_id), Some(street), "{}", c.code)
                    }
                    Level::City => {
                        assert_eq!(owner.map(|d| d.unit_id), Some(district), "{}", c.code)
                    }
                }
            }
        }
    }
}
