//! Plane geometry of the org (issue 15): distances between fixes and buildings, and grid and
//! community boundaries as closed rings of WGS-84 positions. At the size of a street (a few
//! kilometres) longitude and latitude are treated as a plane for containment and crossing
//! tests; distances use the haversine formula.

use std::fmt;

use crate::coords::LatLon;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Most points a boundary may have (a drawn or imported grid has tens to a few hundred).
pub const MAX_RING_POINTS: usize = 2_000;

/// Great-circle distance between two positions, in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (la, lb) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lb - la;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Whether a position is a valid WGS-84 coordinate.
pub fn valid_position(p: LatLon) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

/// Why a ring is not a usable boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum RingError {
    /// Fewer than three distinct corners.
    TooFewPoints,
    /// More than [`MAX_RING_POINTS`].
    TooManyPoints,
    /// The last point is not the first (GeoJSON rings repeat the first point at the end).
    NotClosed,
    /// A coordinate outside ±90° / ±180° or not a number.
    BadCoordinate(usize),
    /// The same point twice in a row.
    RepeatedPoint(usize),
    /// Two edges cross (or touch away from their shared corner).
    SelfIntersecting(usize, usize),
    /// All corners on one line.
    NoArea,
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::TooFewPoints => write!(f, "a boundary needs at least three corners"),
            RingError::TooManyPoints => {
                write!(f, "a boundary has at most {MAX_RING_POINTS} points")
            }
            RingError::NotClosed => write!(
                f,
                "the ring is not closed: its last point must be its first"
            ),
            RingError::BadCoordinate(i) => write!(f, "point {i} is not a WGS-84 coordinate"),
            RingError::RepeatedPoint(i) => write!(f, "point {i} repeats the point before it"),
            RingError::SelfIntersecting(a, b) => {
                write!(f, "the boundary crosses itself (edges {a} and {b})")
            }
            RingError::NoArea => write!(f, "the boundary encloses no area"),
        }
    }
}

/// Checks a boundary: a closed ring (first point repeated at the end) of valid positions,
/// at least three distinct corners, no edge crossing another, a non-zero area.
pub fn check_ring(ring: &[LatLon]) -> Result<(), RingError> {
    if ring.len() > MAX_RING_POINTS {
        return Err(RingError::TooManyPoints);
    }
    if let Some(i) = ring.iter().position(|p| !valid_position(*p)) {
        return Err(RingError::BadCoordinate(i));
    }
    if ring.len() < 4 {
        return Err(RingError::TooFewPoints);
    }
    if ring.first() != ring.last() {
        return Err(RingError::NotClosed);
    }
    if let Some(i) = (1..ring.len()).find(|&i| ring[i] == ring[i - 1]) {
        return Err(RingError::RepeatedPoint(i));
    }
    let edges = ring.len() - 1;
    for a in 0..edges {
        for b in a + 1..edges {
            let (p, q) = (ring[a], ring[a + 1]);
            let (r, s) = (ring[b], ring[b + 1]);
            let crossing = if b == a + 1 {
                folds_back(q, p, s)
            } else if a == 0 && b == edges - 1 {
                folds_back(p, q, r)
            } else {
                segments_touch(p, q, r, s)
            };
            if crossing {
                return Err(RingError::SelfIntersecting(a, b));
            }
        }
    }
    if signed_area(ring).abs() < MIN_AREA {
        return Err(RingError::NoArea);
    }
    Ok(())
}

/// Whether `p` lies inside a closed ring (even-odd rule; a point on an edge may go either way).
pub fn contains(ring: &[LatLon], p: LatLon) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let lon_at = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if p.lon < lon_at {
                inside = !inside;
            }
        }
    }
    inside
}

/// The ring's centre of area, for a label (the mean of its corners when it has no area).
pub fn centroid(ring: &[LatLon]) -> Option<LatLon> {
    let origin = *ring.first()?;
    let local: Vec<(f64, f64)> = ring
        .iter()
        .map(|p| (p.lon - origin.lon, p.lat - origin.lat))
        .collect();
    let area = signed_area(ring);
    if area.abs() < MIN_AREA {
        let n = ring.len() as f64;
        return Some(LatLon {
            lat: ring.iter().map(|p| p.lat).sum::<f64>() / n,
            lon: ring.iter().map(|p| p.lon).sum::<f64>() / n,
        });
    }
    let (mut x, mut y) = (0.0, 0.0);
    for w in local.windows(2) {
        let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        x += (w[0].0 + w[1].0) * cross;
        y += (w[0].1 + w[1].1) * cross;
    }
    Some(LatLon {
        lat: origin.lat + y / (6.0 * area),
        lon: origin.lon + x / (6.0 * area),
    })
}

/// Smallest area (square degrees, about 1 m²) a boundary may enclose.
const MIN_AREA: f64 = 1e-10;

/// Shoelace area in square degrees (positive counter-clockwise), taken about the first
/// corner so that large coordinates do not cancel.
fn signed_area(ring: &[LatLon]) -> f64 {
    let Some(o) = ring.first() else { return 0.0 };
    ring.windows(2)
        .map(|w| {
            let (a, b) = (
                (w[0].lon - o.lon, w[0].lat - o.lat),
                (w[1].lon - o.lon, w[1].lat - o.lat),
            );
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        / 2.0
}

/// Orientation of `r` against the line `p → q`: > 0 left, < 0 right, 0 on it.
fn orient(p: LatLon, q: LatLon, r: LatLon) -> f64 {
    (q.lon - p.lon) * (r.lat - p.lat) - (q.lat - p.lat) * (r.lon - p.lon)
}

fn on_segment(p: LatLon, q: LatLon, r: LatLon) -> bool {
    r.lon >= p.lon.min(q.lon)
        && r.lon <= p.lon.max(q.lon)
        && r.lat >= p.lat.min(q.lat)
        && r.lat <= p.lat.max(q.lat)
}

/// Whether segments `p–q` and `r–s` share any point.
fn segments_touch(p: LatLon, q: LatLon, r: LatLon, s: LatLon) -> bool {
    let (d1, d2) = (orient(r, s, p), orient(r, s, q));
    let (d3, d4) = (orient(p, q, r), orient(p, q, s));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(r, s, p))
        || (d2 == 0.0 && on_segment(r, s, q))
        || (d3 == 0.0 && on_segment(p, q, r))
        || (d4 == 0.0 && on_segment(p, q, s))
}

/// Whether the edges `corner → x` and `corner → y` run along each other (collinear, same
/// direction from their shared corner).
fn folds_back(corner: LatLon, x: LatLon, y: LatLon) -> bool {
    let dot =
        (x.lon - corner.lon) * (y.lon - corner.lon) + (x.lat - corner.lat) * (y.lat - corner.lat);
    orient(corner, x, y) == 0.0 && dot > 0.0
}

#[cfg(test)]
mod tests;
