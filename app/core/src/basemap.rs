//! The device's basemap (issue 15): the community's tile package once it is held whole
//! (`tiles.rs`), else the online XYZ source the reference data names for my scope (e.g.
//! Tianditu with the deployment's key). Online tiles are fetched as the map asks for them and
//! kept in `basemap-cache/`, so an area once seen is drawn offline too; the cache holds at
//! most [`CACHE_TILES`] tiles, the least recently fetched going first. One basemap at a time:
//! a package and a source may be drawn in different coordinate systems.

use std::path::PathBuf;
use std::time::Duration;

use gridwalk_shared::coords::CoordSystem;
use gridwalk_shared::model::TileSource;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::meta;
use crate::{Client, Error, Result};

/// Most online tiles kept (about 150 MB of 15 KB tiles: a district at street zooms).
pub const CACHE_TILES: usize = 10_000;
/// How long one online tile may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(8);
/// Largest tile taken (a tile is tens of kilobytes).
const MAX_TILE_BYTES: usize = 1 << 20;

/// Where the map's basemap comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BasemapKind {
    /// The downloaded tile package (离线地图).
    Package,
    /// The online source, with the tiles fetched so far kept on the device.
    Online,
}

/// The basemap the device's maps draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Basemap {
    /// Package or online source.
    pub kind: BasemapKind,
    /// Display name.
    pub name: String,
    /// Highest zoom with tiles of its own (the map scales beyond).
    pub max_zoom: u8,
    /// The system its pixels are drawn in: the map converts the geometry for display.
    pub coordinate_system: CoordSystem,
    /// Attribution to show on the map.
    pub attribution: String,
}

impl Client {
    /// The online basemap of my scope, if the reference data names one.
    fn tile_source(&self) -> Result<Option<TileSource>> {
        let store = self.store();
        let conn = store.conn();
        let Some(credentials) = meta::credentials(conn)? else {
            return Ok(None);
        };
        let Some(reference) = meta::reference(conn)? else {
            return Ok(None);
        };
        Ok(reference
            .tile_source_for(credentials.user.scope_id)
            .cloned())
    }

    /// The basemap the maps draw: the package when held whole, else the online source;
    /// `None` when there is neither. (A map asks this as it opens: the online cache is
    /// trimmed to [`CACHE_TILES`] then.)
    pub fn basemap(&self) -> Result<Option<Basemap>> {
        let state = self.tile_package()?;
        if let (true, Some(p)) = (state.complete, state.package) {
            return Ok(Some(Basemap {
                kind: BasemapKind::Package,
                name: p.name,
                max_zoom: p.max_zoom,
                coordinate_system: p.coordinate_system,
                attribution: String::new(),
            }));
        }
        let source = self.tile_source()?;
        if source.is_some() {
            if let Err(e) = trim_cache(&self.dir.join("basemap-cache"), CACHE_TILES) {
                tracing::debug!("basemap cache not trimmed: {e}");
            }
        }
        Ok(source.map(|s| Basemap {
            kind: BasemapKind::Online,
            name: s.name,
            max_zoom: s.max_zoom,
            coordinate_system: s.coordinate_system,
            attribution: s.attribution,
        }))
    }

    /// One tile (XYZ) of the basemap: from the package, or from the online source's cache,
    /// or fetched from it (and kept); `None` where there is none or it cannot be fetched now.
    pub async fn basemap_tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        if self.holds_package()? {
            return self.tile(z, x, y);
        }
        let Some(source) = self.tile_source()? else {
            return Ok(None);
        };
        if z > source.max_zoom || u64::from(y) >= 1u64 << z || u64::from(x) >= 1u64 << z {
            return Ok(None);
        }
        let path = self.cached_tile_path(&source, z, x, y);
        if let Ok(bytes) = std::fs::read(&path) {
            return Ok(Some(bytes));
        }
        let Some(bytes) = self.fetch_tile(&source, z, x, y).await else {
            return Ok(None);
        };
        self.keep_tile(&path, &bytes)?;
        Ok(Some(bytes))
    }

    fn cache_dir(&self, source: &TileSource) -> PathBuf {
        // One directory per URL template: a new source (or key) starts a new cache.
        let digest = hex::encode(Sha256::digest(source.url.as_bytes()));
        self.dir.join("basemap-cache").join(&digest[..16])
    }

    fn cached_tile_path(&self, source: &TileSource, z: u8, x: u32, y: u32) -> PathBuf {
        self.cache_dir(source).join(format!("{z}-{x}-{y}.tile"))
    }

    /// The tile from the online source, if it answers with an image now.
    async fn fetch_tile(&self, source: &TileSource, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let url = source.tile_url(z, x, y);
        let response = match self.http.external_get(&url, FETCH_TIMEOUT).send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::debug!(status = %r.status(), "online basemap refused a tile");
                return None;
            }
            Err(e) => {
                tracing::debug!("online basemap unreachable: {}", crate::http::describe(&e));
                return None;
            }
        };
        let image = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("image/"));
        let bytes = response.bytes().await.ok()?;
        (image && !bytes.is_empty() && bytes.len() <= MAX_TILE_BYTES).then(|| bytes.to_vec())
    }

    /// Keeps a fetched tile (written whole, then renamed).
    fn keep_tile(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        let dir = path
            .parent()
            .ok_or_else(|| Error::Corrupt("tile cache path".into()))?;
        std::fs::create_dir_all(dir)?;
        let part = path.with_extension("part");
        std::fs::write(&part, bytes)?;
        std::fs::rename(&part, path)?;
        Ok(())
    }
}

/// Removes the oldest tiles beyond `keep`, across every source's cache.
pub(crate) fn trim_cache(root: &std::path::Path, keep: usize) -> Result<()> {
    let Ok(sources) = std::fs::read_dir(root) else {
        return Ok(());
    };
    let mut tiles = Vec::new();
    for source in sources {
        let source = source?.path();
        for entry in std::fs::read_dir(&source)? {
            let entry = entry?;
            let modified = entry.metadata()?.modified()?;
            tiles.push((modified, entry.path()));
        }
    }
    if tiles.len() <= keep {
        return Ok(());
    }
    tiles.sort();
    for (_, path) in &tiles[..tiles.len() - keep] {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
