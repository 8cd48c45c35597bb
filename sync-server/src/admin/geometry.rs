//! `PUT /api/org/geometry`: building positions and grid or community boundaries from GeoJSON
//! (issue 15). A FeatureCollection whose Points place buildings and whose Polygons draw the
//! boundaries of grids and communities, each feature naming its target by `id` or `name`.
//! The map editor sends the same body with one feature. Everything is checked before anything
//! is stored: one bad feature refuses the whole collection. A building that ends up outside
//! its grid's boundary is a warning, not a refusal.

use std::collections::HashMap;

use axum::extract::State;
use gridwalk_shared::coords::LatLon;
use gridwalk_shared::geometry::{check_ring, contains, valid_position};
use gridwalk_shared::model::{OrgKind, OrgUnit, ReferenceData};
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

/// Documentation of `PUT /api/org/geometry`.
pub const PUT: Doc = Doc {
    id: "putGeometry",
    summary: "Place buildings (Points) and draw grid or community boundaries (Polygons) from a GeoJSON FeatureCollection in WGS-84, keyed by id or name; a null geometry clears one",
    tag: "org",
    public: false,
    query: &[],
    body: Some(Body::json::<FeatureCollection>()),
    reply: Reply::json::<GeometryReport>(),
};

/// Most features in one collection (a street has a few hundred buildings).
const MAX_FEATURES: usize = 5_000;

/// A GeoJSON FeatureCollection (RFC 7946; coordinates are `[longitude, latitude]`).
#[derive(Deserialize, specta::Type)]
pub struct FeatureCollection {
    /// `FeatureCollection`.
    r#type: String,
    features: Vec<Feature>,
}

/// One GeoJSON Feature.
#[derive(Deserialize, specta::Type)]
pub struct Feature {
    /// `Feature`.
    r#type: String,
    /// The feature's own id, used when `properties` has none.
    #[serde(default)]
    id: Option<FeatureId>,
    #[serde(default)]
    properties: Option<Properties>,
    /// `null` clears the target's position or boundary.
    geometry: Option<Geometry>,
}

/// A Feature's own id: GeoJSON allows a string or a number (only a string can name a target).
#[derive(Deserialize, specta::Type)]
#[serde(untagged)]
pub enum FeatureId {
    /// A building or unit id.
    Text(String),
    /// Some other numbering, ignored.
    Number(#[expect(dead_code, reason = "accepted and ignored")] f64),
}

/// What names a feature's target; other properties are ignored.
#[derive(Deserialize, specta::Type)]
pub struct Properties {
    /// Building or org unit id.
    #[serde(default)]
    id: Option<String>,
    /// Building or org unit name, when unique in your scope.
    #[serde(default)]
    name: Option<String>,
    /// The building's grid name, to tell apart buildings of the same name.
    #[serde(default)]
    grid: Option<String>,
}

/// A GeoJSON geometry: a Point for a building, a Polygon (one outer ring) for a unit; any
/// other type is refused with a clear message.
#[derive(Deserialize, specta::Type)]
pub struct Geometry {
    /// `Point` or `Polygon`.
    r#type: String,
    coordinates: Coordinates,
}

/// GeoJSON coordinates at any depth: a position `[lon, lat]`, a line, rings, polygons.
#[derive(Deserialize, specta::Type)]
#[serde(untagged)]
pub enum Coordinates {
    /// A Point's `[lon, lat]` (an altitude is ignored).
    Position(Vec<f64>),
    /// A LineString's positions.
    Line(#[expect(dead_code, reason = "refused by its type")] Vec<Vec<f64>>),
    /// A Polygon's rings (only the outer one is accepted: no holes).
    Rings(Vec<Vec<Vec<f64>>>),
    /// A MultiPolygon's polygons (refused).
    Polygons(#[expect(dead_code, reason = "refused by its type")] Vec<Vec<Vec<Vec<f64>>>>),
}

/// What an import changed, and what looks wrong but was stored.
#[derive(Serialize, specta::Type)]
pub struct GeometryReport {
    /// Buildings placed (or cleared).
    buildings: usize,
    /// Grid and community boundaries drawn (or cleared).
    units: usize,
    /// E.g. a building outside its grid's boundary.
    warnings: Vec<String>,
    /// Buildings now inside another grid's boundary: candidates for a move to it
    /// (`POST /api/org/buildings/{id}/grid`), which is never made without asking.
    relocations: Vec<Relocation>,
    reference_version: u64,
}

/// A building whose position lies in another grid of the caller's scope than its own.
#[derive(Serialize, specta::Type)]
pub struct Relocation {
    building_id: Uuid,
    /// `name · address`.
    building: String,
    from_grid: Uuid,
    to_grid: Uuid,
    to_grid_name: String,
}

/// What one feature does once resolved.
enum Change {
    Building(Uuid, Option<LatLon>),
    Unit(Uuid, Option<Vec<LatLon>>),
}

/// Places buildings and draws boundaries.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(collection): ApiJson<FeatureCollection>,
) -> Result<ApiJson<GeometryReport>, AppError> {
    caller.require_admin()?;
    if collection.r#type != "FeatureCollection" {
        return Err(invalid("the body must be a GeoJSON FeatureCollection"));
    }
    if collection.features.len() > MAX_FEATURES {
        return Err(invalid(format!("at most {MAX_FEATURES} features at once")));
    }
    let scope = caller.units();
    let ((buildings, units, warnings, relocations), version) = edit(&state, move |data| {
        let changes = collection
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                resolve(data, &scope, f).map_err(|e| invalid(format!("feature {i}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (mut buildings, mut units) = (0, 0);
        for change in changes {
            match change {
                Change::Building(id, position) => {
                    buildings += 1;
                    if let Some(b) = data.buildings.iter_mut().find(|b| b.id == id) {
                        b.position = position;
                    }
                }
                Change::Unit(id, ring) => {
                    units += 1;
                    if let Some(u) = data.units.iter_mut().find(|u| u.id == id) {
                        u.boundary = ring;
                    }
                }
            }
        }
        let relocations = inside_another_grid(data, &scope);
        Ok((
            buildings,
            units,
            outside_their_grid(data, &scope),
            relocations,
        ))
    })
    .await?;
    caller
        .audit(
            &state.store,
            "org.geometry",
            "org",
            json!({ "buildings": buildings, "units": units, "warnings": warnings.len(), "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(GeometryReport {
        buildings,
        units,
        warnings,
        relocations,
        reference_version: version,
    }))
}

/// The change one feature asks for, its target found in the caller's scope.
fn resolve(data: &ReferenceData, scope: &[Uuid], f: &Feature) -> Result<Change, String> {
    if f.r#type != "Feature" {
        return Err("not a GeoJSON Feature".into());
    }
    let props = f.properties.as_ref();
    let id = props.and_then(|p| p.id.clone()).or_else(|| match &f.id {
        Some(FeatureId::Text(s)) => Some(s.clone()),
        _ => None,
    });
    let id = match id {
        Some(text) => {
            Some(Uuid::parse_str(text.trim()).map_err(|_| format!("`{text}` is not an id"))?)
        }
        None => None,
    };
    let name = props.and_then(|p| p.name.as_deref()).map(str::trim);
    let grid = props.and_then(|p| p.grid.as_deref()).map(str::trim);
    if id.is_none() && name.is_none() {
        return Err("give properties.id or properties.name".into());
    }
    let building = || -> Result<Uuid, String> {
        let found: Vec<Uuid> = data
            .buildings
            .iter()
            .filter(|b| scope.contains(&b.grid_id))
            .filter(|b| id.is_none_or(|id| b.id == id))
            .filter(|b| name.is_none_or(|n| b.name == n || b.address == n))
            .filter(|b| grid.is_none_or(|g| data.unit(b.grid_id).is_some_and(|u| u.name == g)))
            .map(|b| b.id)
            .collect();
        one(found, "building")
    };
    let unit = || -> Result<Uuid, String> {
        let found: Vec<Uuid> = data
            .units
            .iter()
            .filter(|u| scope.contains(&u.id))
            .filter(|u| matches!(u.kind, OrgKind::Grid | OrgKind::Community))
            .filter(|u| id.is_none_or(|id| u.id == id))
            .filter(|u| name.is_none_or(|n| u.name == n))
            .map(|u| u.id)
            .collect();
        one(found, "grid or community")
    };
    let Some(geometry) = &f.geometry else {
        return match (building(), unit()) {
            (Ok(b), Err(_)) => Ok(Change::Building(b, None)),
            (Err(_), Ok(u)) => Ok(Change::Unit(u, None)),
            (Ok(_), Ok(_)) => Err("the name fits a building and a unit: give the id".into()),
            (Err(e), Err(_)) => Err(e),
        };
    };
    match (geometry.r#type.as_str(), &geometry.coordinates) {
        ("Point", Coordinates::Position(c)) => {
            Ok(Change::Building(building()?, Some(position(c)?)))
        }
        ("Polygon", Coordinates::Rings(rings)) => {
            let ring = match rings.as_slice() {
                [outer] => outer
                    .iter()
                    .map(|c| position(c))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => return Err("a boundary has no holes: give the outer ring only".into()),
            };
            check_ring(&ring).map_err(|e| e.to_string())?;
            Ok(Change::Unit(unit()?, Some(ring)))
        }
        ("Polygon", Coordinates::Position(empty)) if empty.is_empty() => {
            Err("a Polygon needs its ring".into())
        }
        (kind @ ("Point" | "Polygon"), _) => Err(format!("the coordinates are not a {kind}'s")),
        _ => Err("only Points (buildings) and Polygons (boundaries) are accepted".into()),
    }
}

/// The one match, or why there is not exactly one.
fn one(found: Vec<Uuid>, what: &str) -> Result<Uuid, String> {
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(format!("no such {what} in your scope")),
        _ => Err(format!(
            "{} {what}s have that name: give the id (or the grid)",
            found.len()
        )),
    }
}

/// A GeoJSON position `[lon, lat]` or `[lon, lat, alt]`.
fn position(c: &[f64]) -> Result<LatLon, String> {
    let p = match c {
        [lon, lat] | [lon, lat, _] => LatLon {
            lat: *lat,
            lon: *lon,
        },
        _ => return Err("a position is [longitude, latitude]".into()),
    };
    if valid_position(p) {
        Ok(p)
    } else {
        Err(format!("[{}, {}] is not a WGS-84 position", p.lon, p.lat))
    }
}

/// Warnings for placed buildings outside their grid's boundary, within the caller's scope.
fn outside_their_grid(data: &ReferenceData, scope: &[Uuid]) -> Vec<String> {
    let grids: HashMap<Uuid, (&str, &Vec<LatLon>)> = data
        .units
        .iter()
        .filter(|u| scope.contains(&u.id))
        .filter_map(|u| u.boundary.as_ref().map(|b| (u.id, (u.name.as_str(), b))))
        .collect();
    data.buildings
        .iter()
        .filter_map(|b| {
            let (grid, ring) = grids.get(&b.grid_id)?;
            let p = b.position?;
            (!contains(ring, p)).then(|| {
                format!(
                    "{} ({}) 不在{grid}边界内 / lies outside the boundary of {grid}",
                    b.name, b.address
                )
            })
        })
        .collect()
}

/// Placed buildings of the caller's scope outside their grid's boundary and inside another
/// grid's (the first such grid).
fn inside_another_grid(data: &ReferenceData, scope: &[Uuid]) -> Vec<Relocation> {
    let grids: Vec<(&OrgUnit, &Vec<LatLon>)> = data
        .units
        .iter()
        .filter(|u| u.kind == OrgKind::Grid && scope.contains(&u.id))
        .filter_map(|u| u.boundary.as_ref().map(|b| (u, b)))
        .collect();
    let inside = |grid: Uuid, p: LatLon| {
        grids
            .iter()
            .any(|(u, ring)| u.id == grid && contains(ring, p))
    };
    data.buildings
        .iter()
        .filter(|b| scope.contains(&b.grid_id))
        .filter_map(|b| {
            let p = b.position?;
            if inside(b.grid_id, p) {
                return None;
            }
            let (to, _) = grids
                .iter()
                .find(|(u, ring)| u.id != b.grid_id && contains(ring, p))?;
            Some(Relocation {
                building_id: b.id,
                building: format!("{} · {}", b.name, b.address),
                from_grid: b.grid_id,
                to_grid: to.id,
                to_grid_name: to.name.clone(),
            })
        })
        .collect()
}
