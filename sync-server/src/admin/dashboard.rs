//! `GET /api/dashboard`: visits, coverage, incidents, on-time rate (按时办结率), overdue,
//! satisfaction (满意率) and desk requests, over a date range and an area.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate};
use gridwalk_shared::model::{Record, RecordKind};
use gridwalk_shared::workflow::fold_service;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter, IndexedRecord};

/// Documentation of `GET /api/dashboard`.
pub const DOC: Doc = Doc {
    id: "dashboard",
    summary: "Dashboard figures for a date range and an area within your scope",
    tag: "dashboard",
    public: false,
    query: &[
        (
            "from",
            "First day, YYYY-MM-DD (default: the first of this month)",
        ),
        ("to", "Last day, YYYY-MM-DD (default: today)"),
        ("area", "Org unit id (default: your scope)"),
    ],
    body: None,
    reply: Reply::json::<Dashboard>(),
};

/// Date range and area.
#[derive(Deserialize)]
pub struct RangeQuery {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
    /// Org unit.
    pub area: Option<Uuid>,
}

impl RangeQuery {
    /// The caller's filter for this range (default: this month so far).
    pub fn filter(&self, caller: &Caller) -> Result<(IndexFilter, NaiveDate, NaiveDate), AppError> {
        let calendar = &caller.reference.calendar;
        let today = calendar.local_date(gridwalk_shared::time::Timestamp::from(chrono::Utc::now()));
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
        if from > to || (to - from).num_days() > 366 {
            return Err(invalid(
                "the range runs from `from` to `to`, at most a year",
            ));
        }
        let mut filter = caller.filter(self.area)?;
        filter.from = Some(calendar.day_millis(from).start);
        filter.to = Some(calendar.day_millis(to).end);
        Ok((filter, from, to))
    }
}

/// A count with its key and display name.
#[derive(Serialize, specta::Type)]
pub struct Count {
    key: String,
    name: String,
    count: u64,
}

/// An overdue incident.
#[derive(Serialize, specta::Type)]
pub struct Overdue {
    id: Uuid,
    category: String,
    grid: String,
    level: String,
    status: String,
    reported_at: Option<i64>,
    due: Option<i64>,
}

/// Everything the dashboard shows.
#[derive(Serialize, specta::Type)]
pub struct Dashboard {
    from: NaiveDate,
    to: NaiveDate,
    visits_total: u64,
    visits_per_day: Vec<Count>,
    visits_per_grid: Vec<Count>,
    visits_per_worker: Vec<Count>,
    coverage_month: String,
    households: u64,
    households_visited: u64,
    coverage_rate: Option<f64>,
    incidents_total: u64,
    incidents_by_status: Vec<Count>,
    incidents_by_category: Vec<Count>,
    incidents_by_level: Vec<Count>,
    incidents_done: u64,
    incidents_on_time: u64,
    on_time_rate: Option<f64>,
    overdue: Vec<Overdue>,
    rated: u64,
    satisfied: u64,
    basically_satisfied: u64,
    dissatisfied: u64,
    satisfaction_rate: Option<f64>,
    services_total: u64,
    services_completed: u64,
    services_on_the_spot: u64,
    on_the_spot_rate: Option<f64>,
    /// Completed service requests that had a due time (转办 to a department, or the item's
    /// limit), and how many of them by it (按时办结率).
    services_done_with_limit: u64,
    services_on_time: u64,
    services_on_time_rate: Option<f64>,
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn tally<'a>(keys: impl Iterator<Item = &'a str>, name: impl Fn(&str) -> String) -> Vec<Count> {
    let mut map: BTreeMap<&str, u64> = BTreeMap::new();
    for k in keys {
        *map.entry(k).or_default() += 1;
    }
    let mut out: Vec<Count> = map
        .into_iter()
        .map(|(k, count)| Count {
            key: k.to_string(),
            name: name(k),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    out
}

fn is_open(status: &str) -> bool {
    matches!(status, "new" | "reported" | "dispatched" | "handling")
}

/// Computes the dashboard.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn dashboard<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<ApiJson<Dashboard>, AppError> {
    let (filter, from, to) = query.filter(&caller)?;
    let r = caller.reference.clone();
    let offset = r.calendar.utc_offset_minutes;
    let unit_name = |id: &str| {
        Uuid::parse_str(id)
            .ok()
            .and_then(|u| r.unit(u))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let user_name = |id: &str| {
        Uuid::parse_str(id)
            .ok()
            .and_then(|u| r.user(u))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let category_name = |code: &str| r.category(code).map(|c| c.name.clone()).unwrap_or_default();

    let visits = state.store.visit_counts(filter.clone(), offset).await?;
    let month_start = to.with_day(1).unwrap_or(to);
    let month = IndexFilter {
        from: Some(r.calendar.day_millis(month_start).start),
        to: Some(r.calendar.day_millis(to).end),
        ..filter.clone()
    };
    let coverage = state.store.visit_counts(month, offset).await?;
    let households = state.store.household_count(filter.units.clone()).await?;

    let incidents = state
        .store
        .index_rows(RecordKind::Incident, filter.clone())
        .await?;
    let open_now = state
        .store
        .index_rows(
            RecordKind::Incident,
            IndexFilter {
                from: None,
                to: None,
                ..filter.clone()
            },
        )
        .await?;
    let services = state
        .store
        .index_rows(RecordKind::ServiceRequest, filter.clone())
        .await?;

    let now = chrono::Utc::now().timestamp_millis();
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    // On-time rate (按时办结率): of the incidents handled that had a time limit.
    let done: Vec<&IndexedRecord> = incidents
        .iter()
        .filter(|i| i.row.done_at.is_some() && i.row.due.is_some())
        .collect();
    let in_time = |i: &&&IndexedRecord| matches!((i.row.done_at, i.row.due), (Some(d), Some(due)) if d <= due);
    let on_time = done.iter().filter(in_time).count() as u64;
    let services_done: Vec<&IndexedRecord> = services
        .iter()
        .filter(|s| s.row.done_at.is_some() && s.row.due.is_some())
        .collect();
    let services_on_time = services_done.iter().filter(in_time).count() as u64;
    let overdue = open_now
        .iter()
        .filter(|i| {
            i.row.status.as_deref().is_some_and(is_open) && i.row.due.is_some_and(|d| d < now)
        })
        .take(200)
        .map(|i| Overdue {
            id: i.doc_id,
            category: category_name(&text(&i.row.category)),
            grid: unit_name(&i.scope.to_string()),
            level: text(&i.row.level),
            status: text(&i.row.status),
            reported_at: i.row.at,
            due: i.row.due,
        })
        .collect();
    let ratings: Vec<&str> = incidents
        .iter()
        .chain(&services)
        .filter_map(|i| i.row.satisfaction.as_deref())
        .collect();
    let count = |k: &str| ratings.iter().filter(|r| **r == k).count() as u64;
    let (satisfied, basically) = (count("satisfied"), count("basically"));
    let completed = services.iter().filter(|s| s.row.done_at.is_some()).count() as u64;
    let on_the_spot = services
        .iter()
        .filter(|s| match serde_json::from_str::<Record>(&s.row.json) {
            Ok(Record::ServiceRequest(sr)) => fold_service(&sr.events).on_the_spot,
            _ => false,
        })
        .count() as u64;

    let named = |rows: Vec<(Uuid, u64)>, name: &dyn Fn(&str) -> String| {
        rows.into_iter()
            .map(|(id, count)| Count {
                key: id.to_string(),
                name: name(&id.to_string()),
                count,
            })
            .collect()
    };
    Ok(ApiJson(Dashboard {
        from,
        to,
        visits_total: visits.per_day.iter().map(|d| d.1).sum(),
        visits_per_day: visits
            .per_day
            .iter()
            .map(|(d, n)| Count {
                key: d.clone(),
                name: d.clone(),
                count: *n,
            })
            .collect(),
        visits_per_grid: named(visits.per_grid, &unit_name),
        visits_per_worker: named(visits.per_worker, &user_name),
        coverage_month: month_start.format("%Y-%m").to_string(),
        households,
        households_visited: coverage.households_visited,
        coverage_rate: rate(coverage.households_visited, households),
        incidents_total: incidents.len() as u64,
        incidents_by_status: tally(
            incidents.iter().filter_map(|i| i.row.status.as_deref()),
            |k| k.to_string(),
        ),
        incidents_by_category: tally(
            incidents.iter().filter_map(|i| i.row.category.as_deref()),
            category_name,
        ),
        incidents_by_level: tally(
            incidents.iter().filter_map(|i| i.row.level.as_deref()),
            |k| k.to_string(),
        ),
        incidents_done: done.len() as u64,
        incidents_on_time: on_time,
        on_time_rate: rate(on_time, done.len() as u64),
        overdue,
        rated: ratings.len() as u64,
        satisfied,
        basically_satisfied: basically,
        dissatisfied: count("dissatisfied"),
        satisfaction_rate: rate(satisfied + basically, ratings.len() as u64),
        services_total: services.len() as u64,
        services_completed: completed,
        services_on_the_spot: on_the_spot,
        on_the_spot_rate: rate(on_the_spot, completed),
        services_done_with_limit: services_done.len() as u64,
        services_on_time,
        services_on_time_rate: rate(services_on_time, services_done.len() as u64),
    }))
}
