//! The demo street's geometry (issue 15): plausible, made up. The street sits where Tianjin's
//! 和平区 is (WGS-84); each community is a column of its grids from north to south, each grid
//! a block of about 300 × 330 m, its buildings in two rows of slabs inside it. Computed, not
//! drawn from the seeded generator, so the rest of the demo stays what it was.

use gridwalk_shared::coords::LatLon;
use gridwalk_shared::model::ReferenceData;
use uuid::Uuid;

/// The street's north-west corner.
const ORIGIN: LatLon = LatLon {
    lat: 39.1240,
    lon: 117.1880,
};
/// A grid block's height and width in degrees (≈ 333 m × 302 m at this latitude).
const GRID_LAT: f64 = 0.0030;
const GRID_LON: f64 = 0.0035;
/// The gap between communities (a road), degrees of longitude.
const ROAD_LON: f64 = 0.0006;

/// A closed ring around a box, counter-clockwise from its south-west corner.
fn rect(north: f64, west: f64, south: f64, east: f64) -> Vec<LatLon> {
    let at = |lat, lon| LatLon { lat, lon };
    vec![
        at(south, west),
        at(south, east),
        at(north, east),
        at(north, west),
        at(south, west),
    ]
}

/// Draws every community's and grid's boundary and places every building. `grids` lists each
/// community's grids in order, `per_community` of them.
pub fn place(
    reference: &mut ReferenceData,
    communities: &[Uuid],
    grids: &[Uuid],
    per_community: usize,
) {
    for (c, &community) in communities.iter().enumerate() {
        let west = ORIGIN.lon + c as f64 * (GRID_LON + ROAD_LON);
        let east = west + GRID_LON;
        let mine = &grids[c * per_community..(c + 1) * per_community];
        let south_end = ORIGIN.lat - GRID_LAT * mine.len() as f64;
        set_boundary(
            reference,
            community,
            rect(ORIGIN.lat, west, south_end, east),
        );
        for (g, &grid) in mine.iter().enumerate() {
            let north = ORIGIN.lat - g as f64 * GRID_LAT;
            let south = north - GRID_LAT;
            set_boundary(reference, grid, rect(north, west, south, east));
            let buildings: Vec<usize> = reference
                .buildings
                .iter()
                .enumerate()
                .filter(|(_, b)| b.grid_id == grid)
                .map(|(i, _)| i)
                .collect();
            let rows = buildings.len().div_ceil(2).max(1);
            for (k, i) in buildings.into_iter().enumerate() {
                let (row, col) = (k / 2, k % 2);
                reference.buildings[i].position = Some(LatLon {
                    lat: north - GRID_LAT * (row as f64 + 0.5) / rows as f64,
                    lon: west + GRID_LON * (0.3 + 0.4 * col as f64),
                });
            }
        }
    }
}

fn set_boundary(reference: &mut ReferenceData, unit: Uuid, ring: Vec<LatLon>) {
    if let Some(u) = reference.units.iter_mut().find(|u| u.id == unit) {
        u.boundary = Some(ring);
    }
}
