//! Server-authoritative catalogues: incident categories and routing, visit checklist
//! templates and the service catalogue (办事一本通).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Handling level of an incident, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    autosurgeon::Reconcile,
    autosurgeon::Hydrate,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Handled by the grid itself.
    Grid,
    /// Community: reply the same day, solve within 3 working days.
    Community,
    /// Street departments: accept the same day, solve within 5 working days.
    Street,
    /// Beyond the street: pass up within 1 working day.
    City,
}

impl Level {
    /// Working days allowed to solve at this level (DESIGN §1).
    pub fn default_days(self) -> u32 {
        match self {
            Level::Grid => 1,
            Level::Community => 3,
            Level::Street => 5,
            Level::City => 1,
        }
    }
}

/// A kind of problem a worker can report (e.g. "环境卫生/暴露垃圾").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncidentCategory {
    /// Short stable code used by devices and the CLI, e.g. "env.garbage".
    pub code: String,
    /// Display name.
    pub name: String,
    /// Group for pickers, e.g. "环境卫生".
    pub group: String,
}

/// Where incidents of a category in an area go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoutingRule {
    /// Category code.
    pub category: String,
    /// Area the rule applies to (an org unit and everything under it).
    pub area_id: Uuid,
    /// Level the incident is dispatched to.
    pub level: Level,
    /// Department that handles it, if any.
    pub department_id: Option<Uuid>,
    /// Working days to solve.
    pub days: u32,
}

/// Kind of answer a checklist item takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ItemKind {
    /// 是/否
    YesNo,
    /// One of the options.
    SingleChoice {
        /// Allowed options.
        options: Vec<String>,
    },
    /// Any of the options.
    MultiChoice {
        /// Allowed options.
        options: Vec<String>,
    },
    /// Free text.
    Text,
    /// A number.
    Number,
    /// One or more photos (blob hashes).
    Photo,
}

/// One question of a visit checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistItem {
    /// Stable key within the template, e.g. "fire.extinguisher".
    pub key: String,
    /// Question shown to the worker.
    pub label: String,
    /// Answer kind.
    #[serde(flatten)]
    pub kind: ItemKind,
    /// Whether a finished visit must answer it.
    pub required: bool,
}

/// A visit checklist (走访清单) at one version; editing makes a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistTemplate {
    /// Template id, stable across versions.
    pub id: Uuid,
    /// Version, starting at 1.
    pub version: u32,
    /// Display name.
    pub name: String,
    /// Questions in order.
    pub items: Vec<ChecklistItem>,
}

/// A service catalogue item (办事事项).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServiceItem {
    /// Stable id.
    pub id: Uuid,
    /// Category name, e.g. "社会保障".
    pub category: String,
    /// Item name, e.g. "城乡居民医保参保登记".
    pub name: String,
    /// Required materials (所需材料).
    pub materials: Vec<String>,
    /// Steps (办理流程).
    pub steps: Vec<String>,
    /// Time limit in working days (0: on the spot).
    pub time_limit_days: u32,
    /// Responsible department.
    pub department: String,
}
