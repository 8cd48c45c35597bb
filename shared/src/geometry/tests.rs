use super::*;

fn at(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

/// A closed ring from its corners (the first repeated at the end).
fn ring(corners: &[(f64, f64)]) -> Vec<LatLon> {
    let mut r: Vec<LatLon> = corners.iter().map(|&(lat, lon)| at(lat, lon)).collect();
    r.push(r[0]);
    r
}

#[test]
fn distance_follows_the_sphere() {
    // One degree along a meridian is 2πR/360.
    let degree = 2.0 * std::f64::consts::PI * EARTH_RADIUS_M / 360.0;
    assert!((distance_m(at(30.0, 120.0), at(31.0, 120.0)) - degree).abs() < 1e-6);
    // Along a parallel it shrinks with cos(latitude) (to first order at short range).
    let east = distance_m(at(60.0, 10.0), at(60.0, 10.001));
    assert!((east - degree * 0.001 * 0.5).abs() < 0.01, "{east}");
    // A building 0.001° north is 111 m away; a point is 0 m from itself.
    assert!((distance_m(at(31.23, 121.47), at(31.231, 121.47)) - 111.19).abs() < 0.01);
    assert_eq!(distance_m(at(31.23, 121.47), at(31.23, 121.47)), 0.0);
}

#[test]
fn a_square_is_a_boundary_and_contains_its_middle() {
    let square = ring(&[
        (31.0, 121.0),
        (31.0, 121.01),
        (31.01, 121.01),
        (31.01, 121.0),
    ]);
    assert_eq!(check_ring(&square), Ok(()));
    assert!(contains(&square, at(31.005, 121.005)));
    assert!(!contains(&square, at(31.02, 121.005)));
    assert!(!contains(&square, at(31.005, 120.99)));
    let c = centroid(&square).unwrap();
    assert!((c.lat - 31.005).abs() < 1e-9 && (c.lon - 121.005).abs() < 1e-9);
}

#[test]
fn a_concave_boundary_contains_only_its_own_area() {
    // An L shape: the notch at the top right is outside.
    let l = ring(&[
        (0.0, 0.0),
        (0.0, 2.0),
        (1.0, 2.0),
        (1.0, 1.0),
        (2.0, 1.0),
        (2.0, 0.0),
    ]);
    assert_eq!(check_ring(&l), Ok(()));
    assert!(contains(&l, at(0.5, 1.5)));
    assert!(contains(&l, at(1.5, 0.5)));
    assert!(!contains(&l, at(1.5, 1.5)));
}

#[test]
fn a_bow_tie_crosses_itself() {
    let bow = ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]);
    assert!(matches!(
        check_ring(&bow),
        Err(RingError::SelfIntersecting(0, 2))
    ));
}

#[test]
fn an_edge_folding_back_or_touching_another_is_refused() {
    // Goes out along the bottom edge and comes half-way back on it.
    let fold = ring(&[(0.0, 0.0), (0.0, 2.0), (0.0, 1.0), (1.0, 1.0)]);
    assert!(matches!(
        check_ring(&fold),
        Err(RingError::SelfIntersecting(..))
    ));
    // A corner that touches the opposite edge (a pinched ring).
    let pinch = ring(&[(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (0.0, 1.0), (2.0, 0.0)]);
    assert!(matches!(
        check_ring(&pinch),
        Err(RingError::SelfIntersecting(..))
    ));
}

#[test]
fn malformed_rings_say_what_is_wrong() {
    let open: Vec<LatLon> = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
        .iter()
        .map(|&(a, b)| at(a, b))
        .collect();
    assert_eq!(check_ring(&open), Err(RingError::NotClosed));
    assert_eq!(
        check_ring(&ring(&[(0.0, 0.0), (1.0, 1.0)])),
        Err(RingError::TooFewPoints)
    );
    // A flat ring runs back over itself; a tiny one (a few cm²) encloses nothing usable.
    assert!(matches!(
        check_ring(&ring(&[(0.0, 0.0), (0.0, 1.0), (0.0, 2.0)])),
        Err(RingError::SelfIntersecting(..))
    ));
    assert_eq!(
        check_ring(&ring(&[(0.0, 0.0), (0.0, 1e-6), (1e-6, 0.0)])),
        Err(RingError::NoArea)
    );
    assert_eq!(
        check_ring(&ring(&[(0.0, 0.0), (0.0, 1.0), (0.0, 1.0), (1.0, 1.0)])),
        Err(RingError::RepeatedPoint(2))
    );
    assert_eq!(
        check_ring(&ring(&[(0.0, 0.0), (95.0, 1.0), (1.0, 1.0)])),
        Err(RingError::BadCoordinate(1))
    );
    assert_eq!(
        check_ring(&ring(&[(0.0, 0.0), (f64::NAN, 1.0), (1.0, 1.0)])),
        Err(RingError::BadCoordinate(1))
    );
    let huge: Vec<(f64, f64)> = (0..MAX_RING_POINTS)
        .map(|i| {
            let t = i as f64 / MAX_RING_POINTS as f64 * std::f64::consts::TAU;
            (t.sin(), t.cos())
        })
        .collect();
    assert_eq!(check_ring(&ring(&huge)), Err(RingError::TooManyPoints));
    // A circle just under the limit is fine (and checked in one go).
    let circle: Vec<(f64, f64)> = huge[..MAX_RING_POINTS - 1].to_vec();
    assert_eq!(check_ring(&ring(&circle)), Ok(()));
    assert!(RingError::NotClosed.to_string().contains("not closed"));
}
