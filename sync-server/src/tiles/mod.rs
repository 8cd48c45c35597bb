//! The offline basemap's tile packages (issue 15): one MBTiles file per community. A real
//! deployment brings its own package made with ordinary tools (`tile-package --file`);
//! `gridwalk-server tile-package` otherwise draws one from the org's own geometry (the
//! demo's, since no map data can be downloaded here).
//!
//! [`publish`] stores a package in the blob store and names it in the reference data, so
//! devices under the community fetch it like a blob (`GET /v1/blobs/{sha256}`, ranged).

mod mbtiles;
mod publish;
mod render;

pub use publish::publish;

use std::path::{Path, PathBuf};

use gridwalk_shared::coords::LatLon;
use gridwalk_shared::model::{OrgKind, ReferenceData};
use gridwalk_shared::tiles::covering;
use uuid::Uuid;

/// The zoom levels a drawn package holds: a street at 14, a building's doorway at 18.
pub const ZOOMS: std::ops::RangeInclusive<u8> = 14..=18;
/// Ground drawn around the community, degrees (about 200 m).
const MARGIN: f64 = 0.002;

/// Where the package of `community` lives in the tiles folder `dir`.
pub fn package_path(dir: &Path, community: Uuid) -> PathBuf {
    dir.join(format!("{community}.mbtiles"))
}

/// What drawing a package made.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// Tiles written.
    pub tiles: usize,
    /// Size of the file, bytes.
    pub bytes: u64,
}

/// Draws the tile package of `community` from its geometry into `path`.
pub fn draw_package(
    reference: &ReferenceData,
    community: Uuid,
    path: &Path,
) -> anyhow::Result<Drawn> {
    let unit = reference
        .unit(community)
        .filter(|u| u.kind == OrgKind::Community)
        .ok_or_else(|| anyhow::anyhow!("{community} is not a community"))?;
    let units = reference.subtree(community);
    let points: Vec<LatLon> = reference
        .units
        .iter()
        .filter(|u| units.contains(&u.id))
        .flat_map(|u| u.boundary.iter().flatten().copied())
        .chain(
            reference
                .buildings
                .iter()
                .filter(|b| units.contains(&b.grid_id))
                .filter_map(|b| b.position),
        )
        .collect();
    if points.is_empty() {
        anyhow::bail!(
            "{} has no geometry to draw: import its boundary and buildings first",
            unit.name
        );
    }
    let fold = |pick: fn(f64, f64) -> f64, get: fn(&LatLon) -> f64| {
        points.iter().map(get).reduce(pick).unwrap_or_default()
    };
    let south_west = LatLon {
        lat: fold(f64::min, |p| p.lat) - MARGIN,
        lon: fold(f64::min, |p| p.lon) - MARGIN,
    };
    let north_east = LatLon {
        lat: fold(f64::max, |p| p.lat) + MARGIN,
        lon: fold(f64::max, |p| p.lon) + MARGIN,
    };
    let tiles = ZOOMS
        .flat_map(|z| covering(south_west, north_east, z))
        .map(|t| Ok((t, render::tile_png(reference, &units, t)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let meta = mbtiles::Metadata {
        name: &unit.name,
        bounds: [
            south_west.lon,
            south_west.lat,
            north_east.lon,
            north_east.lat,
        ],
        min_zoom: *ZOOMS.start(),
        max_zoom: *ZOOMS.end(),
        coordinate_system: "wgs84",
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    mbtiles::write(path, &meta, &tiles)?;
    Ok(Drawn {
        tiles: tiles.len(),
        bytes: std::fs::metadata(path)?.len(),
    })
}

#[cfg(test)]
mod tests;
