//! The admin web's TypeScript types (`ui/src/admin/api.gen.ts`) are generated from the same
//! Rust types as `/api/openapi.json`; this test fails while the checked-in file is stale.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use specta::datatype::DataType;
use specta::{Format, FormatError, Types};
use specta_typescript::Typescript;
use specta_util::Remapper;

use gridwalk_store_sqlite::SqliteStore;

const HEADER: &str =
    "// Generated from Rust by specta (sync-server/src/admin/bindings.rs): do not edit.\n\
// Regenerate: UPDATE_BINDINGS=1 cargo test -p gridwalk-server bindings\n";

/// serde's rules, then integers as `number` (ids and epoch milliseconds fit a double, as in
/// the app's bindings).
struct AdminFormat(Remapper);

impl Format for AdminFormat {
    fn map_types(&'_ self, types: &Types) -> Result<Cow<'_, Types>, FormatError> {
        let types = specta_serde::Format.map_types(types)?.into_owned();
        Ok(Cow::Owned(self.0.remap_types(types)))
    }

    fn map_type(&'_ self, types: &Types, dt: &DataType) -> Result<Cow<'_, DataType>, FormatError> {
        let dt = specta_serde::Format.map_type(types, dt)?.into_owned();
        Ok(Cow::Owned(self.0.remap_dt(dt)))
    }
}

fn bindings_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/admin/api.gen.ts")
}

fn generate() -> String {
    let catalogue = super::openapi::catalogue(&super::operations::<SqliteStore>());
    let format = AdminFormat(Remapper::new().dangerous_bigints_as_number());
    Typescript::default()
        .header(HEADER)
        .export(catalogue.types(), format)
        .unwrap()
}

/// `UPDATE_BINDINGS=1 cargo test -p gridwalk-server bindings` rewrites the file.
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
        "ui/src/admin/api.gen.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p gridwalk-server bindings`"
    );
}
