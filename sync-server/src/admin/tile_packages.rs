//! `PUT /api/tile-packages/{unit}`: a community's offline basemap uploaded through the admin
//! web — an MBTiles file a deployment made with GDAL, tippecanoe, QGIS or MapTiler — streamed
//! to a temporary file (at most [`MAX_PACKAGE_BYTES`]), checked, then published as the
//! `tile-package --file` command does (`crate::tiles::publish`). Street admins only.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use futures_util::StreamExt;
use gridwalk_shared::model::{OrgKind, TilePackage};
use serde_json::json;
use std::io::Write;
use uuid::Uuid;

use super::api::{Body as DocBody, Doc, Reply};
use super::caller::Caller;
use super::evidence::blob_store;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Largest package taken: a district's streets at zoom 14–18 fit many times over.
pub const MAX_PACKAGE_BYTES: u64 = 2 << 30;

/// Documentation of `PUT /api/tile-packages/{unit}`.
pub const PUT: Doc = Doc {
    id: "putTilePackage",
    summary: "Upload an org unit's offline basemap: an MBTiles file (raster tiles, `bounds` in its metadata), replacing the one before; devices under the unit download it",
    tag: "reference",
    public: false,
    query: &[],
    body: Some(DocBody::File("application/vnd.sqlite3")),
    reply: Reply::json::<TilePackage>(),
};

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("the upload could not be kept: {e}"),
    )
}

fn too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("a tile package is at most {} MiB", MAX_PACKAGE_BYTES >> 20),
    )
}

/// Takes an uploaded MBTiles file as `unit`'s tile package.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, unit = %unit))]
pub async fn put<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    body: Body,
) -> Result<ApiJson<TilePackage>, AppError> {
    caller.require_street_admin()?;
    let kind = caller.reference.unit(unit).map(|u| u.kind);
    if !caller.units().contains(&unit)
        || !matches!(kind, Some(OrgKind::Community | OrgKind::Street))
    {
        return Err(invalid(format!("{unit} is not a community of your scope")));
    }
    let blobs = blob_store(&state)?;
    let mut file = tempfile::NamedTempFile::new().map_err(internal)?;
    let mut held = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| invalid(format!("the upload broke off: {e}")))?;
        held += chunk.len() as u64;
        if held > MAX_PACKAGE_BYTES {
            return Err(too_large());
        }
        file.write_all(&chunk).map_err(internal)?;
    }
    file.flush().map_err(internal)?;
    let package = {
        let _one_at_a_time = state.admin.reference_edit.lock().await;
        crate::tiles::publish(&state.store, &blobs, unit, file.path())
            .await
            .map_err(|e| invalid(format!("not a usable tile package: {e:#}")))?
    };
    caller
        .audit(
            &state.store,
            "reference.tile_package",
            "reference",
            json!({ "unit": unit, "sha256": package.sha256, "bytes": package.bytes }),
        )
        .await?;
    Ok(ApiJson(package))
}
