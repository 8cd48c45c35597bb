//! The offline basemap on the device (issue 15): the tile package of my community, named in
//! the reference data, is downloaded while online into `tiles/SHA256.part` with `Range`
//! requests that resume from what the file already holds, checked against its SHA-256 and
//! kept as `tiles/SHA256.mbtiles` (older packages are removed then). The map reads its tiles
//! from that file, with no network.

use std::io::{Read, Write};
use std::path::PathBuf;

use gridwalk_shared::model::TilePackage;
use gridwalk_shared::tiles::Tile;
use reqwest::{header, Method, StatusCode};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::media::transfer::{self, Failure};
use crate::store::meta;
use crate::{Client, Error, Result};

/// The device's tile package: what the server offers and how much of it is held.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TilePackageState {
    /// The package of my community, if the server has one.
    pub package: Option<TilePackage>,
    /// Bytes held of it.
    pub held_bytes: u64,
    /// Held whole and checked: the map can draw it offline.
    pub complete: bool,
}

impl Client {
    fn tiles_dir(&self) -> PathBuf {
        self.dir.join("tiles")
    }

    fn package_path(&self, package: &TilePackage, part: bool) -> PathBuf {
        let ext = if part { "part" } else { "mbtiles" };
        self.tiles_dir().join(format!("{}.{ext}", package.sha256))
    }

    /// The package of my community (the nearest unit of my scope's lineage that has one).
    fn offered_package(&self) -> Result<Option<TilePackage>> {
        let store = self.store();
        let conn = store.conn();
        let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
        let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
        Ok(reference.tile_package_for(user.scope_id).cloned())
    }

    /// What the server offers and what is held of it.
    pub fn tile_package(&self) -> Result<TilePackageState> {
        let package = self.offered_package()?;
        let Some(p) = &package else {
            return Ok(TilePackageState {
                package,
                held_bytes: 0,
                complete: false,
            });
        };
        let whole = self.package_path(p, false);
        let (held_bytes, complete) = if whole.is_file() {
            (p.bytes, true)
        } else {
            let part = std::fs::metadata(self.package_path(p, true)).map(|m| m.len());
            (part.unwrap_or(0), false)
        };
        Ok(TilePackageState {
            package,
            held_bytes,
            complete,
        })
    }

    /// Downloads my community's tile package, resuming what an earlier attempt left;
    /// `progress(held, total)` is called as bytes arrive. Returns the state after.
    pub async fn download_tile_package(
        &self,
        progress: impl Fn(u64, u64) + Send + Sync,
    ) -> Result<TilePackageState> {
        let package = self.offered_package()?.ok_or_else(|| {
            Error::Usage("the server has no offline map for this community".into())
        })?;
        let now = self.tile_package()?;
        if now.complete {
            return Ok(now);
        }
        std::fs::create_dir_all(self.tiles_dir())?;
        let credentials = meta::credentials(self.store().conn())?.ok_or(Error::NotEnrolled)?;
        let url = transfer::blob_url(&credentials, &package.sha256, "");
        let part = self.package_path(&package, true);
        let held_now = || std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        // The usual retries for each stretch; a stretch that got further starts them afresh,
        // so a long download over a poor connection goes on as long as it moves.
        loop {
            let before = held_now();
            match self
                .download_stretch(&package, &credentials, &url, &part, &progress)
                .await
            {
                Ok(()) => break,
                Err(_) if held_now() > before => continue,
                Err(e) => return Err(e),
            }
        }
        std::fs::rename(&part, self.package_path(&package, false))?;
        if let Ok(mut held) = self.basemap.lock() {
            *held = None;
        }
        self.remove_other_packages(&package)?;
        self.tile_package()
    }

    /// Fetches what is missing of `part` with the usual retries, then checks its hash.
    async fn download_stretch(
        &self,
        package: &TilePackage,
        credentials: &meta::Credentials,
        url: &str,
        part: &std::path::Path,
        progress: &(impl Fn(u64, u64) + Send + Sync),
    ) -> Result<()> {
        crate::http::with_retries(self.http.options(), "offline map download", || async {
            let held = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
            if held < package.bytes {
                let request = transfer::request(&self.http, Method::GET, url, credentials)
                    .header(header::RANGE, format!("bytes={held}-"));
                let mut response = transfer::send(&self.http, request).await?;
                let mut file = match response.status() {
                    StatusCode::PARTIAL_CONTENT => std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(part),
                    // The whole file from the start: the server did not honour the range.
                    StatusCode::OK => std::fs::File::create(part),
                    StatusCode::RANGE_NOT_SATISFIABLE => {
                        let _ = std::fs::remove_file(part);
                        return Err(Failure::transient(Error::Protocol(
                            "the held part of the offline map does not fit the package".into(),
                        )));
                    }
                    _ => return Err(transfer::refusal(response).await),
                }
                .map_err(|e| Failure::Fatal(e.into()))?;
                let mut at = file.metadata().map(|m| m.len()).unwrap_or(0);
                loop {
                    let chunk = response.chunk().await.map_err(|e| {
                        Failure::transient(Error::Network {
                            attempts: 1,
                            message: e.to_string(),
                        })
                    })?;
                    let Some(chunk) = chunk else { break };
                    at += chunk.len() as u64;
                    if at > package.bytes {
                        let _ = std::fs::remove_file(part);
                        return Err(Failure::Fatal(Error::Protocol(
                            "the offline map is larger than the server said".into(),
                        )));
                    }
                    file.write_all(&chunk)
                        .map_err(|e| Failure::Fatal(e.into()))?;
                    progress(at, package.bytes);
                }
                file.sync_all().map_err(|e| Failure::Fatal(e.into()))?;
                if at < package.bytes {
                    return Err(Failure::transient(Error::Protocol(
                        "the offline map download was cut short".into(),
                    )));
                }
            }
            if sha256_file(part).map_err(|e| Failure::Fatal(e.into()))? != package.sha256 {
                let _ = std::fs::remove_file(part);
                return Err(Failure::transient(Error::Protocol(
                    "the downloaded offline map does not match its hash".into(),
                )));
            }
            Ok(())
        })
        .await
    }

    /// Removes packages (and partial downloads) other than `keep`.
    fn remove_other_packages(&self, keep: &TilePackage) -> Result<()> {
        for entry in std::fs::read_dir(self.tiles_dir())? {
            let path = entry?.path();
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if name != keep.sha256 {
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(())
    }

    /// One tile (XYZ numbering) of the held package, if it has it; `None` also when no
    /// package is held whole. The package's file is opened once and kept open (a new one
    /// replaces it when its download completes).
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        if z > 30 || u64::from(y) >= 1u64 << z || u64::from(x) >= 1u64 << z {
            return Ok(None);
        }
        let mut held = self
            .basemap
            .lock()
            .map_err(|_| Error::Corrupt("basemap lock poisoned".into()))?;
        if held.is_none() {
            *held = self
                .held_package_file()?
                .map(|path| Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY))
                .transpose()?;
        }
        let Some(conn) = held.as_ref() else {
            return Ok(None);
        };
        let tile = Tile { z, x, y };
        let mut query = conn.prepare_cached(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
        )?;
        let png = query
            .query_row(rusqlite::params![z, x, tile.tms_row()], |r| r.get(0))
            .optional()?;
        Ok(png)
    }

    /// Whether a package is held whole (its file open for the map, or on disk), without
    /// reading the reference data: the map asks this for every tile.
    pub(crate) fn holds_package(&self) -> Result<bool> {
        let open = self
            .basemap
            .lock()
            .map_err(|_| Error::Corrupt("basemap lock poisoned".into()))?
            .is_some();
        Ok(open || self.held_package_file()?.is_some())
    }

    /// The package file held whole (after a download there is one), if any.
    fn held_package_file(&self) -> Result<Option<PathBuf>> {
        let Ok(entries) = std::fs::read_dir(self.tiles_dir()) else {
            return Ok(None);
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "mbtiles") {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }
}

/// The SHA-256 of a file, hex, read in 1 MiB pieces.
fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}
