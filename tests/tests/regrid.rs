//! Re-gridding over real processes (issue 15 point 7): the street admin moves a building of
//! 幸福社区第一网格 to the second grid, as the geometry import suggests once the building's
//! position lies inside the second grid's boundary. Its households and their open visit go with it: the
//! first grid's phone uploads an edit it made offline before it heard (the edit lands and
//! reaches the new grid), then drops them; the second grid's phone receives them whole; a
//! first-grid device can no longer read them, nor write on top of the move; past visits stay
//! in the first grid, readable to the street.

use std::collections::HashMap;

use anyhow::{Context, Result};
use automerge::AutoCommit;
use gridwalk_client::NewVisit;
use gridwalk_shared::doc;
use gridwalk_shared::model::{Record, RecordKind};
use gridwalk_shared::wire::{Cursor, DocUpload};
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::raw::{request, RawDevice};
use gridwalk_tests::Deployment;
use serde_bytes::ByteBuf;
use serde_json::{json, Value};
use uuid::Uuid;

/// The id of the grid named `name` in `GET /api/org`.
fn grid_named(org: &Value, name: &str) -> Result<Uuid> {
    let unit = org["units"]
        .as_array()
        .context("units")?
        .iter()
        .find(|u| u["name"] == name)
        .with_context(|| format!("no grid {name}"))?;
    Ok(unit["id"].as_str().context("id")?.parse()?)
}

/// Pulls from `cursor` until done; the new cursor and every document received, as one
/// document per id.
async fn pull_docs(
    device: &RawDevice,
    mut cursor: Option<Cursor>,
    docs: &mut HashMap<Uuid, AutoCommit>,
) -> Result<(Cursor, Vec<Uuid>)> {
    let mut seen = Vec::new();
    loop {
        let reply = device.sync(&request(Vec::new(), cursor, 0)).await?;
        let body = reply.body.context("sync answered without a body")?;
        for d in &body.docs {
            seen.push(d.doc_id);
            let held = docs.entry(d.doc_id).or_default();
            doc::merge_received(held, &d.data)?;
        }
        cursor = Some(body.cursor);
        if !body.more {
            return Ok((body.cursor, seen));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_building_takes_its_households_from_the_old_grids_phones_to_the_new_ones(
) -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let org = admin.get("/api/org").await?.json;
    let old_grid = grid_named(&org, "幸福社区第一网格")?;
    let new_grid = grid_named(&org, "幸福社区第二网格")?;

    let (old_dir, new_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let old = deployment
        .enrolled_client(&server.url, "worker1", old_dir.path())
        .await?;
    let new = deployment
        .enrolled_client(&server.url, "worker2", new_dir.path())
        .await?;
    old.sync().await?;
    new.sync().await?;
    let households = old.households()?;
    assert!(households.iter().all(|h| h.grid_id == old_grid));
    let building = households
        .first()
        .context("worker1 has households")?
        .building_id;
    let moving: Vec<Uuid> = households
        .iter()
        .filter(|h| h.building_id == building)
        .map(|h| h.id)
        .collect();
    let household = moving[0];
    assert!(new.households()?.iter().all(|h| h.building_id != building));

    // A visit needing a follow-up (open: it moves) and a plain one (history: it stays).
    let visit = |note: &str, follow_up: bool| NewVisit {
        household_id: household,
        note: note.into(),
        follow_up,
        ..NewVisit::default()
    };
    let follow_up = old.add_visit(visit("老人独居，下周回访", true))?;
    let history = old.add_visit(visit("一切正常", false))?;
    old.sync().await?;

    // Another device of the first grid holds the household as it was before the move.
    let code = deployment.enroll_code("worker1")?;
    let raw = RawDevice::enroll(&server.url, &code).await?;
    let mut held = HashMap::new();
    let (cursor, _) = pull_docs(&raw, None, &mut held).await?;
    assert!(held.contains_key(&household));

    // Offline, the first grid's phone edits the household. The building's position is
    // corrected onto the other side of the road, inside the second grid's boundary: the
    // import suggests the move, and the admin makes it.
    old.set_household_field(household, "phone", "13900001111")?;
    let ring = org["units"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == new_grid.to_string()))
        .and_then(|u| u["boundary"].as_array())
        .context("the second grid's boundary")?;
    let mean = |key: &str| {
        let corners = &ring[..ring.len() - 1];
        corners.iter().filter_map(|p| p[key].as_f64()).sum::<f64>() / corners.len() as f64
    };
    let placed = admin
        .put(
            "/api/org/geometry",
            &json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
                "properties": { "id": building },
                "geometry": { "type": "Point", "coordinates": [mean("lon"), mean("lat")] } }] }),
        )
        .await?;
    assert_status(&placed, 200, "place the building");
    let suggested = placed.json["relocations"]
        .as_array()
        .context("relocations")?;
    assert_eq!(suggested.len(), 1, "{}", placed.json);
    assert_eq!(suggested[0]["building_id"], building.to_string());
    assert_eq!(suggested[0]["to_grid"], new_grid.to_string());
    let answer = admin
        .post(
            &format!("/api/org/buildings/{building}/grid"),
            &json!({ "grid_id": suggested[0]["to_grid"] }),
        )
        .await?;
    assert_status(&answer, 200, "move the building");
    assert_eq!(answer.json["moved"]["households"], moving.len());
    assert_eq!(answer.json["moved"]["visits"], 1, "{}", answer.json);
    assert_eq!(answer.json["from_grid"], old_grid.to_string());

    // The old phone's edit lands; the moved records leave it.
    let report = old.sync().await?;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(
        report.moved_out,
        moving.len() + 1,
        "households and the open visit"
    );
    let left: Vec<Uuid> = old.households()?.iter().map(|h| h.id).collect();
    assert!(moving.iter().all(|id| !left.contains(id)));
    assert!(!left.is_empty(), "the rest of the grid stays");

    // The new grid's phone receives them whole, with the edit and the open visit.
    new.sync().await?;
    let arrived: Vec<Uuid> = new.households()?.iter().map(|h| h.id).collect();
    assert!(moving.iter().all(|id| arrived.contains(id)));
    let card = new.household_card(household)?;
    assert_eq!(card.household.grid_id, new_grid);
    assert_eq!(card.household.phone, "13900001111");
    let visits: Vec<Uuid> = card.visits.iter().map(|v| v.id).collect();
    assert_eq!(
        visits,
        vec![follow_up],
        "the open visit moved, history stayed"
    );

    // The other first-grid device: the move arrives, whole documents do not.
    let (_, seen) = pull_docs(&raw, Some(cursor), &mut held).await?;
    assert!(
        seen.contains(&household),
        "the move reaches the grid it left"
    );
    let moved = doc::read(&held[&household], RecordKind::Household)?;
    assert_eq!(moved.scope(), new_grid);
    let mut asked = request(Vec::new(), None, 0);
    asked.want_full = moving.clone();
    let body = raw.sync(&asked).await?.body.context("answer")?;
    assert!(body.docs.iter().all(|d| !moving.contains(&d.doc_id)));
    let mut fresh = HashMap::new();
    pull_docs(&raw, None, &mut fresh).await?;
    assert!(moving.iter().all(|id| !fresh.contains_key(id)));
    assert!(
        fresh.contains_key(&history),
        "history stays in the first grid"
    );

    // ... nor write on top of the move.
    let document = held.get_mut(&household).context("held")?;
    let Record::Household(mut edited) = moved else {
        anyhow::bail!("not a household");
    };
    edited.phone = "13000000000".into();
    doc::write(document, &Record::Household(edited))?;
    let change = document.get_last_local_change().context("a change")?;
    let upload = DocUpload {
        doc_id: household,
        kind: RecordKind::Household,
        scope: old_grid,
        changes: vec![ByteBuf::from(change.raw_bytes().to_vec())],
    };
    let body = raw
        .sync(&request(vec![upload], None, 0))
        .await?
        .body
        .context("answer")?;
    let refusal = body.rejected.first().context("refused")?;
    assert_eq!(refusal.code, "moved", "{}", refusal.reason);
    assert!(
        refusal.server_copy.is_none(),
        "no copy for a grid that lost it"
    );
    new.sync().await?;
    assert_eq!(
        new.household_card(household)?.household.phone,
        "13900001111"
    );

    // The street still reads the history, under the grid it was made in.
    let records = admin
        .get(&format!("/api/records?kind=visit&area={old_grid}"))
        .await?;
    assert_status(&records, 200, "records");
    assert!(records.json.to_string().contains(&history.to_string()));
    // Coverage for today: the moved household counts as visited in its new grid and its
    // building, by the visits made before the move; so does the due list.
    let coverage = admin
        .get(&format!("/api/visits/coverage?area={new_grid}"))
        .await?;
    assert_status(&coverage, 200, "coverage");
    let counts_of = |list: &str, id: Uuid| {
        coverage.json[list]
            .as_array()
            .and_then(|l| l.iter().find(|u| u["id"] == id.to_string()))
            .map(|u| u["counts"].clone())
    };
    let building_counts = counts_of("buildings", building).context("the building")?;
    assert_eq!(building_counts["households"], moving.len());
    assert_eq!(building_counts["visited"], 1, "{building_counts}");
    let grid_counts = counts_of("grids", new_grid).context("the grid")?;
    assert!(grid_counts["visited"].as_u64() >= Some(1), "{grid_counts}");
    let due = admin
        .get(&format!("/api/visits/due?area={new_grid}&show=all"))
        .await?;
    let row = due.json["households"]
        .as_array()
        .and_then(|l| l.iter().find(|h| h["id"] == household.to_string()))
        .context("the household in the new grid's list")?;
    assert!(row["last_visit"].is_string(), "{row}");
    let audit = admin.get("/api/audit?action=org.building_grid").await?;
    assert_status(&audit, 200, "audit");
    assert!(audit.json.to_string().contains(&building.to_string()));
    Ok(())
}
