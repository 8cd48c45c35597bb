//! Checks on campaigns (阶段性任务) and on the campaign part of a visit: a building check
//! names a building of the visit's grid, a census edit holds valid base data.

use std::collections::HashSet;

use super::budget::{list, tags, text, MAX_MEMBERS, MAX_SHORT_TEXT};
use super::{check_unit, immutable, invalid, required, Actor, Result, ValidationError};
use crate::model::{Campaign, CampaignWork, HouseholdFacts, OrgKind, ReferenceData, Role, Visit};

/// Most targets of a campaign in one grid.
pub const MAX_TARGETS: usize = 5000;

/// The budget of a campaign: text and list lengths.
pub(super) fn budget(c: &Campaign) -> Result {
    text("name", &c.name, MAX_SHORT_TEXT)?;
    list("targets", c.targets.len(), MAX_TARGETS)?;
    c.targets
        .iter()
        .try_for_each(|t| text("target label", &t.label, MAX_SHORT_TEXT))
}

/// The budget of a visit's campaign part (a census edit's base data).
pub(super) fn work_budget(work: &CampaignWork) -> Result {
    let Some(census) = &work.census else {
        return Ok(());
    };
    for facts in [&census.before, &census.after] {
        text("head", &facts.head, MAX_SHORT_TEXT)?;
        text("phone", &facts.phone, MAX_SHORT_TEXT)?;
        text("address", &facts.address, MAX_SHORT_TEXT)?;
        tags("tags", &facts.tags)?;
        list("members", facts.members.len(), MAX_MEMBERS)?;
        for m in &facts.members {
            text("member name", &m.name, MAX_SHORT_TEXT)?;
            text("member relation", &m.relation, MAX_SHORT_TEXT)?;
            tags("member tags", &m.tags)?;
        }
    }
    Ok(())
}

/// Schema checks on a campaign's part in a grid.
pub(super) fn validate_campaign(c: &Campaign, reference: &ReferenceData) -> Result {
    check_unit(reference, c.grid_id, OrgKind::Grid)?;
    required("name", &c.name)?;
    if let (Some(id), Some(version)) = (c.template_id, c.template_version) {
        let known = u32::try_from(version)
            .ok()
            .and_then(|v| reference.checklist(id, v))
            .is_some();
        if !known {
            return Err(invalid(format!(
                "checklist {id} version {version} does not exist"
            )));
        }
    } else if c.template_id.is_some() || c.template_version.is_some() {
        return Err(invalid(
            "a campaign's checklist needs a template id and version",
        ));
    }
    if c.targets.is_empty() {
        return Err(ValidationError::new(
            "no_targets",
            "a campaign needs at least one target",
        ));
    }
    let mut seen = HashSet::new();
    for target in &c.targets {
        if !seen.insert(target.id) {
            return Err(invalid(format!("target {} appears twice", target.id)));
        }
        if c.task_kind.targets_buildings() {
            let in_grid = reference.buildings_in(c.grid_id).any(|b| b.id == target.id);
            if !in_grid {
                return Err(invalid(format!(
                    "building {} is not a building of the grid",
                    target.id
                )));
            }
        }
        if let Some(worker) = target.worker_id {
            if reference.user(worker).is_none() {
                return Err(invalid(format!("user {worker} does not exist")));
            }
        }
    }
    Ok(())
}

/// Checks on a visit's campaign part: a building check names a building of the visit's grid
/// (and is filed under it), a census edit holds base data a household may hold.
pub(super) fn validate_work(v: &Visit, reference: &ReferenceData) -> Result {
    let Some(work) = &v.campaign else {
        return Ok(());
    };
    if let Some(building) = work.building_id {
        if !reference.buildings_in(v.grid_id).any(|b| b.id == building) {
            return Err(invalid(format!(
                "building {building} is not a building of the visit's grid"
            )));
        }
        if v.household_id != building || work.census.is_some() {
            return Err(invalid(
                "a building check is filed under the building's id and edits no household",
            ));
        }
    }
    if let Some(census) = &work.census {
        facts(&census.after)?;
    }
    Ok(())
}

/// A household's base data as a census may set it.
fn facts(f: &HouseholdFacts) -> Result {
    required("address", &f.address)?;
    check_phone(&f.phone)?;
    f.members
        .iter()
        .try_for_each(|m| required("member name", &m.name))
}

/// A phone number as a household holds it: digits, `+`, `-` and spaces, at most 20.
pub(super) fn check_phone(phone: &str) -> Result {
    let ok = phone.chars().count() <= 20
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ".contains(c));
    match ok {
        true => Ok(()),
        false => Err(invalid(format!("phone `{phone}` is not a phone number"))),
    }
}

/// A visit's campaign part is fixed when it is made.
pub(super) fn check_work_kept(old: &Visit, new: &Visit) -> Result {
    match old.campaign == new.campaign {
        true => Ok(()),
        false => Err(immutable("campaign")),
    }
}

/// A campaign's identity and kind are fixed; only an admin changes the rest.
pub(super) fn check_kept(old: &Campaign, new: &Campaign, actor: &Actor) -> Result {
    if old.campaign_id != new.campaign_id || old.task_kind != new.task_kind {
        return Err(immutable("campaign_id/task_kind"));
    }
    if actor.role != Role::Admin {
        return Err(ValidationError::new(
            "forbidden",
            "only an admin may change a campaign",
        ));
    }
    Ok(())
}
