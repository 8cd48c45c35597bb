//! The phone's grid map in the app's end-to-end test (issue 15): offline, drawn from the
//! phone's own data.

use anyhow::{ensure, Result};
use gridwalk_tests::webview::App;

use super::{snap, WAIT};

/// The fake fix the phone reports: in grid 1 of the demo street (its boundary spans
/// 39.1210–39.1240 N, 117.1880–117.1915 E), accurate to 6 m.
pub const DEMO_STREET_FIX: &str = "39.1225,117.1895,6";

/// While online, the phone downloads its community's offline map from the settings screen.
pub async fn download_the_offline_map(phone: &mut App) -> Result<()> {
    phone.tap("[data-testid=tab-settings]").await?;
    phone.tap("[data-testid=offline-map-download]").await?;
    phone
        .find_within("[data-testid=offline-map-ready]", WAIT)
        .await?;
    phone.tap("[data-testid=tab-home]").await?;
    Ok(())
}

/// With the server stopped and one visit made, the grid tab's map draws the downloaded
/// basemap, the grid's boundary, its ten buildings, the visited one coloured as partly
/// visited, and my position.
pub async fn the_grid_map_offline(phone: &mut App, a11y: &mut Vec<String>) -> Result<()> {
    phone.tap("[data-testid=tab-grid]").await?;
    phone.tap("[data-testid=grid-map]").await?;
    phone
        .wait_true(
            "return document.querySelectorAll('path.gw-building').length === 10 \
             && !!document.querySelector('path.gw-me')",
            WAIT,
        )
        .await?;
    phone
        .wait_true(
            "return [...document.querySelectorAll('.gw-basemap img')]              .some((i) => i.src.startsWith('data:image/png') && i.complete && i.naturalWidth === 256)",
            WAIT,
        )
        .await?;
    let boundaries = phone.count("path.gw-grid").await?;
    ensure!(boundaries == 1, "the grid's boundary: {boundaries}");
    let partly = phone.count("path.gw-building.gw-partly").await?;
    ensure!(partly == 1, "the visited building stands out: {partly}");
    let due = phone.count("path.gw-building.gw-due").await?;
    ensure!(due == 9, "the other nine wait for visits: {due}");
    snap(phone, "app-phone-map", a11y).await?;
    if let Ok(out) = std::env::var("GRIDWALK_MAP_FRAMES") {
        measure_frames(phone, &out).await?;
    }
    phone.tap("[data-testid=tab-home]").await?;
    Ok(())
}

/// With `GRIDWALK_MAP_FRAMES=FILE` (a benchmark run, not CI): the webview's frame intervals
/// for two seconds with the grid map still (its own pace under Xvfb), then while the map is
/// panned 24 times and zoomed in and out with the keyboard as fast as Leaflet animates (p50,
/// p95, the longest, frames over 50 ms), written to FILE as JSON (docs/benchmarks.md, "Maps").
async fn measure_frames(phone: &App, out: &str) -> Result<()> {
    let frames = phone
        .eval_async(
            "const done = arguments[arguments.length - 1];
             const map = document.querySelector('[data-testid=geo-map]');
             map.focus();
             const key = (k, code) => map.dispatchEvent(new KeyboardEvent('keydown', { key: k, keyCode: code, bubbles: true }));
             const sample = (ms) => new Promise((resolve) => {
               const seen = []; const end = performance.now() + ms;
               const step = (t) => { seen.push(t); if (t < end) requestAnimationFrame(step); else resolve(seen); };
               requestAnimationFrame(step);
             });
             const stats = (times) => {
               const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
               const at = (p) => gaps[Math.min(gaps.length - 1, Math.round((gaps.length - 1) * p))];
               return { frames: gaps.length, p50_ms: at(0.5), p95_ms: at(0.95), max_ms: gaps[gaps.length - 1],
                        over_50ms: gaps.filter((g) => g > 50).length };
             };
             const times = [];
             let running = true;
             const tick = (t) => { times.push(t); if (running) requestAnimationFrame(tick); };
             (async () => {
               const idle = stats(await sample(2000));
               requestAnimationFrame(tick);
               const keys = [['ArrowRight', 39], ['ArrowDown', 40], ['ArrowLeft', 37], ['ArrowUp', 38]];
               for (let i = 0; i < 24; i++) {
                 key(...keys[i % 4]);
                 await new Promise((r) => setTimeout(r, 160));
               }
               for (const [k, code] of [['+', 187], ['-', 189], ['+', 187], ['-', 189]]) {
                 key(k, code);
                 await new Promise((r) => setTimeout(r, 400));
               }
               running = false;
               return { idle, panning: stats(times),
                        buildings: document.querySelectorAll('path.gw-building').length,
                        tiles: document.querySelectorAll('.gw-basemap img').length };
             })().then(done);",
        )
        .await?;
    std::fs::write(out, serde_json::to_string_pretty(&frames)?)?;
    Ok(())
}

/// The hall tablet's board as a map: the community's offline map downloaded first (the
/// tablet is online), then its three grids over the basemap and the phone's report at its
/// fix (the colleagues' reports have none); then this month's visit coverage per building
/// and a worker's day as a track.
pub async fn the_board_map(tablet: &mut App, a11y: &mut Vec<String>) -> Result<()> {
    tablet.tap("[data-testid=menu-settings]").await?;
    tablet.tap("[data-testid=offline-map-download]").await?;
    tablet
        .find_within("[data-testid=offline-map-ready]", WAIT)
        .await?;
    tablet.tap("[data-testid=menu-board]").await?;
    tablet.tap("[data-testid=board-view-map]").await?;
    tablet
        .wait_true(
            "return [...document.querySelectorAll('.gw-basemap img')] \
             .some((i) => i.src.startsWith('data:image/png') && i.complete)",
            WAIT,
        )
        .await?;
    tablet
        .wait_true(
            "return document.querySelectorAll('path.gw-grid').length === 3 \
             && document.querySelectorAll('path.gw-incident, .gw-cluster').length > 0",
            WAIT,
        )
        .await?;
    let shown = tablet.text("[data-testid=board-map-count]").await?;
    ensure!(
        shown.contains("地图上 1 件"),
        "the phone's report on the map: {shown}"
    );
    snap(tablet, "app-tablet-map", a11y).await?;

    // Visit coverage for this month: every building of the three grids coloured, the
    // phone's visited one among the partly visited.
    tablet.tap("[data-testid=board-layer-coverage]").await?;
    tablet
        .wait_true(
            "return document.querySelectorAll('path.gw-building').length === 30",
            WAIT,
        )
        .await?;
    let legend = tablet.text("[data-testid=board-coverage]").await?;
    let visited = tablet
        .count("path.gw-building.gw-partly, path.gw-building.gw-visited")
        .await?;
    let problem = tablet
        .eval("return document.querySelector('.notice.bad')?.textContent ?? ''")
        .await?;
    ensure!(
        legend.contains("期间未走访") && visited >= 1,
        "{visited} visited: {legend} {problem}"
    );
    // A worker's day: the first worker whose day has points on the map.
    tablet.tap("[data-testid=board-layer-track]").await?;
    let found = tablet
        .eval_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const select = document.querySelector('[data-testid=board-worker]');
               for (const option of [...select.options].filter((o) => o.value)) {
                 select.value = option.value;
                 select.dispatchEvent(new Event('change'));
                 await new Promise((r) => setTimeout(r, 400));
                 const text = document.querySelector('[data-testid=board-track]')?.textContent ?? '';
                 if (document.querySelectorAll('path.gw-stop').length > 0) return text;
               }
               return '';
             })().then(done);",
        )
        .await?;
    let summary = found.as_str().unwrap_or_default();
    ensure!(
        summary.contains("个定位点"),
        "a worker's day on the tablet: {found}"
    );
    snap(tablet, "app-tablet-track", a11y).await?;
    tablet.tap("[data-testid=board-layer-incidents]").await?;
    tablet.tap("[data-testid=board-view-list]").await?;
    Ok(())
}
