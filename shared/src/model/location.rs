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
}
