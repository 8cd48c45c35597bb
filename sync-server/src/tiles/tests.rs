use gridwalk_shared::tiles::{pixel, Tile};
use rusqlite::Connection;

use super::*;

#[test]
fn the_demo_community_is_drawn_into_a_standard_mbtiles_file() {
    let reference = crate::seed::demo(1).reference;
    let community = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Community)
        .expect("a community");
    let dir = tempfile::tempdir().unwrap();
    let path = package_path(dir.path(), community.id);
    let drawn = draw_package(&reference, community.id, &path).unwrap();
    assert!(drawn.tiles > 20, "{drawn:?}");
    assert!(drawn.bytes > 10_000 && drawn.bytes < 5_000_000, "{drawn:?}");
    assert!(!path.with_extension("mbtiles.part").exists());

    let conn = Connection::open(&path).unwrap();
    let meta = |name: &str| -> String {
        conn.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(meta("format"), "png");
    assert_eq!(
        (meta("minzoom"), meta("maxzoom")),
        ("14".into(), "18".into())
    );
    assert_eq!(meta("gridwalk:coordinate_system"), "wgs84");
    assert_eq!(meta("name"), community.name);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count as usize, drawn.tiles);

    // The tile under a building, read back by its TMS row, is a PNG with the building's
    // colour at the building's pixel.
    let b = reference
        .buildings
        .iter()
        .find(|b| reference.is_within(b.grid_id, community.id))
        .and_then(|b| b.position)
        .unwrap();
    let (x, y) = pixel(b, 18);
    let tile = Tile {
        z: 18,
        x: (x / 256.0) as u32,
        y: (y / 256.0) as u32,
    };
    let png: Vec<u8> = conn
        .query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            rusqlite::params![tile.z, tile.x, tile.tms_row()],
            |r| r.get(0),
        )
        .unwrap();
    let img = image::load_from_memory(&png).unwrap().to_rgba8();
    let at = img.get_pixel((x % 256.0) as u32, (y % 256.0) as u32);
    assert_eq!(
        at.0,
        [217, 200, 178, 255],
        "building colour at the building"
    );
    assert_eq!(img.get_pixel(0, 0).0[3], 255);
}

#[test]
fn a_community_without_geometry_is_refused_with_the_reason() {
    let mut reference = crate::seed::demo(1).reference;
    for u in &mut reference.units {
        u.boundary = None;
    }
    for b in &mut reference.buildings {
        b.position = None;
    }
    let community = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Community)
        .unwrap()
        .id;
    let dir = tempfile::tempdir().unwrap();
    let err = draw_package(&reference, community, &dir.path().join("x.mbtiles")).unwrap_err();
    assert!(err.to_string().contains("no geometry"), "{err}");
    let grid = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Grid)
        .unwrap()
        .id;
    assert!(draw_package(&reference, grid, &dir.path().join("y.mbtiles")).is_err());
}
