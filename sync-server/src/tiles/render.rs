//! Draws one basemap tile from the org's geometry: a light ground, the streets around each
//! community (its boundary as a white road), each grid's edge as a thin line, and a footprint
//! for each building. Enough to find one's way offline in the demo; a real deployment drops in
//! a package of real map tiles instead.

use gridwalk_shared::coords::LatLon;
use gridwalk_shared::model::{OrgKind, ReferenceData};
use gridwalk_shared::tiles::{pixel, Tile, TILE_SIZE};
use image::{Rgba, RgbaImage};

const GROUND: Rgba<u8> = Rgba([238, 236, 230, 255]);
const ROAD: Rgba<u8> = Rgba([255, 255, 255, 255]);
const ROAD_EDGE: Rgba<u8> = Rgba([206, 202, 192, 255]);
const GRID_EDGE: Rgba<u8> = Rgba([214, 208, 196, 255]);
const BUILDING: Rgba<u8> = Rgba([217, 200, 178, 255]);
const BUILDING_EDGE: Rgba<u8> = Rgba([180, 160, 135, 255]);

/// A building's footprint, metres along and across (a residential slab).
const FOOTPRINT_M: (f64, f64) = (48.0, 14.0);

/// The tile's pixels, PNG-encoded.
pub fn tile_png(
    reference: &ReferenceData,
    units: &[uuid::Uuid],
    tile: Tile,
) -> image::ImageResult<Vec<u8>> {
    let mut img = RgbaImage::from_pixel(TILE_SIZE, TILE_SIZE, GROUND);
    let origin = (f64::from(tile.x * TILE_SIZE), f64::from(tile.y * TILE_SIZE));
    let local = |p: LatLon| {
        let (x, y) = pixel(p, tile.z);
        (x - origin.0, y - origin.1)
    };
    // Metres per pixel here, for widths given in metres.
    let metres = |p: LatLon| 156_543.034 * p.lat.to_radians().cos() / f64::from(1u32 << tile.z);
    for u in reference.units.iter().filter(|u| units.contains(&u.id)) {
        let Some(ring) = &u.boundary else { continue };
        let (width, colour) = match u.kind {
            OrgKind::Community => (12.0 / metres(ring[0]), ROAD),
            _ => (1.5, GRID_EDGE),
        };
        for w in ring.windows(2) {
            if u.kind == OrgKind::Community {
                line(&mut img, local(w[0]), local(w[1]), width + 2.0, ROAD_EDGE);
            }
            line(&mut img, local(w[0]), local(w[1]), width.max(1.0), colour);
        }
    }
    for b in reference
        .buildings
        .iter()
        .filter(|b| units.contains(&b.grid_id))
    {
        let Some(p) = b.position else { continue };
        let per = metres(p);
        let (cx, cy) = local(p);
        let (hw, hh) = (FOOTPRINT_M.0 / per / 2.0, FOOTPRINT_M.1 / per / 2.0);
        rect(
            &mut img,
            (cx - hw, cy - hh),
            (cx + hw, cy + hh),
            BUILDING_EDGE,
        );
        rect(
            &mut img,
            (cx - hw + 1.0, cy - hh + 1.0),
            (cx + hw - 1.0, cy + hh - 1.0),
            BUILDING,
        );
    }
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

fn put(img: &mut RgbaImage, x: f64, y: f64, colour: Rgba<u8>) {
    if x >= 0.0 && y >= 0.0 && x < f64::from(img.width()) && y < f64::from(img.height()) {
        img.put_pixel(x as u32, y as u32, colour);
    }
}

/// A filled rectangle between two corners (clipped to the tile).
fn rect(img: &mut RgbaImage, (x0, y0): (f64, f64), (x1, y1): (f64, f64), colour: Rgba<u8>) {
    let size = f64::from(TILE_SIZE);
    let (x0, x1) = (x0.max(0.0), x1.min(size));
    let (y0, y1) = (y0.max(0.0), y1.min(size));
    let mut y = y0.floor();
    while y < y1 {
        let mut x = x0.floor();
        while x < x1 {
            put(img, x, y, colour);
            x += 1.0;
        }
        y += 1.0;
    }
}

/// A line of `width` pixels from `a` to `b`, as discs stamped along it (clipped).
fn line(img: &mut RgbaImage, a: (f64, f64), b: (f64, f64), width: f64, colour: Rgba<u8>) {
    let size = f64::from(TILE_SIZE);
    let r = width / 2.0;
    let outside = |lo: f64, hi: f64| hi < -r || lo > size + r;
    if outside(a.0.min(b.0), a.0.max(b.0)) || outside(a.1.min(b.1), a.1.max(b.1)) {
        return;
    }
    let steps = ((b.0 - a.0).hypot(b.1 - a.1).ceil() as usize).clamp(1, 100_000);
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        rect(img, (x - r, y - r), (x + r, y + r), colour);
    }
}
