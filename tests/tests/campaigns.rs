//! Campaigns (阶段性任务) over real processes: an admin creates campaigns through the admin
//! API (households with 独居老人, all buildings of a grid, an imported list, a census round);
//! phones of different grids — one offline for a while, one the `gridwalk` CLI — receive
//! their own grid's tasks only and complete them; the progress per grid and worker is exact,
//! overdue after the deadline; a census task changes the household's base data on the phone
//! and the server, and the review shows before → after; malformed campaigns get a 4xx and
//! create nothing.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use gridwalk_client::{CampaignVisit, Client, Task};
use gridwalk_shared::model::{Household, Record, RecordKind};
use gridwalk_shared::schedule::household_tags;
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::{china_day_from_today, gridwalk, ok, Deployment};
use serde_json::{json, Value};
use uuid::Uuid;

/// The households the device holds in its own grid.
fn households(client: &Client) -> Result<Vec<Household>> {
    let grid = own_grid(client)?;
    let mut out = Vec::new();
    for row in client.households()? {
        if let Some(Record::Household(h)) = client.record(row.id)?.map(|v| v.record) {
            if h.grid_id == grid {
                out.push(h);
            }
        }
    }
    Ok(out)
}

fn own_grid(client: &Client) -> Result<Uuid> {
    Ok(client.account()?.context("not enrolled")?.user.scope_id)
}

fn tagged(client: &Client, tag: &str) -> Result<BTreeSet<Uuid>> {
    Ok(households(client)?
        .into_iter()
        .filter(|h| household_tags(h).any(|t| t == tag))
        .map(|h| h.id)
        .collect())
}

/// Ids of the campaigns whose parts the device holds.
fn held_campaigns(client: &Client) -> Result<BTreeSet<Uuid>> {
    Ok(client.campaigns()?.iter().map(|c| c.campaign_id).collect())
}

fn tasks_of(client: &Client, campaign: Uuid) -> Result<BTreeSet<Uuid>> {
    Ok(client
        .campaign_tasks()?
        .into_iter()
        .filter(|t| t.campaign_id == campaign)
        .map(|t| t.target_id)
        .collect())
}

fn id_of(answer: &Value) -> Result<Uuid> {
    Ok(answer["campaign_id"]
        .as_str()
        .context("no campaign_id")?
        .parse()?)
}

/// The tally of `id` in `rows` as (done, total, overdue).
fn tally(rows: &Value, id: Uuid) -> (u64, u64, u64) {
    rows.as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == id.to_string())
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap_or(0);
            (n("done"), n("total"), n("overdue"))
        })
        .unwrap_or_default()
}

async fn create(admin: &AdminSession, body: Value) -> Result<(u16, Value)> {
    let answer = admin.post("/api/campaigns", &body).await?;
    Ok((answer.status, answer.json))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_tasks_reach_their_grids_only_and_progress_is_exact() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    // One phone per grid; the first two grids with 独居老人 do the work, a grid without (or
    // else another one) checks that it receives nothing of the others'.
    let mut phones = Vec::new();
    for n in 1..=6 {
        let phone = deployment
            .device(&server.url, &format!("worker{n}"))
            .await?;
        phone.client.sync().await?;
        let alone = tagged(&phone.client, "独居老人")?;
        phones.push((format!("worker{n}"), phone, alone));
    }
    let mut with_alone = phones.iter().filter(|(_, _, a)| !a.is_empty());
    let (login1, phone1, alone1) = with_alone.next().context("a grid with 独居老人")?;
    let (login2, phone2, alone2) = with_alone.next().context("two grids with 独居老人")?;
    let (_, phone3, _) = phones
        .iter()
        .find(|(_, _, a)| a.is_empty())
        .or_else(|| phones.iter().find(|(l, _, _)| l != login1 && l != login2))
        .context("a third grid")?;
    let (alone1, alone2) = (alone1.clone(), alone2.clone());
    let (c1, c2) = (&phone1.client, &phone2.client);
    let (grid1, grid2) = (own_grid(c1)?, own_grid(c2)?);
    let reference = c2.reference()?.context("reference")?;
    let buildings2: BTreeSet<Uuid> = reference.buildings_in(grid2).map(|b| b.id).collect();
    let deadline = china_day_from_today(3);

    // Malformed campaigns: a clear 4xx, nothing written.
    let base = json!({ "name": "走访", "kind": "visit", "deadline": deadline });
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        body
    };
    let bad = [
        (
            with(json!({ "targets": { "by": "tag", "tag": "不存在的标签" } })),
            400,
        ),
        (
            with(json!({ "targets": { "by": "buildings", "buildings": [Uuid::nil()] } })),
            400,
        ),
        (
            with(json!({ "targets": { "by": "grid", "grid": Uuid::nil() } })),
            400,
        ),
        (
            with(json!({ "targets": { "by": "list", "households": [] } })),
            422,
        ),
        (
            with(json!({ "targets": { "by": "list", "households": ["火星路1号"] } })),
            400,
        ),
        (
            with(
                json!({ "targets": { "by": "tag", "tag": "独居老人" }, "deadline": "2020-01-01" }),
            ),
            400,
        ),
        (
            with(json!({ "targets": { "by": "tag", "tag": "独居老人" }, "name": " " })),
            400,
        ),
        (
            with(
                json!({ "targets": { "by": "tag", "tag": "独居老人" }, "kind": "building_check" }),
            ),
            400,
        ),
        (
            with(json!({ "targets": { "by": "tag", "tag": "独居老人" }, "colour": "red" })),
            422,
        ),
        (
            with(
                json!({ "targets": { "by": "grid", "grid": grid2 }, "checklist": { "name": "x", "items": [] } }),
            ),
            400,
        ),
    ];
    for (body, status) in bad {
        let (got, answer) = create(&admin, body.clone()).await?;
        ensure!(got == status, "{body} gave {got} {answer}, not {status}");
        ensure!(answer["code"].is_string(), "{answer}");
    }
    let listed = admin.get("/api/campaigns").await?;
    assert_status(&listed, 200, "list");
    ensure!(
        listed.json == json!([]),
        "a refused campaign wrote something: {}",
        listed.json
    );

    // A visit to every 独居老人, and a fire check of every building of grid 2.
    let (status, alone) = create(
        &admin,
        with(
            json!({ "name": "春节前独居老人走访", "targets": { "by": "tag", "tag": "独居老人" } }),
        ),
    )
    .await?;
    ensure!(status == 201, "{alone}");
    let alone_id = id_of(&alone)?;
    let (status, fire) = create(
        &admin,
        json!({
            "name": "消防安全排查", "kind": "building_check", "deadline": deadline,
            "targets": { "by": "grid", "grid": grid2 },
            "checklist": { "name": "消防排查表", "items": [
                { "key": "exits", "label": "消防通道畅通", "kind": "yes_no", "required": true }
            ] }
        }),
    )
    .await?;
    ensure!(status == 201, "{fire}");
    let fire_id = id_of(&fire)?;
    ensure!(
        fire["total"] == buildings2.len() && fire["grids"] == 1,
        "{fire}"
    );
    // An imported list of two grid-1 households, one by id and one by address.
    let listed: Vec<Household> = households(c1)?.into_iter().take(2).collect();
    let (status, list) = create(
        &admin,
        with(json!({ "name": "名单走访", "targets": { "by": "list",
            "households": [listed[0].id.to_string(), listed[1].address] } })),
    )
    .await?;
    ensure!(status == 201 && list["total"] == 2, "{list}");
    let list_id = id_of(&list)?;

    // Each phone receives its own grid's part only.
    phone1.client.sync().await?;
    phone3.client.sync().await?;
    ensure!(held_campaigns(c1)? == BTreeSet::from([alone_id, list_id]));
    ensure!(
        tasks_of(c1, alone_id)? == alone1,
        "worker1's tasks are grid 1's 独居老人"
    );
    let held3 = held_campaigns(&phone3.client)?;
    ensure!(
        !held3.contains(&fire_id) && !held3.contains(&list_id),
        "{held3:?}"
    );
    for record in phone3.client.export()? {
        if record["kind"] == "campaign" {
            ensure!(record["grid_id"] == own_grid(&phone3.client)?.to_string());
        }
    }
    // The tasks are the responsible worker's: worker1b, grid 1's second phone, has none.
    let second = deployment.device(&server.url, "worker1b").await?;
    second.client.sync().await?;
    let first_grid = own_grid(&second.client)?;
    ensure!(second.client.campaign_tasks()?.is_empty());
    ensure!(
        first_grid != grid1 || !second.client.campaigns()?.is_empty(),
        "worker1b holds grid 1's part, without tasks"
    );
    let today = c1.today()?;
    let on_today = today
        .tasks
        .iter()
        .filter(|t| matches!(t, Task::Campaign { task } if task.campaign_id == alone_id))
        .count();
    ensure!(
        on_today == alone1.len(),
        "today's list holds the campaign tasks"
    );

    // Phone 2 goes offline: it syncs once, then works without the network.
    phone2.client.sync().await?;
    ensure!(held_campaigns(c2)? == BTreeSet::from([alone_id, fire_id]));
    ensure!(tasks_of(c2, alone_id)? == alone2);
    ensure!(tasks_of(c2, fire_id)? == buildings2);
    for &target in &alone2 {
        c2.do_campaign_task(CampaignVisit {
            campaign_id: alone_id,
            target_id: target,
            note: "节前走访，一切正常".into(),
            ..CampaignVisit::default()
        })?;
    }
    let skipped = *buildings2.iter().next().context("grid 2 has buildings")?;
    let checklist = c2
        .campaign_tasks()?
        .into_iter()
        .find(|t| t.campaign_id == fire_id)
        .and_then(|t| t.template_id.zip(t.template_version))
        .context("the fire check has its own checklist")?;
    let missing = c2.do_campaign_task(CampaignVisit {
        campaign_id: fire_id,
        target_id: skipped,
        ..CampaignVisit::default()
    });
    ensure!(missing.is_err(), "a required item must be answered");
    for &building in buildings2.iter().filter(|b| **b != skipped) {
        c2.do_campaign_task(CampaignVisit {
            campaign_id: fire_id,
            target_id: building,
            answers: [(
                "exits".to_string(),
                gridwalk_shared::model::Answer::YesNo(true),
            )]
            .into(),
            ..CampaignVisit::default()
        })?;
    }
    ensure!(tasks_of(c2, fire_id)? == BTreeSet::from([skipped]));
    ensure!(checklist.1 == 1);

    // Grid 1: one task on a second device with the CLI, the rest on phone 1.
    let cli = tempfile::tempdir()?;
    let code = deployment.enroll_code(login1)?;
    ok(gridwalk(
        cli.path(),
        &[
            "enroll",
            "--server",
            &server.url,
            "--code",
            &code,
            "--name",
            "cli",
        ],
    ));
    let listed_tasks = ok(gridwalk(cli.path(), &["campaign", "tasks"]));
    let first = alone1.iter().next().context("a task")?;
    ensure!(
        listed_tasks.contains(&format!("{alone_id} {first} visit")),
        "{listed_tasks}"
    );
    let campaigns = ok(gridwalk(cli.path(), &["campaign", "list"]));
    ensure!(
        campaigns.contains(&format!("0/{}", alone1.len())),
        "{campaigns}"
    );
    ok(gridwalk(
        cli.path(),
        &[
            "campaign",
            "do",
            "--campaign",
            &alone_id.to_string(),
            "--target",
            &first.to_string(),
            "--note",
            "CLI",
        ],
    ));
    ok(gridwalk(cli.path(), &["sync"]));
    phone1.client.sync().await?;
    let left = tasks_of(c1, alone_id)?;
    ensure!(!left.contains(first) && left.len() == alone1.len() - 1);
    for target in left {
        c1.do_campaign_task(CampaignVisit {
            campaign_id: alone_id,
            target_id: target,
            ..CampaignVisit::default()
        })?;
    }
    phone1.client.sync().await?;
    ensure!(phone1
        .client
        .campaign_tasks()?
        .iter()
        .all(|t| t.campaign_id != alone_id));

    // Progress while phone 2 is still offline: grid 1 done, grid 2 not yet.
    let progress = admin.get(&format!("/api/campaigns/{alone_id}")).await?;
    assert_status(&progress, 200, "progress");
    let n1 = alone1.len() as u64;
    let n2 = alone2.len() as u64;
    ensure!(
        tally(&progress.json["per_grid"], grid1) == (n1, n1, 0),
        "{}",
        progress.json
    );
    ensure!(tally(&progress.json["per_grid"], grid2) == (0, n2, 0));

    // Phone 2 comes back: exact progress per grid and worker; overdue after the deadline.
    phone2.client.sync().await?;
    let after = 86_400_000 * 5 + chrono::Utc::now().timestamp_millis();
    let progress = admin
        .get(&format!("/api/campaigns/{alone_id}?as_of={after}"))
        .await?
        .json;
    let total = progress["summary"]["total"].as_u64().context("total")?;
    let done = progress["summary"]["done"].as_u64().context("done")?;
    ensure!(
        tally(&progress["per_grid"], grid2) == (n2, n2, 0),
        "{progress}"
    );
    ensure!(done >= n1 + n2 && progress["summary"]["overdue"] == total - done);
    let worker = |login: &str| -> Result<Uuid> {
        Ok(reference
            .users
            .iter()
            .find(|u| u.login == login)
            .context("user")?
            .id)
    };
    ensure!(tally(&progress["per_worker"], worker(login1)?) == (n1, n1, 0));
    ensure!(tally(&progress["per_worker"], worker(login2)?) == (n2, n2, 0));
    let fire_now = admin.get(&format!("/api/campaigns/{fire_id}")).await?.json;
    let b = buildings2.len() as u64;
    ensure!(
        tally(&fire_now["per_grid"], grid2) == (b - 1, b, 0),
        "{fire_now}"
    );
    let fire_late = admin
        .get(&format!("/api/campaigns/{fire_id}?as_of={after}"))
        .await?
        .json;
    ensure!(
        tally(&fire_late["per_grid"], grid2) == (b - 1, b, 1),
        "{fire_late}"
    );
    let summaries = admin.get("/api/campaigns").await?.json;
    let fire_row = summaries
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["campaign_id"] == fire_id.to_string())
        .context("listed")?;
    ensure!(
        fire_row["done"] == b - 1 && fire_row["total"] == b,
        "{fire_row}"
    );

    // The export: one row per task, done ones marked.
    let csv = admin
        .get(&format!("/api/campaigns/{fire_id}/export?format=csv"))
        .await?;
    assert_status(&csv, 200, "export");
    let text = String::from_utf8(csv.bytes)?;
    ensure!(text.lines().count() as u64 == b + 1, "{text}");
    ensure!(text.matches("已完成").count() as u64 == b - 1);
    let xlsx = admin
        .get(&format!("/api/campaigns/{fire_id}/export?format=xlsx"))
        .await?;
    ensure!(xlsx.status == 200 && xlsx.bytes.starts_with(b"PK"));
    let unknown = admin
        .get(&format!("/api/campaigns/{}", Uuid::nil()))
        .await?;
    ensure!(unknown.status == 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_census_round_changes_base_data_and_the_review_shows_before_and_after() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let phone = deployment.device(&server.url, "worker1").await?;
    let other = deployment.device(&server.url, "worker1b").await?;
    phone.client.sync().await?;
    other.client.sync().await?;
    let client = &phone.client;
    let chosen: Vec<Household> = households(client)?.into_iter().take(2).collect();
    let (status, census) = create(
        &admin,
        json!({ "name": "2026年人口普查", "kind": "census", "deadline": china_day_from_today(10),
                "targets": { "by": "list", "households": [chosen[0].id, chosen[1].id] } }),
    )
    .await?;
    ensure!(status == 201, "{census}");
    let census_id = id_of(&census)?;
    client.sync().await?;
    ensure!(tasks_of(client, census_id)?.len() == 2);

    let target = &chosen[0];
    // The phone's task screen starts from the household as held.
    let shown = client.campaign_task_form(census_id, target.id)?;
    ensure!(shown.census.as_ref() == Some(&target.facts()));
    ensure!(
        other
            .client
            .campaign_task_form(census_id, target.id)
            .is_err(),
        "not the other worker's task"
    );
    let mut form = target.facts();
    let without = client.do_campaign_task(CampaignVisit {
        campaign_id: census_id,
        target_id: target.id,
        ..CampaignVisit::default()
    });
    ensure!(without.is_err(), "a census task needs the form");
    form.head = "赵新户主".into();
    form.phone = "13800001111".into();
    form.tags.push("租户".into());
    let mut bad = form.clone();
    bad.phone = "not a phone".into();
    let refused = client.do_campaign_task(CampaignVisit {
        campaign_id: census_id,
        target_id: target.id,
        census: Some(bad),
        ..CampaignVisit::default()
    });
    ensure!(
        refused.is_err(),
        "an invalid phone is refused on the device"
    );
    client.do_campaign_task(CampaignVisit {
        campaign_id: census_id,
        target_id: target.id,
        census: Some(form.clone()),
        ..CampaignVisit::default()
    })?;
    // Applied on the device at once, before any sync.
    let Some(Record::Household(edited)) = client.record(target.id)?.map(|v| v.record) else {
        anyhow::bail!("household missing");
    };
    ensure!(edited.head == "赵新户主" && edited.phone == "13800001111");
    ensure!(
        client.campaign_task_form(census_id, target.id).is_err(),
        "a done task has no form"
    );
    ensure!(tasks_of(client, census_id)?.len() == 1);
    client.sync().await?;

    // The server and the grid's other phone hold the new base data.
    let listed = admin
        .get(&format!("/api/households?grid={}", target.grid_id))
        .await?
        .json;
    let row = listed
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["id"] == target.id.to_string())
        .context("listed")?;
    ensure!(
        row["head"] == "赵新户主" && row["tags"].to_string().contains("租户"),
        "{row}"
    );
    other.client.sync().await?;
    let Some(Record::Household(seen)) = other.client.record(target.id)?.map(|v| v.record) else {
        anyhow::bail!("household missing on the other phone");
    };
    ensure!(seen.facts() == form);

    // The review: before → after, with what changed.
    let review = admin
        .get(&format!("/api/campaigns/{census_id}/census"))
        .await?;
    assert_status(&review, 200, "review");
    let rows = review.json.as_array().context("rows")?;
    ensure!(rows.len() == 1, "{}", review.json);
    ensure!(rows[0]["before"]["head"] == target.head.as_str());
    ensure!(rows[0]["after"]["head"] == "赵新户主");
    ensure!(
        rows[0]["changed"] == json!(["head", "phone", "tags"]),
        "{}",
        rows[0]
    );
    let progress = admin
        .get(&format!("/api/campaigns/{census_id}"))
        .await?
        .json;
    ensure!(progress["summary"]["done"] == 1 && progress["summary"]["total"] == 2);
    ensure!(RecordKind::parse("campaign") == Some(RecordKind::Campaign));
    Ok(())
}
