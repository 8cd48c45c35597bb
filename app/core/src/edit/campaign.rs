//! Doing a campaign task: a visit (or building check) that references the campaign; for a
//! census task the household's base data is updated in the same transaction, and the visit
//! records it before → after.

use std::collections::BTreeMap;

use gridwalk_shared::{
    doc,
    model::{
        Answer, Campaign, CampaignKind, CampaignWork, CensusEdit, HouseholdFacts, Location, Visit,
    },
    time::new_id,
    Record, RecordKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{context, create_in, edit_in, wrong_kind};
use crate::store::records;
use crate::{Client, Error, Result};

/// A campaign task done now by the signed-in worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct CampaignVisit {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The target: a household, or a building for a building check.
    pub target_id: Uuid,
    /// Notes.
    pub note: String,
    /// Answers to the campaign's checklist (or the standard visit's).
    pub answers: BTreeMap<String, Answer>,
    /// Where.
    pub location: Option<Location>,
    /// For a census task: the household's base data as recorded at the door.
    pub census: Option<HouseholdFacts>,
}

/// The part of campaign `campaign_id` that holds `target`.
fn part_with(parts: Vec<Campaign>, campaign_id: Uuid, target: Uuid) -> Result<Campaign> {
    parts
        .into_iter()
        .find(|p| p.campaign_id == campaign_id && p.targets.iter().any(|t| t.id == target))
        .ok_or_else(|| {
            Error::Usage(format!(
                "campaign {campaign_id} has no task for {target} on this device"
            ))
        })
}

impl Client {
    /// Does a campaign task now: records the visit (or building check) that references the
    /// campaign and, for a census task, updates the household's base data, in one
    /// transaction. Returns the visit's id.
    pub fn do_campaign_task(&self, task: CampaignVisit) -> Result<Uuid> {
        let part = part_with(self.campaign_parts()?, task.campaign_id, task.target_id)?;
        let now = self.clock.now();
        self.store().write(|tx| {
            let ctx = context(tx)?;
            let household = match part.task_kind.targets_buildings() {
                true => None,
                false => match records::load(tx, task.target_id)?.map(|d| d.record()) {
                    Some(Ok(Record::Household(h))) => Some(h),
                    Some(Ok(other)) => {
                        return Err(wrong_kind(
                            task.target_id,
                            RecordKind::Household,
                            other.kind(),
                        ))
                    }
                    _ => return Err(Error::NotFound(task.target_id)),
                },
            };
            let census = match (part.task_kind, &task.census, &household) {
                (CampaignKind::Census, Some(after), Some(h)) => Some(CensusEdit {
                    before: h.facts(),
                    after: after.clone(),
                }),
                (CampaignKind::Census, None, _) => {
                    return Err(Error::Usage("a census task needs the census form".into()))
                }
                (_, Some(_), _) => {
                    return Err(Error::Usage(
                        "only a census task edits the household".into(),
                    ))
                }
                _ => None,
            };
            let template = match (part.template_id, part.template_version) {
                (Some(id), Some(version)) => u32::try_from(version).ok().map(|v| (id, v)),
                _ if task.answers.is_empty() => None,
                _ => ctx.reference.current_checklist().map(|t| (t.id, t.version)),
            };
            let visit = Visit {
                id: new_id(),
                grid_id: part.grid_id,
                household_id: task.target_id,
                worker_id: ctx.user.id,
                started_at: now,
                ended_at: Some(now),
                location: task.location.clone(),
                template_id: template.map(|t| t.0),
                template_version: template.map(|t| i64::from(t.1)),
                answers: task.answers.clone(),
                notes: task.note.clone(),
                photos: Vec::new(),
                audio: Vec::new(),
                follow_up: false,
                campaign: Some(CampaignWork {
                    campaign_id: part.campaign_id,
                    building_id: part.task_kind.targets_buildings().then_some(task.target_id),
                    census: census.clone(),
                }),
            };
            let id = create_in(tx, &ctx, &Record::Visit(visit), now)?;
            if let (Some(edit), Some(h)) = (census, household) {
                edit_in(
                    tx,
                    &ctx,
                    h.id,
                    Some(RecordKind::Household),
                    |document, old, _| {
                        let Record::Household(mut household) = old.clone() else {
                            return Err(wrong_kind(h.id, RecordKind::Household, old.kind()));
                        };
                        household.set_facts(&edit.after);
                        Ok(doc::write(document, &Record::Household(household))?)
                    },
                    now,
                )?;
            }
            Ok(id)
        })
    }
}
