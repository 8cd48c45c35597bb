//! The plain authenticity check of a visit (走访核验, issue 15: "杜绝走访敷衍了事、弄虚作假"):
//! how far its fix was from the building, how good the fix was, how long the visit took.
//! It flags; it never blocks the worker.

use serde::{Deserialize, Serialize};

use crate::coords::LatLon;
use crate::geometry::distance_m;
use crate::model::{Visit, VisitCheckRule};

/// One reason a visit looks doubtful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum VisitFlag {
    /// Logged with no position fix (无定位).
    NoFix,
    /// The fix was this many metres from the building (距楼栋过远).
    TooFar {
        /// Distance, metres.
        metres: u32,
    },
    /// The fix's accuracy radius was this many metres (定位精度差).
    PoorFix {
        /// Accuracy radius, metres.
        accuracy_m: u32,
    },
    /// The worker moved the position this many metres from the phone's fix (位置已调整).
    Adjusted {
        /// From the fix to the position stored.
        metres: u32,
    },
    /// The visit took this many seconds (用时过短).
    TooShort {
        /// From opening the visit to saving it.
        seconds: u32,
    },
}

impl VisitFlag {
    /// The flag as the ledger prints it, in Chinese.
    pub fn label_zh(&self) -> String {
        match self {
            VisitFlag::NoFix => "无定位".to_string(),
            VisitFlag::TooFar { metres } => format!("距楼栋{metres}米"),
            VisitFlag::PoorFix { accuracy_m } => format!("定位精度{accuracy_m}米"),
            VisitFlag::Adjusted { metres } => format!("位置手动调整{metres}米"),
            VisitFlag::TooShort { seconds } => format!("用时{seconds}秒"),
        }
    }
}

/// Checks a saved visit against the street's thresholds. `building` is the position of the
/// visited household's building, when it has one (no distance is checked otherwise). A fix
/// entered by hand (no accuracy) is checked for distance only; a draft (not saved) for nothing
/// but its fix.
pub fn check(visit: &Visit, building: Option<LatLon>, rule: &VisitCheckRule) -> Vec<VisitFlag> {
    let mut flags = Vec::new();
    match &visit.location {
        None => flags.push(VisitFlag::NoFix),
        Some(fix) => {
            let at = LatLon {
                lat: fix.lat,
                lon: fix.lon,
            };
            if let Some(home) = building {
                let metres = distance_m(at, home);
                if metres > f64::from(rule.max_distance_m) {
                    flags.push(VisitFlag::TooFar {
                        metres: metres.round().min(f64::from(u32::MAX)) as u32,
                    });
                }
            }
            // A moved position is judged on the phone's own fix's accuracy.
            let accuracy = fix.adjusted_from.map_or(fix.accuracy_m, |g| g.accuracy_m);
            if let Some(accuracy) = accuracy {
                if accuracy > f64::from(rule.max_accuracy_m) {
                    flags.push(VisitFlag::PoorFix {
                        accuracy_m: accuracy.round().min(f64::from(u32::MAX)) as u32,
                    });
                }
            }
            if let Some(gps) = fix.adjusted_from {
                let moved = distance_m(
                    LatLon {
                        lat: gps.lat,
                        lon: gps.lon,
                    },
                    at,
                );
                flags.push(VisitFlag::Adjusted {
                    metres: moved.round().min(f64::from(u32::MAX)) as u32,
                });
            }
        }
    }
    if let Some(end) = visit.ended_at {
        let millis = (end.millis() - visit.started_at.millis()).max(0);
        let seconds = (millis / 1000).min(i64::from(u32::MAX)) as u32;
        if seconds < rule.min_duration_s {
            flags.push(VisitFlag::TooShort { seconds });
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;
    use crate::time::Timestamp;
    use uuid::Uuid;

    const START: i64 = 1_780_000_000_000;

    fn visit(fix: Option<(f64, f64, Option<f64>)>, seconds: Option<i64>) -> Visit {
        Visit {
            id: Uuid::now_v7(),
            grid_id: Uuid::now_v7(),
            household_id: Uuid::now_v7(),
            worker_id: Uuid::now_v7(),
            started_at: Timestamp::from_millis(START),
            ended_at: seconds.map(|s| Timestamp::from_millis(START + s * 1000)),
            location: fix.map(|(lat, lon, accuracy_m)| Location {
                lat,
                lon,
                accuracy_m,
                at: Timestamp::from_millis(START),
                adjusted_from: None,
            }),
            template_id: None,
            template_version: None,
            answers: Default::default(),
            notes: String::new(),
            photos: vec![],
            audio: vec![],
            follow_up: false,
            campaign: None,
        }
    }

    const BUILDING: LatLon = LatLon {
        lat: 31.2300,
        lon: 121.4700,
    };

    #[test]
    fn a_visit_at_the_door_with_a_good_fix_passes() {
        // 0.0005° north is 56 m; five minutes; a 12 m fix.
        let v = visit(Some((31.2305, 121.47, Some(12.0))), Some(300));
        assert_eq!(
            check(&v, Some(BUILDING), &VisitCheckRule::default()),
            vec![]
        );
    }

    #[test]
    fn each_threshold_flags_on_its_own() {
        let rule = VisitCheckRule::default();
        // 0.002° north is 222 m, over the 150 m default.
        let far = visit(Some((31.232, 121.47, Some(10.0))), Some(300));
        assert_eq!(
            check(&far, Some(BUILDING), &rule),
            vec![VisitFlag::TooFar { metres: 222 }]
        );
        // Without the building's position the distance is not judged.
        assert_eq!(check(&far, None, &rule), vec![]);
        let vague = visit(Some((31.23, 121.47, Some(350.4))), Some(300));
        assert_eq!(
            check(&vague, Some(BUILDING), &rule),
            vec![VisitFlag::PoorFix { accuracy_m: 350 }]
        );
        let quick = visit(Some((31.23, 121.47, Some(5.0))), Some(45));
        assert_eq!(
            check(&quick, Some(BUILDING), &rule),
            vec![VisitFlag::TooShort { seconds: 45 }]
        );
        // No fix, and every flag together.
        let blind = visit(None, Some(10));
        assert_eq!(
            check(&blind, Some(BUILDING), &rule),
            vec![VisitFlag::NoFix, VisitFlag::TooShort { seconds: 10 }]
        );
        let all = visit(Some((31.24, 121.47, Some(500.0))), Some(0));
        assert_eq!(check(&all, Some(BUILDING), &rule).len(), 3);
    }

    #[test]
    fn a_dragged_position_is_judged_where_it_was_put_and_flagged_as_moved() {
        use crate::model::GpsFix;
        // GPS put the phone 0.003° (334 m) south with 300 m accuracy; the worker dragged the
        // pin to the door.
        let mut v = visit(Some((31.2302, 121.47, Some(300.0))), Some(300));
        if let Some(fix) = v.location.as_mut() {
            fix.adjusted_from = Some(GpsFix {
                lat: 31.2272,
                lon: 121.47,
                accuracy_m: Some(300.0),
            });
        }
        assert_eq!(
            check(&v, Some(BUILDING), &VisitCheckRule::default()),
            vec![
                VisitFlag::PoorFix { accuracy_m: 300 },
                VisitFlag::Adjusted { metres: 334 }
            ]
        );
        assert_eq!(
            VisitFlag::Adjusted { metres: 334 }.label_zh(),
            "位置手动调整334米"
        );
    }

    #[test]
    fn the_thresholds_are_the_streets_settings() {
        let far = visit(Some((31.232, 121.47, None)), Some(100));
        let loose = VisitCheckRule {
            max_distance_m: 300,
            max_accuracy_m: 100,
            min_duration_s: 60,
        };
        assert_eq!(check(&far, Some(BUILDING), &loose), vec![]);
        let strict = VisitCheckRule {
            max_distance_m: 50,
            max_accuracy_m: 100,
            min_duration_s: 600,
        };
        assert_eq!(
            check(&far, Some(BUILDING), &strict),
            vec![
                VisitFlag::TooFar { metres: 222 },
                VisitFlag::TooShort { seconds: 100 }
            ]
        );
        // A draft is not judged on time; a hand-entered fix (no accuracy) not on accuracy.
        let draft = visit(Some((31.23, 121.47, None)), None);
        assert_eq!(check(&draft, Some(BUILDING), &strict), vec![]);
        assert_eq!(VisitFlag::TooFar { metres: 222 }.label_zh(), "距楼栋222米");
    }
}
