//! A position fix as recorded with a visit or report.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A GPS (or manual) fix with its accuracy and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Location {
    /// Latitude in degrees (WGS-84).
    pub lat: f64,
    /// Longitude in degrees (WGS-84).
    pub lon: f64,
    /// Accuracy radius in metres; `None` for manual entry.
    pub accuracy_m: Option<f64>,
    /// When the fix was taken.
    pub at: Timestamp,
    /// The phone's own fix when the worker dragged the position on the map (GPS was poor):
    /// kept as it was, for the visit check. `None` when the position is the fix itself.
    #[autosurgeon(missing = "Option::default")]
    #[serde(default)]
    pub adjusted_from: Option<GpsFix>,
}

/// A position fix as the phone gave it, before the worker moved it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GpsFix {
    /// Latitude in degrees (WGS-84).
    pub lat: f64,
    /// Longitude in degrees (WGS-84).
    pub lon: f64,
    /// Accuracy radius in metres.
    pub accuracy_m: Option<f64>,
}
