//! `GET /api/tracks`: a worker's day as a track (issue 15), from the fixes of their visits and
//! reports and the points of their patrols, ordered by time, with the gaps marked: where the
//! worker went, not where they say they went.

use axum::extract::{Query, State};
use chrono::NaiveDate;
use gridwalk_shared::coords::LatLon;
use gridwalk_shared::geometry::distance_m;
use gridwalk_shared::model::{Record, RecordKind, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::assessment::today;
use super::caller::Caller;
use super::dashboard::{day_end, day_start};
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

/// Time between two points beyond which the track shows a gap.
const GAP_MINUTES: i64 = 30;
/// Most points in one day's track (a patrol point every 30 s for 10 hours is 1,200).
const MAX_POINTS: usize = 5_000;

/// Query of `GET /api/tracks`.
#[derive(Deserialize)]
pub struct TrackQuery {
    worker: Uuid,
    date: Option<NaiveDate>,
}

/// What a track point was recorded with.
#[derive(Serialize, specta::Type, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// A visit's fix.
    Visit,
    /// A report's fix.
    Incident,
    /// A patrol's recorded position.
    Patrol,
}

/// One point of the track.
#[derive(Serialize, specta::Type)]
pub struct TrackStop {
    /// When (epoch ms).
    at: i64,
    /// WGS-84.
    lat: f64,
    lon: f64,
    /// Accuracy radius, metres.
    accuracy_m: Option<f64>,
    kind: StopKind,
    /// The visit, report or patrol.
    record: Uuid,
    /// More than [`GAP_MINUTES`] since the point before: the line is broken here.
    gap_before: bool,
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
    /// Gaps longer than [`GAP_MINUTES`].
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
    let offset = caller.reference.calendar.utc_offset_minutes;
    let day = day_start(date, offset)..day_end(date, offset);
    // The worker's records lie in their own scope (from the day before: a patrol that began
    // then may run into this day).
    let filter = IndexFilter {
        units: caller.reference.subtree(worker.scope_id),
        from: Some(day.start - 86_400_000),
        to: Some(day.end),
        ..IndexFilter::default()
    };
    let mut stops = Vec::new();
    let mut visits_without_fix = 0;
    for kind in [RecordKind::Visit, RecordKind::Incident, RecordKind::Patrol] {
        for row in state.store.index_rows(kind, filter.clone()).await? {
            if row.row.actor != Some(worker.id) {
                continue;
            }
            let Ok(record) = serde_json::from_str::<Record>(&row.row.json) else {
                continue;
            };
            let mut stop = |at: i64, lat, lon, accuracy_m, kind| {
                if day.contains(&at) {
                    stops.push(TrackStop {
                        at,
                        lat,
                        lon,
                        accuracy_m,
                        kind,
                        record: row.doc_id,
                        gap_before: false,
                    });
                }
            };
            match record {
                Record::Visit(v) => match v.location {
                    Some(l) => stop(
                        v.started_at.millis(),
                        l.lat,
                        l.lon,
                        l.accuracy_m,
                        StopKind::Visit,
                    ),
                    None if day.contains(&v.started_at.millis()) => visits_without_fix += 1,
                    None => {}
                },
                Record::Incident(i) => {
                    if let (Some(l), Some(first)) = (i.location, i.events.first()) {
                        stop(
                            first.at.millis(),
                            l.lat,
                            l.lon,
                            l.accuracy_m,
                            StopKind::Incident,
                        );
                    }
                }
                Record::Patrol(p) => {
                    for t in p.track {
                        stop(t.at.millis(), t.lat, t.lon, t.accuracy_m, StopKind::Patrol);
                    }
                }
                _ => {}
            }
        }
    }
    if stops.len() > MAX_POINTS {
        return Err(invalid(format!("more than {MAX_POINTS} points in one day")));
    }
    stops.sort_by_key(|s| s.at);
    let (mut distance, mut gaps) = (0.0, 0);
    for i in 1..stops.len() {
        let (a, b) = (&stops[i - 1], &stops[i]);
        if b.at - a.at > GAP_MINUTES * 60_000 {
            gaps += 1;
            stops[i].gap_before = true;
        } else {
            let at = |s: &TrackStop| LatLon {
                lat: s.lat,
                lon: s.lon,
            };
            distance += distance_m(at(a), at(b));
        }
    }
    Ok(ApiJson(Track {
        worker: worker.id,
        name: worker.name,
        date,
        stops,
        distance_m: distance.round(),
        gaps,
        visits_without_fix,
    }))
}
