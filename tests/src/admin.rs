//! Helpers for the admin API and admin web tests: a signed-in HTTP session (cookie + CSRF
//! token), and running the browser script.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use reqwest::Method;
use serde_json::Value;

/// Password of the demo's `admin`, `dept1` and `dept2` (set by `seed-demo`).
pub const DEMO_PASSWORD: &str = "gridwalk-demo";

/// An answer: status and body (JSON when it parses, else `Value::Null`).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub json: Value,
    /// Raw body.
    pub bytes: Vec<u8>,
}

/// Panics (naming `what` and showing the body) unless `answer` has `status`.
pub fn assert_status(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.json);
}

impl Answer {
    /// The error body's `code`.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
}

/// A browser-like session with the admin API.
#[derive(Clone)]
pub struct AdminSession {
    /// HTTP client.
    pub http: reqwest::Client,
    /// Server base URL.
    pub url: String,
    /// `gw_session=…` (empty: anonymous).
    pub cookie: String,
    /// CSRF token.
    pub csrf: String,
    /// API token sent as `Authorization: Bearer` (empty: none).
    pub bearer: String,
    /// The sign-in answer.
    pub info: Value,
}

impl AdminSession {
    /// A session that has not signed in.
    pub fn anonymous(url: &str) -> AdminSession {
        AdminSession {
            http: reqwest::Client::new(),
            url: url.to_string(),
            cookie: String::new(),
            csrf: String::new(),
            bearer: String::new(),
            info: Value::Null,
        }
    }

    /// A caller with an API token instead of a session (another system).
    pub fn with_token(url: &str, token: &str) -> AdminSession {
        AdminSession {
            bearer: token.to_string(),
            ..Self::anonymous(url)
        }
    }

    /// Signs in; fails unless the server says 200.
    pub async fn sign_in(url: &str, login: &str, password: &str) -> Result<AdminSession> {
        let anon = Self::anonymous(url);
        let reply = anon
            .http
            .post(format!("{url}/api/session"))
            .json(&serde_json::json!({ "login": login, "password": password }))
            .send()
            .await?;
        let status = reply.status().as_u16();
        let cookie = reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gw_session="))
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .to_string();
        let info: Value = reply.json().await.unwrap_or(Value::Null);
        if status != 200 || cookie.is_empty() {
            bail!("sign-in as {login} failed: {status} {info}");
        }
        Ok(AdminSession {
            csrf: info["csrf"].as_str().unwrap_or("").to_string(),
            cookie,
            info,
            ..anon
        })
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> String {
        self.info["user"]["id"].as_str().unwrap_or("").to_string()
    }

    /// The id of the user with this login, as `GET /api/users` lists it.
    pub async fn id_of(&self, login: &str) -> Result<String> {
        let users = self.get("/api/users").await?.json;
        users
            .as_array()
            .and_then(|u| u.iter().find(|u| u["login"] == login))
            .and_then(|u| u["id"].as_str())
            .map(str::to_string)
            .with_context(|| format!("no user {login}"))
    }

    /// Sends a request with the cookie and (unless `csrf` is false) the CSRF token.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<(Vec<u8>, &str)>,
        csrf: bool,
    ) -> Result<Answer> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if !self.cookie.is_empty() {
            req = req.header("cookie", &self.cookie);
        }
        if !self.bearer.is_empty() {
            req = req.bearer_auth(&self.bearer);
        }
        if csrf && !self.csrf.is_empty() {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some((bytes, content_type)) = body {
            req = req.header("content-type", content_type).body(bytes);
        }
        let reply = req.send().await.context("admin API request")?;
        let status = reply.status().as_u16();
        let bytes = reply.bytes().await?.to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            json,
            bytes,
        })
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Result<Answer> {
        self.request(Method::GET, path, None, true).await
    }

    /// A JSON request with the CSRF token.
    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Answer> {
        self.request(
            method,
            path,
            Some((serde_json::to_vec(body)?, "application/json")),
            true,
        )
        .await
    }

    /// POST of a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Answer> {
        self.send(Method::POST, path, body).await
    }

    /// PUT of a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Answer> {
        self.send(Method::PUT, path, body).await
    }

    /// POST of a file.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> Result<Answer> {
        self.request(Method::POST, path, Some((bytes, content_type)), true)
            .await
    }
}

/// Ids from the demo reference data, looked up by name.
pub struct DemoIds {
    /// The street.
    pub street: String,
    /// 幸福社区, 光明社区.
    pub communities: [String; 2],
    /// Grids, three per community.
    pub grids: Vec<String>,
}

impl DemoIds {
    /// Reads them from `GET /api/org` as the street admin.
    pub async fn read(admin: &AdminSession) -> Result<DemoIds> {
        let org = admin.get("/api/org").await?.json;
        let units = org["units"].as_array().context("units")?;
        let of = |kind: &str| -> Vec<String> {
            units
                .iter()
                .filter(|u| u["kind"] == kind)
                .filter_map(|u| u["id"].as_str().map(str::to_string))
                .collect()
        };
        let communities = of("community");
        Ok(DemoIds {
            street: of("street").first().cloned().context("street")?,
            communities: [communities[0].clone(), communities[1].clone()],
            grids: of("grid"),
        })
    }
}

/// The Node.js browser driver beside this crate (`tests/web/`), if Chromium, Node and its
/// modules are installed; the reason it is not otherwise.
pub fn browser_driver() -> std::result::Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return Err("no /usr/bin/chromium (apt-get install chromium)".into());
    }
    if !dir.join("node_modules").join("playwright-core").exists() {
        return Err(format!(
            "no playwright-core in {} (npm ci there)",
            dir.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("no node".into());
    }
    Ok(dir.join("admin.mjs"))
}

/// Runs one phase of the admin web's browser script (from [`browser_driver`]) signed in as
/// `login`; its last stdout line is JSON.
pub fn browser_phase(
    driver: &Path,
    login: &str,
    name: &str,
    url: &str,
    out: &Path,
    arg: Option<&str>,
) -> anyhow::Result<Value> {
    let mut cmd = Command::new("node");
    cmd.arg(driver)
        .args([name, url])
        .arg(out)
        .env("ADMIN_LOGIN", login);
    if let Some(arg) = arg {
        cmd.arg(arg);
    }
    let output = cmd.output().context("run node")?;
    if !output.status.success() {
        anyhow::bail!(
            "browser phase {name} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or("null");
    Ok(serde_json::from_str(last)?)
}

/// The browser script and the built admin UI (`ui/dist/admin`) for a browser test, or `None`
/// (after saying SKIPPED and why) when Chromium, the Node modules or the UI are missing —
/// an error instead when `GRIDWALK_REQUIRE_BROWSER=1` (CI).
pub fn admin_browser(test: &str) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("ui")
        .join("dist")
        .join("admin");
    match browser_driver() {
        Ok(driver) if ui.join("index.html").is_file() => Ok(Some((driver, ui))),
        other => {
            let why = other
                .err()
                .unwrap_or_else(|| format!("{} is not built (npm run build:admin)", ui.display()));
            if std::env::var("GRIDWALK_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                anyhow::bail!("browser test required but cannot run: {why}");
            }
            eprintln!("SKIPPED {test}: {why}");
            Ok(None)
        }
    }
}

/// A seeded deployment served with the built admin UI `ui` on a free loopback port.
pub fn serve_admin(ui: &Path) -> Result<(crate::Deployment, crate::Server)> {
    serve_with_activity(ui, 0)
}

/// A seeded deployment with `days` of demo field work (so queues and dashboards have rows;
/// none when 0),
/// served with the built admin UI `ui` on a free loopback port.
pub fn serve_with_activity(ui: &Path, days: u32) -> Result<(crate::Deployment, crate::Server)> {
    let deployment = crate::Deployment::seeded()?;
    let data = deployment.data();
    if days > 0 {
        crate::server_cmd(&[
            "seed-activity",
            "--data",
            &data,
            "--days",
            &days.to_string(),
        ])?;
    }
    let ui = ui.to_string_lossy().into_owned();
    let server = crate::Server::start_with(&data, "127.0.0.1:0", &["--admin-ui", &ui])?;
    Ok((deployment, server))
}

/// `path` (an admin route such as `/api/users/{id}`) with every `{param}` filled with `value`.
pub fn fill_path(path: &str, value: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { value } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `$ref` under `value` (an OpenAPI document or a part of it), in document order.
pub fn schema_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => schema_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| schema_refs(v, out)),
        _ => {}
    }
}
