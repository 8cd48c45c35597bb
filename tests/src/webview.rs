//! Driving the built Gridwalk app in its real webview: an Xvfb display, `tauri-driver`
//! (which starts `WebKitWebDriver`, which starts the app) and a `fantoccini` WebDriver
//! session. Every WebDriver call has a deadline (a missing display makes new-session hang),
//! and everything started here is stopped by PID, children included.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Deadline of one WebDriver command.
const COMMAND: Duration = Duration::from_secs(30);
/// How long to wait for something to appear on screen.
pub const APPEAR: Duration = Duration::from_secs(20);

/// Runs `future` with a deadline, naming `what` when it passes.
async fn deadline<T, E: std::fmt::Display>(
    what: &str,
    limit: Duration,
    future: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(limit, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(anyhow!("{what}: {e}")),
        Err(_) => Err(anyhow!("{what}: no answer within {limit:?}")),
    }
}

/// Sends SIGTERM to `pid`, waits up to `grace`, then SIGKILLs it and the given children.
fn stop(child: &mut Child, children: &[u32], grace: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let end = Instant::now() + grace;
    while Instant::now() < end {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    for pid in children {
        if Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Every process whose ancestry leads to `root` (read from /proc).
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// A virtual X display for the app.
pub struct Xvfb {
    child: Child,
    /// `:N`
    pub display: String,
}

impl Xvfb {
    /// Starts `Xvfb :N` on the first free display number from 90 and waits for its socket.
    pub fn start() -> Result<Xvfb> {
        which("Xvfb")?;
        for n in 90..160 {
            if Path::new(&format!("/tmp/.X{n}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1400x1000x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("start Xvfb")?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if socket.exists() {
                    return Ok(Xvfb {
                        child,
                        display: format!(":{n}"),
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // lost a race for this display: try the next
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop(&mut child, &[], Duration::from_secs(1));
        }
        bail!("could not start Xvfb on any display :90–:159")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        stop(&mut self.child, &[], Duration::from_secs(2));
    }
}

/// Fails loudly when a tool the webview test needs is missing.
pub fn which(tool: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain(
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")),
        )
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            anyhow!(
                "`{tool}` is not installed: the app's end-to-end test needs xvfb, webkit2gtk-driver \
                 and `cargo install tauri-driver` (scripts/test.sh installs them)"
            )
        })
}

/// The built app (`target/<profile>/gridwalk-app`), built once if needed. Refuses an app
/// that embeds the "UI not built" placeholder.
pub fn app_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/app/index.html");
    let page = std::fs::read_to_string(&ui).unwrap_or_default();
    if page.is_empty() || page.contains("ui-not-built") {
        bail!(
            "the app UI is not built ({}): run `npm --prefix ui ci && npm --prefix ui run build:app` \
             before building the app",
            ui.display()
        );
    }
    let server = crate::bin("gridwalk-server");
    let dir = server.parent().context("binary directory")?.to_path_buf();
    if std::env::var_os("GRIDWALK_PREBUILT").is_none() {
        BUILT
            .get_or_init(|| {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let mut cmd = Command::new(cargo);
                cmd.args(["build", "-q", "-p", "gridwalk-app"]);
                if dir.file_name().is_some_and(|n| n == "release") {
                    cmd.arg("--release");
                }
                match cmd.status() {
                    Ok(s) if s.success() => Ok(()),
                    other => Err(format!("building gridwalk-app failed: {other:?}")),
                }
            })
            .clone()
            .map_err(|e| anyhow!(e))?;
    }
    let app = dir.join("gridwalk-app");
    if !app.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p gridwalk-app`",
            app.display()
        );
    }
    Ok(app)
}

/// Two distinct free loopback ports (both held while choosing, so they differ).
fn free_ports() -> Result<(u16, u16)> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// One running app instance under WebDriver control.
pub struct App {
    driver: Child,
    client: Option<Client>,
    /// Taps (clicks) made through [`App::tap`].
    pub taps: usize,
}

impl App {
    /// Starts `tauri-driver` with `env` (the app inherits it) on `xvfb`, and opens a session
    /// that launches `binary`.
    pub async fn launch(xvfb: &Xvfb, binary: &Path, env: &[(&str, String)]) -> Result<App> {
        let tauri_driver = which("tauri-driver")?;
        which("WebKitWebDriver")?;
        let (port, native) = free_ports()?;
        let mut cmd = Command::new(tauri_driver);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", &xvfb.display)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (key, value) in env {
            cmd.env(key, value);
        }
        let driver = cmd.spawn().context("start tauri-driver")?;
        let mut app = App {
            driver,
            client: None,
            taps: 0,
        };
        // tauri-driver listens at once but proxies to WebKitWebDriver, which starts beside it.
        let end = Instant::now() + Duration::from_secs(20);
        for p in [port, native] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if Instant::now() > end {
                    bail!("tauri-driver / WebKitWebDriver did not listen on {p}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary }),
        );
        caps.insert("browserName".into(), "wry".into());
        let client = deadline(
            "WebDriver new session (is DISPLAY usable?)",
            Duration::from_secs(60),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await?;
        app.client = Some(client);
        Ok(app)
    }

    fn client(&self) -> Result<&Client> {
        self.client.as_ref().context("the session is closed")
    }

    /// The first element matching `css` once it is displayed (waits up to [`APPEAR`]).
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.find_within(css, APPEAR).await
    }

    /// Like [`App::find`] with another wait.
    pub async fn find_within(&self, css: &str, limit: Duration) -> Result<Element> {
        let end = Instant::now() + limit;
        loop {
            let found =
                deadline("find", COMMAND, self.client()?.find_all(Locator::Css(css))).await?;
            for element in found {
                if deadline("is displayed", COMMAND, element.is_displayed())
                    .await
                    .unwrap_or(false)
                {
                    return Ok(element);
                }
            }
            if Instant::now() > end {
                let body = self.text("body").await.unwrap_or_default();
                bail!("`{css}` did not appear within {limit:?}; the screen shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(
            !deadline("find", COMMAND, self.client()?.find_all(Locator::Css(css)))
                .await?
                .is_empty(),
        )
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(
            deadline("find", COMMAND, self.client()?.find_all(Locator::Css(css)))
                .await?
                .len(),
        )
    }

    /// Taps the element matching `css` (scrolled into view first) and counts the tap.
    pub async fn tap(&mut self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.scroll_to(&element).await?;
        deadline(&format!("tap {css}"), COMMAND, element.click()).await?;
        self.taps += 1;
        Ok(())
    }

    async fn scroll_to(&self, element: &Element) -> Result<()> {
        let arg = serde_json::to_value(element)?;
        deadline(
            "scroll into view",
            COMMAND,
            self.client()?
                .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg]),
        )
        .await?;
        Ok(())
    }

    /// Types `text` into the field matching `css`, counted as one tap (the thumb on the
    /// field; the keys are not taps).
    pub async fn type_into(&mut self, css: &str, text: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.scroll_to(&element).await?;
        deadline(
            &format!("type into {css}"),
            COMMAND,
            element.send_keys(text),
        )
        .await?;
        self.taps += 1;
        Ok(())
    }

    /// Gives the (possibly invisible) file `<input>` matching `css` the file at `path`.
    pub async fn upload(&self, css: &str, path: &Path) -> Result<()> {
        let element = deadline("find", COMMAND, self.client()?.find(Locator::Css(css))).await?;
        let path = path.canonicalize()?.display().to_string();
        deadline(
            &format!("upload into {css}"),
            COMMAND,
            element.send_keys(&path),
        )
        .await
    }

    /// Picks the `<option>` with `value` in the `<select>` matching `css`, counted as two
    /// taps (open the list, pick the option).
    pub async fn select(&mut self, css: &str, value: &str) -> Result<()> {
        let element = self.find(css).await?;
        deadline(
            &format!("select {value}"),
            COMMAND,
            element.select_by_value(value),
        )
        .await?;
        self.taps += 2;
        Ok(())
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        let element = deadline("find", COMMAND, self.client()?.find(Locator::Css(css))).await?;
        deadline("text", COMMAND, element.text()).await
    }

    /// A DOM property (e.g. `value`) of the element matching `css`.
    pub async fn prop(&self, css: &str, name: &str) -> Result<String> {
        let element = self.find(css).await?;
        Ok(deadline("prop", COMMAND, element.prop(name))
            .await?
            .unwrap_or_default())
    }

    /// Waits until the element matching `css` shows text containing `part`.
    pub async fn wait_text(&self, css: &str, part: &str, limit: Duration) -> Result<String> {
        let end = Instant::now() + limit;
        loop {
            let text = match self.client()?.find(Locator::Css(css)).await {
                Ok(element) => deadline("text", COMMAND, element.text())
                    .await
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(part) {
                return Ok(text);
            }
            if Instant::now() > end {
                bail!("`{css}` did not show `{part}` within {limit:?}; it shows `{text}`");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Runs `script` (a function body: `return` gives the value) in the page.
    pub async fn eval(&self, script: &str) -> Result<serde_json::Value> {
        self.eval_with(script, vec![]).await
    }

    /// Runs `script` with `args` (`arguments[i]` in the page).
    pub async fn eval_with(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        deadline("execute", COMMAND, self.client()?.execute(script, args)).await
    }

    /// Runs `script`, which ends by calling its last argument with the value.
    pub async fn eval_async(&self, script: &str) -> Result<serde_json::Value> {
        let run = self.client()?.execute_async(script, vec![]);
        deadline("execute async", COMMAND, run).await
    }

    /// Waits until `script` returns `true`; says what it returned last when it does not.
    pub async fn wait_true(&self, script: &str, limit: Duration) -> Result<()> {
        let end = Instant::now() + limit;
        loop {
            let value = self.eval(script).await?;
            if value == serde_json::Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > end {
                bail!("`{script}` did not become true within {limit:?}; last: {value}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Scrolls the screen back to its top (for screenshots).
    pub async fn scroll_top(&self) -> Result<()> {
        deadline(
            "scroll to top",
            COMMAND,
            self.client()?.execute(
                "document.querySelectorAll('.content').forEach((e) => e.scrollTo(0, 0)); window.scrollTo(0, 0);",
                vec![],
            ),
        )
        .await?;
        Ok(())
    }

    /// Resizes the window (CSS pixels).
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        deadline(
            "resize",
            COMMAND,
            self.client()?.set_window_size(width, height),
        )
        .await
    }

    /// Saves a PNG of the webview to `path`.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        tokio::time::sleep(Duration::from_millis(300)).await; // let transitions settle
        let png = deadline("screenshot", COMMAND, self.client()?.screenshot()).await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    /// Ends the session (the app exits) and stops tauri-driver and everything it started.
    pub async fn close(mut self) -> Result<()> {
        let children = descendants(self.driver.id());
        if let Some(client) = self.client.take() {
            let _ = deadline("close session", COMMAND, client.close()).await;
        }
        stop(&mut self.driver, &children, Duration::from_secs(5));
        Ok(())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let children = descendants(self.driver.id());
        stop(&mut self.driver, &children, Duration::from_secs(2));
    }
}
