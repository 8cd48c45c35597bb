//! # gridwalk-app
//!
//! The Tauri 2 shell of Gridwalk: the grid worker's phone layout and the community hall's
//! tablet layout (the UI in `ui/src/app/`) over [`gridwalk_client::Client`]. Commands are
//! short adapters (`commands/`, one file per screen area) returning a typed
//! [`CommandError`]; their TypeScript bindings (`ui/src/lib/bindings.ts`) are generated from
//! these Rust types by `tauri-specta`, never written by hand.
//!
//! Settings come from the platform's app-data directory, each overridable by environment
//! (`config.rs`): `GRIDWALK_DATA`, `GRIDWALK_SERVER`, `GRIDWALK_FAKE_LOCATION`,
//! `GRIDWALK_SYNC_SECS`, `GRIDWALK_WINDOW`.

mod commands;
mod config;
mod error;
mod state;
mod sync;

use tauri::{Manager, Runtime};
use tauri_specta::{collect_commands, collect_events, ErrorHandlingMode};

pub use config::{AppConfig, LocationSource};
pub use error::{CommandError, ErrorKind};
pub use sync::SyncState;

/// The typed command and event set; also what the TypeScript bindings are generated from.
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .commands(collect_commands![
            commands::account::app_info,
            commands::account::enroll,
            commands::account::status,
            commands::account::reference,
            commands::sync::sync_now,
            commands::sync::sync_state,
            commands::sync::network_changed,
            commands::settings::ui_settings,
            commands::settings::set_ui_settings,
            commands::home::today,
            commands::home::fake_fix,
            commands::grid::my_grids,
            commands::grid::map_incidents,
            commands::grid::coverage,
            commands::grid::day_track,
            commands::map::tile_package_status,
            commands::map::download_tile_package,
            commands::map::map_tile,
            commands::map::basemap_status,
            commands::grid::households_in,
            commands::grid::search_households,
            commands::grid::household_card,
            commands::grid::resolve_conflict,
            commands::grid::set_household_field,
            commands::visit::open_visit_draft,
            commands::visit::open_campaign_draft,
            commands::campaign::campaign_task_form,
            commands::campaign::do_campaign_task,
            commands::visit::save_visit_draft,
            commands::visit::discard_visit_draft,
            commands::visit::finish_visit_draft,
            commands::report::report_incident,
            commands::report::incidents,
            commands::report::record,
            commands::report::incident_action,
            commands::worklog::work_day,
            commands::worklog::add_work_log,
            commands::notices::notices,
            commands::notices::unread_notices,
            commands::notices::open_notice,
            commands::notices::reply_notice,
            commands::notices::mark_notice_done,
            commands::patrol::patrol_status,
            commands::patrol::start_patrol,
            commands::patrol::patrol_fix,
            commands::patrol::stop_patrol,
            commands::patrol::my_figures,
            commands::patrol::handover_sheet,
            commands::patrol::add_handover_remark,
            commands::desk::service_requests,
            commands::desk::due_preview,
            commands::desk::register_walk_in,
            commands::desk::service_action,
            commands::media::add_photo,
            commands::media::photo_thumbnail,
            commands::media::photo_full,
            commands::media::add_audio,
            commands::media::audio_source,
            commands::media::save_document,
            commands::media::discard_media,
        ])
        .events(collect_events![SyncState])
        // The audio note limits the core enforces, so the recorder stops in time.
        .constant("AUDIO_MAX_MS", gridwalk_client::media::audio::MAX_AUDIO_MS)
        .constant(
            "AUDIO_MAX_BYTES",
            gridwalk_client::media::audio::MAX_AUDIO_BYTES,
        )
        .error_handling(ErrorHandlingMode::Throw)
        // One TypeScript type per Rust type: the UI sends back what it was given.
        .disable_serde_phases()
        // Counts and row ids are far below 2^53.
        .dangerously_cast_bigints_to_number()
}

/// Starts the app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tao=warn,wry=warn".into()),
        )
        .init();
    if let Err(e) = run_app(tauri::Builder::default(), tauri::generate_context!()) {
        eprintln!("网格通无法启动 / Gridwalk could not start: {e}");
        std::process::exit(1);
    }
}

/// Builds and runs the app on any runtime, so tests can pass Tauri's mock builder.
pub fn run_app<R: Runtime>(
    builder: tauri::Builder<R>,
    context: tauri::Context<R>,
) -> tauri::Result<()> {
    let specta = specta_builder::<R>();
    plugins(builder)
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            let app_data = app.path().app_data_dir()?;
            let config = AppConfig::resolve(|key| std::env::var(key).ok(), &app_data)?;
            tracing::info!(data = %config.data_dir.display(), location = ?config.location, "starting");
            if let (Some((width, height)), Some(window)) =
                (config.window, app.get_webview_window("main"))
            {
                window.set_size(tauri::LogicalSize::new(width, height))?;
            }
            let state = state::AppState::open(config, app.handle().clone())?;
            app.manage(state);
            Ok(())
        })
        .run(context)
}

/// Plugins with mobile implementations: position and QR scanning exist only on phones.
fn plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_geolocation::init())
        .plugin(tauri_plugin_barcode_scanner::init());
    builder
}

#[cfg(test)]
mod tests;
