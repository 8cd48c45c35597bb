//! Patrols (巡查) with their route, and the weekly hand-over's remarks (交班会).

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::Timestamp;

/// One position of a patrol's route. In the document it is one string scalar,
/// `millis,lat,lon,accuracy` ([`TrackPoint::to_text`]): a route holds hundreds of fixes, and a
/// map object per fix would cost Automerge four objects' worth each (as with visit answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrackPoint {
    /// When the fix was taken.
    pub at: Timestamp,
    /// Latitude in degrees (WGS-84).
    pub lat: f64,
    /// Longitude in degrees (WGS-84).
    pub lon: f64,
    /// Accuracy radius in metres, if known.
    pub accuracy_m: Option<f64>,
}

impl TrackPoint {
    /// The point as it is stored in a document.
    pub fn to_text(&self) -> String {
        let accuracy = self
            .accuracy_m
            .map(|a| format!("{a:.1}"))
            .unwrap_or_default();
        format!(
            "{},{:.6},{:.6},{accuracy}",
            self.at.millis(),
            self.lat,
            self.lon
        )
    }

    /// A point from its stored text.
    pub fn parse(text: &str) -> Result<TrackPoint, String> {
        let bad = || format!("not a track point (millis,lat,lon,accuracy): {text}");
        let mut parts = text.split(',');
        let mut next = || parts.next().ok_or_else(bad);
        let at = next()?.parse::<i64>().map_err(|_| bad())?;
        let lat = next()?.parse::<f64>().map_err(|_| bad())?;
        let lon = next()?.parse::<f64>().map_err(|_| bad())?;
        let accuracy_m = match next()? {
            "" => None,
            a => Some(a.parse::<f64>().map_err(|_| bad())?),
        };
        Ok(TrackPoint {
            at: Timestamp::from_millis(at),
            lat,
            lon,
            accuracy_m,
        })
    }
}

impl Reconcile for TrackPoint {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_text())
    }
}

impl Hydrate for TrackPoint {
    fn hydrate_string(text: &'_ str) -> Result<Self, HydrateError> {
        TrackPoint::parse(text).map_err(|e| HydrateError::unexpected("a track point", e))
    }
}

/// One patrol of a grid (巡查): when it ran, its route, and the visits and reports made on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Patrol {
    /// Record id.
    pub id: Uuid,
    /// Grid (scope), fixed at creation.
    pub grid_id: Uuid,
    /// Worker patrolling.
    pub worker_id: Uuid,
    /// Start.
    pub started_at: Timestamp,
    /// End; `None` while the patrol runs.
    pub ended_at: Option<Timestamp>,
    /// The route, oldest fix first (thinned to [`crate::validate::budget::MAX_TRACK`]).
    pub track: Vec<TrackPoint>,
    /// Visits made during the patrol.
    pub visit_ids: Vec<Uuid>,
    /// Problems reported during the patrol.
    pub incident_ids: Vec<Uuid>,
}

/// A remark on a grid's week at the Monday hand-over (交班会).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HandoverRemark {
    /// Stable id.
    #[key]
    pub id: Uuid,
    /// When it was written.
    pub at: Timestamp,
    /// Who wrote it (the grid leader).
    pub by: Uuid,
    /// The remark.
    pub text: String,
}

/// The remarks on one grid's week, written at the hand-over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Handover {
    /// Record id.
    pub id: Uuid,
    /// Grid (scope), fixed at creation.
    pub grid_id: Uuid,
    /// The week's Monday, `YYYY-MM-DD`.
    pub week: String,
    /// Remarks in the order written.
    pub remarks: Vec<HandoverRemark>,
}

/// The deployment's weekly patrol rule (default: 3 half-days of at least 2 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct PatrolRule {
    /// Half-days of patrol a full working week needs.
    pub half_days: u32,
    /// Least patrol time in one half-day for it to count, in minutes.
    pub min_minutes: u32,
}

impl Default for PatrolRule {
    fn default() -> Self {
        Self {
            half_days: 3,
            min_minutes: 120,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_points_round_trip_as_text() {
        let point = TrackPoint {
            at: Timestamp::from_millis(1_790_000_000_123),
            lat: 30.274_084,
            lon: 120.155_070,
            accuracy_m: Some(8.5),
        };
        assert_eq!(point.to_text(), "1790000000123,30.274084,120.155070,8.5");
        assert_eq!(TrackPoint::parse(&point.to_text()), Ok(point));
        let bare = TrackPoint::parse("5,1.5,2.5,").expect("no accuracy");
        assert_eq!(bare.accuracy_m, None);
        assert!(TrackPoint::parse("5,north,2.5,").is_err());
        assert!(TrackPoint::parse("5").is_err());
    }
}
