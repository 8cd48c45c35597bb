//! Campaigns (阶段性任务) on the phone: the campaigns whose part in a grid this device holds,
//! and the signed-in worker's open tasks, ordered by deadline. A task is done by a visit
//! that references the campaign ([`Client::do_campaign_task`]).

use std::collections::{BTreeMap, HashSet};

use gridwalk_shared::{
    model::{Campaign, CampaignKind, HouseholdFacts},
    time::Timestamp,
    Record, RecordKind,
};
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, queries, records};
use crate::{Client, Error, HouseholdRow, Result};

/// A census form is the household's base data (普查表).
pub type CensusForm = HouseholdFacts;

/// What the phone's task screen needs to do one campaign task.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CampaignTaskForm {
    /// The task.
    pub task: CampaignTask,
    /// For a census task: the household's base data as held now (the form starts from it).
    pub census: Option<CensusForm>,
}

/// A campaign as the phone shows it, over the grids this device holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CampaignView {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Name.
    pub name: String,
    /// What a task is.
    pub kind: CampaignKind,
    /// Due by.
    pub deadline: Timestamp,
    /// Targets held here.
    pub total: usize,
    /// Of them, done.
    pub done: usize,
    /// The deadline has passed with tasks open.
    pub overdue: bool,
}

/// One open campaign task of the signed-in worker.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CampaignTask {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its name.
    pub name: String,
    /// What the task is.
    pub kind: CampaignKind,
    /// Due by.
    pub deadline: Timestamp,
    /// The deadline has passed.
    pub overdue: bool,
    /// Household or building id.
    pub target_id: Uuid,
    /// Address or building name.
    pub label: String,
    /// The household, for visits and census tasks.
    pub household: Option<HouseholdRow>,
    /// Checklist template id and version of the campaign's form (`None`: the standard visit).
    pub template_id: Option<Uuid>,
    /// Checklist template version.
    pub template_version: Option<u32>,
}

impl Client {
    /// The campaign parts held (one per campaign per grid).
    pub(crate) fn campaign_parts(&self) -> Result<Vec<Campaign>> {
        let held = records::of_kind(self.store().conn(), RecordKind::Campaign)?;
        Ok(held
            .into_iter()
            .filter_map(|r| match r {
                Record::Campaign(c) => Some(c),
                _ => None,
            })
            .collect())
    }

    /// Campaign tasks done on this device or synced to it: `(campaign, target)`.
    fn done_tasks(&self) -> Result<HashSet<(Uuid, Uuid)>> {
        let visits = queries::campaign_visits(self.store().conn())?;
        Ok(visits.into_iter().map(|(c, t, _)| (c, t)).collect())
    }

    /// The campaigns held, by deadline, with their progress here.
    pub fn campaigns(&self) -> Result<Vec<CampaignView>> {
        let done = self.done_tasks()?;
        let now = self.clock.now();
        let mut views: BTreeMap<Uuid, CampaignView> = BTreeMap::new();
        for part in self.campaign_parts()? {
            let view = views
                .entry(part.campaign_id)
                .or_insert_with(|| CampaignView {
                    campaign_id: part.campaign_id,
                    name: part.name.clone(),
                    kind: part.task_kind,
                    deadline: part.deadline,
                    total: 0,
                    done: 0,
                    overdue: false,
                });
            view.total += part.targets.len();
            view.done += part
                .targets
                .iter()
                .filter(|t| done.contains(&(part.campaign_id, t.id)))
                .count();
        }
        let mut views: Vec<CampaignView> = views.into_values().collect();
        for view in &mut views {
            view.overdue = view.deadline < now && view.done < view.total;
        }
        views.sort_by_key(|v| (v.deadline, v.campaign_id));
        Ok(views)
    }

    /// The signed-in worker's open campaign tasks (assigned to them or to anyone in the
    /// grid), by deadline, then label.
    pub fn campaign_tasks(&self) -> Result<Vec<CampaignTask>> {
        let user = meta::credentials(self.store().conn())?
            .ok_or(Error::NotEnrolled)?
            .user;
        let done = self.done_tasks()?;
        let households: BTreeMap<Uuid, HouseholdRow> =
            self.households()?.into_iter().map(|h| (h.id, h)).collect();
        let now = self.clock.now();
        let mut tasks = Vec::new();
        for part in self.campaign_parts()? {
            for target in &part.targets {
                let mine = target.worker_id.is_none_or(|w| w == user.id);
                if !mine || done.contains(&(part.campaign_id, target.id)) {
                    continue;
                }
                let household = households.get(&target.id).cloned();
                if !part.task_kind.targets_buildings() && household.is_none() {
                    continue;
                }
                tasks.push(CampaignTask {
                    campaign_id: part.campaign_id,
                    name: part.name.clone(),
                    kind: part.task_kind,
                    deadline: part.deadline,
                    overdue: part.deadline < now,
                    target_id: target.id,
                    label: target.label.clone(),
                    household,
                    template_id: part.template_id,
                    template_version: part.template_version.and_then(|v| u32::try_from(v).ok()),
                });
            }
        }
        tasks.sort_by(|a, b| {
            (a.deadline, gridwalk_shared::natural::natural_key(&a.label))
                .cmp(&(b.deadline, gridwalk_shared::natural::natural_key(&b.label)))
        });
        Ok(tasks)
    }

    /// One open task of the signed-in worker, with its census form when it is a census task;
    /// an error when it is done, not theirs or not held.
    pub fn campaign_task_form(&self, campaign: Uuid, target: Uuid) -> Result<CampaignTaskForm> {
        let task = self
            .campaign_tasks()?
            .into_iter()
            .find(|t| t.campaign_id == campaign && t.target_id == target)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "campaign {campaign} has no open task of yours for {target}"
                ))
            })?;
        let census = match task.kind {
            CampaignKind::Census => match records::load(self.store().conn(), target)?
                .map(|d| d.record())
                .transpose()?
            {
                Some(Record::Household(h)) => Some(h.facts()),
                _ => return Err(Error::NotFound(target)),
            },
            _ => None,
        };
        Ok(CampaignTaskForm { task, census })
    }
}
