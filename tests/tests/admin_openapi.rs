//! The admin API's OpenAPI document against a real seeded server: it parses as OpenAPI 3,
//! every `$ref` resolves, and it lists exactly the routes served, each of which answers.

use std::collections::BTreeSet;

use anyhow::Result;
use gridwalk_store_sqlite::SqliteStore;
use gridwalk_tests::admin::{assert_status, fill_path, schema_refs, AdminSession};
use gridwalk_tests::Deployment;
use reqwest::Method;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_matches_the_served_routes() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let anon = AdminSession::anonymous(&server.url);
    let answer = anon.get("/api/openapi.json").await?;
    assert_status(&answer, 200, "openapi");
    let doc = answer.json;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    // It parses as an OpenAPI 3 document.
    let parsed: openapiv3::OpenAPI = serde_json::from_value(doc.clone())?;
    assert!(!parsed.paths.paths.is_empty());
    // Every $ref resolves.
    let mut refs = Vec::new();
    schema_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {r}"
        );
    }
    // Documented operations are exactly the served ones...
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, _)| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = gridwalk_server::admin::operations::<SqliteStore>()
        .into_iter()
        .map(|op| (op.method.to_string(), op.path.to_string()))
        .collect();
    assert_eq!(documented, served);
    // ...and each of them answers (no 404/405) on the real server.
    for (method, path) in &documented {
        let method = Method::from_bytes(method.as_bytes())?;
        let a = anon
            .request(
                method.clone(),
                &fill_path(path, NIL),
                Some((b"{}".to_vec(), "application/json")),
                false,
            )
            .await?;
        assert!(
            ![404, 405].contains(&a.status),
            "{method} {path} is documented but not served"
        );
    }
    // Nothing undocumented is served under /api/.
    assert_eq!(anon.get("/api/nothing-here").await?.status, 404);
    Ok(())
}
