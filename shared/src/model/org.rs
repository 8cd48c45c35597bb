//! The organisation: org tree, buildings, departments and users.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coords::LatLon;

/// Level of a node in the org tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 区
    District,
    /// 街道
    Street,
    /// 社区
    Community,
    /// 网格
    Grid,
}

/// One node of the org tree district → street → community → grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrgUnit {
    /// Stable id.
    pub id: Uuid,
    /// Level in the tree.
    pub kind: OrgKind,
    /// Display name, e.g. "幸福社区".
    pub name: String,
    /// Parent node; `None` only for the root.
    pub parent: Option<Uuid>,
    /// Boundary (WGS-84), a closed ring checked by [`crate::geometry::check_ring`]; `None`
    /// until drawn or imported.
    #[serde(default)]
    pub boundary: Option<Vec<LatLon>>,
}

/// A residential building (楼栋) inside one grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Building {
    /// Stable id.
    pub id: Uuid,
    /// Grid the building belongs to.
    pub grid_id: Uuid,
    /// Display name, e.g. "3号楼".
    pub name: String,
    /// Street address.
    pub address: String,
    /// Position (WGS-84); `None` until placed on the map or imported.
    #[serde(default)]
    pub position: Option<LatLon>,
}

/// A department that handles routed incidents (街道科室 or city department).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Department {
    /// Stable id.
    pub id: Uuid,
    /// Display name, e.g. "城管科".
    pub name: String,
    /// Org unit that owns the department (a street, or the district for city departments).
    pub unit_id: Uuid,
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员: walks one grid.
    GridWorker,
    /// 网格长: leads a grid (or a community's grids).
    GridLeader,
    /// 全岗通 desk worker at the community hall.
    Desk,
    /// Department staff handling routed incidents.
    Department,
    /// Street or community administrator.
    Admin,
}

impl Role {
    /// Stable snake_case name, as printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::GridLeader => "grid_leader",
            Role::Desk => "desk",
            Role::Department => "department",
            Role::Admin => "admin",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Role> {
        [
            Role::GridWorker,
            Role::GridLeader,
            Role::Desk,
            Role::Department,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// A person who signs in on a device or the admin web.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct User {
    /// Stable id.
    pub id: Uuid,
    /// Login name, unique.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Scope: an org unit id (grid, community, street) or, for department staff, a department id.
    pub scope_id: Uuid,
}

/// A community's offline basemap: an MBTiles file kept in the blob store (issue 15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TilePackage {
    /// The community (or other org unit) it covers; devices under it may fetch it.
    pub unit_id: Uuid,
    /// Display name.
    pub name: String,
    /// SHA-256 of the file (its blob name).
    pub sha256: String,
    /// Size, bytes.
    pub bytes: u64,
    /// Zoom levels held.
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// `[west, south, east, north]`, WGS-84 degrees.
    pub bounds: [f64; 4],
    /// The system its pixels are drawn in; the org's geometry is converted to it for display.
    pub coordinate_system: crate::coords::CoordSystem,
}

/// An online XYZ basemap (e.g. Tianditu with the deployment's key) for the devices and the
/// admin web under an org unit, used where no tile package is held (issue 15). Devices keep
/// the tiles they fetched, so an area once seen is drawn offline too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TileSource {
    /// The org unit (street, community) whose devices and admins use it.
    pub unit_id: Uuid,
    /// Display name, e.g. "天地图".
    pub name: String,
    /// URL template with `{z}`, `{x}` and `{y}` (and `{s}` for one of `subdomains`),
    /// `http://` or `https://`.
    pub url: String,
    /// Letters or digits `{s}` cycles through, e.g. "01234567"; empty: no `{s}`.
    #[serde(default)]
    pub subdomains: String,
    /// Highest zoom it serves.
    pub max_zoom: u8,
    /// The system its pixels are drawn in; the org's geometry is converted to it for display.
    pub coordinate_system: crate::coords::CoordSystem,
    /// Attribution shown on the map, e.g. "© 天地图".
    #[serde(default)]
    pub attribution: String,
}

impl TileSource {
    /// The URL of one tile.
    pub fn tile_url(&self, z: u8, x: u32, y: u32) -> String {
        let subdomains: Vec<char> = self.subdomains.chars().collect();
        let s = match subdomains.len() {
            0 => String::new(),
            n => subdomains[(x as usize + y as usize) % n].to_string(),
        };
        self.url
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
            .replace("{s}", &s)
    }

    /// Why the source cannot be used, if it cannot.
    pub fn problem(&self) -> Option<&'static str> {
        let url = self.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Some("the URL must start with https:// or http://");
        }
        if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            return Some("the URL must hold {z}, {x} and {y}");
        }
        if url.contains("{s}") && self.subdomains.is_empty() {
            return Some("the URL holds {s}: give the subdomains");
        }
        if self.max_zoom == 0 || self.max_zoom > 22 {
            return Some("the highest zoom is 1 to 22");
        }
        if url.len() > 1000 || self.name.chars().count() > 100 || self.attribution.len() > 300 {
            return Some("the URL, name or attribution is too long");
        }
        None
    }
}
