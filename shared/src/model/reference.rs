//! The reference-data bundle a device receives: read-only, versioned by the server.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Building, ChecklistTemplate, Department, IncidentCategory, OrgUnit, PatrolRule, RoutingRule,
    ScoreWeights, ServiceItem, TilePackage, TileSource, User, VisitCheckRule, VisitRules,
};
use crate::calendar::WorkCalendar;

/// Everything server-authoritative a device needs, at one version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReferenceData {
    /// Bumped on every change; devices compare it with theirs.
    pub version: u64,
    /// Org tree nodes.
    pub units: Vec<OrgUnit>,
    /// Buildings.
    pub buildings: Vec<Building>,
    /// Departments.
    pub departments: Vec<Department>,
    /// Users (names and roles, for display and permission checks).
    pub users: Vec<User>,
    /// Incident categories.
    pub categories: Vec<IncidentCategory>,
    /// Routing rules.
    pub routing: Vec<RoutingRule>,
    /// Checklist templates, every version.
    pub checklists: Vec<ChecklistTemplate>,
    /// Service catalogue.
    pub services: Vec<ServiceItem>,
    /// Working-day calendar.
    pub calendar: WorkCalendar,
    /// The weekly patrol rule (巡查要求).
    #[serde(default)]
    pub patrol_rule: PatrolRule,
    /// The scoreboard's weights (效能考核), set by the street.
    #[serde(default)]
    pub score_weights: ScoreWeights,
    /// Visit frequency by key-person tag (absent in reference data stored before the rules:
    /// everyone monthly).
    #[serde(default)]
    pub visit_rules: VisitRules,
    /// The visit authenticity check's thresholds (defaults where stored before them).
    #[serde(default)]
    pub visit_check: VisitCheckRule,
    /// Offline basemaps, one per community at most.
    #[serde(default)]
    pub tile_packages: Vec<TilePackage>,
    /// Online basemaps, one per org unit at most.
    #[serde(default)]
    pub tile_sources: Vec<TileSource>,
}

impl ReferenceData {
    /// The org unit with this id.
    pub fn unit(&self, id: Uuid) -> Option<&OrgUnit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// `unit` and its ancestors, nearest first.
    pub fn lineage(&self, unit: Uuid) -> Vec<Uuid> {
        let mut chain = Vec::new();
        let mut next = Some(unit);
        while let Some(id) = next {
            if chain.contains(&id) {
                break;
            }
            chain.push(id);
            next = self.unit(id).and_then(|u| u.parent);
        }
        chain
    }

    /// Whether `unit` is `ancestor` or lies under it.
    pub fn is_within(&self, unit: Uuid, ancestor: Uuid) -> bool {
        self.lineage(unit).contains(&ancestor)
    }

    /// `root` and every unit under it, in the order of `units`: each unit's parent chain is
    /// followed only until it meets a unit already placed, so a street of 750 grids costs
    /// one pass (the sync handler asks this on every device-sync).
    pub fn subtree(&self, root: Uuid) -> Vec<Uuid> {
        let parent: HashMap<Uuid, Option<Uuid>> =
            self.units.iter().map(|u| (u.id, u.parent)).collect();
        let mut inside: HashMap<Uuid, bool> = HashMap::with_capacity(parent.len() + 1);
        inside.insert(root, true);
        let mut path = Vec::new();
        let mut out = Vec::new();
        for unit in &self.units {
            path.clear();
            let mut next = Some(unit.id);
            let answer = loop {
                let Some(id) = next else { break false };
                if let Some(known) = inside.get(&id) {
                    break *known;
                }
                if path.contains(&id) {
                    break false; // a cycle that does not pass through `root`
                }
                path.push(id);
                next = parent.get(&id).copied().flatten();
            };
            for id in &path {
                inside.insert(*id, answer);
            }
            if answer {
                out.push(unit.id);
            }
        }
        out
    }

    /// The user with this id.
    pub fn user(&self, id: Uuid) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The incident category with this code.
    pub fn category(&self, code: &str) -> Option<&IncidentCategory> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The routing rule for a category reported in `unit`: the rule whose area is nearest.
    pub fn route(&self, category: &str, unit: Uuid) -> Option<&RoutingRule> {
        self.lineage(unit).into_iter().find_map(|area| {
            self.routing
                .iter()
                .find(|r| r.category == category && r.area_id == area)
        })
    }

    /// A checklist template at a version.
    pub fn checklist(&self, id: Uuid, version: u32) -> Option<&ChecklistTemplate> {
        self.checklists
            .iter()
            .find(|t| t.id == id && t.version == version)
    }

    /// The newest version of the first checklist template.
    pub fn current_checklist(&self) -> Option<&ChecklistTemplate> {
        let id = self.checklists.first()?.id;
        self.checklists
            .iter()
            .filter(|t| t.id == id)
            .max_by_key(|t| t.version)
    }

    /// The service catalogue item with this id.
    pub fn service(&self, id: Uuid) -> Option<&ServiceItem> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The position of a building, when it has one.
    pub fn building_position(&self, building: Option<Uuid>) -> Option<crate::coords::LatLon> {
        let id = building?;
        self.buildings.iter().find(|b| b.id == id)?.position
    }

    /// The tile package a device scoped to `unit` may fetch: the one of the nearest unit in
    /// its lineage that has one.
    pub fn tile_package_for(&self, unit: Uuid) -> Option<&TilePackage> {
        self.lineage(unit)
            .into_iter()
            .find_map(|u| self.tile_packages.iter().find(|p| p.unit_id == u))
    }

    /// The online basemap for `unit`: the one of the nearest unit in its lineage that has one.
    pub fn tile_source_for(&self, unit: Uuid) -> Option<&TileSource> {
        self.lineage(unit)
            .into_iter()
            .find_map(|u| self.tile_sources.iter().find(|s| s.unit_id == u))
    }

    /// Buildings in a grid.
    pub fn buildings_in(&self, grid: Uuid) -> impl Iterator<Item = &Building> {
        self.buildings.iter().filter(move |b| b.grid_id == grid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OrgKind;

    fn unit(id: u128, parent: Option<u128>) -> OrgUnit {
        OrgUnit {
            id: Uuid::from_u128(id),
            kind: OrgKind::Grid,
            name: format!("u{id}"),
            parent: parent.map(Uuid::from_u128),
            boundary: None,
        }
    }

    /// What `subtree` must equal: every unit whose lineage holds `root`.
    fn naive(r: &ReferenceData, root: Uuid) -> Vec<Uuid> {
        let ids = r.units.iter().map(|u| u.id);
        ids.filter(|id| r.is_within(*id, root)).collect()
    }

    #[test]
    fn a_subtree_is_every_unit_whose_lineage_holds_the_root_in_order() {
        // A street (1) of three communities (10..13) with four grids each, listed children
        // first and shuffled, plus a unit whose parent is unknown and a two-unit cycle.
        let mut units = vec![
            unit(99, Some(98)),
            unit(200, Some(201)),
            unit(201, Some(200)),
        ];
        for c in 10..13u128 {
            for g in 0..4u128 {
                units.push(unit(c * 100 + g, Some(c)));
            }
            units.push(unit(c, Some(1)));
        }
        units.push(unit(1, None));
        units.swap(4, 11);
        let r = ReferenceData {
            units,
            ..ReferenceData::default()
        };
        for root in [1u128, 10, 11, 1203, 99, 200, 5] {
            let root = Uuid::from_u128(root);
            assert_eq!(r.subtree(root), naive(&r, root), "root {root}");
        }
        assert_eq!(r.subtree(Uuid::from_u128(1)).len(), 16);
        assert_eq!(
            r.subtree(Uuid::from_u128(11)),
            [1103, 1100, 1101, 1102, 11].map(Uuid::from_u128).to_vec()
        );
        assert_eq!(
            r.subtree(Uuid::from_u128(200)).len(),
            2,
            "a cycle through the root"
        );
        assert!(
            r.subtree(Uuid::from_u128(5)).is_empty(),
            "not a unit, nothing under it"
        );
    }
}
