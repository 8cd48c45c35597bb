//! Admin journeys on SQLite and on PostgreSQL: imports are all-or-nothing and exports read
//! back; enrolment, revocation and reference edits reach devices.

use anyhow::Result;
use gridwalk_client::Client;
use gridwalk_tests::admin::{assert_status, AdminSession, Answer, DemoIds, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::json;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_all_or_nothing_and_exports_read_back() -> Result<()> {
    imports_and_exports(Deployment::seeded()?).await
}

/// The same journey with the server on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_all_or_nothing_and_exports_read_back_on_postgres() -> Result<()> {
    let Some(deployment) = Deployment::seeded_on_postgres()? else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return Ok(());
    };
    imports_and_exports(deployment).await
}

async fn imports_and_exports(deployment: Deployment) -> Result<()> {
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let grid = &ids.grids[1];
    let count = |a: &Answer| a.json.as_array().map(Vec::len).unwrap_or(0);
    let before = count(&admin.get(&format!("/api/households?grid={grid}")).await?);
    assert_eq!(before, 300);

    let bad = "楼栋,地址,户主,电话,标签\n\
               1号楼,幸福路36号1号楼9单元901,王五,13900000001,独居老人\n\
               88号楼,幸福路36号1号楼9单元902,赵六,13900000002,\n\
               1号楼,幸福路36号1号楼9单元903,,13900000003,\n";
    let preview = admin
        .upload(
            &format!("/api/households/import?dry_run=true&grid={grid}"),
            bad.into(),
            "text/csv",
        )
        .await?;
    assert_status(&preview, 200, "preview");
    assert_eq!(
        (
            preview.json["rows"].as_u64(),
            preview.json["valid"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let refused = admin
        .upload(
            &format!("/api/households/import?grid={grid}"),
            bad.into(),
            "text/csv",
        )
        .await?;
    assert_status(&refused, 422, "bad import");
    let rows: Vec<u64> = refused.json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["row"].as_u64())
        .collect();
    assert_eq!(rows, vec![3, 4]);
    assert_eq!(
        count(&admin.get(&format!("/api/households?grid={grid}")).await?),
        before,
        "nothing imported"
    );

    // The same rows from an XLSX file, fixed.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [
        ["楼栋", "地址", "户主", "电话"],
        ["1号楼", "幸福路36号1号楼9单元901", "王五", "13900000001"],
        ["2号楼", "幸福路36号2号楼9单元902", "赵六", "13900000002"],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell)?;
        }
    }
    let xlsx = book.save_to_buffer()?;
    let imported = admin
        .upload(
            &format!("/api/households/import?grid={grid}"),
            xlsx.clone(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .await?;
    assert_status(&imported, 200, "xlsx import");
    assert_eq!(imported.json["imported"], 2);
    let listed = admin.get(&format!("/api/households?grid={grid}")).await?;
    assert_eq!(count(&listed), before + 2);
    assert!(listed
        .json
        .as_array()
        .into_iter()
        .flatten()
        .any(|h| h["phone"] == "139****0002"));
    // Importing the same file again finds the addresses taken.
    let again = admin
        .upload(
            &format!("/api/households/import?grid={grid}"),
            xlsx,
            "application/octet-stream",
        )
        .await?;
    assert_status(&again, 422, "duplicate import");

    // Exports: XLSX and CSV of every kind, audited.
    for kind in ["visits", "incidents", "service_requests", "ledger"] {
        for format in ["xlsx", "csv"] {
            let file = admin
                .get(&format!("/api/exports/{kind}?format={format}"))
                .await?;
            assert_status(&file, 200, kind);
            if format == "xlsx" {
                use calamine::Reader;
                let mut wb: calamine::Xlsx<_> =
                    calamine::open_workbook_from_rs(std::io::Cursor::new(file.bytes))?;
                let range = wb.worksheet_range_at(0).expect("a sheet")?;
                assert!(range.get_size().1 >= 10, "{kind} has its columns");
            } else {
                assert!(file.bytes.starts_with(b"\xEF\xBB\xBF"));
            }
        }
    }
    let audit = admin.get("/api/audit?action=export").await?.json;
    assert_eq!(audit.as_array().map(Vec::len), Some(8));
    assert_status(
        &admin.get("/api/exports/secrets").await?,
        400,
        "unknown export",
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_enrol_revoke_and_receive_reference_edits() -> Result<()> {
    devices_and_reference_edits(Deployment::seeded()?).await
}

/// The same journey with the server on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_enrol_revoke_and_receive_reference_edits_on_postgres() -> Result<()> {
    let Some(deployment) = Deployment::seeded_on_postgres()? else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return Ok(());
    };
    devices_and_reference_edits(deployment).await
}

async fn devices_and_reference_edits(deployment: Deployment) -> Result<()> {
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let created = admin
        .post("/api/users", &json!({ "login": "worker9", "name": "新网格员", "role": "grid_worker", "scope_id": ids.grids[2] }))
        .await?;
    assert_status(&created, 200, "create worker");
    let id = created.json["id"].as_str().unwrap_or(NIL).to_string();
    let code = admin
        .post(&format!("/api/users/{id}/enroll-codes"), &json!({}))
        .await?;
    assert!(code.json["qr_svg"]
        .as_str()
        .is_some_and(|s| s.contains("<svg")));
    assert!(code.json["payload"]
        .as_str()
        .is_some_and(|s| s.starts_with("gridwalk://enroll?server=http://127.0.0.1:")));

    let phone = tempfile::tempdir()?;
    let client = Client::open(phone.path())?;
    client
        .enroll(
            &server.url,
            code.json["code"].as_str().unwrap_or(""),
            "红米",
        )
        .await?;
    client.sync().await?;
    let version = client.reference()?.map(|r| r.version).unwrap_or(0);

    // A new checklist version reaches the device; the old one stays.
    let reference = admin.get("/api/reference").await?.json;
    let template = &reference["checklists"][0];
    let mut items = template["items"].as_array().cloned().unwrap_or_default();
    items.push(json!({ "key": "gas.alarm", "label": "燃气报警器是否正常", "kind": "yes_no", "required": false }));
    let saved = admin
        .post(
            &format!(
                "/api/checklists/{}/versions",
                template["id"].as_str().unwrap_or(NIL)
            ),
            &json!({ "name": template["name"], "items": items }),
        )
        .await?;
    assert_status(&saved, 200, "new checklist version");
    assert_eq!(saved.json["version"], 2);
    client.sync().await?;
    let on_device = client.reference()?.expect("reference on device");
    assert!(on_device.version > version);
    let current = on_device.current_checklist().expect("checklist");
    assert_eq!(current.version, 2);
    assert!(current.items.iter().any(|i| i.key == "gas.alarm"));
    assert!(
        on_device.checklist(current.id, 1).is_some(),
        "version 1 kept"
    );

    // The device is listed, then revoked: its next sync is refused.
    let devices = admin.get("/api/devices").await?.json;
    let row = devices
        .as_array()
        .and_then(|d| d.iter().find(|d| d["login"] == "worker9"))
        .cloned()
        .expect("listed");
    assert!(row["last_sync_at"].is_i64(), "{row}");
    assert_eq!(
        row["pending_changes"], 0,
        "the client sent everything: {row}"
    );
    // A device that reports changes it could not send yet shows them.
    let code = admin
        .post(&format!("/api/users/{id}/enroll-codes"), &json!({}))
        .await?;
    let raw = gridwalk_tests::raw::RawDevice::enroll(
        &server.url,
        code.json["code"].as_str().unwrap_or(""),
    )
    .await?;
    // It enrolled as app version "test"; an updated app reports its new version when it syncs.
    let listed = || async {
        let devices = admin.get("/api/devices").await?.json;
        anyhow::Ok(
            devices
                .as_array()
                .and_then(|d| {
                    d.iter()
                        .find(|d| d["device_id"] == raw.device_id.to_string())
                })
                .cloned()
                .expect("listed"),
        )
    };
    assert_eq!(listed().await?["app_version"], "test");
    assert_eq!(row["app_version"], gridwalk_client::APP_VERSION, "{row}");
    let mut request = gridwalk_tests::raw::request(Vec::new(), None, 0);
    request.app_version = Some("x".repeat(51));
    let too_long = raw.sync(&request).await?;
    assert_eq!(too_long.status, 400);
    assert_eq!(too_long.error_code().as_deref(), Some("malformed_body"));
    assert_eq!(listed().await?["app_version"], "test", "nothing changed");
    request.app_version = Some("1.2.0".into());
    request.pending = Some(3);
    raw.sync(&request).await?;
    let now = listed().await?;
    assert_eq!(now["pending_changes"], 3, "{now}");
    assert_eq!(now["app_version"], "1.2.0", "{now}");
    let revoke = admin
        .post(
            &format!(
                "/api/devices/{}/revoke",
                row["device_id"].as_str().unwrap_or(NIL)
            ),
            &json!({}),
        )
        .await?;
    assert_status(&revoke, 204, "revoke");
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
    Ok(())
}
