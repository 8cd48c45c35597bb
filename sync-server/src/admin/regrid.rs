//! `POST /api/org/buildings/{id}/grid`: moves a building to another grid (网格调整), with its
//! households and their open visits (`crate::regrid`). Asking again for the grid the building
//! is already in finishes a move an interruption left half done.

use axum::extract::{Path, State};
use gridwalk_shared::model::OrgKind;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::reference::edit;
use super::workflow_write::not_found;
use crate::app::AppState;
use crate::error::AppError;
use crate::regrid::{move_building_records, Moved};
use crate::store::AdminStore;

/// Documentation of `POST /api/org/buildings/{id}/grid`.
pub const MOVE: Doc = Doc {
    id: "moveBuilding",
    summary: "Move a building to another grid of your scope, with its households and their open visits; the old grid's devices drop them, the new grid's receive them",
    tag: "org",
    public: false,
    query: &[],
    body: Some(Body::json::<MoveBuilding>()),
    reply: Reply::json::<BuildingMoved>(),
};

/// The grid a building moves to.
#[derive(Deserialize, specta::Type)]
pub struct MoveBuilding {
    /// The new grid.
    pub grid_id: Uuid,
}

/// What moved.
#[derive(Serialize, specta::Type)]
pub struct BuildingMoved {
    /// The grid the building was in.
    from_grid: Uuid,
    /// The grid it is in now.
    grid_id: Uuid,
    /// Records that went with it.
    moved: Moved,
    reference_version: u64,
}

/// Moves a building and its records to another grid.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, building = %id))]
pub async fn move_building<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<MoveBuilding>,
) -> Result<ApiJson<BuildingMoved>, AppError> {
    caller.require_admin()?;
    let units = caller.units();
    let to = body.grid_id;
    let building = caller
        .reference
        .buildings
        .iter()
        .find(|b| b.id == id && units.contains(&b.grid_id))
        .cloned()
        .ok_or_else(|| not_found(id))?;
    let is_grid = caller
        .reference
        .unit(to)
        .is_some_and(|u| u.kind == OrgKind::Grid && units.contains(&u.id));
    if !is_grid {
        return Err(invalid(format!("{to} is not a grid in your scope")));
    }
    let ((), version) = edit(&state, move |data| {
        match data.buildings.iter_mut().find(|b| b.id == id) {
            Some(b) => b.grid_id = to,
            None => return Err(not_found(id)),
        }
        Ok(())
    })
    .await?;
    let moved =
        move_building_records(&state.store, &state.locks, &state.live, id, units, to).await?;
    caller
        .audit(
            &state.store,
            "org.building_grid",
            building.name.clone(),
            json!({ "building": id, "from": building.grid_id, "to": to,
                    "households": moved.households, "visits": moved.visits }),
        )
        .await?;
    Ok(ApiJson(BuildingMoved {
        from_grid: building.grid_id,
        grid_id: to,
        moved,
        reference_version: version,
    }))
}
