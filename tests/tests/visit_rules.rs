//! Visit frequency by key-person tag over real processes: the street sets the rules, a phone
//! (its clock ten days back) visits a household with a key-person tag and an untagged one; the admin
//! API's due list (`GET /api/visits/due`) then shows the first overdue under that tag's weekly
//! rule
//! and the second not due under the quarterly default, with the same due dates the phone's
//! today list shows; a tag added on the phone makes the second overdue too; bad input is
//! refused.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Duration;
use gridwalk_client::{Client, NewVisit};
use gridwalk_shared::model::Record;
use gridwalk_shared::schedule::household_tags;
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::{Deployment, TEST_SYNC};
use serde_json::{json, Value};
use uuid::Uuid;

/// The household's row in a due list, if listed.
fn row(list: &Value, id: Uuid) -> Option<&Value> {
    list["households"]
        .as_array()?
        .iter()
        .find(|h| h["id"] == json!(id.to_string()))
}

/// The household's tags as the phone holds them.
fn tags(phone: &Client, id: Uuid) -> Result<Vec<String>> {
    match phone.record(id)?.context("held")?.record {
        Record::Household(h) => Ok(household_tags(&h).map(str::to_string).collect()),
        other => anyhow::bail!("not a household: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_due_list_follows_the_visit_rules_by_tag() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let visited_on = today - Duration::days(10);
    let clock = Arc::new(HandClock::at(visited_on, 9, 0));
    let dir = tempfile::tempdir()?;
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "worker1")
        .await?;
    phone.sync().await?;
    let grid = phone.status()?.account.context("enrolled")?.user.scope_id;
    let households = phone.households()?;
    // A household with a key-person tag (its first tag gets the weekly rule) and one without.
    let (mut tagged, mut plain) = (None, None);
    for h in &households {
        match tags(&phone, h.id)?.into_iter().next() {
            Some(tag) => tagged = tagged.or(Some((h.id, tag))),
            None => plain = plain.or(Some(h.id)),
        }
    }
    let (tagged, tag) = tagged.context("a tagged household in grid 1")?;
    let plain = plain.context("an untagged household in grid 1")?;
    let rules = json!({
        "by_tag": [{ "tag": tag, "frequency": "weekly" }],
        "default": "quarterly"
    });
    assert_status(
        &admin.put("/api/reference/visit-rules", &rules).await?,
        200,
        "visit rules",
    );
    for household_id in [tagged, plain] {
        phone.add_visit(NewVisit {
            household_id,
            note: "入户走访".into(),
            ..NewVisit::default()
        })?;
    }
    clock.set(today, 9, 0);
    phone.sync().await?;

    let due = admin.get(&format!("/api/visits/due?area={grid}")).await?;
    assert_status(&due, 200, "due list");
    let due = due.json;
    let n = households.len() as u64;
    assert_eq!(due["date"], json!(today.to_string()));
    assert_eq!(
        due["total"],
        json!({ "households": n, "due": n - 1, "overdue": 1, "never_visited": n - 2 }),
        "{due}"
    );
    assert_eq!(due["grids"].as_array().map(Vec::len), Some(1));
    assert_eq!(due["grids"][0]["counts"], due["total"]);
    assert_eq!(due["matched"], json!(n - 1));
    let first = &due["households"][0];
    assert_eq!(first["id"], json!(tagged.to_string()), "overdue first");
    assert_eq!(first["last_visit"], json!(visited_on.to_string()));
    assert_eq!(
        first["next"],
        json!({
            "frequency": "weekly", "tag": tag,
            "due_on": (visited_on + Duration::days(7)).to_string(),
            "due": true, "overdue": true
        })
    );
    assert!(
        row(&due, plain).is_none(),
        "not due under the quarterly default"
    );
    assert!(first["phone"]
        .as_str()
        .is_some_and(|p| p.contains('*') || p.is_empty()));

    // The phone's today list says the same.
    let on_phone = phone.today()?;
    let mine = on_phone
        .due
        .iter()
        .find(|d| d.household.id == tagged)
        .context("due on the phone")?;
    let next = mine.next.as_ref().context("next visit")?;
    assert!(next.overdue);
    assert_eq!(
        next.due_on.map(|d| d.to_string()),
        first["next"]["due_on"].as_str().map(str::to_string)
    );
    assert_eq!(on_phone.due_total as u64, n - 1);

    // All households, and overdue only.
    let all = admin
        .get(&format!("/api/visits/due?area={grid}&show=all"))
        .await?
        .json;
    let quarterly = row(&all, plain).context("listed with show=all")?;
    let in_three_months = visited_on
        .checked_add_months(chrono::Months::new(3))
        .context("date")?;
    assert_eq!(
        quarterly["next"]["due_on"],
        json!(in_three_months.to_string())
    );
    assert_eq!(quarterly["next"]["due"], json!(false));
    assert_eq!(all["matched"], json!(n));
    let overdue = admin
        .get(&format!("/api/visits/due?area={grid}&show=overdue"))
        .await?
        .json;
    assert_eq!(overdue["matched"], json!(1));
    // As of five days ago the weekly visit was not yet due.
    let earlier = today - Duration::days(5);
    let then = admin
        .get(&format!(
            "/api/visits/due?area={grid}&show=all&date={earlier}"
        ))
        .await?
        .json;
    let was = row(&then, tagged).context("listed")?;
    assert_eq!(
        (was["next"]["due"].clone(), was["next"]["overdue"].clone()),
        (json!(false), json!(false))
    );

    // The tag added on the phone puts the untagged household on the weekly rule.
    phone.set_household_field(plain, "tags", &tag)?;
    phone.sync().await?;
    let after = admin
        .get(&format!("/api/visits/due?area={grid}&show=overdue"))
        .await?
        .json;
    assert_eq!(after["matched"], json!(2), "{after}");
    let moved = row(&after, plain).context("now overdue")?;
    assert_eq!(moved["next"]["tag"], json!(tag));
    assert_eq!(moved["tags"], json!([tag]));

    // The street sees every grid; bad input is refused.
    let street = admin.get("/api/visits/due").await?.json;
    assert!(street["grids"].as_array().is_some_and(|g| g.len() > 1));
    assert!(street["total"]["households"].as_u64() > Some(n));
    assert_eq!(street["total"]["overdue"], json!(2));
    let stranger = format!("area={}", Uuid::now_v7());
    for (query, status) in [
        ("show=soon", 400),
        ("date=yesterday", 400),
        ("area=not-a-uuid", 400),
        (stranger.as_str(), 403),
    ] {
        assert_status(
            &admin.get(&format!("/api/visits/due?{query}")).await?,
            status,
            query,
        );
    }
    Ok(())
}

/// The admin web's due list shows what the API answers: after two weeks of demo field work,
/// the overdue households, most overdue first, and the area's totals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_web_lists_the_overdue_households() -> Result<()> {
    let Some((driver, ui)) = gridwalk_tests::admin::admin_browser("due_visits_web")? else {
        return Ok(());
    };
    let (_deployment, server) = gridwalk_tests::admin::serve_with_activity(&ui, 14)?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let api = admin.get("/api/visits/due?show=overdue").await?;
    assert_status(&api, 200, "due list");
    let api = api.json;
    assert!(
        api["matched"].as_u64() > Some(0),
        "demo work leaves some overdue: {api}"
    );
    let out = tempfile::tempdir()?;
    let shown = gridwalk_tests::admin::browser_phase(
        &driver,
        "admin",
        "visits",
        &server.url,
        out.path(),
        None,
    )?;
    let ids: Vec<Value> = api["households"]
        .as_array()
        .context("rows")?
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    assert_eq!(
        shown["households"],
        json!(ids),
        "the same rows in the same order"
    );
    let t = &api["total"];
    let totals = [
        &t["households"],
        &t["due"],
        &t["overdue"],
        &t["never_visited"],
    ]
    .map(|n| n.to_string());
    assert_eq!(shown["total"], json!(totals));
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::copy(
            out.path().join("admin-due-visits.png"),
            docs.join("admin-due-visits.png"),
        )?;
    }
    Ok(())
}
