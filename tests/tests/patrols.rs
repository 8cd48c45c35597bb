//! Patrols, the weekly hand-over and the scoreboard over real processes: a phone (its clock
//! set to last week) records two patrols with fixes and a visit and a report made on one,
//! and a work-log note; the admin API shows the week's patrol time against the rule, the
//! hand-over sheet and the scoreboard (also as XLSX); the grid leader's remark reaches the
//! hall tablet; bad input is refused and changes nothing; the CLI runs a patrol.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};
use gridwalk_client::{Client, NewIncident, NewVisit};
use gridwalk_shared::model::Location;
use gridwalk_shared::patrol_week::week_of;
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::{gridwalk, ok, Deployment, TEST_SYNC};
use serde_json::{json, Value};

fn fix(client: &Client, lat: f64) -> Location {
    Location {
        lat,
        lon: 120.15,
        accuracy_m: Some(8.0),
        at: client.now(),
        adjusted_from: None,
    }
}

fn lines_have(lines: &Value, id: &str) -> bool {
    lines
        .as_array()
        .is_some_and(|l| l.iter().any(|line| line["id"] == json!(id)))
}

/// worker1's phone, enrolled and synced, its clock on last week's Monday at `hour`:00.
struct LastWeek {
    phone: Client,
    clock: Arc<HandClock>,
    monday: NaiveDate,
    grid: uuid::Uuid,
    _dir: tempfile::TempDir,
}

async fn phone_last_week(deployment: &Deployment, url: &str, hour: u32) -> Result<LastWeek> {
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let monday = week_of(today) - Duration::days(7);
    let clock = Arc::new(HandClock::at(monday, hour, 0));
    let dir = tempfile::tempdir()?;
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let grid = phone.status()?.account.context("enrolled")?.user.scope_id;
    Ok(LastWeek {
        phone,
        clock,
        monday,
        grid,
        _dir: dir,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patrols_hand_over_and_scores_from_the_records() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let LastWeek {
        phone,
        clock,
        monday,
        grid,
        _dir,
    } = phone_last_week(&deployment, &server.url, 8).await?;
    let household = phone.households()?.first().context("households")?.id;

    // Monday 08:00–10:10 with fixes, a visit and a report on the way.
    let first = phone.start_patrol(Some(fix(&phone, 30.27)))?;
    assert!(phone.start_patrol(None).is_err(), "one patrol at a time");
    clock.set(monday, 8, 30);
    phone.patrol_fix(fix(&phone, 30.271))?;
    clock.set(monday, 9, 15);
    let visit = phone.add_visit(NewVisit {
        household_id: household,
        note: "巡查途中入户".into(),
        ..NewVisit::default()
    })?;
    clock.set(monday, 9, 30);
    let report = phone.report_incident(NewIncident {
        category: "env.garbage".into(),
        description: "楼道堆放杂物".into(),
        location: Some(fix(&phone, 30.272)),
    })?;
    clock.set(monday, 10, 10);
    assert_eq!(phone.stop_patrol()?, first);
    // Tuesday 14:00–16:00, and a note in the work log.
    let tuesday = monday + Duration::days(1);
    clock.set(tuesday, 14, 0);
    let second = phone.start_patrol(None)?;
    clock.set(tuesday, 15, 0);
    phone.patrol_fix(fix(&phone, 30.28))?;
    clock.set(tuesday, 16, 0);
    phone.stop_patrol()?;
    clock.set(tuesday, 17, 0);
    phone.add_work_log("巡查发现楼道堆物，已上报")?;
    let stored = phone.record(first)?.context("patrol held")?.record;
    let gridwalk_shared::Record::Patrol(patrol) = stored else {
        anyhow::bail!("not a patrol: {stored:?}")
    };
    assert_eq!(
        (patrol.visit_ids, patrol.incident_ids),
        (vec![visit], vec![report])
    );
    assert_eq!(patrol.track.len(), 2);
    let report_sync = phone.sync().await?;
    assert!(
        report_sync.rejected.is_empty(),
        "{:?}",
        report_sync.rejected
    );

    // The admin sees the week's patrol time and the rule's verdict.
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let week = admin.get(&format!("/api/patrols?week={monday}")).await?;
    assert_status(&week, 200, "patrol week");
    let me = week.json["workers"]
        .as_array()
        .context("workers")?
        .iter()
        .find(|w| w["grid_id"] == json!(grid) && w["patrol"]["minutes"] != json!(0))
        .context("worker1's week")?
        .clone();
    let p = &me["patrol"];
    assert_eq!(
        (p["minutes"].as_u64(), p["counted"].as_u64()),
        (Some(250), Some(2)),
        "{p}"
    );
    let required = p["required"].as_u64().context("required")?;
    assert_eq!(p["met"], json!(2 >= required), "{p}");

    // The hand-over sheet of that week.
    let sheet = admin
        .get(&format!("/api/handover?grid={grid}&week={monday}"))
        .await?;
    assert_status(&sheet, 200, "hand-over");
    let s = &sheet.json;
    assert!(lines_have(&s["visits"], &visit.to_string()), "{s}");
    let listed = s["reports"]
        .as_array()
        .context("reports")?
        .iter()
        .find(|r| r["id"] == json!(report))
        .context("report listed")?;
    assert!(
        ["reported", "dispatched"].contains(&listed["state"].as_str().unwrap_or("")),
        "{listed}"
    );
    assert!(
        lines_have(&s["patrols"], &first.to_string())
            && lines_have(&s["patrols"], &second.to_string())
    );
    assert!(s["notes"].to_string().contains("巡查发现楼道堆物"), "{s}");
    let mine = s["workers"]
        .as_array()
        .context("workers")?
        .iter()
        .find(|w| w["patrol"]["minutes"] == json!(250))
        .context("worker row")?;
    assert_eq!(
        (mine["visits"].as_u64(), mine["reports"].as_u64()),
        (Some(1), Some(1))
    );

    // The grid leader's remark syncs to the community's hall tablet.
    let leader = deployment.device(&server.url, "leader1").await?;
    leader.client.sync().await?;
    leader
        .client
        .add_handover_remark(grid, Some(monday), "下周重点：楼道堆物回头看")?;
    leader.client.sync().await?;
    let tablet = deployment.device(&server.url, "desk1").await?;
    tablet.client.sync().await?;
    let on_tablet = tablet.client.handover_sheet(grid, Some(monday))?;
    assert_eq!(on_tablet.remarks.len(), 1);
    assert_eq!(on_tablet.remarks[0].text, "下周重点：楼道堆物回头看");
    assert!(on_tablet.visits.iter().any(|v| v.id == visit));
    assert!(on_tablet.patrols.iter().any(|p| p.id == first));
    assert!(
        phone
            .add_handover_remark(grid, Some(monday), "组员不能写")
            .is_err(),
        "workers may not remark"
    );
    let sheet = admin
        .get(&format!("/api/handover?grid={grid}&week={monday}"))
        .await?;
    assert!(sheet.json["remarks"].to_string().contains("楼道堆物回头看"));

    // The scoreboard ranks grids and departments from the same records, and exports XLSX.
    let board = admin
        .get(&format!("/api/scores?period=week&date={monday}"))
        .await?;
    assert_status(&board, 200, "scores");
    let grids = board.json["grids"].as_array().context("grids")?;
    let scores: Vec<f64> = grids.iter().filter_map(|g| g["score"].as_f64()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked: {scores:?}"
    );
    let ours = grids
        .iter()
        .find(|g| g["grid_id"] == json!(grid))
        .context("our grid")?;
    assert_eq!(
        (ours["visits"].as_u64(), ours["reports"].as_u64()),
        (Some(1), Some(1)),
        "{ours}"
    );
    assert!(!board.json["communities"]
        .as_array()
        .context("communities")?
        .is_empty());
    // The server dispatched the report on upload (this week): its department is scored then.
    if listed["state"] == "dispatched" {
        let now = admin.get("/api/scores?period=week").await?;
        let departments = now.json["departments"].as_array().context("departments")?;
        assert!(
            departments
                .iter()
                .any(|d| d["routed"].as_u64() >= Some(1) && d["rank"] == json!(1)),
            "{departments:?}"
        );
    }
    let file = admin
        .get(&format!(
            "/api/scores?period=week&date={monday}&format=xlsx"
        ))
        .await?;
    assert_status(&file, 200, "scores xlsx");
    {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(file.bytes))?;
        let range = wb.worksheet_range_at(0).context("a sheet")??;
        assert_eq!(
            range.get_value((0, 3)).map(|c| c.to_string()),
            Some("得分".into())
        );
        let top = ours["rank"].as_u64().context("rank")? as u32;
        let name = ours["name"].as_str().context("name")?;
        assert_eq!(
            range.get_value((top, 2)).map(|c| c.to_string()),
            Some(name.to_string())
        );
        assert_eq!(
            range.get_value((top, 0)).map(|c| c.to_string()),
            Some("网格".into())
        );
    }
    // The worker's own figures on the phone, from its records.
    let figures = phone.my_figures(gridwalk_shared::scores::PeriodKind::Week)?;
    assert_eq!(figures.grid.map(|g| g.grid_id), Some(grid));

    // Bad input: a clear 4xx, nothing changed.
    assert_status(
        &admin.get("/api/scores?period=year").await?,
        400,
        "unknown period",
    );
    assert_status(&admin.get("/api/handover").await?, 400, "no grid");
    let before = admin.get("/api/scores?period=week").await?.json["weights"].clone();
    let bad = json!({ "weights": { "collection": -5 }, "patrol_rule": { "half_days": 3, "min_minutes": 120 } });
    assert_status(
        &admin.put("/api/reference/assessment", &bad).await?,
        400,
        "negative weight",
    );
    assert_eq!(
        admin.get("/api/scores?period=week").await?.json["weights"],
        before
    );
    let good = json!({ "weights": { "collection": 0, "visits_patrols": 0, "handling": 100 }, "patrol_rule": { "half_days": 2, "min_minutes": 120 } });
    assert_status(
        &admin.put("/api/reference/assessment", &good).await?,
        200,
        "weights",
    );
    let week = admin.get(&format!("/api/patrols?week={monday}")).await?;
    assert_eq!(week.json["rule"]["half_days"], json!(2));

    // The CLI runs a patrol too.
    let cli = tempfile::tempdir()?;
    let code = deployment.enroll_code("worker2")?;
    ok(gridwalk(
        cli.path(),
        &["enroll", "--server", &server.url, "--code", &code],
    ));
    let id = ok(gridwalk(cli.path(), &["patrol", "start"]))
        .trim()
        .to_string();
    ok(gridwalk(
        cli.path(),
        &["patrol", "fix", "--lat", "30.27", "--lon", "120.15"],
    ));
    let status: Value = serde_json::from_str(&ok(gridwalk(cli.path(), &["patrol", "status"])))?;
    assert_eq!(status["running"]["id"], json!(id));
    assert_eq!(status["running"]["track"].as_array().map(Vec::len), Some(1));
    assert_eq!(ok(gridwalk(cli.path(), &["patrol", "stop"])).trim(), id);
    let again = gridwalk(cli.path(), &["patrol", "stop"]);
    assert!(!again.status.success(), "nothing to stop");
    ok(gridwalk(cli.path(), &["sync"]));
    Ok(())
}

/// The admin web's hand-over and scoreboard pages in headless Chromium, over a week in which
/// worker1 patrolled once with a visit on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_web_shows_the_hand_over_and_the_scoreboard() -> Result<()> {
    let Some((driver, ui)) = gridwalk_tests::admin::admin_browser("handover_web")? else {
        return Ok(());
    };
    let (deployment, server) = gridwalk_tests::admin::serve_admin(&ui)?;
    let LastWeek {
        phone,
        clock,
        monday,
        grid,
        _dir,
    } = phone_last_week(&deployment, &server.url, 9).await?;
    let household = phone.households()?.first().context("households")?.clone();
    phone.start_patrol(Some(fix(&phone, 30.27)))?;
    clock.set(monday, 10, 0);
    phone.add_visit(NewVisit {
        household_id: household.id,
        note: "巡查途中入户".into(),
        ..NewVisit::default()
    })?;
    clock.set(monday, 11, 30);
    phone.stop_patrol()?;
    phone.sync().await?;

    let out = tempfile::tempdir()?;
    let phase = |name: &str, arg: String| {
        gridwalk_tests::admin::browser_phase(
            &driver,
            "admin",
            name,
            &server.url,
            out.path(),
            Some(&arg),
        )
    };
    let seen = phase("handover", format!("{grid},{monday}"))?;
    let visits = seen["visits"].to_string();
    assert!(visits.contains(&household.address), "{seen}");
    assert_eq!(
        seen["navShownInPrint"],
        json!(false),
        "print leaves the menu off"
    );
    let worker1 = seen["patrols"]
        .as_array()
        .context("patrol rows")?
        .iter()
        .find(|row| row[2] == json!("150"))
        .context("worker1's 150 minutes in the patrol table")?;
    assert_eq!(worker1[3].as_str().map(|s| s.starts_with("1/")), Some(true));

    let seen = phase("scores", monday.to_string())?;
    let grids = seen["grids"].as_array().context("grid rows")?;
    let ours = grids
        .iter()
        .find(|g| g["id"] == json!(grid))
        .context("our grid is ranked")?;
    assert_eq!(ours["visited"], json!("1/300"), "{seen}");
    assert_eq!(grids[0]["rank"], json!("1"));
    assert_eq!(seen["xlsxMagic"], json!("PK"), "an XLSX (zip) file");
    assert!(seen["saved"].as_str().is_some_and(|s| s.contains("已保存")));
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let board = admin.get("/api/scores?period=week").await?;
    assert_eq!(board.json["weights"]["reports_per_week"], json!(5.0));
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        for name in ["admin-handover.png", "admin-scoreboard.png"] {
            std::fs::copy(out.path().join(name), docs.join(name))?;
        }
    }
    Ok(())
}
