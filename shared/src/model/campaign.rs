//! Campaigns (阶段性任务): a stage task over a set of targets with a deadline, e.g. a
//! fire-safety check of every building or a visit to every 独居老人 before a holiday; a
//! census round (普查) edits the households' base data. One document per campaign per grid
//! holds that grid's targets, so each phone receives only its grid's part.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Member;
use crate::time::Timestamp;

/// What doing a campaign's task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// A visit to each target household (入户走访).
    Visit,
    /// A check of each target building (楼栋排查).
    BuildingCheck,
    /// A census visit that updates each target household's base data (普查).
    Census,
}

impl CampaignKind {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Visit => "visit",
            CampaignKind::BuildingCheck => "building_check",
            CampaignKind::Census => "census",
        }
    }

    /// Whether the targets are buildings (otherwise households).
    pub fn targets_buildings(self) -> bool {
        self == CampaignKind::BuildingCheck
    }
}

/// One target of a campaign in a grid: a household, or a building for a building check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CampaignTarget {
    /// Household or building id.
    #[key]
    pub id: Uuid,
    /// Address or building name, for the task list.
    pub label: String,
    /// Responsible worker (the grid's worker when the campaign was made); `None`: anyone in
    /// the grid.
    pub worker_id: Option<Uuid>,
}

/// A campaign's part in one grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Campaign {
    /// Record id (this grid's document).
    pub id: Uuid,
    /// The campaign, the same in every grid's document.
    pub campaign_id: Uuid,
    /// Grid (scope), fixed at creation.
    pub grid_id: Uuid,
    /// Name, e.g. "春节前独居老人走访".
    pub name: String,
    /// What a task is (not `kind`: a [`Record`](super::Record)'s JSON is tagged `kind`).
    pub task_kind: CampaignKind,
    /// Every task is due by then.
    pub deadline: Timestamp,
    /// Checklist template id of the campaign's form; `None`: the standard visit.
    pub template_id: Option<Uuid>,
    /// Checklist template version.
    pub template_version: Option<i64>,
    /// Who made it.
    pub created_by: Uuid,
    /// When.
    pub created_at: Timestamp,
    /// This grid's targets.
    pub targets: Vec<CampaignTarget>,
}

/// A household's base data, as a census round edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HouseholdFacts {
    /// Head of household.
    pub head: String,
    /// Contact phone.
    pub phone: String,
    /// Address.
    pub address: String,
    /// Household-level key-person tags.
    pub tags: Vec<String>,
    /// Members.
    pub members: Vec<Member>,
}

/// A census edit: the household's base data before and after the visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CensusEdit {
    /// As the device held it when the task was done.
    pub before: HouseholdFacts,
    /// As the worker recorded it.
    pub after: HouseholdFacts,
}

/// What a visit did for a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CampaignWork {
    /// The campaign ([`Campaign::campaign_id`]).
    pub campaign_id: Uuid,
    /// For a building check: the building checked (the visit's `household_id` is then the
    /// building's id too).
    pub building_id: Option<Uuid>,
    /// For a census visit: the base data before → after.
    pub census: Option<CensusEdit>,
}

impl super::Household {
    /// The household's base data.
    pub fn facts(&self) -> HouseholdFacts {
        HouseholdFacts {
            head: self.head.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            tags: self.tags.clone(),
            members: self.members.clone(),
        }
    }

    /// Sets the household's base data.
    pub fn set_facts(&mut self, facts: &HouseholdFacts) {
        self.head = facts.head.clone();
        self.phone = facts.phone.clone();
        self.address = facts.address.clone();
        self.tags = facts.tags.clone();
        self.members = facts.members.clone();
    }
}
