//! Household (住户) records.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One person living in a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Member {
    /// Stable id within the household.
    #[key]
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Relation to the head of household, e.g. "户主", "配偶", "子女".
    pub relation: String,
    /// Birth year, if known.
    pub birth_year: Option<i64>,
    /// Key-person tags (重点人群), e.g. "独居老人", "残疾人".
    pub tags: Vec<String>,
}

/// A household in a grid: the unit a grid worker visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Household {
    /// Record id.
    pub id: Uuid,
    /// Grid (scope), fixed at creation (the server moves it when re-gridding).
    pub grid_id: Uuid,
    /// Building.
    pub building_id: Uuid,
    /// Full address, e.g. "幸福路12号3号楼2单元501".
    pub address: String,
    /// Head of household's name.
    pub head: String,
    /// Contact phone.
    pub phone: String,
    /// Household-level key-person tags.
    pub tags: Vec<String>,
    /// Members.
    pub members: Vec<Member>,
    /// Free notes.
    pub notes: String,
}

/// Household fields a device may set one at a time (`gridwalk household set`).
pub const EDITABLE_FIELDS: &[&str] = &["address", "head", "phone", "notes", "tags"];

impl Household {
    /// Sets one editable scalar field from text; `tags` takes a comma-separated list.
    pub fn set_field(&mut self, field: &str, value: &str) -> Result<(), crate::ValidationError> {
        match field {
            "address" => self.address = value.to_string(),
            "head" => self.head = value.to_string(),
            "phone" => self.phone = value.to_string(),
            "notes" => self.notes = value.to_string(),
            "tags" => {
                self.tags = value
                    .split([',', '，'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            other => {
                return Err(crate::ValidationError::new(
                    "unknown_field",
                    format!(
                        "household has no editable field `{other}` (editable: {})",
                        EDITABLE_FIELDS.join(", ")
                    ),
                ))
            }
        }
        Ok(())
    }
}
