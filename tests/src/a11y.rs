//! Accessibility checks of the app's screens in its real webview: axe-core's WCAG 2.1 A and AA
//! rules (the same scan the admin web's browser test runs, `tests/web/axe-run.js`), and touch
//! targets of at least [`MIN_TARGET_PX`] for a thumb in the field.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::webview::App;

/// The smallest width and height of anything a grid worker taps, in CSS pixels.
pub const MIN_TARGET_PX: u32 = 44;

/// axe-core's source, read once from `tests/web/node_modules` (`npm ci` there installs it).
fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceLock<String> = OnceLock::new();
    if let Some(source) = SOURCE.get() {
        return Ok(source);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/node_modules/axe-core/axe.min.js");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} (run `npm ci` in tests/web)", path.display()))?;
    Ok(SOURCE.get_or_init(|| text))
}

/// The scan (shared with the admin web's browser test), called the WebDriver way.
fn run_axe() -> String {
    const SCAN: &str = include_str!("../web/axe-run.js");
    format!(
        "const done = arguments[arguments.length - 1];\n({SCAN})().then(done, (e) => done([`axe failed: ${{e}}`]));"
    )
}

/// Visible controls smaller than the minimum in either direction. A link inside running text
/// is exempt (WCAG's inline exception); so are hidden file inputs behind their labels.
const SMALL_TARGETS: &str = r#"
const min = arguments[0];
const controls = document.querySelectorAll(
  'button, a[href], input:not([type=hidden]):not([type=file]), select, textarea, [role=button], [role=tab], summary');
const small = [];
for (const el of controls) {
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
  if (el.tagName === 'A' && style.display === 'inline') continue;
  // A checkbox or radio counts with its label when the label is what the thumb hits.
  const label = el.closest('label');
  const target = (el.type === 'checkbox' || el.type === 'radio') && label ? label.getBoundingClientRect() : box;
  if (target.width + 0.5 < min || target.height + 0.5 < min) {
    const name = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '');
    small.push(`target-size-${min}: ${name} is ${Math.round(target.width)}×${Math.round(target.height)} px`);
  }
}
return small;
"#;

/// What fails on the screen shown now, each line prefixed with `screen`.
pub async fn scan(app: &App, screen: &str) -> Result<Vec<String>> {
    if app.eval("return typeof window.axe").await? != "object" {
        app.eval(axe_source()?).await.context("inject axe-core")?;
    }
    let mut found: Vec<String> = serde_json::from_value(app.eval_async(&run_axe()).await?)?;
    let small = app
        .eval_with(SMALL_TARGETS, vec![MIN_TARGET_PX.into()])
        .await?;
    found.extend(serde_json::from_value::<Vec<String>>(small)?);
    Ok(found
        .into_iter()
        .map(|f| format!("{screen}: {f}"))
        .collect())
}
