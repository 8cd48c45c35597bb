//! `/api/campaigns`: campaigns (阶段性任务). An admin names a campaign, its kind, its targets
//! (households with a key-person tag, households of some buildings, all of a grid, or a
//! list of household ids or addresses), a deadline and optionally a checklist of its own;
//! the server resolves the targets and writes one campaign document per grid holding that
//! grid's targets, so each phone receives only its grid's part. Progress, the census review
//! and the export are in [`super::campaign_progress`].

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use gridwalk_shared::model::{
    Campaign, CampaignKind, CampaignTarget, ChecklistItem, ChecklistTemplate, Household, Record,
    RecordKind, ReferenceData, Role,
};
use gridwalk_shared::schedule::household_tags;
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::validate::{self, Actor};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::campaign_progress::{summaries, CampaignSummary};
use super::json::{invalid, ApiJson};
use super::org::name;
use super::workflow_write::refused;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, DocWrite, IndexFilter};

/// Documentation of `POST /api/campaigns`.
pub const CREATE: Doc = Doc {
    id: "createCampaign",
    summary: "Create a campaign (阶段性任务): resolve its targets, one document per grid",
    tag: "campaigns",
    public: false,
    query: &[],
    body: Some(Body::json::<CampaignForm>()),
    reply: Reply::json::<CampaignSummary>(),
};
/// Documentation of `GET /api/campaigns`.
pub const LIST: Doc = Doc {
    id: "listCampaigns",
    summary: "Campaigns in your scope with their progress (done / total, overdue)",
    tag: "campaigns",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<Vec<CampaignSummary>>(),
};

/// Which targets a campaign has.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetSpec {
    /// Households where the household or a member carries `tag`, in `area` (default: your
    /// scope).
    Tag {
        /// Key-person tag, e.g. 独居老人.
        tag: String,
        /// Org unit to look in.
        area: Option<Uuid>,
    },
    /// These buildings (building checks) or their households.
    Buildings {
        /// Building ids.
        buildings: Vec<Uuid>,
    },
    /// Every building (building checks) or household of a grid.
    Grid {
        /// Grid id.
        grid: Uuid,
    },
    /// An imported list of households, each by id or by full address.
    List {
        /// Household ids or addresses.
        households: Vec<String>,
    },
}

/// A checklist of the campaign's own.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct CampaignChecklist {
    name: String,
    items: Vec<ChecklistItem>,
}

/// A new campaign.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct CampaignForm {
    /// Name, e.g. 春节前独居老人走访.
    pub name: String,
    /// What a task is.
    pub kind: CampaignKind,
    /// Last day (local), YYYY-MM-DD: tasks are due by its end.
    pub deadline: NaiveDate,
    /// The targets.
    pub targets: TargetSpec,
    /// A checklist of its own; absent: the standard visit.
    #[serde(default)]
    pub checklist: Option<CampaignChecklist>,
}

/// Most targets one campaign may have across its grids.
const MAX_CAMPAIGN_TARGETS: usize = 20_000;

/// The end (23:59:59 local) of `date`.
fn end_of_day(reference: &ReferenceData, date: NaiveDate) -> Result<Timestamp, AppError> {
    let offset = FixedOffset::east_opt(reference.calendar.utc_offset_minutes * 60)
        .ok_or_else(|| invalid("the deployment's time zone is not valid"))?;
    let end = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    offset
        .from_local_datetime(&end)
        .single()
        .map(|t| Timestamp::from(t.with_timezone(&chrono::Utc)))
        .ok_or_else(|| invalid(format!("{date} is not a valid deadline")))
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// The households in the caller's scope.
async fn households<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
) -> Result<Vec<Household>, AppError> {
    let rows = state
        .store
        .index_rows(
            RecordKind::Household,
            IndexFilter {
                units: caller.units(),
                ..IndexFilter::default()
            },
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str::<Record>(&r.row.json) {
            Ok(Record::Household(h)) => Some(h),
            _ => None,
        })
        .collect())
}

/// One resolved target: its grid, id and label.
type Resolved = (Uuid, Uuid, String);

/// Resolves the targets of `form` within the caller's scope.
async fn resolve<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
    form: &CampaignForm,
) -> Result<Vec<Resolved>, AppError> {
    let r = &caller.reference;
    let buildings = form.kind.targets_buildings();
    let of_building = |id: Uuid| -> Result<&gridwalk_shared::model::Building, AppError> {
        r.buildings
            .iter()
            .find(|b| b.id == id && caller.manages_unit(b.grid_id))
            .ok_or_else(|| invalid(format!("building {id} does not exist in your scope")))
    };
    let building_target = |b: &gridwalk_shared::model::Building| (b.grid_id, b.id, b.name.clone());
    let household_target = |h: &Household| (h.grid_id, h.id, h.address.clone());
    let targets: Vec<Resolved> = match &form.targets {
        TargetSpec::Tag { tag, area } => {
            if buildings {
                return Err(invalid("a building check targets buildings, not a tag"));
            }
            let units = match area {
                Some(area) => {
                    caller.check_unit(*area)?;
                    r.subtree(*area)
                }
                None => caller.units(),
            };
            let all = households(state, caller).await?;
            let known = r.visit_rules.by_tag.iter().any(|v| &v.tag == tag)
                || all.iter().any(|h| household_tags(h).any(|t| t == tag));
            if !known {
                return Err(invalid(format!("no household carries the tag `{tag}`")));
            }
            all.iter()
                .filter(|h| units.contains(&h.grid_id) && household_tags(h).any(|t| t == tag))
                .map(household_target)
                .collect()
        }
        TargetSpec::Buildings { buildings: ids } => {
            let chosen = ids
                .iter()
                .map(|id| of_building(*id))
                .collect::<Result<Vec<_>, _>>()?;
            if buildings {
                chosen.into_iter().map(building_target).collect()
            } else {
                let set: BTreeSet<Uuid> = ids.iter().copied().collect();
                households(state, caller)
                    .await?
                    .iter()
                    .filter(|h| set.contains(&h.building_id))
                    .map(household_target)
                    .collect()
            }
        }
        TargetSpec::Grid { grid } => {
            match r.unit(*grid) {
                Some(u) if u.kind == gridwalk_shared::model::OrgKind::Grid => {}
                _ => return Err(invalid(format!("{grid} is not a grid"))),
            }
            caller.check_unit(*grid)?;
            if buildings {
                r.buildings_in(*grid).map(building_target).collect()
            } else {
                households(state, caller)
                    .await?
                    .iter()
                    .filter(|h| h.grid_id == *grid)
                    .map(household_target)
                    .collect()
            }
        }
        TargetSpec::List { households: wanted } => {
            if buildings {
                return Err(invalid(
                    "a building check targets buildings, not households",
                ));
            }
            let all = households(state, caller).await?;
            let mut out = Vec::new();
            for entry in wanted {
                let entry = entry.trim();
                let found = all.iter().find(|h| {
                    Uuid::parse_str(entry).is_ok_and(|id| id == h.id) || h.address == entry
                });
                match found {
                    Some(h) => out.push(household_target(h)),
                    None => {
                        return Err(invalid(format!(
                            "`{entry}` is no household id or address in your scope"
                        )))
                    }
                }
            }
            out
        }
    };
    let mut seen = BTreeSet::new();
    let targets: Vec<Resolved> = targets
        .into_iter()
        .filter(|(_, id, _)| seen.insert(*id))
        .collect();
    if targets.is_empty() {
        return Err(unprocessable(
            "no_targets",
            "the target set is empty: nothing to do, nothing was created",
        ));
    }
    if targets.len() > MAX_CAMPAIGN_TARGETS {
        return Err(invalid(format!(
            "a campaign has at most {MAX_CAMPAIGN_TARGETS} targets"
        )));
    }
    Ok(targets)
}

/// The worker responsible for a grid's tasks: its first grid worker by login.
fn worker_of(reference: &ReferenceData, grid: Uuid) -> Option<Uuid> {
    let mut workers: Vec<_> = reference
        .users
        .iter()
        .filter(|u| u.role == Role::GridWorker && u.scope_id == grid)
        .collect();
    workers.sort_by(|a, b| a.login.cmp(&b.login));
    workers.first().map(|u| u.id)
}

/// Creates a campaign.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn create<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(form): ApiJson<CampaignForm>,
) -> Result<(StatusCode, ApiJson<CampaignSummary>), AppError> {
    caller.require_admin()?;
    let title = name(&form.name, "a campaign name")?;
    let now = Timestamp::from(chrono::Utc::now());
    let deadline = end_of_day(&caller.reference, form.deadline)?;
    if deadline < now {
        return Err(invalid(format!(
            "the deadline {} has passed",
            form.deadline
        )));
    }
    if let Some(checklist) = &form.checklist {
        name(&checklist.name, "a checklist name")?;
        super::reference::check_items(&checklist.items)?;
    }
    let targets = resolve(&state, &caller, &form).await?;
    let mut by_grid: BTreeMap<Uuid, Vec<CampaignTarget>> = BTreeMap::new();
    for (grid, id, label) in targets {
        by_grid.entry(grid).or_default().push(CampaignTarget {
            id,
            label,
            worker_id: worker_of(&caller.reference, grid),
        });
    }
    let campaign_id = new_id();
    let template = form.checklist.as_ref().map(|c| ChecklistTemplate {
        id: new_id(),
        version: 1,
        name: c.name.trim().to_string(),
        items: c.items.clone(),
    });
    let mut reference = (*caller.reference).clone();
    reference.checklists.extend(template.clone());
    let actor = Actor {
        user_id: caller.user.id,
        role: caller.user.role,
        scope_id: caller.user.scope_id,
    };
    let records: Vec<Record> = by_grid
        .into_iter()
        .map(|(grid_id, targets)| {
            Record::Campaign(Campaign {
                id: new_id(),
                campaign_id,
                grid_id,
                name: title.clone(),
                task_kind: form.kind,
                deadline,
                template_id: template.as_ref().map(|t| t.id),
                template_version: template.as_ref().map(|t| i64::from(t.version)),
                created_by: caller.user.id,
                created_at: now,
                targets,
            })
        })
        .collect();
    for record in &records {
        validate::validate_record(record, &reference).map_err(refused)?;
        validate::validate_change(None, record, &actor, &reference).map_err(refused)?;
    }
    let writes = records
        .iter()
        .map(DocWrite::created)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(template) = template {
        super::reference::edit(&state, move |data| {
            data.checklists.push(template);
            Ok(())
        })
        .await?;
    }
    let changed = crate::live::Changed::of(&writes);
    state
        .store
        .commit(crate::populate::SERVER_DEVICE, writes)
        .await?;
    state.live.notify(changed);
    let parts: Vec<Campaign> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Campaign(c) => Some(c),
            _ => None,
        })
        .collect();
    let summary = summaries(&parts, &[], now)
        .pop()
        .ok_or_else(|| unprocessable("no_targets", "the campaign has no targets"))?;
    caller
        .audit(
            &state.store,
            "campaign.create",
            campaign_id.to_string(),
            json!({ "kind": form.kind.as_str(), "grids": summary.grids, "targets": summary.total }),
        )
        .await?;
    Ok((StatusCode::CREATED, ApiJson(summary)))
}

/// Lists the campaigns in the caller's scope.
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
) -> Result<ApiJson<Vec<CampaignSummary>>, AppError> {
    caller.require_admin()?;
    let parts = super::campaign_progress::parts(&state, &caller, None).await?;
    let visits = super::campaign_progress::visits(&state, &parts).await?;
    let now = Timestamp::from(chrono::Utc::now());
    Ok(ApiJson(summaries(&parts, &visits, now)))
}
