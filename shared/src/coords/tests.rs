use super::*;

fn at(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

fn close(a: LatLon, b: LatLon, degrees: f64) -> bool {
    (a.lat - b.lat).abs() < degrees && (a.lon - b.lon).abs() < degrees
}

/// WGS-84 → GCJ-02 reference pairs published with the eviltransform library's tests
/// (googollee/eviltransform): Shanghai, Shenzhen, Beijing.
const GCJ_PAIRS: [(f64, f64, f64, f64); 3] = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
];

#[test]
fn wgs84_to_gcj02_matches_the_published_pairs() {
    for (lat, lon, g_lat, g_lon) in GCJ_PAIRS {
        let got = wgs84_to_gcj02(at(lat, lon));
        assert!(
            close(got, at(g_lat, g_lon), 1e-9),
            "{got:?} for {lat},{lon}"
        );
    }
}

#[test]
fn gcj02_to_wgs84_inverts_it_to_a_tenth_of_a_millimetre() {
    for (lat, lon, g_lat, g_lon) in GCJ_PAIRS {
        let back = gcj02_to_wgs84(at(g_lat, g_lon));
        assert!(close(back, at(lat, lon), 1e-9), "{back:?}");
    }
    // Across the demo street and a spread of Chinese cities, the round trip closes.
    for lat in [18.25, 23.1, 30.27, 39.9, 45.75] {
        for lon in [87.6, 104.06, 113.26, 120.15, 126.63] {
            let p = at(lat, lon);
            assert!(close(gcj02_to_wgs84(wgs84_to_gcj02(p)), p, 1e-9), "{p:?}");
        }
    }
}

/// GCJ-02 ↔ BD-09 reference values published with the coordtransform library's example
/// (wandergis/coordtransform, test/app.js) at 39.915 N, 116.404 E.
#[test]
fn bd09_matches_the_published_values_and_round_trips() {
    let p = at(39.915, 116.404);
    let bd = gcj02_to_bd09(p);
    assert!(
        close(bd, at(39.92133699351021, 116.41036949371029), 1e-9),
        "{bd:?}"
    );
    let gcj = bd09_to_gcj02(p);
    assert!(
        close(gcj, at(39.90865673957631, 116.39762729119315), 1e-9),
        "{gcj:?}"
    );
    let wgs = wgs84_to_gcj02(p);
    assert!(
        close(wgs, at(39.91640428150164, 116.41024449916938), 1e-9),
        "{wgs:?}"
    );
    // BD-09's inverse is closed-form and not exact: the round trip holds to 1e-6° (≈ 0.1 m).
    for q in [at(29.2, 120.02), at(39.90872, 116.39748), at(22.54, 113.91)] {
        let shown = for_display(q, CoordSystem::Bd09);
        assert!(
            close(for_storage(shown, CoordSystem::Bd09), q, 1e-6),
            "{q:?}"
        );
    }
}

#[test]
fn outside_china_and_on_wgs84_maps_nothing_moves() {
    for p in [at(48.8566, 2.3522), at(-33.87, 151.21), at(0.0, 0.0)] {
        assert_eq!(wgs84_to_gcj02(p), p);
        assert_eq!(gcj02_to_wgs84(p), p);
    }
    let beijing = at(39.90872, 116.39748);
    assert_eq!(for_display(beijing, CoordSystem::Wgs84), beijing);
    assert_eq!(for_storage(beijing, CoordSystem::Wgs84), beijing);
    // In Beijing the GCJ-02 shift is a few hundred metres, BD-09's about a kilometre.
    let gcj = for_display(beijing, CoordSystem::Gcj02);
    assert!((gcj.lon - beijing.lon).abs() > 0.005 && (gcj.lon - beijing.lon).abs() < 0.01);
    let bd = for_display(beijing, CoordSystem::Bd09);
    assert!((bd.lon - beijing.lon).abs() > 0.01);
}
