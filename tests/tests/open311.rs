//! Open311 GeoReport v2 over a real server: every JSON answer validates against the spec's
//! schemas (`tests/fixtures/open311/`, copied from the public schema-validation project), XML
//! answers are well-formed, refusals are Open311 error bodies with the right status, and a
//! request filed over Open311 reaches the grid's phone after sync, dispatched by the server.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use gridwalk_shared::model::{IncidentAction, OrgKind, Record};
use gridwalk_shared::workflow::SYSTEM_USER;
use gridwalk_tests::{server_cmd, Deployment};
use serde_json::{json, Value};
use uuid::Uuid;

fn fixture(name: &str) -> Result<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/open311")
        .join(name);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    Ok(serde_json::from_str(&text)?)
}

/// The spec's schemas, by the name of what they check.
struct Schemas {
    services: jsonschema::Validator,
    definition: jsonschema::Validator,
    requests: jsonschema::Validator,
    created: jsonschema::Validator,
    tokens: jsonschema::Validator,
}

fn build(schema: &Value, registry: Option<&jsonschema::Registry>) -> Result<jsonschema::Validator> {
    let mut options = jsonschema::options().should_validate_formats(true);
    if let Some(registry) = registry {
        options = options
            .with_registry(registry)
            .with_base_uri("file:///open311/index.json");
    }
    options.build(schema).map_err(|e| anyhow::anyhow!("{e}"))
}

impl Schemas {
    fn load() -> Result<Schemas> {
        let (service, request) = (fixture("service.json")?, fixture("request.json")?);
        let registry = jsonschema::Registry::new()
            .add("file:///open311/service.json", &service)?
            .add("file:///open311/request.json", &request)?
            .prepare()?;
        let swagger = fixture("swagger.json")?;
        let list_of = |definition: &str| json!({"type": "array", "items": swagger["definitions"][definition]});
        Ok(Schemas {
            services: build(&fixture("services.json")?, Some(&registry))?,
            definition: build(&fixture("service-definition.json")?, None)?,
            requests: build(&fixture("requests.json")?, Some(&registry))?,
            created: build(&list_of("RequestResponse"), None)?,
            tokens: build(&list_of("TokenResponse"), None)?,
        })
    }
}

fn check(validator: &jsonschema::Validator, value: &Value, what: &str) -> Result<()> {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    if !errors.is_empty() {
        bail!("{what} does not validate: {errors:?}\n{value:#}");
    }
    Ok(())
}

/// The root element of a well-formed XML document.
fn xml_root(body: &str) -> Result<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut root = None;
    loop {
        match reader.read_event()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if root.is_none() =>
            {
                root = Some(e.name().0.to_string());
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    root.context("no root element")
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn get(&self, path: &str) -> Result<(u16, String)> {
        let answer = self.http.get(format!("{}{path}", self.base)).send().await?;
        Ok((answer.status().as_u16(), answer.text().await?))
    }

    async fn json(&self, path: &str) -> Result<Value> {
        let (status, body) = self.get(path).await?;
        if status != 200 {
            bail!("GET {path}: {status} {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<(u16, String)> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let answer = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        Ok((answer.status().as_u16(), answer.text().await?))
    }

    /// Files a request (`POST requests.json`).
    async fn file(&self, form: &[(&str, &str)]) -> Result<(u16, String)> {
        self.post("/requests.json", form).await
    }

    /// Expects an Open311 error body with `status` (JSON, and the XML variant at `.xml`).
    async fn refused(&self, status: u16, answer: (u16, String), what: &str) -> Result<()> {
        let (got, body) = answer;
        assert_eq!(got, status, "{what}: {body}");
        let errors: Value =
            serde_json::from_str(&body).with_context(|| format!("{what}: {body}"))?;
        assert_eq!(errors[0]["code"], json!(status), "{what}: {body}");
        assert!(
            errors[0]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{what}"
        );
        Ok(())
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A filing form with `key` and `env.garbage`, and `extra` fields.
fn form<'a>(key: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("api_key", key), ("service_code", "env.garbage")];
    f.extend_from_slice(extra);
    f
}

fn queued_id(list: &Value) -> Result<Uuid> {
    Ok(list[0]["service_request_id"]
        .as_str()
        .context("id")?
        .parse()?)
}

fn last_line(out: &str) -> Result<String> {
    out.lines()
        .last()
        .map(|l| l.trim().to_string())
        .context("printed nothing")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_files_and_tracks_requests() -> Result<()> {
    let schemas = Schemas::load()?;
    let wrong = json!([{ "service_request_id": "1", "status": "pending", "service_code": "x",
        "requested_datetime": "yesterday" }]);
    assert!(
        !schemas.requests.is_valid(&wrong),
        "the schemas check what they should"
    );
    let deployment = Deployment::seeded()?;
    let data = deployment.data();
    let key = last_line(&server_cmd(&[
        "open311-key",
        "--data",
        &data,
        "--name",
        "city",
    ])?)?;
    let old = last_line(&server_cmd(&[
        "open311-key",
        "--data",
        &data,
        "--name",
        "old",
    ])?)?;
    server_cmd(&["open311-key", "--data", &data, "--name", "old", "--revoke"])?;
    let server = deployment.start()?;
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("{}/open311/v2", server.url),
    };

    // Discovery and services: public.
    let discovery = api.json("/discovery.json").await?;
    assert!(discovery["endpoints"][0]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/open311/v2")));
    let services = api.json("/services.json").await?;
    check(&schemas.services, &services, "services")?;
    let garbage = services
        .as_array()
        .and_then(|s| s.iter().find(|s| s["service_code"] == "env.garbage"))
        .context("env.garbage is a service")?;
    assert_eq!(garbage["type"], "realtime");
    assert!(garbage["group"].as_str().is_some_and(|g| !g.is_empty()));
    let definition = api.json("/services/env.garbage.json").await?;
    check(&schemas.definition, &definition, "service definition")?;
    api.refused(
        404,
        api.get("/services/no.such.json").await?,
        "unknown service",
    )
    .await?;

    // Filing: refusals first.
    let worker = deployment.device(&server.url, "worker1").await?;
    worker.client.sync().await?;
    let reference = worker.client.reference()?.context("no reference")?;
    let users = deployment.users()?;
    let grid: Uuid = users
        .iter()
        .find(|(login, _, _)| login == "worker1")
        .context("worker1")?
        .2
        .parse()?;
    let building = reference.buildings_in(grid).next().context("a building")?;
    let address = format!("{}2单元301", building.address);
    let form = |extra: &[(&'static str, &'static str)]| form(&key, extra);
    let point = &[("lat", "39.91"), ("long", "116.40")];
    let mut no_code = form(point);
    no_code.retain(|(k, _)| *k != "service_code");
    api.refused(400, api.file(&no_code).await?, "missing service_code")
        .await?;
    let mut unknown = form(point);
    unknown[1] = ("service_code", "no.such");
    api.refused(404, api.file(&unknown).await?, "unknown service_code")
        .await?;
    api.refused(
        400,
        api.file(&form(&[("lat", "ninety"), ("long", "116.4")]))
            .await?,
        "bad lat",
    )
    .await?;
    api.refused(
        400,
        api.file(&form(&[("lat", "91"), ("long", "116.4")])).await?,
        "lat out of range",
    )
    .await?;
    api.refused(400, api.file(&form(&[])).await?, "no location")
        .await?;
    let mut no_key = form(point);
    no_key.remove(0);
    api.refused(403, api.file(&no_key).await?, "no key").await?;
    let mut revoked = form(point);
    revoked[0] = ("api_key", old.as_str());
    api.refused(403, api.file(&revoked).await?, "revoked key")
        .await?;
    let huge = "垃".repeat(12_000);
    let mut too_big = form(point);
    too_big.push(("description", huge.as_str()));
    let too_big = api.file(&too_big).await?;
    api.refused(413, too_big, "a body over 32 KiB").await?;
    let (status, body) = api
        .post("/requests.xml", &[("service_code", "env.garbage")])
        .await?;
    assert_eq!(status, 403, "{body}");
    assert_eq!(xml_root(&body)?, "errors");

    // Filed by address: the grid with that building; answered with its id and a token.
    let mut filed = form(point);
    filed.extend([
        ("address_string", address.as_str()),
        ("description", "垃圾桶满溢，无人清运"),
        ("email", "resident@example.com"),
        ("media_url", "https://example.com/photo.jpg"),
    ]);
    let (status, body) = api.file(&filed).await?;
    assert_eq!(status, 200, "{body}");
    let created: Value = serde_json::from_str(&body)?;
    check(&schemas.created, &created, "POST requests")?;
    let id: Uuid = created[0]["service_request_id"]
        .as_str()
        .context("id")?
        .parse()?;
    let token = created[0]["token"].as_str().context("token")?.to_string();

    // It reaches the grid's phone, reported by the server and dispatched by the rules.
    worker.client.sync().await?;
    let view = worker
        .client
        .record(id)?
        .context("the phone has the request")?;
    let Record::Incident(incident) = view.record else {
        bail!("not an incident");
    };
    assert_eq!(incident.grid_id, grid);
    assert_eq!(incident.reporter_id, SYSTEM_USER);
    assert_eq!(incident.category, "env.garbage");
    let dispatch = incident
        .events
        .iter()
        .find(|e| matches!(e.action, IncidentAction::Dispatch { .. }))
        .context("the server dispatched it")?;
    assert_eq!(dispatch.by, SYSTEM_USER);
    assert!(
        !format!("{incident:?}").contains("resident@example.com"),
        "contact stays on the server"
    );

    // Tracking: by list, by id, by token; times carry the deployment's offset.
    let q = format!("api_key={key}");
    let list = api.json(&format!("/requests.json?{q}")).await?;
    check(&schemas.requests, &list, "requests")?;
    let mine = list
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|r| r["service_request_id"] == json!(id.to_string()))
        })
        .context("listed")?
        .clone();
    assert_eq!(mine["status"], "open");
    assert_eq!(mine["address"], json!(address));
    assert_eq!(mine["agency_responsible"], "城管科");
    for field in [
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    ] {
        let time = mine[field]
            .as_str()
            .with_context(|| format!("{field}: {mine}"))?;
        assert!(time.ends_with("+08:00"), "{field} = {time}");
    }
    let one = api.json(&format!("/requests/{id}.json?{q}")).await?;
    check(&schemas.requests, &one, "requests/{id}")?;
    assert_eq!(one[0]["service_request_id"], json!(id.to_string()));
    let tokens = api.json(&format!("/tokens/{token}.json")).await?;
    check(&schemas.tokens, &tokens, "tokens/{token}")?;
    assert_eq!(tokens[0]["service_request_id"], json!(id.to_string()));

    // Filters.
    let by_id = api
        .json(&format!(
            "/requests.json?{q}&service_request_id={id},{}",
            Uuid::now_v7()
        ))
        .await?;
    assert_eq!(by_id.as_array().map(Vec::len), Some(1));
    let closed = api
        .json(&format!("/requests.json?{q}&status=closed"))
        .await?;
    check(&schemas.requests, &closed, "closed requests")?;
    assert!(closed
        .as_array()
        .is_some_and(|l| l.iter().all(|r| r["status"] == "closed")));
    let other_code = api
        .json(&format!("/requests.json?{q}&service_code=no.such"))
        .await?;
    assert_eq!(other_code, json!([]));
    let future = api
        .json(&format!(
            "/requests.json?{q}&start_date=2099-01-01T00:00:00%2B08:00&end_date=2099-01-02"
        ))
        .await?;
    assert_eq!(future, json!([]));
    for (path, what) in [
        (format!("/requests.json?{q}&status=pending"), "bad status"),
        (
            format!("/requests.json?{q}&start_date=2020-01-01&end_date=2021-01-01"),
            "span",
        ),
        (
            format!("/requests.json?{q}&start_date=yesterday"),
            "bad date",
        ),
        ("/requests.json".to_string(), "list without a key"),
    ] {
        let status = if path.contains("api_key") { 400 } else { 403 };
        api.refused(status, api.get(&path).await?, what).await?;
    }
    api.refused(
        404,
        api.get(&format!("/requests/{}.json?{q}", Uuid::now_v7()))
            .await?,
        "no such id",
    )
    .await?;
    api.refused(404, api.get("/tokens/nope.json").await?, "no such token")
        .await?;

    // XML variants.
    for (path, root) in [
        ("/discovery.xml".to_string(), "discovery"),
        ("/services.xml".to_string(), "services"),
        (
            "/services/env.garbage.xml".to_string(),
            "service_definition",
        ),
        (format!("/requests.xml?{q}"), "service_requests"),
        (format!("/requests/{id}.xml?{q}"), "service_requests"),
        (format!("/tokens/{token}.xml"), "service_requests"),
    ] {
        let (status, body) = api.get(&path).await?;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(xml_root(&body)?, root, "{path}");
    }
    let (_, body) = api.get(&format!("/requests/{id}.xml?{q}")).await?;
    assert!(
        body.contains(&format!("<service_request_id>{id}</service_request_id>")),
        "{body}"
    );

    // Lat/long only: the first community's queue grid; a plain POST in XML.
    let (status, body) = api.post("/requests.xml", &form(point)).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(xml_root(&body)?, "service_requests");
    let (_, rest) = body.split_once("<service_request_id>").context("an id")?;
    let queued: Uuid = rest.split('<').next().context("an id")?.parse()?;
    let queued = api.json(&format!("/requests/{queued}.json?{q}")).await?;
    assert_eq!(queued[0]["lat"], json!(39.91));
    assert_eq!(
        queued[0]["agency_responsible"], "城管科",
        "routed by the same rule"
    );
    let first_community = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Community)
        .context("a community")?;
    let queue_grid = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Grid && reference.is_within(u.id, first_community.id))
        .context("a grid")?;
    worker.client.sync().await?;
    let on_phone = worker.client.record(queued_id(&queued)?)?;
    // worker1 sees it exactly when worker1's grid is that queue grid.
    assert_eq!(
        on_phone.map(|v| v.record.scope()),
        (grid == queue_grid.id).then_some(queue_grid.id),
        "lat/long alone: the first community's first grid"
    );
    Ok(())
}
