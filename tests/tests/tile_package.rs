//! The offline basemap's tile package over real processes (issue 15): `tile-package` draws
//! each demo community's package and stores it; a phone of 幸福社区 learns of its own with the
//! reference data and downloads it through a proxy that cuts the answers short, resuming each
//! time from what it holds, until the file is whole and matches its hash; its tiles are then
//! read with the server stopped. A device of the other community may not fetch it, and blob
//! garbage collection keeps it.

use anyhow::{Context, Result};
use gridwalk_shared::tiles::pixel;
use gridwalk_shared::wire;
use gridwalk_tests::proxy::{CutPlan, CutProxy};
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{Deployment, TEST_SYNC};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_downloads_its_communitys_map_resumably_and_reads_it_offline() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let made = deployment.command(&["tile-package"])?;
    assert_eq!(made.lines().count(), 2, "one package per community: {made}");
    let mut server = deployment.start()?;
    let proxy = CutProxy::start(&server.addr).await?;

    let dir = tempfile::tempdir()?;
    let phone = gridwalk_client::Client::open(dir.path())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&proxy.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let offered = phone.tile_package()?;
    let package = offered.package.clone().context("a package for 幸福社区")?;
    assert!(!offered.complete && offered.held_bytes == 0);
    assert_eq!(package.name, "幸福社区");
    assert!(made.lines().any(|l| l.contains(&package.sha256)), "{made}");

    // Every answer of the first six is cut after at most 64 KiB: the download resumes.
    proxy.arm_downstream(CutPlan {
        cuts: 6,
        max_bytes: 64 * 1024,
        seed: 15,
    });
    let seen = std::sync::Mutex::new(Vec::new());
    let state = phone
        .download_tile_package(|held, total| {
            if let Ok(mut s) = seen.lock() {
                s.push((held, total));
            }
        })
        .await?;
    assert!(state.complete, "{state:?}");
    assert_eq!(state.held_bytes, package.bytes);
    assert!(
        proxy.down_cuts() >= 2,
        "answers were cut: {}",
        proxy.down_cuts()
    );
    let ranges: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.contains(&package.sha256))
        .collect();
    assert!(ranges.len() >= 2, "resumed: {ranges:?}");
    let progress = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows"
    );
    assert_eq!(progress.last(), Some(&(package.bytes, package.bytes)));
    let file = dir
        .path()
        .join("tiles")
        .join(format!("{}.mbtiles", package.sha256));
    let bytes = std::fs::read(&file)?;
    assert_eq!(bytes.len() as u64, package.bytes);
    assert!(bytes.starts_with(b"SQLite format 3\0"));

    // Offline: the tile under a building of the grid is read from the device's file.
    server.kill();
    let reference = phone.reference()?.context("reference")?;
    let grid = phone.status()?.account.context("enrolled")?.user.scope_id;
    let b = reference
        .buildings_in(grid)
        .find_map(|b| b.position)
        .context("a placed building")?;
    let (x, y) = pixel(b, 17);
    let tile = phone.tile(17, (x / 256.0) as u32, (y / 256.0) as u32)?;
    assert!(
        tile.as_deref().is_some_and(|t| t.starts_with(b"\x89PNG")),
        "a PNG tile"
    );
    assert_eq!(phone.tile(17, 0, 0)?, None, "nothing outside the package");
    assert_eq!(phone.tile(40, 0, 0)?, None);
    assert_eq!(phone.tile_package()?.held_bytes, package.bytes);
    drop(server);

    // The other community's device may not fetch this package; GC keeps both.
    let server = deployment.start()?;
    let other = RawDevice::enroll(&server.url, &deployment.enroll_code("worker4")?).await?;
    let refused = other
        .http
        .get(format!("{}/v1/blobs/{}", server.url, package.sha256))
        .header(wire::PROTOCOL_HEADER, wire::PROTOCOL_VERSION.to_string())
        .bearer_auth(&other.token)
        .send()
        .await?;
    assert_eq!(refused.status().as_u16(), 403);
    let mine = RawDevice::enroll(&server.url, &deployment.enroll_code("worker2")?).await?;
    let head = mine
        .http
        .get(format!("{}/v1/blobs/{}", server.url, package.sha256))
        .header(wire::PROTOCOL_HEADER, wire::PROTOCOL_VERSION.to_string())
        .header("range", "bytes=0-15")
        .bearer_auth(&mine.token)
        .send()
        .await?;
    assert_eq!(
        head.status().as_u16(),
        206,
        "a grid of the same community may"
    );
    assert_eq!(&head.bytes().await?[..], b"SQLite format 3\0");
    // The device CLI says the same and downloads it too.
    let cli = tempfile::tempdir()?;
    let code = deployment.enroll_code("worker3")?;
    gridwalk_tests::ok(gridwalk_tests::gridwalk(
        cli.path(),
        &["enroll", "--server", &server.url, "--code", &code],
    ));
    let before = gridwalk_tests::ok(gridwalk_tests::gridwalk(cli.path(), &["offline-map"]));
    assert!(
        before
            .trim()
            .ends_with(&format!("0/{} partial", package.bytes)),
        "{before}"
    );
    let fetched = gridwalk_tests::ok(gridwalk_tests::gridwalk(
        cli.path(),
        &["offline-map", "--download"],
    ));
    assert!(
        fetched.contains(&format!("{0}/{0} complete", package.bytes)),
        "{fetched}"
    );
    assert!(fetched.contains("downloaded_in_ms "), "{fetched}");
    drop(server);
    let gc = deployment.command(&["gc-blobs", "--grace-hours", "0"])?;
    assert!(
        !gc.contains(&package.sha256),
        "the package is referenced: {gc}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_street_admin_uploads_a_package_and_the_communitys_phones_get_it() -> Result<()> {
    use gridwalk_tests::admin::{assert_status, AdminSession, DemoIds, DEMO_PASSWORD};
    use reqwest::Method;
    let deployment = Deployment::seeded()?;
    let made = tempfile::tempdir()?;
    let out = made.path().to_string_lossy().to_string();
    // A package file as a deployment would bring one (drawn here for the first community).
    deployment.command(&["tile-package", "--out", &out])?;
    let file = std::fs::read_dir(made.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "mbtiles"))
        .context("a drawn package")?;
    let bytes = std::fs::read(&file)?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let second = &ids.communities[1];

    let put = |body: Vec<u8>, unit: String| {
        let admin = &admin;
        async move {
            admin
                .request(
                    Method::PUT,
                    &format!("/api/tile-packages/{unit}"),
                    Some((body, "application/vnd.sqlite3")),
                    true,
                )
                .await
        }
    };
    let refused = put(b"not an mbtiles file".to_vec(), second.clone()).await?;
    assert_status(&refused, 400, "garbage");
    assert!(refused.json["message"]
        .as_str()
        .is_some_and(|m| m.contains("not a usable tile package")));
    // Refused before the body is read (a small one, so the client sees the answer).
    let grid = put(bytes[..1024].to_vec(), ids.grids[0].clone()).await?;
    assert_status(&grid, 400, "a grid is not a community");

    let stored = put(bytes.clone(), second.clone()).await?;
    assert_status(&stored, 200, "upload");
    assert_eq!(stored.json["unit_id"], second.as_str());
    assert_eq!(stored.json["bytes"], bytes.len());

    // A phone of that community learns of it at once and downloads it whole.
    let dir = tempfile::tempdir()?;
    let phone = gridwalk_client::Client::open(dir.path())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker4")?, "worker4")
        .await?;
    phone.sync().await?;
    let offered = phone.tile_package()?.package.context("offered")?;
    assert_eq!(
        offered.sha256,
        stored.json["sha256"].as_str().unwrap_or("?")
    );
    assert!(phone.download_tile_package(|_, _| {}).await?.complete);
    Ok(())
}
