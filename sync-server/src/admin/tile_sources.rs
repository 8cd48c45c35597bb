//! `PUT /api/reference/tile-source` and `DELETE /api/reference/tile-source/{unit}`: the online
//! XYZ basemap (e.g. Tianditu with the deployment's key) for an org unit's devices and admin
//! map, used where no tile package is held. Deployment configuration: street admins only.

use axum::extract::{Path, State};
use gridwalk_shared::model::TileSource;
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::reference::{edit, ReferenceVersion};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `PUT /api/reference/tile-source`.
pub const PUT: Doc = Doc {
    id: "putTileSource",
    summary: "Set the online XYZ basemap of an org unit (URL template with {z}/{x}/{y}, its coordinate system); devices cache its tiles",
    tag: "reference",
    public: false,
    query: &[],
    body: Some(Body::json::<TileSource>()),
    reply: Reply::json::<ReferenceVersion>(),
};

/// Documentation of `DELETE /api/reference/tile-source/{unit}`.
pub const DELETE: Doc = Doc {
    id: "deleteTileSource",
    summary: "Remove the online basemap of an org unit",
    tag: "reference",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<ReferenceVersion>(),
};

/// Sets an org unit's online basemap.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(mut source): ApiJson<TileSource>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    caller.require_street_admin()?;
    if !caller.units().contains(&source.unit_id) {
        return Err(invalid(format!(
            "{} is not an org unit of your scope",
            source.unit_id
        )));
    }
    source.url = source.url.trim().to_string();
    source.name = super::org::name(&source.name, "the basemap's name")?;
    if let Some(problem) = source.problem() {
        return Err(invalid(problem));
    }
    let unit = source.unit_id;
    let audited =
        json!({ "unit": unit, "name": source.name, "coordinate_system": source.coordinate_system });
    let (_, version) = edit(&state, move |data| {
        data.tile_sources.retain(|s| s.unit_id != unit);
        data.tile_sources.push(source);
        Ok(())
    })
    .await?;
    caller
        .audit(&state.store, "reference.tile_source", "reference", audited)
        .await?;
    Ok(ApiJson(ReferenceVersion { version }))
}

/// Removes an org unit's online basemap.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn delete<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(unit): Path<Uuid>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    caller.require_street_admin()?;
    if !caller
        .reference
        .tile_sources
        .iter()
        .any(|s| s.unit_id == unit)
        || !caller.units().contains(&unit)
    {
        return Err(super::workflow_write::not_found(unit));
    }
    let (_, version) = edit(&state, move |data| {
        data.tile_sources.retain(|s| s.unit_id != unit);
        Ok(())
    })
    .await?;
    caller
        .audit(
            &state.store,
            "reference.tile_source",
            "reference",
            json!({ "unit": unit, "removed": true }),
        )
        .await?;
    Ok(ApiJson(ReferenceVersion { version }))
}
