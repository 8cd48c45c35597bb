//! Writes a tile package in the MBTiles 1.3 format (an SQLite file: a `metadata` table of
//! name/value pairs and a `tiles` table keyed by zoom, column and TMS row), the format ordinary
//! tools (GDAL, tippecanoe, QGIS, MapTiler) read and write.

use std::path::Path;

use gridwalk_shared::tiles::Tile;
use rusqlite::{params, Connection};

/// What the package says of itself.
pub struct Metadata<'a> {
    /// Display name.
    pub name: &'a str,
    /// `west,south,east,north` in WGS-84 degrees.
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// The coordinate system its pixels are drawn in (`wgs84`, `gcj02`, `bd09`): what the
    /// device converts the org's geometry to before drawing it on top.
    pub coordinate_system: &'a str,
}

/// Writes `tiles` (PNG bytes each) to a new MBTiles file at `path`, replacing any there, in
/// one transaction; written beside it first and renamed, so a reader never sees half a file.
pub fn write(path: &Path, meta: &Metadata, tiles: &[(Tile, Vec<u8>)]) -> anyhow::Result<()> {
    let part = path.with_extension("mbtiles.part");
    let _ = std::fs::remove_file(&part);
    let mut conn = Connection::open(&part)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )?;
    let [w, s, e, n] = meta.bounds;
    let rows = [
        ("name", meta.name.to_string()),
        ("format", "png".into()),
        ("type", "baselayer".into()),
        ("version", "1".into()),
        ("bounds", format!("{w},{s},{e},{n}")),
        (
            "center",
            format!("{},{},{}", (w + e) / 2.0, (s + n) / 2.0, meta.min_zoom + 2),
        ),
        ("minzoom", meta.min_zoom.to_string()),
        ("maxzoom", meta.max_zoom.to_string()),
        ("gridwalk:coordinate_system", meta.coordinate_system.into()),
    ];
    for (name, value) in rows {
        tx.execute(
            "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
    }
    for (tile, png) in tiles {
        tx.execute(
            "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
            params![tile.z, tile.x, tile.tms_row(), png],
        )?;
    }
    tx.commit()?;
    drop(conn);
    std::fs::rename(&part, path)?;
    Ok(())
}
