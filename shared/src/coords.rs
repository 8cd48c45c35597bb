//! The coordinate systems used on maps in China (issue 15). Everything Gridwalk stores is
//! WGS-84, as phones give it; Chinese basemaps draw in GCJ-02 (国测局, AMap and Tencent) or in
//! BD-09 (Baidu, a further offset of GCJ-02), and Tianditu in CGCS2000 (within centimetres of
//! WGS-84, used as is). A tile source declares its system and what is drawn on it is
//! converted for display only, never in storage.
//!
//! GCJ-02 is the published obfuscation formula over the Krasovsky 1940 ellipsoid; outside
//! mainland China it is the identity. Its inverse has no closed form: [`gcj02_to_wgs84`]
//! iterates the forward formula until it reproduces its input to well under a millimetre.

use serde::{Deserialize, Serialize};

/// A map coordinate system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CoordSystem {
    /// WGS-84 (GPS; also CGCS2000 / Tianditu, the same to within centimetres).
    Wgs84,
    /// GCJ-02 (AMap, Tencent).
    Gcj02,
    /// BD-09 (Baidu).
    Bd09,
}

/// A position: latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LatLon {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as GCJ-02 uses them.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
/// BD-09's own rotation and scale constant.
const BD_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// Whether GCJ-02 applies here (a rough box around mainland China, as the formula's users
/// draw it; Hong Kong, Macau and Taiwan lie inside it and are shifted too).
pub fn in_china(p: LatLon) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

fn lat_shift(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn lon_shift(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (degrees) at a WGS-84 position.
fn gcj_offset(p: LatLon) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let rad = p.lat / 180.0 * PI;
    let sin = rad.sin();
    let magic = 1.0 - EE * sin * sin;
    let sqrt_magic = magic.sqrt();
    let d_lat = lat_shift(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = lon_shift(x, y) * 180.0 / (A / sqrt_magic * rad.cos() * PI);
    (d_lat, d_lon)
}

/// WGS-84 → GCJ-02 (the identity outside China).
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if !in_china(p) {
        return p;
    }
    let (d_lat, d_lon) = gcj_offset(p);
    LatLon {
        lat: p.lat + d_lat,
        lon: p.lon + d_lon,
    }
}

/// GCJ-02 → WGS-84: the WGS-84 position whose GCJ-02 image is `p`, found by fixed-point
/// iteration (converges in a few steps; the residual is below 1e-9°, about 0.1 mm).
pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if !in_china(p) {
        return p;
    }
    let mut guess = p;
    for _ in 0..30 {
        let image = wgs84_to_gcj02(guess);
        let (e_lat, e_lon) = (image.lat - p.lat, image.lon - p.lon);
        guess = LatLon {
            lat: guess.lat - e_lat,
            lon: guess.lon - e_lon,
        };
        if e_lat.abs() < 1e-10 && e_lon.abs() < 1e-10 {
            break;
        }
    }
    guess
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.000_02 * (y * BD_PI).sin();
    let theta = y.atan2(x) + 0.000_003 * (x * BD_PI).cos();
    LatLon {
        lat: z * theta.sin() + 0.006,
        lon: z * theta.cos() + 0.0065,
    }
}

/// BD-09 → GCJ-02.
pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    let (x, y) = (p.lon - 0.0065, p.lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.000_02 * (y * BD_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * BD_PI).cos();
    LatLon {
        lat: z * theta.sin(),
        lon: z * theta.cos(),
    }
}

/// A stored (WGS-84) position as drawn on a map in `system`.
pub fn for_display(p: LatLon, system: CoordSystem) -> LatLon {
    match system {
        CoordSystem::Wgs84 => p,
        CoordSystem::Gcj02 => wgs84_to_gcj02(p),
        CoordSystem::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
    }
}

/// A position picked on a map in `system` (a dragged pin) as stored: WGS-84.
pub fn for_storage(p: LatLon, system: CoordSystem) -> LatLon {
    match system {
        CoordSystem::Wgs84 => p,
        CoordSystem::Gcj02 => gcj02_to_wgs84(p),
        CoordSystem::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
    }
}

#[cfg(test)]
mod tests;
