//! The admin web in headless Debian Chromium (playwright-core, `tests/web/admin.mjs`) against
//! a real seeded server: sign in, a household import with a bad row (reported, nothing
//! imported), a new user and enrolment QR, a headless client enrolled with that code, revoked
//! and refused, a checklist edit reaching another device, dashboards, and an XLSX export read
//! back; the records page showing photos (thumbnail and full size), playing an audio note and
//! listing a photo not uploaded yet. Skipped (with the reason) when Chromium, Node modules or the built UI are missing,
//! unless GRIDWALK_REQUIRE_BROWSER=1 (CI). UPDATE_SCREENSHOTS=1 refreshes docs/screenshots.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use calamine::Reader;
use gridwalk_client::{Attachments, Client, NewIncident, NewVisit};
use gridwalk_shared::model::{Answer, ItemKind};
use gridwalk_tests::admin::{admin_browser, browser_phase, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::media::{scene_jpeg, wav};
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::Deployment;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs one phase of the browser script as the street admin.
fn phase(driver: &Path, name: &str, url: &str, out: &Path, arg: Option<&str>) -> Result<Value> {
    browser_phase(driver, "admin", name, url, out, arg)
}

/// Some field work from a phone so the dashboards have something to show.
async fn field_work(client: &Client) -> Result<()> {
    let reference = client.reference()?.context("reference data")?;
    let checklist = reference.current_checklist().context("checklist")?;
    let template = Some((checklist.id, checklist.version));
    let answers: std::collections::BTreeMap<String, Answer> = checklist
        .items
        .iter()
        .filter(|i| i.required)
        .filter_map(|i| {
            let answer = match &i.kind {
                ItemKind::YesNo => Answer::YesNo(true),
                ItemKind::SingleChoice { options } => Answer::Choice(options.first()?.clone()),
                ItemKind::MultiChoice { options } => {
                    Answer::Choices(vec![options.first()?.clone()])
                }
                ItemKind::Text => Answer::Text("正常".into()),
                ItemKind::Number => Answer::Number(1.0),
                ItemKind::Photo => return None,
            };
            Some((i.key.clone(), answer))
        })
        .collect();
    let households = client.households()?;
    let visits = households.iter().take(12).count();
    for (i, h) in households.iter().take(visits).enumerate() {
        client.add_visit(NewVisit {
            household_id: h.id,
            note: format!("第{}次走访", i + 1),
            template,
            answers: answers.clone(),
            follow_up: i % 4 == 0,
            ..NewVisit::default()
        })?;
    }
    for (category, text) in [
        ("env.garbage", "楼道堆放杂物"),
        ("env.garbage", "垃圾桶满溢"),
    ] {
        if reference.category(category).is_some() {
            client.report_incident(NewIncident {
                category: category.into(),
                description: text.into(),
                ..NewIncident::default()
            })?;
        }
    }
    client.sync().await?;
    Ok(())
}

/// Evidence from a phone: an incident with a photo and an audio note, a visit with a photo;
/// then a record from another device whose photo never arrives. Returns that photo's hash.
async fn evidence_work(client: &Client, deployment: &Deployment, url: &str) -> Result<String> {
    let photo = client.add_photo(&scene_jpeg(1200, 900))?;
    let note = client.add_audio(wav(3), None)?;
    client.report_incident_with(
        None,
        NewIncident {
            category: "env.garbage".into(),
            description: "小区门口垃圾堆放，已录音说明".into(),
            ..NewIncident::default()
        },
        &Attachments {
            photos: vec![photo.hash.clone()],
            audio: vec![note.hash.clone()],
        },
    )?;
    let household = client.households()?.first().context("a household")?.id;
    let second = client.add_photo(&scene_jpeg(900, 1200))?;
    client.add_visit_with(
        NewVisit {
            household_id: household,
            note: "楼道照明已修复".into(),
            ..NewVisit::default()
        },
        &Attachments {
            photos: vec![second.hash],
            audio: Vec::new(),
        },
    )?;
    client.sync().await?;

    let device = RawDevice::enroll(url, &deployment.enroll_code("worker2")?).await?;
    let missing = gridwalk_client::media::sha256_hex(&scene_jpeg(640, 480));
    device
        .upload_visit(household, "照片未上传", vec![missing.clone()])
        .await?;
    Ok(missing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_web_end_to_end() -> Result<()> {
    let Some((driver, ui)) = admin_browser("admin_web_end_to_end")? else {
        return Ok(());
    };
    // Weeks of field work, so the dashboards (and their screenshots) show something.
    let (deployment, server) = gridwalk_tests::admin::serve_with_activity(&ui, 30)?;
    let out = tempfile::tempdir()?;

    // A phone in grid 2 does some work, so dashboards and exports have rows.
    let phone_b = tempfile::tempdir()?;
    let other = Client::open(phone_b.path())?;
    other
        .enroll(
            &server.url,
            &deployment.enroll_code("worker2")?,
            "worker2 phone",
        )
        .await?;
    other.sync().await?;
    field_work(&other).await?;
    let not_uploaded = evidence_work(&other, &deployment, &server.url).await?;

    // Sign in, a bad import refused whole, a new user and its enrolment QR code.
    let setup = phase(&driver, "setup", &server.url, out.path(), None)?;
    assert_eq!(setup["result"], "import_refused", "{setup}");
    assert_eq!(setup["before"], setup["after"], "nothing imported: {setup}");
    let rows = setup["errorRows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{setup}");
    assert!(
        rows[0]
            .as_str()
            .is_some_and(|r| r.starts_with('3') && r.contains("99号楼")),
        "{setup}"
    );
    let code = setup["code"].as_str().context("enrolment code")?;

    // A headless client enrols with that code and syncs.
    let phone_a = tempfile::tempdir()?;
    let client = Client::open(phone_a.path())?;
    let account = client.enroll(&server.url, code, "worker9 phone").await?;
    assert_eq!(account.user.login, "worker9");
    client.sync().await?;

    // Revoked in the web: its next sync is refused.
    phase(&driver, "revoke", &server.url, out.path(), None)?;
    let refused = client
        .sync()
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("revoked") || refused.contains("403"),
        "{refused}"
    );

    // A checklist edit reaches the other phone as a new version.
    let before = other.reference()?.context("reference")?;
    let old = before.current_checklist().context("checklist")?.version;
    phase(
        &driver,
        "checklist",
        &server.url,
        out.path(),
        Some("燃气报警器是否正常"),
    )?;
    other.sync().await?;
    let after = other.reference()?.context("reference")?;
    let current = after.current_checklist().context("checklist")?;
    assert_eq!(current.version, old + 1);
    assert!(current
        .items
        .iter()
        .any(|i| i.label == "燃气报警器是否正常"));
    assert!(
        after.checklist(current.id, old).is_some(),
        "the old version stays"
    );

    // A routing rule made in the form (a community's own rule for a category the street
    // routes already) reaches the phone; choosing the level set its default time limit.
    let category = after.categories.last().context("a category")?.code.clone();
    let community = after
        .units
        .iter()
        .find(|u| u.kind == gridwalk_shared::model::OrgKind::Community)
        .context("a community")?
        .id;
    let routed = phase(
        &driver,
        "routing",
        &server.url,
        out.path(),
        Some(&format!("{category},{community}")),
    )?;
    assert_eq!(routed["streetDays"], 5, "street level: 5 days: {routed}");
    let before = routed["before"].as_u64().context("before")?;
    assert_eq!(routed["after"], before + 1, "{routed}");
    assert_eq!(routed["categories"], after.categories.len(), "{routed}");
    assert_eq!(routed["services"], after.services.len(), "{routed}");
    assert_eq!(
        routed["keptEdit"], "暴露垃圾（草稿）",
        "unsaved edit kept: {routed}"
    );
    other.sync().await?;
    let routing = other.reference()?.context("reference")?.routing;
    assert!(
        routing.iter().any(|r| r.category == category
            && r.area_id == community
            && r.level == gridwalk_shared::model::Level::Street
            && r.days == 4
            && r.department_id.is_some()),
        "{routing:?}"
    );

    // Dashboards, and the visits export read back.
    let dash = phase(&driver, "dashboard", &server.url, out.path(), None)?;
    let file = dash["file"].as_str().context("downloaded file")?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let shown = admin.get("/api/dashboard").await?.json;
    let visits = shown["visits_total"].as_u64().context("visits_total")? as usize;
    assert!(visits > 12, "{shown}");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(file)?;
    let range = book.worksheet_range_at(0).context("a sheet")??;
    let header: Vec<String> = range
        .rows()
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(header.first().map(String::as_str), Some("走访时间"));
    assert!(header.iter().any(|h| h == "网格员"));
    assert_eq!(
        range.height(),
        visits + 1,
        "one row per visit the dashboard counts"
    );
    let audit = dash["audit"].as_array().cloned().unwrap_or_default();
    assert!(audit
        .iter()
        .any(|r| r.as_str().is_some_and(|r| r.contains("export.visits"))));
    assert!(audit
        .iter()
        .any(|r| r.as_str().is_some_and(|r| r.contains("device.revoke"))));

    // Records & evidence: the thumbnail and the full photo load, the audio note plays, the
    // photo that never arrived is listed as missing.
    let seen = phase(&driver, "records", &server.url, out.path(), None)?;
    // The date inputs start on the default range (30 days up to today, China time), not blank.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let month_ago = today - chrono::Duration::days(30);
    assert_eq!(seen["range"]["to"], today.to_string(), "{seen}");
    assert_eq!(seen["range"]["from"], month_ago.to_string(), "{seen}");
    assert!(
        seen["thumbnailWidth"].as_u64().is_some_and(|w| w > 0),
        "{seen}"
    );
    assert!(
        seen["fullWidth"].as_u64() > seen["thumbnailWidth"].as_u64(),
        "{seen}"
    );
    assert_eq!(seen["audioType"], "audio/wav", "{seen}");
    assert!(
        seen["audioDuration"].as_f64().is_some_and(|d| d > 2.5),
        "{seen}"
    );
    let missing = seen["missing"].as_array().cloned().unwrap_or_default();
    assert!(missing.iter().any(|h| h == &not_uploaded), "{seen}");

    // An instruction composed in the web reaches the grid's phone, which reads and replies;
    // the receipts table then shows it.
    let grid = other.status()?.account.context("account")?.user.scope_id;
    let sent = phase(
        &driver,
        "notice",
        &server.url,
        out.path(),
        Some(&grid.to_string()),
    )?;
    let recipients = sent["rows"].as_u64().context("receipt rows")?;
    assert!(recipients >= 1, "{sent}");
    assert_eq!(sent["read"], format!("0/{recipients}"), "{sent}");
    other.sync().await?;
    let notice = other
        .notices()?
        .first()
        .context("the notice arrived")?
        .delivery
        .id;
    // Its PDF, attached in the web, is the phone's to fetch.
    let link = sent["pdfLink"].as_str().context("the PDF link")?;
    let pdf_hash = link.trim_start_matches("/api/blobs/");
    let held = other.notices()?[0].delivery.content.pdf.clone();
    assert_eq!(held.as_deref(), Some(pdf_hash), "{sent}");
    let fetched = std::fs::read(other.blob(pdf_hash, false).await?)?;
    assert!(fetched.starts_with(b"%PDF-"));
    other.open_notice(notice)?;
    other.reply_notice(notice, "已排查，无隐患")?;
    other.sync().await?;
    let receipts = phase(&driver, "receipts", &server.url, out.path(), None)?;
    assert_eq!(
        (receipts["read"].clone(), receipts["answered"].clone()),
        (Value::from(format!("1/{recipients}")), Value::from("1")),
        "{receipts}"
    );
    assert_eq!(receipts["replies"][0], "已排查，无隐患", "{receipts}");

    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = workspace().join("docs").join("screenshots");
        std::fs::create_dir_all(&docs)?;
        for name in [
            "signin",
            "devices",
            "dashboards",
            "records",
            "reference",
            "notice-receipts",
        ] {
            let file = format!("admin-{name}.png");
            std::fs::copy(out.path().join(&file), docs.join(&file))?;
        }
    }
    Ok(())
}
