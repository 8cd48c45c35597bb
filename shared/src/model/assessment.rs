//! The street's weights for the assessment scoreboard (效能考核), in the reference data.

use serde::{Deserialize, Serialize};

/// Weights and targets of the scoreboard (docs/assessment.md has the formula).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct ScoreWeights {
    /// Weight of information collection (信息采集): reports against the target.
    pub collection: f64,
    /// Weight of visits and patrols (走访巡查): coverage and the patrol rule.
    pub visits_patrols: f64,
    /// Weight of incident handling (事件处置): share of the period's reports handled.
    pub handling: f64,
    /// Reports a grid is expected to raise per week (the collection target).
    pub reports_per_week: f64,
    /// Weight of a department's acceptance rate (受理率).
    pub acceptance: f64,
    /// Weight of a department's on-time completion rate (按时办结率).
    pub on_time: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            collection: 30.0,
            visits_patrols: 40.0,
            handling: 30.0,
            reports_per_week: 2.0,
            acceptance: 40.0,
            on_time: 60.0,
        }
    }
}

impl ScoreWeights {
    /// Why these weights cannot be used, if they cannot: each finite and not negative, and
    /// each group with a positive sum.
    pub fn problem(&self) -> Option<&'static str> {
        let all = [
            self.collection,
            self.visits_patrols,
            self.handling,
            self.reports_per_week,
            self.acceptance,
            self.on_time,
        ];
        if all
            .iter()
            .any(|w| !w.is_finite() || *w < 0.0 || *w > 1000.0)
        {
            return Some("every weight must be a number from 0 to 1000");
        }
        if self.collection + self.visits_patrols + self.handling <= 0.0 {
            return Some("the grid weights must not all be 0");
        }
        if self.acceptance + self.on_time <= 0.0 {
            return Some("the department weights must not both be 0");
        }
        None
    }
}
