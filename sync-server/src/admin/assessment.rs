//! The week's field work from the records: `GET /api/patrols` (patrol time per worker against
//! the rule), `GET /api/handover` (the hand-over sheet, 交班会), `GET /api/scores` (the
//! scoreboard, 效能考核, as JSON or XLSX) and `PUT /api/reference/assessment` (the street's
//! weights and patrol rule). Each is the shared builder run over the caller's records.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gridwalk_shared::handover::{handover_sheet, HandoverSheet};
use gridwalk_shared::model::{OrgKind, PatrolRule, Record, RecordKind, Role, ScoreWeights};
use gridwalk_shared::patrol_week::{patrol_week, week_of, PatrolWeek};
use gridwalk_shared::scores::{scoreboard, Period, PeriodKind, Scoreboard};
use gridwalk_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::export::{to_xlsx, Sheet};
use super::json::{invalid, ApiJson};
use super::reference::{replace, ReferenceVersion};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/patrols`.
pub const PATROLS: Doc = Doc {
    id: "patrolWeek",
    summary: "Each worker's patrol time in a week against the patrol rule (巡查)",
    tag: "assessment",
    public: false,
    query: &[
        (
            "week",
            "Any day of the week, YYYY-MM-DD (default: this week)",
        ),
        ("area", "Org unit id (default: your scope)"),
    ],
    body: None,
    reply: Reply::json::<PatrolReport>(),
};
/// Documentation of `GET /api/handover`.
pub const HANDOVER: Doc = Doc {
    id: "handover",
    summary: "A grid's week for the Monday hand-over (交班会)",
    tag: "assessment",
    public: false,
    query: &[
        ("grid", "Grid id"),
        (
            "week",
            "Any day of the week, YYYY-MM-DD (default: last week)",
        ),
    ],
    body: None,
    reply: Reply::json::<HandoverSheet>(),
};
/// Documentation of `GET /api/scores`.
pub const SCORES: Doc = Doc {
    id: "scores",
    summary: "Scores and ranking of grids, communities and departments (效能考核)",
    tag: "assessment",
    public: false,
    query: &[
        ("period", "week, month or quarter (default month)"),
        ("date", "Any day of the period, YYYY-MM-DD (default: today)"),
        ("area", "Org unit id (default: your scope)"),
        ("format", "json or xlsx (default json)"),
    ],
    body: None,
    reply: Reply::json::<Scoreboard>(),
};
/// Documentation of `PUT /api/reference/assessment`.
pub const PUT_RULES: Doc = Doc {
    id: "putAssessment",
    summary: "Replace the scoreboard's weights and the weekly patrol rule",
    tag: "reference",
    public: false,
    query: &[],
    body: Some(Body::json::<AssessmentRules>()),
    reply: Reply::json::<ReferenceVersion>(),
};

/// The week's patrol time of every worker in the area.
#[derive(Serialize, specta::Type)]
pub struct PatrolReport {
    /// The week's Monday.
    week: NaiveDate,
    /// The rule applied.
    rule: PatrolRule,
    /// One per worker, by grid then name.
    workers: Vec<WorkerPatrol>,
}

/// One worker's patrol week.
#[derive(Serialize, specta::Type)]
pub struct WorkerPatrol {
    /// Name.
    name: String,
    /// Grid.
    grid_id: Uuid,
    /// Grid name.
    grid: String,
    /// The week against the rule.
    patrol: PatrolWeek,
}

/// The street's assessment settings.
#[derive(Deserialize, Serialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct AssessmentRules {
    /// Scoreboard weights.
    weights: ScoreWeights,
    /// Weekly patrol rule.
    patrol_rule: PatrolRule,
}

/// A week (any day of it) and an area.
#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<NaiveDate>,
    area: Option<Uuid>,
    grid: Option<Uuid>,
}

/// A period and an area.
#[derive(Deserialize)]
pub struct ScoreQuery {
    period: Option<String>,
    date: Option<NaiveDate>,
    area: Option<Uuid>,
    format: Option<String>,
}

pub(super) fn today(caller: &Caller) -> NaiveDate {
    caller
        .reference
        .calendar
        .local_date(Timestamp::from(chrono::Utc::now()))
}

/// Every record of these kinds in the filter's units, read from the index.
pub(super) async fn records_in<S: AdminStore>(
    state: &AppState<S>,
    units: Vec<Uuid>,
    kinds: &[RecordKind],
) -> Result<Vec<Record>, AppError> {
    let mut out = Vec::new();
    for kind in kinds {
        let filter = IndexFilter {
            units: units.clone(),
            ..IndexFilter::default()
        };
        for row in state.store.index_rows(*kind, filter).await? {
            if let Ok(record) = serde_json::from_str::<Record>(&row.row.json) {
                out.push(record);
            }
        }
    }
    Ok(out)
}

/// The week's patrol time per worker.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn patrols<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<WeekQuery>,
) -> Result<ApiJson<PatrolReport>, AppError> {
    caller.require_admin()?;
    let units = caller.filter(query.area)?.units;
    let monday = week_of(query.week.unwrap_or_else(|| today(&caller)));
    let records = records_in(&state, units.clone(), &[RecordKind::Patrol]).await?;
    let patrols: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Patrol(p) => Some(p),
            _ => None,
        })
        .collect();
    let r = &caller.reference;
    let mut workers: Vec<WorkerPatrol> = r
        .users
        .iter()
        .filter(|u| matches!(u.role, Role::GridWorker | Role::GridLeader))
        .filter(|u| units.contains(&u.scope_id))
        .filter(|u| r.unit(u.scope_id).is_some_and(|g| g.kind == OrgKind::Grid))
        .map(|u| WorkerPatrol {
            name: u.name.clone(),
            grid_id: u.scope_id,
            grid: r
                .unit(u.scope_id)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            patrol: patrol_week(
                patrols.iter().copied(),
                u.id,
                monday,
                &r.patrol_rule,
                &r.calendar,
            ),
        })
        .collect();
    workers.sort_by(|a, b| (&a.grid, &a.name).cmp(&(&b.grid, &b.name)));
    Ok(ApiJson(PatrolReport {
        week: monday,
        rule: r.patrol_rule,
        workers,
    }))
}

/// A grid's hand-over sheet.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn handover<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<WeekQuery>,
) -> Result<ApiJson<HandoverSheet>, AppError> {
    caller.require_admin()?;
    let grid = query.grid.ok_or_else(|| invalid("`grid` is required"))?;
    caller.check_unit(grid)?;
    if caller
        .reference
        .unit(grid)
        .is_none_or(|u| u.kind != OrgKind::Grid)
    {
        return Err(invalid(format!("org unit {grid} is not a grid")));
    }
    let default = today(&caller) - chrono::Duration::days(7);
    let monday = week_of(query.week.unwrap_or(default));
    let r = &caller.reference;
    // Desk requests live in the community.
    let mut units = vec![grid];
    units.extend(r.unit(grid).and_then(|u| u.parent));
    let kinds = [
        RecordKind::Household,
        RecordKind::Visit,
        RecordKind::Incident,
        RecordKind::ServiceRequest,
        RecordKind::WorkLog,
        RecordKind::Patrol,
        RecordKind::Handover,
    ];
    let records = records_in(&state, units, &kinds).await?;
    Ok(ApiJson(handover_sheet(&records, r, grid, monday)))
}

/// The scoreboard of a period, as JSON or an XLSX file.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn scores<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<ScoreQuery>,
) -> Result<Response, AppError> {
    caller.require_admin()?;
    let kind = match query.period.as_deref() {
        None => PeriodKind::Month,
        Some(text) => Period::parse_kind(text)
            .ok_or_else(|| invalid(format!("unknown period `{text}` (week, month, quarter)")))?,
    };
    let xlsx = match query.format.as_deref().unwrap_or("json") {
        "json" => false,
        "xlsx" => true,
        other => return Err(invalid(format!("unknown format `{other}` (json or xlsx)"))),
    };
    let units = caller.filter(query.area)?.units;
    let period = Period::containing(kind, query.date.unwrap_or_else(|| today(&caller)));
    let r = &caller.reference;
    let grids: Vec<Uuid> = units
        .iter()
        .copied()
        .filter(|u| r.unit(*u).is_some_and(|g| g.kind == OrgKind::Grid))
        .collect();
    let kinds = [
        RecordKind::Household,
        RecordKind::Visit,
        RecordKind::Incident,
        RecordKind::Patrol,
    ];
    let records = records_in(&state, units, &kinds).await?;
    let board = scoreboard(
        &records,
        r,
        period,
        &grids,
        Timestamp::from(chrono::Utc::now()),
    );
    if !xlsx {
        return Ok(ApiJson(board).into_response());
    }
    let sheet = score_sheet(&board);
    let bytes = to_xlsx(&sheet)?;
    caller
        .audit(
            &state.store,
            "export.scores",
            "scores.xlsx",
            json!({ "rows": sheet.rows.len(), "from": period.from, "to": period.to }),
        )
        .await?;
    let disposition = format!(
        "attachment; filename=\"gridwalk-scores-{}-{}.xlsx\"",
        period.from, period.to
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The scoreboard as one sheet: grids, then communities, then departments.
fn score_sheet(board: &Scoreboard) -> Sheet {
    let mut rows = Vec::new();
    for g in &board.grids {
        rows.push(vec![
            "网格".into(),
            g.rank.to_string(),
            g.name.clone(),
            format!("{:.1}", g.score),
            pct(g.collection),
            pct(g.visits_patrols),
            pct(g.handling),
            String::new(),
            String::new(),
        ]);
    }
    for c in &board.communities {
        let score = format!("{:.1}", c.score);
        let mut row = vec!["社区".into(), c.rank.to_string(), c.name.clone(), score];
        row.extend(std::iter::repeat_n(String::new(), 5));
        rows.push(row);
    }
    for d in &board.departments {
        let mut row = vec![
            "部门".into(),
            d.rank.to_string(),
            d.name.clone(),
            format!("{:.1}", d.score),
        ];
        row.extend(std::iter::repeat_n(String::new(), 3));
        row.extend([pct(d.acceptance_rate), pct(d.on_time_rate)]);
        rows.push(row);
    }
    Sheet {
        title: "效能考核",
        headers: &[
            "类别",
            "名次",
            "名称",
            "得分",
            "信息采集",
            "走访巡查",
            "事件处置",
            "受理率",
            "按时办结率",
        ],
        rows,
    }
}

/// Replaces the scoreboard's weights and the patrol rule (street administrators).
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_rules<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(rules): ApiJson<AssessmentRules>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    if let Some(problem) = rules.weights.problem() {
        return Err(invalid(problem));
    }
    let rule = rules.patrol_rule;
    if rule.half_days > 14 || rule.min_minutes == 0 || rule.min_minutes > 720 {
        return Err(invalid(
            "the patrol rule needs 0 to 14 half-days of 1 to 720 minutes",
        ));
    }
    replace(&state, &caller, "reference.assessment", 1, move |data| {
        data.score_weights = rules.weights;
        data.patrol_rule = rules.patrol_rule;
        Ok(())
    })
    .await
}
