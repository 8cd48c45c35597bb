//! Web Mercator tile arithmetic for the offline basemap (issue 15): which tiles cover an area
//! at a zoom, where a WGS-84 position falls on a tile, and the row flip of the MBTiles format
//! (rows counted from the south, TMS). A tile package is an MBTiles file; the device's map
//! asks for tiles by the XYZ numbering every web map uses.

use crate::coords::LatLon;

/// Pixels along a tile's side.
pub const TILE_SIZE: u32 = 256;
/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.051_128_78;

/// One tile in XYZ numbering (row 0 at the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Zoom.
    pub z: u8,
    /// Column, from the antimeridian eastwards.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

impl Tile {
    /// The MBTiles (TMS) row of this tile: counted from the south.
    pub fn tms_row(&self) -> u32 {
        (1u32 << self.z) - 1 - self.y
    }
}

/// A position in global pixels at zoom `z` (x east, y south).
pub fn pixel(p: LatLon, z: u8) -> (f64, f64) {
    let world = f64::from(TILE_SIZE) * f64::from(1u32 << z);
    let lat = p.lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (p.lon + 180.0) / 360.0 * world;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * world;
    (x, y)
}

/// The tiles covering the box from `south_west` to `north_east` at zoom `z`, row by row.
pub fn covering(south_west: LatLon, north_east: LatLon, z: u8) -> Vec<Tile> {
    let last = (1u32 << z) - 1;
    let tile = |v: f64| ((v / f64::from(TILE_SIZE)).floor().max(0.0) as u32).min(last);
    let (x0, y1) = pixel(south_west, z);
    let (x1, y0) = pixel(north_east, z);
    let mut out = Vec::new();
    for y in tile(y0)..=tile(y1) {
        for x in tile(x0)..=tile(x1) {
            out.push(Tile { z, x, y });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_falls_on_the_tile_web_maps_use() {
        // Tianjin's 和平区 at zoom 16 is tile 54101/25017, as the slippy-map formula in its
        // other form, y = (1 − asinh(tan φ)/π)/2 · 2^z, gives it (worked out separately).
        let p = LatLon {
            lat: 39.1240,
            lon: 117.1880,
        };
        let (x, y) = pixel(p, 16);
        assert_eq!(((x / 256.0) as u32, (y / 256.0) as u32), (54101, 25017));
        // The north-west corner of the world is pixel (0, 0) at every zoom.
        let (nx, ny) = pixel(
            LatLon {
                lat: 90.0,
                lon: -180.0,
            },
            12,
        );
        assert!(nx.abs() < 1e-3 && ny.abs() < 1e-3, "{nx} {ny}");
        // The whole world is one tile at zoom 0; its centre is (128, 128).
        let (cx, cy) = pixel(LatLon { lat: 0.0, lon: 0.0 }, 0);
        assert!((cx - 128.0).abs() < 1e-9 && (cy - 128.0).abs() < 1e-9);
        assert_eq!(
            Tile {
                z: 16,
                x: 54101,
                y: 25017
            }
            .tms_row(),
            65535 - 25017
        );
    }

    #[test]
    fn covering_lists_every_tile_of_the_box_once() {
        let sw = LatLon {
            lat: 39.1150,
            lon: 117.1880,
        };
        let ne = LatLon {
            lat: 39.1240,
            lon: 117.1956,
        };
        let tiles = covering(sw, ne, 16);
        let (x0, y1) = pixel(sw, 16);
        let (x1, y0) = pixel(ne, 16);
        let cols = (x1 / 256.0) as u32 - (x0 / 256.0) as u32 + 1;
        let rows = (y1 / 256.0) as u32 - (y0 / 256.0) as u32 + 1;
        assert_eq!(tiles.len() as u32, cols * rows);
        let mut unique = tiles.clone();
        unique.dedup();
        assert_eq!(unique.len(), tiles.len());
        assert!(tiles.iter().all(|t| t.z == 16));
        // One more zoom level has about four times as many.
        let deeper = covering(sw, ne, 17).len();
        assert!(deeper >= tiles.len() * 2, "{deeper} vs {}", tiles.len());
    }
}
