//! `GET /api/visits/due`: the households of an area due or overdue a visit (应访、逾期未访)
//! under the visit frequency rules by key-person tag — the same
//! [`gridwalk_shared::schedule::next_visit`] the phone's today list uses.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Query, State};
use chrono::NaiveDate;
use gridwalk_shared::model::{Household, Record, RecordKind};
use gridwalk_shared::natural::natural_key;
use gridwalk_shared::schedule::{household_tags, next_visit, urgency, NextVisit};
use gridwalk_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::assessment::{records_in, today};
use super::caller::Caller;
use super::households::mask_phone;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `GET /api/visits/due`.
pub const DOC: Doc = Doc {
    id: "dueVisits",
    summary: "Households due or overdue a visit under the visit rules by key-person tag",
    tag: "assessment",
    public: false,
    query: &[
        ("area", "Org unit id (default: your scope)"),
        (
            "show",
            "due (default: due or overdue), overdue, or all households",
        ),
        ("date", "As of this day, YYYY-MM-DD (default: today)"),
    ],
    body: None,
    reply: Reply::json::<DueVisits>(),
};

/// Most households listed in one answer (the counts cover all of them).
pub const MAX_ROWS: usize = 500;

/// Which households, where, as of when.
#[derive(Deserialize)]
pub struct DueQuery {
    area: Option<Uuid>,
    show: Option<String>,
    date: Option<NaiveDate>,
}

/// The area's households against the visit rules.
#[derive(Serialize, specta::Type)]
pub struct DueVisits {
    /// The day the list is for.
    date: NaiveDate,
    /// Totals over the area.
    total: DueCounts,
    /// Per grid, by name.
    grids: Vec<GridDue>,
    /// Per building (every building with households; the coverage map's colours).
    buildings: Vec<BuildingDue>,
    /// The households asked for, most urgent first ([`urgency`]), at most [`MAX_ROWS`].
    households: Vec<DueHousehold>,
    /// How many households matched `show` (may exceed the rows listed).
    matched: usize,
}

/// Counts of households by visit state.
#[derive(Serialize, specta::Type, Default, Clone, Copy)]
pub struct DueCounts {
    /// Households.
    households: usize,
    /// Due now (including overdue and never visited).
    due: usize,
    /// Past their due date.
    overdue: usize,
    /// Never visited.
    never_visited: usize,
}

/// One building's counts.
#[derive(Serialize, specta::Type)]
pub struct BuildingDue {
    /// Building id.
    building_id: Uuid,
    /// Its households by visit state.
    counts: DueCounts,
}

/// One grid's counts.
#[derive(Serialize, specta::Type)]
pub struct GridDue {
    /// Grid id.
    grid_id: Uuid,
    /// Grid name.
    grid: String,
    /// Its households by visit state.
    counts: DueCounts,
}

/// A household and its next visit.
#[derive(Serialize, specta::Type)]
pub struct DueHousehold {
    /// Household id.
    id: Uuid,
    /// Grid id.
    grid_id: Uuid,
    /// Grid name.
    grid: String,
    /// Address.
    address: String,
    /// Head of household.
    head: String,
    /// Phone, masked.
    phone: String,
    /// Its own and its members' key-person tags.
    tags: Vec<String>,
    /// Local date of the latest visit.
    last_visit: Option<NaiveDate>,
    /// The rule that applies and the due date.
    next: NextVisit,
}

#[derive(Clone, Copy, PartialEq)]
enum Show {
    Due,
    Overdue,
    All,
}

impl Show {
    fn parse(text: Option<&str>) -> Result<Self, AppError> {
        match text.unwrap_or("due") {
            "due" => Ok(Self::Due),
            "overdue" => Ok(Self::Overdue),
            "all" => Ok(Self::All),
            other => Err(invalid(format!(
                "unknown `show` value `{other}` (due, overdue or all)"
            ))),
        }
    }

    fn wants(self, next: &NextVisit) -> bool {
        match self {
            Self::Due => next.due,
            Self::Overdue => next.overdue,
            Self::All => true,
        }
    }
}

impl DueCounts {
    fn add(&mut self, next: &NextVisit) {
        self.households += 1;
        self.due += usize::from(next.due);
        self.overdue += usize::from(next.overdue);
        self.never_visited += usize::from(next.due_on.is_none());
    }
}

/// Lists the area's households due a visit.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<DueQuery>,
) -> Result<ApiJson<DueVisits>, AppError> {
    caller.require_admin()?;
    let show = Show::parse(query.show.as_deref())?;
    let filter = caller.filter(query.area)?;
    let date = query.date.unwrap_or_else(|| today(&caller));
    // Visits anywhere in the caller's scope: a household moved to another grid (re-gridding)
    // keeps the visits made in its old one.
    let last: HashMap<Uuid, NaiveDate> = state
        .store
        .last_visits(caller.filter(None)?)
        .await?
        .into_iter()
        .map(|(id, at)| {
            let day = caller
                .reference
                .calendar
                .local_date(Timestamp::from_millis(at));
            (id, day)
        })
        .collect();
    let households = records_in(&state, filter.units, &[RecordKind::Household]).await?;
    let listed = households.into_iter().filter_map(|r| match r {
        Record::Household(h) => Some(h),
        _ => None,
    });
    Ok(ApiJson(due_visits(&caller, listed, &last, date, show)))
}

/// The households against the rules, counted per grid and filtered by `show`.
fn due_visits(
    caller: &Caller,
    households: impl Iterator<Item = Household>,
    last: &HashMap<Uuid, NaiveDate>,
    date: NaiveDate,
    show: Show,
) -> DueVisits {
    let r = &caller.reference;
    let mut total = DueCounts::default();
    let mut grids: HashMap<Uuid, DueCounts> = HashMap::new();
    let mut buildings: HashMap<Uuid, DueCounts> = HashMap::new();
    let mut rows = Vec::new();
    for h in households {
        let last_visit = last.get(&h.id).copied();
        let next = next_visit(&r.visit_rules, household_tags(&h), last_visit, date);
        total.add(&next);
        grids.entry(h.grid_id).or_default().add(&next);
        buildings.entry(h.building_id).or_default().add(&next);
        if !show.wants(&next) {
            continue;
        }
        let tags: BTreeSet<String> = household_tags(&h).map(str::to_string).collect();
        rows.push(DueHousehold {
            id: h.id,
            grid_id: h.grid_id,
            grid: r
                .unit(h.grid_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            phone: mask_phone(&h.phone),
            address: h.address,
            head: h.head,
            tags: tags.into_iter().collect(),
            last_visit,
            next,
        });
    }
    rows.sort_by_cached_key(|d| {
        (
            urgency(&d.next),
            natural_key(&d.grid),
            natural_key(&d.address),
        )
    });
    let matched = rows.len();
    rows.truncate(MAX_ROWS);
    let mut grids: Vec<GridDue> = grids
        .into_iter()
        .map(|(grid_id, counts)| GridDue {
            grid_id,
            grid: r.unit(grid_id).map(|u| u.name.clone()).unwrap_or_default(),
            counts,
        })
        .collect();
    grids.sort_by_cached_key(|g| natural_key(&g.grid));
    let mut buildings: Vec<BuildingDue> = buildings
        .into_iter()
        .map(|(building_id, counts)| BuildingDue {
            building_id,
            counts,
        })
        .collect();
    buildings.sort_by_key(|b| b.building_id);
    DueVisits {
        date,
        total,
        grids,
        buildings,
        households: rows,
        matched,
    }
}
