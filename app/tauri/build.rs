fn main() {
    ui_placeholder();
    let commands: &[&str] = include!("src/commands/names.rs");
    let manifest = tauri_build::AppManifest::new().commands(commands);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}

/// `tauri::generate_context!` embeds `ui/dist/app` and fails to compile when it is missing.
/// So that `cargo build --workspace` works before the UI is built, write a page that says so;
/// `npm --prefix ui run build:app` replaces it and the next cargo build embeds the real UI.
fn ui_placeholder() {
    let dist = std::path::Path::new("../../ui/dist/app");
    println!("cargo:rerun-if-changed=../../ui/dist/app");
    if dist.join("index.html").exists() {
        return;
    }
    std::fs::create_dir_all(dist).expect("create ui/dist/app");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><meta charset=utf-8><title>Gridwalk</title>\
         <p id=ui-not-built>界面尚未构建 / UI not built: run <code>npm --prefix ui ci &amp;&amp; \
         npm --prefix ui run build:app</code>, then build the app again.</p>",
    )
    .expect("write ui/dist/app/index.html");
}
