//! Visit frequency by key-person tag (走访频次): how often a household must be visited.

use serde::{Deserialize, Serialize};

/// How often a visit is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every week: seven days after the last visit (每周).
    Weekly,
    /// Twice a month: half a calendar month after the last visit (每半月).
    TwiceMonthly,
    /// Every month: the same day of the next month, or its last day (每月).
    Monthly,
    /// Every quarter: the same day three months on, or that month's last day (每季度).
    Quarterly,
}

impl Frequency {
    /// Every frequency, most often first.
    pub const ALL: [Frequency; 4] = [
        Frequency::Weekly,
        Frequency::TwiceMonthly,
        Frequency::Monthly,
        Frequency::Quarterly,
    ];
}

/// One rule: households where someone carries `tag` are visited at `frequency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitRule {
    /// Key-person tag (household or member), e.g. "独居老人".
    pub tag: String,
    /// How often.
    pub frequency: Frequency,
}

/// The deployment's visit rules; a household under several rules follows the strictest
/// ([`crate::schedule::next_visit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitRules {
    /// Rules by tag.
    pub by_tag: Vec<VisitRule>,
    /// Every other household.
    pub default: Frequency,
}

impl Default for VisitRules {
    /// No tag rules, everyone monthly: the single 30-day cycle reference data stored before
    /// the rules existed meant.
    fn default() -> Self {
        VisitRules {
            by_tag: Vec::new(),
            default: Frequency::Monthly,
        }
    }
}

impl VisitRules {
    /// The rules a new deployment starts with: 独居老人 weekly, the managed groups (重点人员,
    /// 管理类) twice a month, everyone else once a quarter.
    pub fn seeded() -> VisitRules {
        let rule = |tag: &str, frequency| VisitRule {
            tag: tag.to_string(),
            frequency,
        };
        let mut by_tag = vec![rule("独居老人", Frequency::Weekly)];
        for tag in [
            "重点人员",
            "社区矫正人员",
            "刑满释放人员",
            "吸毒人员",
            "精神障碍患者",
            "重点上访人员",
            "邪教人员",
        ] {
            by_tag.push(rule(tag, Frequency::TwiceMonthly));
        }
        VisitRules {
            by_tag,
            default: Frequency::Quarterly,
        }
    }
}

/// The plain authenticity check of a visit (走访核验, [`crate::visit_check`]): thresholds the
/// street sets. A visit outside them is flagged in the admin web and exports, never refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitCheckRule {
    /// Farthest a visit's fix may be from its building, metres.
    pub max_distance_m: u32,
    /// Largest accuracy radius a fix may have, metres.
    pub max_accuracy_m: u32,
    /// Shortest plausible visit, seconds (from opening the form to saving it).
    pub min_duration_s: u32,
}

impl Default for VisitCheckRule {
    /// 150 m from the building, a fix to 100 m, at least two minutes at the door.
    fn default() -> Self {
        VisitCheckRule {
            max_distance_m: 150,
            max_accuracy_m: 100,
            min_duration_s: 120,
        }
    }
}
