//! The org's geometry and the visit authenticity check over real processes (issue 15): the
//! demo street comes with boundaries and building positions; the street admin imports GeoJSON
//! (a grid boundary by name, buildings by id and by name), gets a warning for a building
//! outside its grid, and a phone receives the new positions with the reference data; hostile
//! or wrong GeoJSON is refused and changes nothing. Visits made on a phone far from their
//! building, with a poor fix, in a minute or with no fix at all are flagged in the admin
//! records and the ledger export, and the street's thresholds decide.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Duration;
use gridwalk_client::Client;
use gridwalk_shared::model::Location;
use gridwalk_shared::time::Timestamp;
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::{Deployment, TEST_SYNC};
use serde_json::{json, Value};
use uuid::Uuid;

/// A GeoJSON box ring `[lon, lat]` from its south-west corner.
fn box_ring(south: f64, west: f64, north: f64, east: f64) -> Value {
    json!([[
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south]
    ]])
}

fn collection(features: Value) -> Value {
    json!({ "type": "FeatureCollection", "features": features })
}

/// The unit or building with this id in `GET /api/org`.
fn find<'a>(org: &'a Value, list: &str, id: &str) -> Option<&'a Value> {
    org[list].as_array()?.iter().find(|u| u["id"] == id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geometry_is_imported_as_geojson_checked_and_reaches_the_phones() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let org = admin.get("/api/org").await?.json;
    let grid = org["units"]
        .as_array()
        .context("units")?
        .iter()
        .find(|u| u["name"] == "幸福社区第一网格")
        .context("grid 1")?
        .clone();
    let grid_id = grid["id"].as_str().context("id")?.to_string();
    assert_eq!(
        grid["boundary"].as_array().map(Vec::len),
        Some(5),
        "the demo grid has a boundary: {grid}"
    );
    let mine: Vec<&Value> = org["buildings"]
        .as_array()
        .context("buildings")?
        .iter()
        .filter(|b| b["grid_id"] == grid_id.as_str())
        .collect();
    assert_eq!(mine.len(), 10);
    assert!(mine.iter().all(|b| b["position"]["lat"].is_f64()));
    let first = mine[0]["id"].as_str().context("id")?.to_string();

    // The boundary redrawn a little wider by name, building 1 moved by the feature's id, 2号楼
    // by name and grid to across the road: the one warning.
    let corners = grid["boundary"].as_array().context("ring")?;
    let edge = |key: &str, pick: fn(f64, f64) -> f64| {
        corners
            .iter()
            .filter_map(|c| c[key].as_f64())
            .reduce(pick)
            .unwrap_or_default()
    };
    let margin = 0.0002;
    let (s, w) = (
        edge("lat", f64::min) - margin,
        edge("lon", f64::min) - margin,
    );
    let (n, e) = (
        edge("lat", f64::max) + margin,
        edge("lon", f64::max) + margin,
    );
    let inside = ((s + n) / 2.0, (w + e) / 2.0);
    let import = collection(json!([
        { "type": "Feature", "properties": { "name": "幸福社区第一网格", "人口": 900 },
          "geometry": { "type": "Polygon", "coordinates": box_ring(s, w, n, e) } },
        { "type": "Feature", "id": first, "properties": null,
          "geometry": { "type": "Point", "coordinates": [inside.1, inside.0, 12.5] } },
        { "type": "Feature", "properties": { "name": "2号楼", "grid": "幸福社区第一网格" },
          "geometry": { "type": "Point", "coordinates": [e + 0.01, inside.0] } }
    ]));
    let report = admin.put("/api/org/geometry", &import).await?;
    assert_status(&report, 200, "geometry import");
    assert_eq!(report.json["buildings"], 2);
    assert_eq!(report.json["units"], 1);
    let warnings = report.json["warnings"].as_array().context("warnings")?;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().is_some_and(|w| w.contains("2号楼")));
    let version = report.json["reference_version"]
        .as_u64()
        .context("version")?;

    let org = admin.get("/api/org").await?.json;
    let ring = &find(&org, "units", &grid_id).context("grid")?["boundary"];
    assert_eq!(ring[0], json!({ "lat": s, "lon": w }));
    assert_eq!(ring[2], json!({ "lat": n, "lon": e }));
    assert_eq!(
        find(&org, "buildings", &first).context("building")?["position"],
        json!({ "lat": inside.0, "lon": inside.1 })
    );

    // A phone of the grid receives the positions with the reference data.
    let dir = tempfile::tempdir()?;
    let phone = deployment
        .enrolled_client(&server.url, "worker1", dir.path())
        .await?;
    phone.sync().await?;
    let on_phone = phone.reference()?.context("reference")?;
    assert_eq!(on_phone.version, version);
    let b = on_phone
        .buildings
        .iter()
        .find(|b| b.id.to_string() == first)
        .context("building on the phone")?;
    assert_eq!(b.position.map(|p| (p.lat, p.lon)), Some(inside));
    let g = on_phone.units.iter().find(|u| u.id.to_string() == grid_id);
    assert_eq!(g.and_then(|g| g.boundary.as_ref()).map(Vec::len), Some(5));

    // Refused, each with its reason, and nothing changes.
    let refused = [
        (
            collection(json!([{ "type": "Feature", "properties": { "id": grid_id },
              "geometry": { "type": "Polygon", "coordinates":
                [[[117.2, 39.1], [117.21, 39.11], [117.21, 39.1], [117.2, 39.11], [117.2, 39.1]]] } }])),
            "crosses itself",
        ),
        (
            collection(json!([{ "type": "Feature", "properties": { "id": grid_id },
              "geometry": { "type": "Polygon", "coordinates": [[[117.2, 39.1], [117.21, 39.1], [117.21, 39.11]]] } }])),
            "three corners",
        ),
        (
            collection(
                json!([{ "type": "Feature", "properties": { "name": "2号楼" },
              "geometry": { "type": "Point", "coordinates": [117.2, 39.1] } }]),
            ),
            "6 buildings have that name",
        ),
        (
            collection(
                json!([{ "type": "Feature", "properties": { "name": "没有这栋楼" },
              "geometry": { "type": "Point", "coordinates": [117.2, 39.1] } }]),
            ),
            "no such building",
        ),
        (
            collection(json!([{ "type": "Feature", "properties": { "id": first },
              "geometry": { "type": "Point", "coordinates": [117.2, 95.0] } }])),
            "not a WGS-84 position",
        ),
        (
            collection(json!([{ "type": "Feature", "properties": { "id": grid_id },
              "geometry": { "type": "MultiPolygon", "coordinates": [] } }])),
            "only Points",
        ),
        (
            collection(json!([{ "type": "Feature", "properties": { "id": grid_id },
              "geometry": { "type": "Polygon", "coordinates":
                [box_ring(39.1, 117.2, 39.11, 117.21)[0], box_ring(39.102, 117.202, 39.104, 117.204)[0]] } }])),
            "no holes",
        ),
        (
            collection(json!([{ "type": "Feature", "properties": {},
              "geometry": { "type": "Point", "coordinates": [117.2, 39.1] } }])),
            "give properties.id or properties.name",
        ),
        (
            json!({ "type": "Feature", "features": [] }),
            "FeatureCollection",
        ),
    ];
    for (body, why) in refused {
        let answer = admin.put("/api/org/geometry", &body).await?;
        assert_status(&answer, 400, why);
        let message = answer.json["message"].as_str().unwrap_or("");
        assert!(message.contains(why), "{why}: {message}");
    }
    let garbage = admin
        .put(
            "/api/org/geometry",
            &json!({ "type": "FeatureCollection", "features": 7 }),
        )
        .await?;
    assert_status(&garbage, 422, "malformed");
    // The valid first feature of a refused collection was not stored either.
    let half = collection(json!([
        { "type": "Feature", "properties": { "id": first },
          "geometry": { "type": "Point", "coordinates": [117.3, 39.2] } },
        { "type": "Feature", "properties": { "name": "没有这栋楼" },
          "geometry": { "type": "Point", "coordinates": [117.2, 39.1] } }
    ]));
    let answer = admin.put("/api/org/geometry", &half).await?;
    assert_status(&answer, 400, "half valid");
    assert!(
        answer.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("feature 1")),
        "{}",
        answer.json
    );
    let after = admin.get("/api/org").await?.json;
    assert_eq!(
        find(&after, "buildings", &first).context("building")?["position"],
        json!({ "lat": inside.0, "lon": inside.1 })
    );
    assert_eq!(
        admin.get("/api/reference").await?.json["version"],
        json!(version)
    );

    // Only administrators draw the map.
    for login in ["leader1", "worker1"] {
        let other = AdminSession::sign_in(&server.url, login, DEMO_PASSWORD).await;
        if let Ok(other) = other {
            assert_status(&other.put("/api/org/geometry", &import).await?, 403, login);
        }
    }
    // A null geometry clears a position.
    let clear =
        collection(json!([{ "type": "Feature", "properties": { "id": first }, "geometry": null }]));
    assert_status(&admin.put("/api/org/geometry", &clear).await?, 200, "clear");
    let cleared = admin.get("/api/org").await?.json;
    assert_eq!(
        find(&cleared, "buildings", &first).context("building")?["position"],
        Value::Null
    );
    Ok(())
}

/// Metres north of the building, and the fix's accuracy.
type Offset = (f64, f64);

/// A fix `north_m` metres north of `(lat, lon)`.
fn fix(lat: f64, lon: f64, north_m: f64, accuracy_m: f64, at: Timestamp) -> Location {
    Location {
        lat: lat + north_m / 111_195.0,
        lon,
        accuracy_m: Some(accuracy_m),
        at,
        adjusted_from: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubtful_visits_are_flagged_in_the_records_and_the_ledger() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let clock = Arc::new(HandClock::at(today - Duration::days(1), 9, 0));
    let dir = tempfile::tempdir()?;
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let reference = phone.reference()?.context("reference")?;
    let grid = phone.status()?.account.context("enrolled")?.user.scope_id;
    let homes = phone.households()?;
    let place = |h: Uuid| -> Result<(f64, f64)> {
        let row = homes.iter().find(|r| r.id == h).context("household")?;
        let p = reference
            .building_position(Some(row.building_id))
            .context("the demo building is placed")?;
        Ok((p.lat, p.lon))
    };
    // (household, metres north of its building, accuracy, minutes at the door); None: no fix.
    let visits: [(Uuid, Option<Offset>, u32); 3] = [
        (homes[0].id, Some((20.0, 10.0)), 8),
        (homes[1].id, Some((445.0, 250.0)), 1),
        (homes[2].id, None, 8),
    ];
    let mut ids = Vec::new();
    let mut minute = 0;
    for (household, at, minutes) in visits {
        clock.set(today - Duration::days(1), 9, minute);
        let mut draft = phone.open_visit_draft(household)?;
        draft.template_id = None;
        draft.template_version = None;
        let (lat, lon) = place(household)?;
        draft.location =
            at.map(|(north, accuracy)| fix(lat, lon, north, accuracy, draft.started_at));
        phone.save_visit_draft(draft)?;
        minute += minutes;
        clock.set(today - Duration::days(1), 9, minute);
        ids.push(phone.finish_visit_draft(household)?);
        minute += 1;
    }
    clock.set(today, 9, 0);
    phone.sync().await?;

    let flags = |records: &Value, id: Uuid| -> Value {
        records
            .as_array()
            .and_then(|r| r.iter().find(|v| v["id"] == json!(id.to_string())))
            .map(|v| v["flags"].clone())
            .unwrap_or(Value::Null)
    };
    let path = format!("/api/records?kind=visit&area={grid}");
    let records = admin.get(&path).await?;
    assert_status(&records, 200, "records");
    assert_eq!(flags(&records.json, ids[0]), json!([]), "at the door");
    assert_eq!(
        flags(&records.json, ids[1]),
        json!([
            { "flag": "too_far", "metres": 445 },
            { "flag": "poor_fix", "accuracy_m": 250 },
            { "flag": "too_short", "seconds": 60 }
        ])
    );
    assert_eq!(flags(&records.json, ids[2]), json!([{ "flag": "no_fix" }]));

    let ledger = admin
        .get(&format!("/api/exports/ledger?format=csv&area={grid}"))
        .await?;
    assert_status(&ledger, 200, "ledger");
    let csv = String::from_utf8(ledger.bytes.clone())?;
    let header = csv.lines().next().context("header")?;
    assert!(header.contains("核验"), "{header}");
    let doubtful = csv
        .lines()
        .find(|l| l.contains("距楼栋"))
        .context("a flagged row")?;
    assert!(
        doubtful.contains("距楼栋445米") && doubtful.contains("用时60秒"),
        "{doubtful}"
    );
    assert!(csv.contains("无定位"));

    // The worker's day as a track: the two fixes in time order, the visit without one counted.
    let worker = phone.status()?.account.context("enrolled")?.user.id;
    let day = today - Duration::days(1);
    let track = admin
        .get(&format!("/api/tracks?worker={worker}&date={day}"))
        .await?;
    assert_status(&track, 200, "track");
    let stops = track.json["stops"].as_array().context("stops")?;
    let records: Vec<&Value> = stops.iter().map(|s| &s["record"]).collect();
    assert_eq!(
        records,
        [&json!(ids[0].to_string()), &json!(ids[1].to_string())]
    );
    assert!(stops
        .iter()
        .all(|s| s["kind"] == "visit" && s["gap_before"] == false));
    assert_eq!(track.json["visits_without_fix"], 1);
    assert_eq!(track.json["gaps"], 0);
    let walked = track.json["distance_m"].as_f64().context("distance")?;
    assert!(walked > 400.0 && walked < 2_000.0, "{walked}");
    let other_day = admin
        .get(&format!(
            "/api/tracks?worker={worker}&date={}",
            today - Duration::days(5)
        ))
        .await?;
    assert_eq!(other_day.json["stops"], json!([]));
    let nobody = admin
        .get(&format!("/api/tracks?worker={}", Uuid::now_v7()))
        .await?;
    assert_status(&nobody, 400, "unknown worker");

    // The street loosens the thresholds: the far, vague, quick visit passes.
    let loose = json!({ "max_distance_m": 1000, "max_accuracy_m": 500, "min_duration_s": 30 });
    assert_status(
        &admin.put("/api/reference/visit-check", &loose).await?,
        200,
        "visit check",
    );
    let records = admin.get(&path).await?.json;
    assert_eq!(flags(&records, ids[1]), json!([]));
    assert_eq!(
        admin.get("/api/reference").await?.json["visit_check"],
        loose
    );
    for bad in [
        json!({ "max_distance_m": 0, "max_accuracy_m": 500, "min_duration_s": 30 }),
        json!({ "max_distance_m": 100, "max_accuracy_m": 500, "min_duration_s": 100000 }),
    ] {
        assert_status(
            &admin.put("/api/reference/visit-check", &bad).await?,
            400,
            "bad rule",
        );
    }
    // A rule missing a threshold does not deserialize at all.
    let partial = json!({ "max_distance_m": 100 });
    let answer = admin.put("/api/reference/visit-check", &partial).await?;
    assert_status(&answer, 422, "partial rule");
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    assert_status(
        &dept.put("/api/reference/visit-check", &loose).await?,
        403,
        "dept",
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_map_draws_the_street_imports_a_boundary_and_shows_a_track() -> Result<()> {
    let Some((driver, ui)) = gridwalk_tests::admin::admin_browser("admin_map")? else {
        return Ok(());
    };
    let (_deployment, server) = gridwalk_tests::admin::serve_with_activity(&ui, 7)?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let worker = admin.id_of("worker1").await?;
    // The latest day of the demo week with worker1's visits on it.
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let mut track = Value::Null;
    for back in 0..7 {
        let day = today - Duration::days(back);
        let answer = admin
            .get(&format!("/api/tracks?worker={worker}&date={day}"))
            .await?
            .json;
        if answer["stops"].as_array().is_some_and(|s| s.len() > 1) {
            track = answer;
            break;
        }
    }
    let day = track["date"]
        .as_str()
        .context("a day with a track")?
        .to_string();
    let org = admin.get("/api/org").await?.json;
    let grid = org["units"]
        .as_array()
        .context("units")?
        .iter()
        .find(|u| u["name"] == "光明社区第二网格")
        .context("grid")?;
    let ring: Vec<Value> = grid["boundary"]
        .as_array()
        .context("ring")?
        .iter()
        .map(|p| json!([p["lon"], p["lat"]]))
        .collect();
    let geojson = collection(json!([{ "type": "Feature",
        "properties": { "name": "光明社区第二网格" },
        "geometry": { "type": "Polygon", "coordinates": [ring] } }]));
    let edit_grid = org["units"]
        .as_array()
        .context("units")?
        .iter()
        .find(|u| u["name"] == "光明社区第三网格")
        .context("grid to draw")?
        .clone();
    let regrid_to = org["units"]
        .as_array()
        .context("units")?
        .iter()
        .find(|u| u["name"] == "光明社区第一网格")
        .context("grid to move to")?
        .clone();
    let arg = json!({
        "geojson": geojson.to_string(), "worker": worker, "day": day,
        "edit_grid": edit_grid["id"], "regrid_to": regrid_to["id"]
    });
    let out = tempfile::tempdir()?;
    let shown = gridwalk_tests::admin::browser_phase(
        &driver,
        "admin",
        "map",
        &server.url,
        out.path(),
        Some(&arg.to_string()),
    )?;
    assert_eq!(shown["errors"], json!([]), "{shown}");
    assert_eq!(shown["grids"], 6, "{shown}");
    assert_eq!(shown["buildings"], 60, "{shown}");
    let coverage = &shown["coverage"];
    let sum: u64 = ["visited", "partly", "due", "overdue", "none"]
        .iter()
        .filter_map(|c| coverage[c].as_u64())
        .sum();
    assert_eq!(sum, 60, "every building coloured: {coverage}");
    assert!(
        coverage["overdue"].as_u64() < Some(60),
        "a week of demo visits covers some buildings: {coverage}"
    );
    assert!(shown["labels"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x == "幸福社区第一网格")));
    assert!(
        shown["report"]
            .as_str()
            .is_some_and(|r| r.contains("1 条边界")),
        "{shown}"
    );
    // The month's incidents, as many per tone as the API says, clustered on screen.
    let pins = admin.get("/api/incidents/map").await?.json;
    let pins = pins.as_array().context("pins")?;
    assert!(!pins.is_empty(), "demo reports carry fixes");
    for tone in ["overdue", "verify", "open", "closed"] {
        let n = pins.iter().filter(|p| p["tone"] == tone).count();
        assert_eq!(shown["incidents"][tone], json!(n), "{tone}: {shown}");
    }
    let drawn = shown["clusters"].as_u64().unwrap_or(0) + shown["singles"].as_u64().unwrap_or(0);
    assert!(
        drawn >= 1 && drawn <= pins.len() as u64,
        "{drawn} dots for {} incidents",
        pins.len()
    );
    let stops = track["stops"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(shown["stops"], json!(stops), "every point of the day drawn");
    assert_eq!(shown["gaps"], track["gaps"], "each gap drawn dashed");
    // The dragged building moved east, the others stayed; the drawn boundary replaced the old.
    let after = admin.get("/api/org").await?.json;
    let dragged = shown["dragged"].as_str().context("dragged")?;
    let moved: Vec<&Value> = after["buildings"]
        .as_array()
        .context("buildings")?
        .iter()
        .filter(|b| {
            let before = find(&org, "buildings", b["id"].as_str().unwrap_or_default());
            before.is_some_and(|x| x["position"] != b["position"])
        })
        .collect();
    assert_eq!(moved.len(), 1, "one building moved: {moved:?}");
    assert!(
        dragged.contains(moved[0]["address"].as_str().unwrap_or("?")),
        "{dragged}: {moved:?}"
    );
    let id = edit_grid["id"].as_str().context("id")?;
    let drawn = &find(&after, "units", id).context("grid")?["boundary"];
    assert_eq!(
        drawn.as_array().map(Vec::len),
        Some(5),
        "four corners, closed"
    );
    assert_ne!(drawn, &edit_grid["boundary"]);
    // Dragging one corner of the drawn boundary moved that corner only (with the ring's
    // closing copy when it is the first).
    assert_eq!(shown["corners"], 4, "one handle per corner: {shown}");
    let (ring_before, ring_after) = (&shown["ringBefore"], &shown["ringAfter"]);
    let changed = (0..5).filter(|&i| ring_before[i] != ring_after[i]).count();
    assert!(
        changed == 1
            || (changed == 2 && ring_before[0] != ring_after[0] && ring_before[4] != ring_after[4]),
        "{ring_before} → {ring_after}"
    );
    assert_eq!(ring_after[0], ring_after[4], "still closed");
    // Coverage for a date range: one line per grid, and the not-visited colour named so.
    let lines = shown["rangeGrids"].as_array().context("range grids")?;
    assert_eq!(lines.len(), 6, "{shown}");
    assert!(lines
        .iter()
        .all(|l| l.as_str().is_some_and(|l| l.contains("户已走访"))));
    assert!(shown["rangeUnvisited"]
        .as_str()
        .is_some_and(|l| l.contains("期间未走访")));
    // The building picked on the map moved to the grid chosen on its card, with its households.
    let regridded = shown["regridded"].as_str().context("regridded")?;
    let now_in = after["buildings"]
        .as_array()
        .context("buildings")?
        .iter()
        .find(|b| {
            format!(
                "{} · {}",
                b["name"].as_str().unwrap_or(""),
                b["address"].as_str().unwrap_or("")
            ) == regridded
        })
        .with_context(|| format!("no building {regridded}"))?;
    assert_eq!(now_in["grid_id"], regrid_to["id"], "{regridded}");
    let note = shown["movedNote"].as_str().unwrap_or_default();
    assert!(
        note.contains("光明社区第一网格") && note.contains("户"),
        "{note}"
    );
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        for name in [
            "admin-map-edit.png",
            "admin-map-coverage.png",
            "admin-map-incidents.png",
            "admin-map-track.png",
        ] {
            std::fs::copy(out.path().join(name), docs.join(name))?;
        }
    }
    Ok(())
}
