//! Puts a tile package where devices can fetch it: the MBTiles file into the blob store
//! (named by its SHA-256, so S3 and several nodes serve it like any blob, `Range` included)
//! and its description into the reference data of its community, replacing the one before.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use gridwalk_shared::coords::CoordSystem;
use gridwalk_shared::model::TilePackage;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::blobs::Blobs;
use crate::store::Store;

/// Reads what an MBTiles file says of itself; refuses a file that is not one.
fn describe(file: &Path, unit: Uuid, name: &str) -> Result<TilePackage> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("{} is not an SQLite (MBTiles) file", file.display()))?;
    let meta = |key: &str| -> Option<String> {
        conn.query_row("SELECT value FROM metadata WHERE name = ?1", [key], |r| {
            r.get(0)
        })
        .ok()
    };
    let tiles: i64 = conn
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .with_context(|| format!("{} has no MBTiles `tiles` table", file.display()))?;
    if tiles == 0 {
        bail!("{} holds no tiles", file.display());
    }
    let format = meta("format").unwrap_or_default();
    if !["png", "jpg", "jpeg", "webp"].contains(&format.as_str()) {
        bail!(
            "{}: raster tiles (png, jpg, webp) only, not `{format}`",
            file.display()
        );
    }
    let zoom = |key: &str, sql: &str| -> Result<u8> {
        match meta(key).and_then(|v| v.parse().ok()) {
            Some(z) => Ok(z),
            None => Ok(conn.query_row(sql, [], |r| r.get::<_, u8>(0))?),
        }
    };
    let min_zoom = zoom("minzoom", "SELECT min(zoom_level) FROM tiles")?;
    let max_zoom = zoom("maxzoom", "SELECT max(zoom_level) FROM tiles")?;
    let bounds: Vec<f64> = meta("bounds")
        .unwrap_or_default()
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let bounds: [f64; 4] = bounds
        .try_into()
        .map_err(|_| anyhow::anyhow!("{}: its metadata has no `bounds`", file.display()))?;
    let coordinate_system = match meta("gridwalk:coordinate_system").as_deref() {
        None | Some("wgs84") | Some("cgcs2000") => CoordSystem::Wgs84,
        Some("gcj02") => CoordSystem::Gcj02,
        Some("bd09") => CoordSystem::Bd09,
        Some(other) => bail!("{}: unknown coordinate system `{other}`", file.display()),
    };
    Ok(TilePackage {
        unit_id: unit,
        name: meta("name").unwrap_or_else(|| name.to_string()),
        sha256: String::new(),
        bytes: std::fs::metadata(file)?.len(),
        min_zoom,
        max_zoom,
        bounds,
        coordinate_system,
    })
}

/// Stores `file` as the tile package of `unit` and names it in the reference data.
pub async fn publish<S: Store>(
    store: &S,
    blobs: &Blobs,
    unit: Uuid,
    file: &Path,
) -> Result<TilePackage> {
    let reference = store.reference();
    let name = reference
        .unit(unit)
        .map(|u| u.name.clone())
        .with_context(|| format!("no org unit {unit}"))?;
    let mut package = describe(file, unit, &name)?;
    let mut hasher = Sha256::new();
    let mut reader = std::fs::File::open(file)?;
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        hasher.update(&chunk[..n]);
    }
    package.sha256 = hex::encode(hasher.finalize());
    let hash = package.sha256.clone();
    let held = blobs.store.held(&hash).await?;
    if !matches!(held, crate::blobs::Held::Whole(_)) {
        // Resumes a partial left by an interrupted run (the store appends at its end only).
        let part = blobs.store.gather_bytes().max(1 << 20);
        let mut reader = std::fs::File::open(file)?;
        let mut at = held.bytes();
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(at))?;
        loop {
            let mut buf = vec![0; part];
            let mut filled = 0;
            while filled < part {
                let n = reader.read(&mut buf[filled..])?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            buf.truncate(filled);
            at = blobs.store.append(&hash, at, Bytes::from(buf)).await?;
        }
        blobs.store.finish(&hash).await?;
    }
    let mut data = (*reference).clone();
    let base = data.version;
    data.tile_packages.retain(|p| p.unit_id != unit);
    data.tile_packages.push(package.clone());
    store.put_reference(data, Some(base)).await?;
    Ok(package)
}
