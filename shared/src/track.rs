//! A worker's day as a track (issue 15): the fixes of their visits and reports and the points
//! of their patrols, ordered by time, the line broken where more than [`GAP_MINUTES`] pass
//! between two points — where the worker went, not where they say they went. The admin web
//! (`GET /api/tracks`) and the hall tablet draw the same track from the same records.

use std::ops::Range;

use serde::Serialize;
use uuid::Uuid;

use crate::coords::LatLon;
use crate::geometry::distance_m;
use crate::model::Record;

/// Time between two points beyond which the track shows a gap.
pub const GAP_MINUTES: i64 = 30;
/// Most points in one day's track (a patrol point every 30 s for 10 hours is 1,200).
pub const MAX_POINTS: usize = 5_000;

/// What a track point was recorded with.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[derive(Debug, Serialize, Clone, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrackStop {
    /// When (epoch ms).
    pub at: i64,
    /// WGS-84.
    pub lat: f64,
    /// WGS-84.
    pub lon: f64,
    /// Accuracy radius, metres.
    pub accuracy_m: Option<f64>,
    /// What recorded it.
    pub kind: StopKind,
    /// The visit, report or patrol.
    pub record: Uuid,
    /// More than [`GAP_MINUTES`] since the point before: the line is broken here.
    pub gap_before: bool,
}

/// A day's track.
#[derive(Debug, Serialize, Clone, PartialEq, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DayTrack {
    /// By time.
    pub stops: Vec<TrackStop>,
    /// Along the track, gaps left out, metres.
    pub distance_m: f64,
    /// Gaps longer than [`GAP_MINUTES`].
    pub gaps: usize,
    /// Visits that day without any fix (not on the track).
    pub visits_without_fix: usize,
}

/// `worker`'s track over `day` (epoch ms) from `records` (others' records are skipped; pass
/// the day before too: a patrol begun then may run into the day).
pub fn day_track<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    worker: Uuid,
    day: Range<i64>,
) -> DayTrack {
    let mut track = DayTrack::default();
    for record in records {
        let mut stop = |at: i64, lat, lon, accuracy_m, kind| {
            if day.contains(&at) {
                track.stops.push(TrackStop {
                    at,
                    lat,
                    lon,
                    accuracy_m,
                    kind,
                    record: record.id(),
                    gap_before: false,
                });
            }
        };
        match record {
            Record::Visit(v) if v.worker_id == worker => match &v.location {
                Some(l) => stop(
                    v.started_at.millis(),
                    l.lat,
                    l.lon,
                    l.accuracy_m,
                    StopKind::Visit,
                ),
                None if day.contains(&v.started_at.millis()) => track.visits_without_fix += 1,
                None => {}
            },
            Record::Incident(i) if i.reporter_id == worker => {
                if let (Some(l), Some(first)) = (&i.location, i.events.first()) {
                    let at = first.at.millis();
                    stop(at, l.lat, l.lon, l.accuracy_m, StopKind::Incident);
                }
            }
            Record::Patrol(p) if p.worker_id == worker => {
                for t in &p.track {
                    stop(t.at.millis(), t.lat, t.lon, t.accuracy_m, StopKind::Patrol);
                }
            }
            _ => {}
        }
    }
    track.stops.sort_by_key(|s| s.at);
    for i in 1..track.stops.len() {
        let (a, b) = (&track.stops[i - 1], &track.stops[i]);
        if b.at - a.at > GAP_MINUTES * 60_000 {
            track.gaps += 1;
            track.stops[i].gap_before = true;
        } else {
            let at = |s: &TrackStop| LatLon {
                lat: s.lat,
                lon: s.lon,
            };
            track.distance_m += distance_m(at(a), at(b));
        }
    }
    track.distance_m = track.distance_m.round();
    track
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Visit};
    use crate::time::Timestamp;

    const HOUR: i64 = 3_600_000;

    fn visit(worker: Uuid, at: i64, lat: Option<f64>) -> Record {
        Record::Visit(Visit {
            id: Uuid::now_v7(),
            grid_id: Uuid::nil(),
            household_id: Uuid::now_v7(),
            worker_id: worker,
            started_at: Timestamp::from_millis(at),
            ended_at: None,
            location: lat.map(|lat| Location {
                lat,
                lon: 117.2,
                accuracy_m: Some(10.0),
                at: Timestamp::from_millis(at),
                adjusted_from: None,
            }),
            template_id: None,
            template_version: None,
            answers: Default::default(),
            notes: String::new(),
            photos: Vec::new(),
            audio: Vec::new(),
            follow_up: false,
            campaign: None,
        })
    }

    #[test]
    fn the_days_fixes_in_time_order_with_the_gaps_marked() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let day = 100 * HOUR..124 * HOUR;
        // 0.001° of latitude is about 111 m.
        let records = [
            visit(me, 101 * HOUR + 600_000, Some(39.101)),
            visit(me, 101 * HOUR, Some(39.100)),
            visit(me, 103 * HOUR, Some(39.102)),
            visit(me, 104 * HOUR, None),
            visit(other, 101 * HOUR, Some(39.2)),
            visit(me, 99 * HOUR, Some(39.3)),
        ];
        let track = day_track(&records, me, day);
        let times: Vec<i64> = track.stops.iter().map(|s| s.at).collect();
        assert_eq!(times, vec![101 * HOUR, 101 * HOUR + 600_000, 103 * HOUR]);
        let gaps: Vec<bool> = track.stops.iter().map(|s| s.gap_before).collect();
        assert_eq!(gaps, vec![false, false, true]);
        assert_eq!(track.gaps, 1);
        assert!(
            (track.distance_m - 111.0).abs() < 2.0,
            "{}",
            track.distance_m
        );
        assert_eq!(track.visits_without_fix, 1);
    }
}
