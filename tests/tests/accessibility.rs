//! The admin web's accessibility in Debian's headless Chromium: axe-core's WCAG 2.1 A and AA
//! rules find nothing on the sign-in page and on every page of the navigation, for a street
//! admin (every page) and for department staff (their work queue), over a deployment with
//! weeks of field work so the tables and charts are full. (The app's own screens are scanned
//! in the real webview by `app_e2e`.)

use anyhow::Result;
use gridwalk_tests::admin::{admin_browser, browser_phase, serve_with_activity};
use serde_json::Value;

fn violations(seen: &Value) -> Vec<String> {
    seen["violations"]
        .as_array()
        .map(|v| v.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_page_passes_wcag_2_1_aa() -> Result<()> {
    let Some((driver, ui)) = admin_browser("every_admin_page_passes_wcag_2_1_aa")? else {
        return Ok(());
    };
    let (_deployment, server) = serve_with_activity(&ui, 14)?;
    let out = tempfile::tempdir()?;
    for login in ["admin", "dept1"] {
        let seen = browser_phase(&driver, login, "a11y", &server.url, out.path(), None)?;
        let pages = seen["pages"].as_array().map(Vec::len).unwrap_or(0);
        println!("{login}: {pages} pages scanned");
        assert!(pages >= 2, "{login} saw no navigation: {seen}");
        let found = violations(&seen);
        assert!(
            found.is_empty(),
            "{login}: {} WCAG 2.1 AA violations:\n{}",
            found.len(),
            found.join("\n")
        );
    }
    Ok(())
}
