//! The generated bindings, the command list and the capability must agree.

use std::path::{Path, PathBuf};

use specta_typescript::Typescript;

const COMMANDS: &[&str] = include!("commands/names.rs");

fn bindings_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts")
}

fn generate() -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bindings.ts");
    crate::specta_builder::<tauri::Wry>()
        .export(
            Typescript::default().header("// Generated from Rust by tauri-specta (app/tauri): do not edit.\n// Regenerate: UPDATE_BINDINGS=1 cargo test -p gridwalk-app bindings\n"),
            &path,
        )
        .unwrap();
    std::fs::read_to_string(path).unwrap()
}

/// `UPDATE_BINDINGS=1 cargo test -p gridwalk-app bindings` rewrites the file.
#[test]
fn bindings_are_current() {
    let fresh = generate();
    let path = bindings_path();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/lib/bindings.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p gridwalk-app bindings`"
    );
}

#[test]
fn every_command_is_listed_and_granted() {
    let bindings = generate();
    for name in COMMANDS {
        assert!(
            bindings.contains(&format!("\"{name}\"")),
            "`{name}` is in commands/names.rs but not registered in specta_builder"
        );
    }
    let invoked = bindings.matches("__TAURI_INVOKE<").count();
    assert_eq!(
        invoked,
        COMMANDS.len(),
        "commands/names.rs and specta_builder differ"
    );

    let capability = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/default.json"),
    )
    .unwrap();
    let capability: serde_json::Value = serde_json::from_str(&capability).unwrap();
    let granted: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| !p.starts_with("core:"))
        .collect();
    let wanted: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(
        granted, wanted,
        "capabilities/default.json must grant exactly the commands"
    );
}
