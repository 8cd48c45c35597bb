//! The online basemap over real processes (issue 15 point 3): the street admin names an XYZ
//! source for the street (checked: a template with {z}/{x}/{y}, http(s), zooms); a phone
//! learns of it with the reference data and draws it where it holds no tile package,
//! fetching each tile once from the source on loopback and keeping it, so tiles once seen
//! are drawn with the source gone; a source that answers a page instead of a tile gives no
//! tile. Removing the source removes the basemap.

use anyhow::{Context, Result};
use gridwalk_client::BasemapKind;
use gridwalk_shared::coords::{CoordSystem, LatLon};
use gridwalk_shared::tiles::pixel;
use gridwalk_tests::admin::{assert_status, AdminSession, DemoIds, DEMO_PASSWORD};
use gridwalk_tests::tile_server::{tile_png, TileServer};
use gridwalk_tests::Deployment;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_draws_the_online_basemap_and_keeps_the_tiles_it_fetched() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let tiles = TileServer::start().await?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let source = |url: &str| {
        json!({ "unit_id": ids.street, "name": "天地图（测试）", "url": url, "subdomains": "",
                "max_zoom": 18, "coordinate_system": "gcj02", "attribution": "© 测试底图" })
    };
    for (bad, why) in [
        ("ftp://127.0.0.1/{z}/{x}/{y}.png", "https"),
        ("http://127.0.0.1/{z}/{y}.png", "{z}, {x} and {y}"),
        ("http://t{s}.example/{z}/{x}/{y}.png", "subdomains"),
    ] {
        let refused = admin
            .put("/api/reference/tile-source", &source(bad))
            .await?;
        assert_status(&refused, 400, bad);
        assert!(
            refused.json["message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{bad}: {}",
            refused.json
        );
    }
    let url = format!("{}/{{z}}/{{x}}/{{y}}.png", tiles.url);
    let set = admin
        .put("/api/reference/tile-source", &source(&url))
        .await?;
    assert_status(&set, 200, "set the source");
    let org = admin.get("/api/org").await?.json;
    assert_eq!(
        org["tile_sources"][0]["url"],
        url.as_str(),
        "the admin map reads it"
    );

    let dir = tempfile::tempdir()?;
    let phone = deployment
        .enrolled_client(&server.url, "worker1", dir.path())
        .await?;
    phone.sync().await?;
    let basemap = phone.basemap()?.context("a basemap")?;
    assert_eq!(basemap.kind, BasemapKind::Online);
    assert_eq!(basemap.coordinate_system, CoordSystem::Gcj02);
    assert_eq!(basemap.attribution, "© 测试底图");

    let (px, py) = pixel(
        LatLon {
            lat: 39.124,
            lon: 117.188,
        },
        16,
    );
    let (x, y) = ((px / 256.0) as u32, (py / 256.0) as u32);
    let first = phone.basemap_tile(16, x, y).await?.context("a tile")?;
    assert_eq!(first, tile_png(16, x, y));
    assert_eq!(phone.basemap_tile(16, x, y).await?, Some(first.clone()));
    assert_eq!(tiles.served(), 1, "the second read comes from the device");
    assert_eq!(
        phone.basemap_tile(19, x, y).await?,
        None,
        "beyond the source's zooms"
    );

    // The source goes away: tiles once fetched are still drawn, others are blank.
    drop(tiles);
    assert_eq!(phone.basemap_tile(16, x, y).await?, Some(first));
    assert_eq!(phone.basemap_tile(16, x + 1, y).await?, None);

    // A source answering a web page (a bad key) gives no tile rather than a broken image.
    let pages = TileServer::start().await?;
    let page_url = format!("{}/page/{{z}}/{{x}}/{{y}}", pages.url);
    assert_status(
        &admin
            .put("/api/reference/tile-source", &source(&page_url))
            .await?,
        200,
        "a source that answers pages",
    );
    phone.sync().await?;
    assert_eq!(phone.basemap_tile(16, x, y).await?, None);

    // Removed: no basemap at all.
    let removed = admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/reference/tile-source/{}", ids.street),
            &json!(null),
        )
        .await?;
    assert_status(&removed, 200, "remove the source");
    phone.sync().await?;
    assert!(phone.basemap()?.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_map_draws_the_online_basemap_under_the_street() -> Result<()> {
    let Some((driver, ui)) = gridwalk_tests::admin::admin_browser("admin_basemap")? else {
        return Ok(());
    };
    let (_deployment, server) = gridwalk_tests::admin::serve_admin(&ui)?;
    let tiles = TileServer::start().await?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let source = json!({ "unit_id": ids.street, "name": "测试底图",
        "url": format!("{}/{{z}}/{{x}}/{{y}}.png", tiles.url), "max_zoom": 18,
        "coordinate_system": "gcj02", "attribution": "© 测试底图" });
    let set = admin.put("/api/reference/tile-source", &source).await?;
    assert_status(&set, 200, "set the source");
    let out = tempfile::tempdir()?;
    let shown = gridwalk_tests::admin::browser_phase(
        &driver,
        "admin",
        "basemap",
        &server.url,
        out.path(),
        None,
    )?;
    assert_eq!(shown["errors"], json!([]), "{shown}");
    let drawn = shown["tiles"].as_array().context("tiles")?;
    assert!(!drawn.is_empty(), "{shown}");
    assert!(drawn
        .iter()
        .all(|t| t.as_str().is_some_and(|t| t.starts_with(&tiles.url))));
    assert!(
        tiles.served() >= drawn.len(),
        "the browser fetched them from the source"
    );
    assert_eq!(shown["attribution"], "© 测试底图");
    Ok(())
}
