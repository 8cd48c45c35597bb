//! `GET /api/tracks`: a worker's day as a track (issue 15), from the fixes of their visits and
//! reports and the points of their patrols, ordered by time, with the gaps marked: where the
//! worker went, not where they say they went.

use axum::extract::{Query, State};
use chrono::NaiveDate;
use gridwalk_shared::model::{Record, RecordKind, Role};
use gridwalk_shared::track::{day_track, TrackStop, MAX_POINTS};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::assessment::today;
use super::caller::Caller;
use super::json::{forbidden, invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/tracks`.
pub const DOC: Doc = Doc {
    id: "track",
    summary: "A worker's day as a track: the fixes of their visits and reports and their patrol points, by time, with gaps",
    tag: "maps",
    public: false,
    query: &[
        ("worker", "User id of a grid worker or leader in your scope"),
        ("date", "Local day, YYYY-MM-DD (default: today)"),
    ],
    body: None,
    reply: Reply::json::<Track>(),
};

/// Query of `GET /api/tracks`.
#[derive(Deserialize)]
pub struct TrackQuery {
    worker: Uuid,
    date: Option<NaiveDate>,
}

/// A worker's day.
#[derive(Serialize, specta::Type)]
pub struct Track {
    worker: Uuid,
    name: String,
    date: NaiveDate,
    /// By time.
    stops: Vec<TrackStop>,
    /// Along the track, gaps left out, metres.
    distance_m: f64,
    /// Gaps longer than [`gridwalk_shared::track::GAP_MINUTES`].
    gaps: usize,
    /// Visits that day without any fix (not on the track).
    visits_without_fix: usize,
}

/// The worker's day as a track.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn get<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<TrackQuery>,
) -> Result<ApiJson<Track>, AppError> {
    caller.require_admin()?;
    let worker = caller
        .reference
        .user(query.worker)
        .filter(|u| matches!(u.role, Role::GridWorker | Role::GridLeader))
        .ok_or_else(|| invalid("no such grid worker"))?
        .clone();
    if !caller.manages_user(&worker) {
        return Err(forbidden("that worker is outside your scope"));
    }
    let date = query.date.unwrap_or_else(|| today(&caller));
    let day = caller.reference.calendar.day_millis(date);
    // The worker's records lie in their own scope (from the day before: a patrol that began
    // then may run into this day).
    let filter = IndexFilter {
        units: caller.reference.subtree(worker.scope_id),
        from: Some(day.start - 86_400_000),
        to: Some(day.end),
        ..IndexFilter::default()
    };
    let mut records = Vec::new();
    for kind in [RecordKind::Visit, RecordKind::Incident, RecordKind::Patrol] {
        for row in state.store.index_rows(kind, filter.clone()).await? {
            if row.row.actor != Some(worker.id) {
                continue;
            }
            records.extend(serde_json::from_str::<Record>(&row.row.json).ok());
        }
    }
    let track = day_track(&records, worker.id, day);
    if track.stops.len() > MAX_POINTS {
        return Err(invalid(format!("more than {MAX_POINTS} points in one day")));
    }
    Ok(ApiJson(Track {
        worker: worker.id,
        name: worker.name,
        date,
        stops: track.stops,
        distance_m: track.distance_m,
        gaps: track.gaps,
        visits_without_fix: track.visits_without_fix,
    }))
}
