//! The OpenAPI document's schemas are generated from the admin API's Rust types (the same
//! ones `ui/src/admin/api.gen.ts` is generated from): every schema an operation refers to
//! exists and is valid JSON Schema, real answers of a seeded server with weeks of field work
//! validate against the schema their operation documents, and wrong answers do not.

use anyhow::{bail, Context, Result};
use gridwalk_store_sqlite::SqliteStore;
use gridwalk_tests::admin::schema_refs;
use gridwalk_tests::admin::{AdminSession, DemoIds, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::{json, Value};

/// A JSON pointer segment (`/` and `~` escaped).
fn segment(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

/// A validator of the JSON schema at `pointer` in the document (resolving its `$ref`s there).
fn validator(doc: &Value, pointer: &str) -> Result<jsonschema::Validator> {
    let mut root = doc.clone();
    root["$ref"] = json!(format!("#{pointer}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .map_err(|e| anyhow::anyhow!("{pointer}: {e}"))
}

/// The validator of a GET's 200 answer, as documented.
fn answer_of(doc: &Value, path: &str) -> Result<jsonschema::Validator> {
    validator(
        doc,
        &format!(
            "/paths/{}/get/responses/200/content/application~1json/schema",
            segment(path)
        ),
    )
}

fn check(validator: &jsonschema::Validator, value: &Value, what: &str) -> Result<()> {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        bail!("{what} does not validate: {errors:#?}");
    }
    Ok(())
}

#[test]
fn every_schema_an_operation_names_exists_and_compiles() -> Result<()> {
    let doc = gridwalk_server::admin::openapi_document::<SqliteStore>();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"]
        .as_object()
        .context("components.schemas")?;
    let mut named = Vec::new();
    schema_refs(&doc["paths"], &mut named);
    schema_refs(&doc["components"], &mut named);
    assert!(named.len() > 50, "operations refer to schemas by name");
    for r in &named {
        let name = r
            .strip_prefix("#/components/schemas/")
            .with_context(|| format!("{r} is not a component"))?;
        assert!(schemas.contains_key(name), "dangling {r}");
    }
    // The bodies of the admin web's main pages are there under their Rust names.
    for name in [
        "SessionInfo",
        "UserRow",
        "NewUser",
        "OrgTree",
        "ReferenceView",
        "Dashboard",
        "QueueItem",
        "EventRequest",
        "IncidentAction",
        "EvidenceRecord",
        "MissingBlob",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "{name} is missing");
    }
    // Each one is a valid JSON Schema (2020-12, as OpenAPI 3.1 uses).
    for name in schemas.keys() {
        validator(&doc, &format!("/components/schemas/{}", segment(name)))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_validate_against_their_documented_schemas() -> Result<()> {
    let deployment = Deployment::seeded()?;
    gridwalk_tests::server_cmd(&[
        "seed-activity",
        "--data",
        &deployment.data(),
        "--days",
        "14",
    ])?;
    let server = deployment.start()?;
    let doc = AdminSession::anonymous(&server.url)
        .get("/api/openapi.json")
        .await?
        .json;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let grid = ids.grids.first().context("a grid")?;

    // (documented path, path asked for, who asks)
    let households = format!("/api/households?grid={grid}");
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let asks: Vec<(&str, &str, &AdminSession)> = vec![
        ("/api/session", "/api/session", &admin),
        ("/api/org", "/api/org", &admin),
        ("/api/users", "/api/users", &admin),
        ("/api/devices", "/api/devices", &admin),
        ("/api/households", &households, &admin),
        ("/api/reference", "/api/reference", &admin),
        ("/api/dashboard", "/api/dashboard", &admin),
        ("/api/audit", "/api/audit", &admin),
        ("/api/records", "/api/records", &admin),
        ("/api/queue", "/api/queue", &admin),
        ("/api/queue", "/api/queue", &dept),
        ("/api/blobs/missing", "/api/blobs/missing", &admin),
    ];
    for (documented, path, who) in asks {
        let answer = who.get(path).await?;
        assert_eq!(answer.status, 200, "{path}: {}", answer.json);
        check(&answer_of(&doc, documented)?, &answer.json, path)?;
    }

    // A write: the body sent and the answer, each against its documented schema.
    let new_unit = json!({ "name": "第四网格", "parent": ids.communities[0] });
    let units = "/paths/~1api~1org~1units/post";
    let body = validator(
        &doc,
        &format!("{units}/requestBody/content/application~1json/schema"),
    )?;
    check(&body, &new_unit, "a new unit")?;
    assert!(!body.is_valid(&json!({ "name": "第四网格" })), "no parent");
    let added = admin.post("/api/org/units", &new_unit).await?;
    assert_eq!(added.status, 200, "{}", added.json);
    let answer = validator(
        &doc,
        &format!("{units}/responses/200/content/application~1json/schema"),
    )?;
    check(&answer, &added.json, "the new unit")?;

    // The answers had something in them to check.
    let queue = admin.get("/api/queue").await?.json;
    let item = queue["items"][0].clone();
    assert!(
        item["record"]["events"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "the queue lists incidents with their timelines: {queue:#}"
    );
    let records = admin.get("/api/records").await?.json;
    assert!(records.as_array().is_some_and(|r| !r.is_empty()));

    // Errors are the documented error body.
    let refused = AdminSession::anonymous(&server.url)
        .get("/api/users")
        .await?;
    assert_eq!(refused.status, 401);
    let error = validator(
        &doc,
        "/paths/~1api~1users/get/responses/401/content/application~1json/schema",
    )?;
    check(&error, &refused.json, "401")?;

    // And the schemas check what they should: a wrong box, a missing field, a null where
    // a list belongs.
    let item_schema = validator(&doc, "/components/schemas/QueueItem")?;
    check(&item_schema, &item, "a queue item")?;
    let mut wrong = item.clone();
    wrong["box"] = json!("nowhere");
    assert!(!item_schema.is_valid(&wrong), "an unknown box");
    let mut wrong = item.clone();
    wrong.as_object_mut().context("item")?.remove("status");
    assert!(!item_schema.is_valid(&wrong), "no status");
    let mut wrong = item;
    wrong["record"]["events"] = Value::Null;
    assert!(!item_schema.is_valid(&wrong), "no event list");
    assert!(
        !error.is_valid(&json!({ "code": "unauthorized" })),
        "no message"
    );
    Ok(())
}
