//! A campaign's progress (done / total, overdue) per grid and per worker, computed from the
//! stored visits that reference it; the census review (before → after per household); and
//! the progress as CSV or XLSX.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridwalk_shared::model::{Campaign, CampaignKind, HouseholdFacts, Record, RecordKind, Visit};
use gridwalk_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::export::{to_csv, to_xlsx, Sheet};
use super::json::invalid;
use super::json::ApiJson;
use super::workflow_write::not_found;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/campaigns/{id}`.
pub const PROGRESS: Doc = Doc {
    id: "campaignProgress",
    summary: "A campaign's progress per grid and per worker (done / total, overdue) and its tasks",
    tag: "campaigns",
    public: false,
    query: &[(
        "as_of",
        "Epoch ms to reckon overdue tasks at (default: now), e.g. the day after the deadline",
    )],
    body: None,
    reply: Reply::json::<CampaignProgress>(),
};
/// Documentation of `GET /api/campaigns/{id}/census`.
pub const CENSUS: Doc = Doc {
    id: "campaignCensus",
    summary: "A census round's review: each household's base data before → after",
    tag: "campaigns",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<Vec<CensusReview>>(),
};
/// Documentation of `GET /api/campaigns/{id}/export`.
pub const EXPORT: Doc = Doc {
    id: "exportCampaign",
    summary: "A campaign's tasks and progress as CSV or XLSX",
    tag: "campaigns",
    public: false,
    query: &[("format", "csv or xlsx (default xlsx)")],
    body: None,
    reply: Reply::File,
};

/// A campaign with its progress.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CampaignSummary {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Name.
    pub name: String,
    /// What a task is.
    pub kind: CampaignKind,
    /// Due by (epoch ms).
    pub deadline: i64,
    /// Made at (epoch ms).
    pub created_at: i64,
    /// Grids with targets.
    pub grids: usize,
    /// Targets.
    pub total: usize,
    /// Done.
    pub done: usize,
    /// Not done and past the deadline.
    pub overdue: usize,
}

/// Done / total / overdue of one grid or worker.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Tally {
    /// Grid or worker id (nil: no worker assigned).
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Targets.
    pub total: usize,
    /// Done.
    pub done: usize,
    /// Not done and past the deadline.
    pub overdue: usize,
}

/// One task of a campaign.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TaskRow {
    /// Household or building.
    pub target_id: Uuid,
    /// Address or building name.
    pub label: String,
    /// Grid.
    pub grid_id: Uuid,
    /// Responsible worker.
    pub worker_id: Option<Uuid>,
    /// The visit that did it.
    pub visit_id: Option<Uuid>,
    /// Who did it.
    pub done_by: Option<Uuid>,
    /// When (epoch ms).
    pub done_at: Option<i64>,
    /// Not done and past the deadline.
    pub overdue: bool,
}

/// A campaign's progress.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CampaignProgress {
    /// The campaign and its totals.
    pub summary: CampaignSummary,
    /// Per grid, by name.
    pub per_grid: Vec<Tally>,
    /// Per responsible worker (or whoever did an unassigned task), by name.
    pub per_worker: Vec<Tally>,
    /// Every task, by grid and label.
    pub tasks: Vec<TaskRow>,
}

/// One household's census edit.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CensusReview {
    /// Household.
    pub household_id: Uuid,
    /// The census visit.
    pub visit_id: Uuid,
    /// Who recorded it.
    pub worker_id: Uuid,
    /// When (epoch ms).
    pub at: i64,
    /// Base data before.
    pub before: HouseholdFacts,
    /// Base data after.
    pub after: HouseholdFacts,
    /// Fields that changed: head, phone, address, tags, members.
    pub changed: Vec<String>,
}

/// The campaign parts (one per grid) in the caller's scope; only campaign `id`'s if given.
pub async fn parts<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
    id: Option<Uuid>,
) -> Result<Vec<Campaign>, AppError> {
    let rows = state
        .store
        .index_rows(
            RecordKind::Campaign,
            IndexFilter {
                units: caller.units(),
                ..IndexFilter::default()
            },
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| id.is_none() || r.row.subject == id)
        .filter_map(|r| match serde_json::from_str::<Record>(&r.row.json) {
            Ok(Record::Campaign(c)) => Some(c),
            _ => None,
        })
        .collect())
}

/// The stored visits that reference one of `parts`' campaigns.
pub async fn visits<S: AdminStore>(
    state: &AppState<S>,
    parts: &[Campaign],
) -> Result<Vec<Visit>, AppError> {
    let Some(from) = parts.iter().map(|p| p.created_at.millis()).min() else {
        return Ok(Vec::new());
    };
    let mut grids: Vec<Uuid> = parts.iter().map(|p| p.grid_id).collect();
    grids.sort();
    grids.dedup();
    let campaigns: Vec<Uuid> = parts.iter().map(|p| p.campaign_id).collect();
    let rows = state
        .store
        .index_rows(
            RecordKind::Visit,
            IndexFilter {
                units: grids,
                // Phones' clocks drift: a day of slack before the campaign was made.
                from: Some(from - 86_400_000),
                ..IndexFilter::default()
            },
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str::<Record>(&r.row.json) {
            Ok(Record::Visit(v)) => Some(v),
            _ => None,
        })
        .filter(|v| {
            v.campaign
                .as_ref()
                .is_some_and(|c| campaigns.contains(&c.campaign_id))
        })
        .collect())
}

/// The first visit doing each task: `(campaign, target)` → visit.
fn done_by(visits: &[Visit]) -> HashMap<(Uuid, Uuid), &Visit> {
    let mut done: HashMap<(Uuid, Uuid), &Visit> = HashMap::new();
    for v in visits {
        let Some(work) = &v.campaign else { continue };
        let slot = done.entry((work.campaign_id, v.household_id)).or_insert(v);
        if v.started_at < slot.started_at {
            *slot = v;
        }
    }
    done
}

/// Every task of `parts`, with what did it.
fn tasks(parts: &[&Campaign], visits: &[Visit], now: Timestamp) -> Vec<TaskRow> {
    let done = done_by(visits);
    let mut rows = Vec::new();
    for part in parts {
        for t in &part.targets {
            let visit = done.get(&(part.campaign_id, t.id));
            rows.push(TaskRow {
                target_id: t.id,
                label: t.label.clone(),
                grid_id: part.grid_id,
                worker_id: t.worker_id,
                visit_id: visit.map(|v| v.id),
                done_by: visit.map(|v| v.worker_id),
                done_at: visit.map(|v| v.started_at.millis()),
                overdue: visit.is_none() && part.deadline < now,
            });
        }
    }
    rows
}

/// The campaigns of `parts` with their totals, latest deadline first.
pub fn summaries(parts: &[Campaign], visits: &[Visit], now: Timestamp) -> Vec<CampaignSummary> {
    let mut by_campaign: BTreeMap<Uuid, Vec<&Campaign>> = BTreeMap::new();
    for part in parts {
        by_campaign.entry(part.campaign_id).or_default().push(part);
    }
    let mut out: Vec<CampaignSummary> = by_campaign
        .into_values()
        .filter_map(|group| {
            let first = group.first()?;
            let rows = tasks(&group, visits, now);
            Some(CampaignSummary {
                campaign_id: first.campaign_id,
                name: first.name.clone(),
                kind: first.task_kind,
                deadline: first.deadline.millis(),
                created_at: first.created_at.millis(),
                grids: group.len(),
                total: rows.len(),
                done: rows.iter().filter(|r| r.visit_id.is_some()).count(),
                overdue: rows.iter().filter(|r| r.overdue).count(),
            })
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse((s.deadline, s.campaign_id)));
    out
}

fn tally(
    rows: &[TaskRow],
    key: impl Fn(&TaskRow) -> Uuid,
    name: impl Fn(Uuid) -> String,
) -> Vec<Tally> {
    let mut by: BTreeMap<Uuid, Tally> = BTreeMap::new();
    for row in rows {
        let id = key(row);
        let t = by.entry(id).or_insert_with(|| Tally {
            id,
            name: name(id),
            total: 0,
            done: 0,
            overdue: 0,
        });
        t.total += 1;
        t.done += usize::from(row.visit_id.is_some());
        t.overdue += usize::from(row.overdue);
    }
    let mut out: Vec<Tally> = by.into_values().collect();
    out.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    out
}

/// Campaign `id`'s parts and visits, as the caller sees them (404 if none).
async fn load<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
    id: Uuid,
) -> Result<(Vec<Campaign>, Vec<Visit>), AppError> {
    caller.require_admin()?;
    let parts = parts(state, caller, Some(id)).await?;
    if parts.is_empty() {
        return Err(not_found(id));
    }
    let visits = visits(state, &parts).await?;
    Ok((parts, visits))
}

/// When to reckon overdue tasks.
#[derive(Deserialize)]
pub struct AsOf {
    as_of: Option<i64>,
}

/// Works out the progress of one campaign as of `now`.
fn progress(
    caller: &Caller,
    parts: &[Campaign],
    visits: &[Visit],
    now: Timestamp,
) -> Option<CampaignProgress> {
    let summary = summaries(parts, visits, now).pop()?;
    let group: Vec<&Campaign> = parts.iter().collect();
    let mut rows = tasks(&group, visits, now);
    let r = &caller.reference;
    let unit_name = |id: Uuid| {
        r.unit(id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let user_name = |id: Uuid| match r.user(id) {
        Some(u) => u.name.clone(),
        None if id.is_nil() => "未分配".to_string(),
        None => id.to_string(),
    };
    rows.sort_by(|a, b| (unit_name(a.grid_id), &a.label).cmp(&(unit_name(b.grid_id), &b.label)));
    Some(CampaignProgress {
        per_grid: tally(&rows, |t| t.grid_id, unit_name),
        per_worker: tally(
            &rows,
            |t| t.worker_id.or(t.done_by).unwrap_or_else(Uuid::nil),
            user_name,
        ),
        summary,
        tasks: rows,
    })
}

/// A campaign's progress.
pub async fn get<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(at): Query<AsOf>,
) -> Result<ApiJson<CampaignProgress>, AppError> {
    let (parts, visits) = load(&state, &caller, id).await?;
    let now = at.as_of.map_or_else(
        || Timestamp::from(chrono::Utc::now()),
        Timestamp::from_millis,
    );
    progress(&caller, &parts, &visits, now)
        .map(ApiJson)
        .ok_or_else(|| not_found(id))
}

/// The fields a census edit changed.
fn changed(before: &HouseholdFacts, after: &HouseholdFacts) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, differs: bool| {
        if differs {
            out.push(field.to_string());
        }
    };
    check("head", before.head != after.head);
    check("phone", before.phone != after.phone);
    check("address", before.address != after.address);
    check("tags", before.tags != after.tags);
    check("members", before.members != after.members);
    out
}

/// A census round's review, per household (the first census visit to each).
pub async fn census<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<ApiJson<Vec<CensusReview>>, AppError> {
    let (_, visits) = load(&state, &caller, id).await?;
    let mut rows: Vec<CensusReview> = done_by(&visits)
        .into_values()
        .filter_map(|v| {
            let edit = v.campaign.as_ref()?.census.as_ref()?;
            Some(CensusReview {
                household_id: v.household_id,
                visit_id: v.id,
                worker_id: v.worker_id,
                at: v.started_at.millis(),
                changed: changed(&edit.before, &edit.after),
                before: edit.before.clone(),
                after: edit.after.clone(),
            })
        })
        .collect();
    rows.sort_by(|a, b| (&a.before.address, a.at).cmp(&(&b.before.address, b.at)));
    Ok(ApiJson(rows))
}

/// How to export.
#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

fn local(ms: Option<i64>, offset_minutes: i32) -> String {
    ms.map(|ms| {
        let t = Timestamp::from_millis(ms + i64::from(offset_minutes) * 60_000);
        t.0.format("%Y-%m-%d %H:%M").to_string()
    })
    .unwrap_or_default()
}

/// Exports a campaign's tasks and progress.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, campaign = %id))]
pub async fn export<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let xlsx = match query.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => true,
        "csv" => false,
        other => return Err(invalid(format!("unknown format `{other}` (csv or xlsx)"))),
    };
    let (parts, visits) = load(&state, &caller, id).await?;
    let now = Timestamp::from(chrono::Utc::now());
    let p = progress(&caller, &parts, &visits, now).ok_or_else(|| not_found(id))?;
    let r = &caller.reference;
    let tz = r.calendar.utc_offset_minutes;
    let unit = |id: Uuid| r.unit(id).map(|u| u.name.clone()).unwrap_or_default();
    let user = |id: Option<Uuid>| {
        id.and_then(|id| r.user(id))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let rows = p
        .tasks
        .iter()
        .map(|t| {
            vec![
                p.summary.name.clone(),
                unit(t.grid_id),
                t.label.clone(),
                user(t.worker_id),
                if t.visit_id.is_some() {
                    "已完成"
                } else {
                    "未完成"
                }
                .to_string(),
                user(t.done_by),
                local(t.done_at, tz),
                local(Some(p.summary.deadline), tz),
                if t.overdue { "是" } else { "否" }.to_string(),
            ]
        })
        .collect();
    let sheet = Sheet {
        title: "阶段性任务",
        headers: &[
            "任务",
            "网格",
            "对象",
            "责任人",
            "状态",
            "完成人",
            "完成时间",
            "截止",
            "逾期",
        ],
        rows,
    };
    let (bytes, mime, ext) = if xlsx {
        (
            to_xlsx(&sheet)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (to_csv(&sheet)?, "text/csv; charset=utf-8", "csv")
    };
    caller
        .audit(
            &state.store,
            "export.campaign",
            id.to_string(),
            json!({ "rows": sheet.rows.len(), "format": ext }),
        )
        .await?;
    let disposition = format!("attachment; filename=\"gridwalk-campaign-{id}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
