//! The admin JSON API against a real seeded server: every endpoint refuses anonymous callers
//! and callers outside their role or scope. (The OpenAPI document: `admin_openapi.rs`; CSRF,
//! lock-out and API tokens: `admin_sessions.rs`; imports, exports, enrolment and reference
//! edits: `admin_journeys.rs`.)

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use gridwalk_client::Client;
use gridwalk_store_sqlite::SqliteStore;
use gridwalk_tests::admin::{
    assert_status, fill_path, AdminSession, Answer, DemoIds, DEMO_PASSWORD,
};
use gridwalk_tests::Deployment;
use reqwest::Method;
use serde_json::{json, Value};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

fn non_public_ops() -> Vec<(Method, &'static str)> {
    gridwalk_server::admin::operations::<SqliteStore>()
        .into_iter()
        .filter(|op| !op.doc.public)
        .map(|op| (op.method, op.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_are_refused_everywhere() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let anon = AdminSession::anonymous(&server.url);
    for (method, path) in non_public_ops() {
        let body = Some((b"{}".to_vec(), "application/json"));
        let answer = anon
            .request(method.clone(), &fill_path(path, NIL), body, false)
            .await?;
        assert_status(&answer, 401, &format!("anonymous {method} {path}"));
        assert_eq!(answer.code(), "unauthorized");
    }
    // A forged cookie is no better.
    let forged = AdminSession {
        cookie: "gw_session=00ff".into(),
        ..anon.clone()
    };
    assert_status(&forged.get("/api/users").await?, 401, "forged cookie");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_outside_their_role_or_scope_are_refused() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let (c1, c2) = (&ids.communities[0], &ids.communities[1]);
    let grid1 = &ids.grids[0];

    // A community admin for 光明社区 (community 2).
    let created = admin
        .post(
            "/api/users",
            &json!({ "login": "cadmin2", "name": "光明管理员", "role": "admin",
                     "scope_id": c2, "password": "community-pass" }),
        )
        .await?;
    assert_status(&created, 200, "create community admin");
    let community = AdminSession::sign_in(&server.url, "cadmin2", "community-pass").await?;
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;

    // A device of worker1 (grid 1, community 1).
    let users = admin.get("/api/users").await?.json;
    let user_id = |login: &str| -> String {
        users
            .as_array()
            .and_then(|u| u.iter().find(|u| u["login"] == login))
            .and_then(|u| u["id"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let worker1 = user_id("worker1");
    let admin_id = user_id("admin");
    let code = admin
        .post(&format!("/api/users/{worker1}/enroll-codes"), &json!({}))
        .await?;
    assert_status(&code, 200, "issue code");
    let phone = tempfile::tempdir()?;
    let client = Client::open(phone.path())?;
    let account = client
        .enroll(
            &server.url,
            code.json["code"].as_str().unwrap_or(""),
            "测试手机",
        )
        .await?;
    let device = account.device_id.to_string();

    let csv = format!("网格,楼栋,地址,户主\n{grid1},1号楼,幸福路18号1号楼9单元901,张三\n");
    let checklist = admin.get("/api/reference").await?.json["checklists"][0].clone();
    let draft = json!({ "name": checklist["name"], "items": checklist["items"] });
    let checklist_path = format!(
        "/api/checklists/{}/versions",
        checklist["id"].as_str().unwrap_or(NIL)
    );

    // (method, path, body) the community admin may not do: community 1 or street-wide.
    let out_of_scope: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/org/units".into(),
            json!({ "name": "新网格", "parent": c1 }),
        ),
        (
            Method::POST,
            "/api/org/buildings".into(),
            json!({ "grid_id": grid1, "name": "99号楼", "address": "" }),
        ),
        (
            Method::GET,
            format!("/api/households?grid={grid1}"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/households/import?grid={grid1}"),
            Value::String(csv.clone()),
        ),
        (
            Method::POST,
            "/api/users".into(),
            json!({ "login": "w9", "name": "某某", "role": "grid_worker", "scope_id": grid1 }),
        ),
        (
            Method::PUT,
            format!("/api/users/{admin_id}/password"),
            json!({ "password": "hijacked-pass" }),
        ),
        (
            Method::POST,
            format!("/api/users/{worker1}/enroll-codes"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/devices/{device}/revoke"),
            json!({}),
        ),
        (Method::PUT, "/api/reference/categories".into(), json!([])),
        (Method::PUT, "/api/reference/routing".into(), json!([])),
        (Method::PUT, "/api/reference/services".into(), json!([])),
        (
            Method::PUT,
            "/api/reference/calendar".into(),
            json!({ "holidays": [], "workdays": [] }),
        ),
        (Method::POST, checklist_path.clone(), draft.clone()),
        (
            Method::GET,
            format!("/api/dashboard?area={c1}"),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/exports/visits?area={c1}"),
            Value::Null,
        ),
        (Method::GET, format!("/api/records?area={c1}"), Value::Null),
        // A blob no record they see references (tests/tests/admin_evidence.rs: one that a
        // record outside their scope does).
        (
            Method::GET,
            format!("/api/blobs/{}", "ab".repeat(32)),
            Value::Null,
        ),
    ];
    let mut covered = BTreeSet::new();
    for (method, path, body) in &out_of_scope {
        let answer = send(&community, method, path, body).await?;
        assert_status(&answer, 403, &format!("community admin {method} {path}"));
        covered.insert((method.clone(), route_of(path)));
    }
    // Department staff may do none of the admin-only things.
    let admin_only: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/api/users".into(), Value::Null),
        (Method::GET, "/api/devices".into(), Value::Null),
        (Method::GET, "/api/audit".into(), Value::Null),
        (Method::GET, "/api/exports/incidents".into(), Value::Null),
    ];
    for (method, path, body) in out_of_scope.iter().chain(&admin_only) {
        let answer = send(&dept, method, path, body).await?;
        assert_status(&answer, 403, &format!("department {method} {path}"));
        covered.insert((method.clone(), route_of(path)));
    }
    // What the rest show is narrowed to the caller's scope instead of refused.
    let listed = community.get("/api/users").await?.json;
    let logins: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["login"].as_str())
        .collect();
    assert!(
        logins.contains(&"worker4") && !logins.contains(&"worker1") && !logins.contains(&"admin"),
        "{logins:?}"
    );
    let devices = community.get("/api/devices").await?.json;
    assert_eq!(devices.as_array().map(Vec::len), Some(0), "{devices}");
    let org = community.get("/api/org").await?.json;
    assert!(org["units"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|u| u["id"] != c1.as_str()));
    let dept_org = dept.get("/api/org").await?.json;
    assert_eq!(dept_org["units"].as_array().map(Vec::len), Some(0));
    let audit = community.get("/api/audit").await?.json;
    assert!(
        audit
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["actor_login"] != "admin"),
        "{audit}"
    );
    assert_status(
        &community.get(&format!("/api/dashboard?area={c2}")).await?,
        200,
        "own dashboard",
    );
    // The work queue: an incident in grid 1 (community 1, routed to 城管科) is on the street
    // admin's board and dept1's queue, not on community 2's board nor dept2's queue; acting on
    // it from there is as if it did not exist.
    client.sync().await?;
    let incident = client.report_incident(gridwalk_client::NewIncident {
        category: "env.garbage".into(),
        description: "楼道堆放杂物".into(),
        location: None,
    })?;
    client.sync().await?;
    let on_queue = |answer: &Answer| {
        answer.json["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["id"] == json!(incident))
    };
    assert!(
        on_queue(&admin.get("/api/queue").await?),
        "street admin's board"
    );
    assert!(
        on_queue(&dept.get("/api/queue").await?),
        "the routed department"
    );
    assert!(
        !on_queue(&community.get("/api/queue").await?),
        "another community"
    );
    let dept2 = AdminSession::sign_in(&server.url, "dept2", DEMO_PASSWORD).await?;
    assert!(
        !on_queue(&dept2.get("/api/queue").await?),
        "another department"
    );
    let act_path = format!("/api/incidents/{incident}/events");
    let urge = json!({ "action": { "type": "urge" } });
    assert_status(
        &community.post(&act_path, &urge).await?,
        404,
        "another community acts",
    );
    assert_status(
        &dept2.post(&act_path, &urge).await?,
        404,
        "another department acts",
    );
    covered.insert((Method::GET, "/api/queue".into()));
    covered.insert((Method::POST, "/api/incidents/{id}/events".into()));
    // A walk-in request of community 1 sent to 民政科: another community and another
    // department cannot act on it (tests/tests/desk_loop.rs: the department's own steps).
    let desk = deployment.device(&server.url, "desk1").await?;
    desk.client.sync().await?;
    let reference = desk.client.reference()?.context("no reference")?;
    let civil_affairs = reference
        .departments
        .iter()
        .find(|d| d.name == "民政科")
        .context("no 民政科")?
        .id;
    let request = desk
        .client
        .register_service_request(gridwalk_client::NewServiceRequest {
            item_id: reference.services[0].id,
            resident_name: "李明".into(),
            resident_phone: String::new(),
            materials_received: vec![],
        })?;
    let transfer = gridwalk_shared::model::ServiceAction::Transfer {
        department_id: civil_affairs,
        due: gridwalk_shared::time::Timestamp::from(chrono::Utc::now()),
    };
    desk.client.add_service_event(request, transfer, "")?;
    desk.client.sync().await?;
    let service_path = format!("/api/services/{request}/events");
    let complete = json!({ "action": { "type": "complete", "on_the_spot": false } });
    for (who, session) in [
        ("another community", &community),
        ("another department", &dept),
    ] {
        assert_status(&session.post(&service_path, &complete).await?, 404, who);
    }
    covered.insert((Method::POST, "/api/services/{id}/events".into()));
    // Photos: any staff may store one (it becomes visible only through an event they may
    // add); only JPEG, never decoded.
    let jpeg = gridwalk_tests::media::scene_jpeg(64, 48);
    assert_status(
        &dept.upload("/api/photos", jpeg, "image/jpeg").await?,
        200,
        "photo",
    );
    let not_jpeg = dept
        .upload("/api/photos", b"GIF89a....".to_vec(), "image/gif")
        .await?;
    assert_status(&not_jpeg, 415, "not a JPEG");
    covered.insert((Method::POST, "/api/photos".into()));
    // Documents attach to notices, which only administrators send (tests/tests/notices.rs).
    assert_status(
        &dept
            .upload(
                "/api/documents",
                b"%PDF-1.4\n%%EOF\n".to_vec(),
                "application/pdf",
            )
            .await?,
        403,
        "document",
    );
    covered.insert((Method::POST, "/api/documents".into()));
    // The week's field work is for administrators: department staff are refused
    // (figures and contents: tests/tests/patrols.rs).
    for path in [
        "/api/patrols",
        "/api/handover",
        "/api/scores",
        "/api/visits/due",
        "/api/visits/coverage",
    ] {
        assert_status(&dept.get(path).await?, 403, path);
        covered.insert((Method::GET, path.to_string()));
    }
    // Households due a visit: only within the caller's scope (contents:
    // tests/tests/visit_rules.rs).
    assert_status(
        &community.get(&format!("/api/visits/due?area={c1}")).await?,
        403,
        "due visits of another community",
    );
    assert_status(
        &community
            .get(&format!("/api/visits/coverage?area={c1}"))
            .await?,
        403,
        "coverage of another community",
    );
    let rules = serde_json::json!({
        "weights": {}, "patrol_rule": { "half_days": 3, "min_minutes": 120 }
    });
    assert_status(
        &dept.put("/api/reference/assessment", &rules).await?,
        403,
        "assessment rules",
    );
    covered.insert((Method::PUT, "/api/reference/assessment".into()));
    // Notices and campaigns are sent by administrators, to units within their scope
    // (contents, receipts and progress: tests/tests/notices.rs, tests/tests/campaigns.rs).
    let notice = json!({
        "kind": "notice", "title": "通知", "text": "内容", "photos": [], "pdf": null,
        "response": null, "deadline": null,
        "audience": { "units": [grid1], "roles": [], "users": [] }
    });
    let campaign = json!({
        "name": "走访", "kind": "visit", "deadline": "2030-01-31",
        "targets": { "by": "grid", "grid": grid1 }
    });
    for (path, body) in [("/api/notices", &notice), ("/api/campaigns", &campaign)] {
        assert_status(&dept.post(path, body).await?, 403, path);
        assert_status(&community.post(path, body).await?, 403, path);
        assert_status(&dept.get(path).await?, 403, path);
        covered.insert((Method::POST, path.to_string()));
        covered.insert((Method::GET, path.to_string()));
    }
    let some_id = uuid::Uuid::now_v7();
    for path in [
        "/api/notices/{id}",
        "/api/campaigns/{id}",
        "/api/campaigns/{id}/census",
        "/api/campaigns/{id}/export",
    ] {
        let real = path.replace("{id}", &some_id.to_string());
        assert_status(&dept.get(&real).await?, 403, path);
        covered.insert((Method::GET, path.to_string()));
    }
    // Visit rules are the street's: a community admin is refused too.
    let rules = json!({ "by_tag": [], "default": "quarterly" });
    for caller in [&dept, &community] {
        assert_status(
            &caller.put("/api/reference/visit-rules", &rules).await?,
            403,
            "visit rules",
        );
    }
    covered.insert((Method::PUT, "/api/reference/visit-rules".into()));
    let check = json!({ "max_distance_m": 100, "max_accuracy_m": 100, "min_duration_s": 60 });
    for caller in [&dept, &community] {
        assert_status(
            &caller.put("/api/reference/visit-check", &check).await?,
            403,
            "visit check",
        );
    }
    covered.insert((Method::PUT, "/api/reference/visit-check".into()));
    // Maps (contents: tests/tests/org_geometry.rs). Geometry is drawn by administrators, on
    // units of their own scope: another community's grid is not found for them.
    let org = admin.get("/api/org").await?.json;
    let grid_of_c1 = org["units"]
        .as_array()
        .and_then(|u| {
            u.iter()
                .find(|u| u["kind"] == "grid" && u["parent"] == json!(c1))
        })
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let boundary = json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": { "id": grid_of_c1 },
        "geometry": { "type": "Polygon", "coordinates":
            [[[117.2, 39.1], [117.21, 39.1], [117.21, 39.11], [117.2, 39.1]]] } }] });
    assert_status(
        &dept.put("/api/org/geometry", &boundary).await?,
        403,
        "geometry",
    );
    let refused = community.put("/api/org/geometry", &boundary).await?;
    assert_status(&refused, 400, "another community's grid");
    assert!(refused.json["message"]
        .as_str()
        .is_some_and(|m| m.contains("in your scope")));
    covered.insert((Method::PUT, "/api/org/geometry".into()));
    // Re-gridding (contents: tests/tests/regrid.rs): only within the caller's own scope.
    let building_in = |grid: &str| {
        org["buildings"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["grid_id"] == grid))
            .and_then(|b| b["id"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let grid_of_c2 = org["units"]
        .as_array()
        .and_then(|u| {
            u.iter()
                .find(|u| u["kind"] == "grid" && u["parent"] != json!(c1))
        })
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let (b1, b2) = (building_in(&grid_of_c1), building_in(&grid_of_c2));
    let to_c1 = json!({ "grid_id": grid_of_c1 });
    let move_b1 = format!("/api/org/buildings/{b1}/grid");
    assert_status(&dept.post(&move_b1, &to_c1).await?, 403, "dept move");
    assert_status(
        &community.post(&move_b1, &to_c1).await?,
        404,
        "another community's building",
    );
    let into_c1 = community
        .post(&format!("/api/org/buildings/{b2}/grid"), &to_c1)
        .await?;
    assert_status(&into_c1, 400, "into another community's grid");
    covered.insert((Method::POST, "/api/org/buildings/{id}/grid".into()));
    // The online basemap is deployment configuration (contents: tests/tests/tile_source.rs).
    let source = json!({ "unit_id": c2, "name": "底图", "url": "https://example.cn/{z}/{x}/{y}.png",
        "max_zoom": 18, "coordinate_system": "gcj02" });
    for caller in [&dept, &community] {
        assert_status(
            &caller.put("/api/reference/tile-source", &source).await?,
            403,
            "tile source",
        );
        assert_status(
            &caller
                .send(
                    Method::DELETE,
                    &format!("/api/reference/tile-source/{c2}"),
                    &json!(null),
                )
                .await?,
            403,
            "remove a tile source",
        );
    }
    covered.insert((Method::PUT, "/api/reference/tile-source".into()));
    for caller in [&dept, &community] {
        let upload = caller
            .request(
                Method::PUT,
                &format!("/api/tile-packages/{c2}"),
                Some((b"SQLite format 3".to_vec(), "application/vnd.sqlite3")),
                true,
            )
            .await?;
        assert_status(&upload, 403, "tile package upload");
    }
    covered.insert((Method::PUT, "/api/tile-packages/{unit}".into()));
    covered.insert((Method::DELETE, "/api/reference/tile-source/{unit}".into()));
    let worker1 = user_id("worker1");
    let track = format!("/api/tracks?worker={worker1}");
    assert_status(&dept.get(&track).await?, 403, "dept track");
    assert_status(
        &community.get(&track).await?,
        403,
        "another community's worker",
    );
    covered.insert((Method::GET, "/api/tracks".into()));
    assert_status(
        &community
            .get(&format!("/api/incidents/map?area={c1}"))
            .await?,
        403,
        "another community's incidents",
    );
    covered.insert((Method::GET, "/api/incidents/map".into()));
    // Narrowed to what the caller sees: tests/tests/closed_loop.rs (live nudges).
    covered.insert((Method::GET, "/api/events".into()));
    for path in [
        "/api/org",
        "/api/reference",
        "/api/session",
        "/api/dashboard",
        "/api/users",
        "/api/devices",
        "/api/audit",
        // Narrowed to the caller's scope: tests/tests/admin_evidence.rs.
        "/api/blobs/missing",
    ] {
        covered.insert((Method::GET, path.to_string()));
    }
    covered.insert((Method::DELETE, "/api/session".into()));
    // Every non-public operation was checked one way or the other.
    for (method, path) in non_public_ops() {
        assert!(
            covered.contains(&(method.clone(), path.to_string())),
            "scope of {method} {path} untested"
        );
    }
    // The street admin may do what the community admin may not.
    assert_status(
        &send(
            &admin,
            &Method::GET,
            &format!("/api/dashboard?area={c1}"),
            &Value::Null,
        )
        .await?,
        200,
        "street dashboard",
    );
    assert_status(
        &admin
            .post(&format!("/api/devices/{device}/revoke"), &json!({}))
            .await?,
        204,
        "revoke",
    );
    Ok(())
}

/// The route pattern a concrete path was made from.
fn route_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    for (_, pattern) in non_public_ops() {
        let a: Vec<&str> = pattern.split('/').collect();
        let b: Vec<&str> = path.split('/').collect();
        if a.len() == b.len() && a.iter().zip(&b).all(|(p, s)| p.starts_with('{') || p == s) {
            return pattern.to_string();
        }
    }
    path.to_string()
}

async fn send(session: &AdminSession, method: &Method, path: &str, body: &Value) -> Result<Answer> {
    match body {
        Value::Null => session.request(method.clone(), path, None, true).await,
        Value::String(text) => {
            session
                .upload(path, text.clone().into_bytes(), "text/csv")
                .await
        }
        json => session.send(method.clone(), path, json).await,
    }
}
