//! `GET /api/visits/coverage`: visit coverage for a date range (issue 15 point 5) — per grid
//! and per building, its households and how many of them were visited in the range; the map
//! colours buildings by it (visited / partly / not visited). Visits count wherever they were
//! made in the caller's scope, so a household moved to another grid keeps its visits.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Query, State};
use chrono::NaiveDate;
use gridwalk_shared::model::{Record, RecordKind};
use serde::Serialize;
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::assessment::records_in;
use super::caller::Caller;
use super::dashboard::RangeQuery;
use super::json::ApiJson;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `GET /api/visits/coverage`.
pub const DOC: Doc = Doc {
    id: "visitCoverage",
    summary: "Households visited in a date range, per grid and building (the coverage map)",
    tag: "assessment",
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
    reply: Reply::json::<Coverage>(),
};

/// Households and how many were visited.
#[derive(Serialize, specta::Type, Default, Clone, Copy, PartialEq, Eq, Debug)]
pub struct CoverageCounts {
    /// Households.
    households: usize,
    /// Of them, visited at least once in the range.
    visited: usize,
}

/// An area's coverage over a range.
#[derive(Serialize, specta::Type)]
pub struct Coverage {
    /// First day.
    from: NaiveDate,
    /// Last day.
    to: NaiveDate,
    /// Over the area.
    total: CoverageCounts,
    /// Per grid (by id).
    grids: Vec<UnitCoverage>,
    /// Per building with households (by id).
    buildings: Vec<UnitCoverage>,
}

/// One grid's or building's coverage.
#[derive(Serialize, specta::Type)]
pub struct UnitCoverage {
    /// Grid or building id.
    id: Uuid,
    /// Its households and the visited ones.
    counts: CoverageCounts,
}

/// The area's coverage for the range.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn coverage<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<ApiJson<Coverage>, AppError> {
    caller.require_admin()?;
    let (area, from, to) = query.filter(&caller)?;
    let mut everywhere = caller.filter(None)?;
    (everywhere.from, everywhere.to) = (area.from, area.to);
    let visited: HashSet<Uuid> = state
        .store
        .last_visits(everywhere)
        .await?
        .into_iter()
        .map(|(household, _)| household)
        .collect();
    let households = records_in(&state, area.units, &[RecordKind::Household]).await?;
    let (mut total, mut grids, mut buildings) =
        (CoverageCounts::default(), BTreeMap::new(), BTreeMap::new());
    for record in households {
        let Record::Household(h) = record else {
            continue;
        };
        let seen = usize::from(visited.contains(&h.id));
        for counts in [
            &mut total,
            grids.entry(h.grid_id).or_default(),
            buildings.entry(h.building_id).or_default(),
        ] {
            counts.households += 1;
            counts.visited += seen;
        }
    }
    let listed = |m: BTreeMap<Uuid, CoverageCounts>| {
        m.into_iter()
            .map(|(id, counts)| UnitCoverage { id, counts })
            .collect()
    };
    Ok(ApiJson(Coverage {
        from,
        to,
        total,
        grids: listed(grids),
        buildings: listed(buildings),
    }))
}
