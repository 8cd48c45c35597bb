//! `/api/org`: the org tree (street → community → grid → building) within the caller's scope.

use axum::extract::State;
use gridwalk_shared::model::{Building, Department, OrgKind, OrgUnit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::reference::edit;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `GET /api/org`.
pub const TREE: Doc = Doc {
    id: "orgTree",
    summary: "Org units, buildings and departments within your scope",
    tag: "org",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<OrgTree>(),
};
/// Documentation of `POST /api/org/units`.
pub const ADD_UNIT: Doc = Doc {
    id: "addUnit",
    summary: "Add a community under a street or a grid under a community",
    tag: "org",
    public: false,
    query: &[],
    body: Some(Body::json::<NewUnit>()),
    reply: Reply::json::<OrgUnit>(),
};
/// Documentation of `POST /api/org/buildings`.
pub const ADD_BUILDING: Doc = Doc {
    id: "addBuilding",
    summary: "Add a building to a grid",
    tag: "org",
    public: false,
    query: &[],
    body: Some(Body::json::<NewBuilding>()),
    reply: Reply::json::<Building>(),
};

/// The caller's part of the org tree.
#[derive(Serialize, specta::Type)]
pub struct OrgTree {
    root: Uuid,
    units: Vec<OrgUnit>,
    buildings: Vec<Building>,
    departments: Vec<Department>,
    /// Online basemaps of the caller's units and of the units above them.
    tile_sources: Vec<gridwalk_shared::model::TileSource>,
}

/// A new org unit.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    name: String,
    parent: Uuid,
}

/// A new building.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewBuilding {
    grid_id: Uuid,
    name: String,
    address: String,
}

/// Checks a display name: 1 to 100 characters after trimming.
pub fn name(text: &str, what: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 {
        return Err(invalid(format!("{what} needs 1 to 100 characters")));
    }
    Ok(text.to_string())
}

/// The org tree within the caller's scope.
pub async fn tree(caller: Caller) -> ApiJson<OrgTree> {
    let r = &caller.reference;
    let units = caller.units();
    let departments = r
        .departments
        .iter()
        .filter(|d| caller.manages_scope(d.id) || d.id == caller.user.scope_id)
        .cloned()
        .collect();
    ApiJson(OrgTree {
        root: caller.user.scope_id,
        units: r
            .units
            .iter()
            .filter(|u| units.contains(&u.id))
            .cloned()
            .collect(),
        buildings: r
            .buildings
            .iter()
            .filter(|b| units.contains(&b.grid_id))
            .cloned()
            .collect(),
        departments,
        tile_sources: r
            .tile_sources
            .iter()
            .filter(|s| {
                units.contains(&s.unit_id) || r.lineage(caller.user.scope_id).contains(&s.unit_id)
            })
            .cloned()
            .collect(),
    })
}

/// Adds a community or a grid.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn add_unit<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(form): ApiJson<NewUnit>,
) -> Result<ApiJson<OrgUnit>, AppError> {
    caller.check_unit(form.parent)?;
    let name = name(&form.name, "a unit name")?;
    let (unit, version) = edit(&state, move |data| {
        let parent = data
            .unit(form.parent)
            .ok_or_else(|| invalid("no such parent unit"))?;
        let kind = match parent.kind {
            OrgKind::District => OrgKind::Street,
            OrgKind::Street => OrgKind::Community,
            OrgKind::Community => OrgKind::Grid,
            OrgKind::Grid => return Err(invalid("a grid holds buildings, not units")),
        };
        if data
            .units
            .iter()
            .any(|u| u.parent == Some(form.parent) && u.name == name)
        {
            return Err(invalid(format!("`{name}` already exists there")));
        }
        let unit = OrgUnit {
            id: Uuid::now_v7(),
            kind,
            name,
            parent: Some(form.parent),
            boundary: None,
        };
        data.units.push(unit.clone());
        Ok(unit)
    })
    .await?;
    caller
        .audit(
            &state.store,
            "org.add_unit",
            unit.id.to_string(),
            json!({ "name": unit.name, "parent": unit.parent, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(unit))
}

/// Adds a building to a grid.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn add_building<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(form): ApiJson<NewBuilding>,
) -> Result<ApiJson<Building>, AppError> {
    caller.check_unit(form.grid_id)?;
    let name = name(&form.name, "a building name")?;
    let address = name_or_empty(&form.address)?;
    let (building, version) = edit(&state, move |data| {
        if data.unit(form.grid_id).map(|u| u.kind) != Some(OrgKind::Grid) {
            return Err(invalid("buildings belong to grids"));
        }
        if data.buildings_in(form.grid_id).any(|b| b.name == name) {
            return Err(invalid(format!(
                "building `{name}` already exists in this grid"
            )));
        }
        let building = Building {
            id: Uuid::now_v7(),
            grid_id: form.grid_id,
            name,
            address,
            position: None,
        };
        data.buildings.push(building.clone());
        Ok(building)
    })
    .await?;
    caller
        .audit(
            &state.store,
            "org.add_building",
            building.id.to_string(),
            json!({ "name": building.name, "grid": building.grid_id, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(building))
}

fn name_or_empty(text: &str) -> Result<String, AppError> {
    if text.chars().count() > 200 {
        return Err(invalid("an address has at most 200 characters"));
    }
    Ok(text.trim().to_string())
}
