//! `/admin`: the built admin UI (`npm run build:admin` writes `ui/dist/admin`), served from
//! a folder chosen at start-up (`serve --admin-ui DIR`). Without one, a page says how to
//! build it; the API works either way.

use std::path::{Component, Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::store::AdminStore;

/// Where the built admin UI is looked for when no folder is given: `ui/dist/admin` under the
/// working directory, or under an ancestor of the executable (a checkout's `target/…`).
pub fn default_ui_dir() -> Option<PathBuf> {
    let relative = Path::new("ui").join("dist").join("admin");
    let from_cwd = std::env::current_dir().ok().map(|d| d.join(&relative));
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(4)
            .map(|a| a.join(&relative))
            .find(|p| p.join("index.html").is_file())
    });
    from_cwd
        .filter(|p| p.join("index.html").is_file())
        .or(from_exe)
}

/// The `/admin` routes.
pub fn router<S: AdminStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/admin", get(asset::<S>))
        .route("/admin/", get(asset::<S>))
        .route("/admin/{*path}", get(asset::<S>))
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Gridwalk 管理后台</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>管理后台尚未构建 / admin UI not built</h1>
<p>在仓库的 <code>ui/</code> 目录运行 <code>npm ci &amp;&amp; npm run build:admin</code>，然后重启服务器，
或用 <code>gridwalk-server serve --admin-ui DIR</code> 指定构建目录。</p>
<p>Run <code>npm ci &amp;&amp; npm run build:admin</code> in <code>ui/</code>, then restart the
server, or point it at the build with <code>gridwalk-server serve --admin-ui DIR</code>.
The JSON API at <a href="/api/openapi.json">/api/openapi.json</a> works without it.</p>
</body></html>"#;

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// A file of the built UI, `index.html` for the folder itself, or the "not built" page.
async fn asset<S: AdminStore>(State(state): State<AppState<S>>, request: Request) -> Response {
    let Some(root) = state.admin.ui_dir.as_deref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response();
    };
    let rest = request
        .uri()
        .path()
        .trim_start_matches("/admin")
        .trim_start_matches('/');
    let relative = Path::new(rest);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (path, immutable) = if rest.is_empty() {
        (root.join("index.html"), false)
    } else {
        (root.join(relative), rest.starts_with("assets/"))
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let cache = if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, content_type(&path)),
                    (header::CACHE_CONTROL, cache),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) if rest.is_empty() => {
            (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
