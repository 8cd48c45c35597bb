//! Where the app keeps its data and how it finds its server, location and sync timer: the
//! platform's app-data directory by default, each overridable by environment for tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gridwalk_shared::model::Location;
use serde::{Deserialize, Serialize};

/// Data directory (the device store and the UI settings). Default: the app-data dir.
pub const ENV_DATA: &str = "GRIDWALK_DATA";
/// Server URL offered on the enrolment screen. Default: `server-url` in the data dir.
pub const ENV_SERVER: &str = "GRIDWALK_SERVER";
/// `lat,lon[,accuracy_m]`: use a fixed fake position instead of the device's (tests, demos).
pub const ENV_FAKE_LOCATION: &str = "GRIDWALK_FAKE_LOCATION";
/// Seconds between automatic syncs (default 300).
pub const ENV_SYNC_SECS: &str = "GRIDWALK_SYNC_SECS";
/// Initial window size `WIDTHxHEIGHT` on desktop (default: the phone's 390x844).
pub const ENV_WINDOW: &str = "GRIDWALK_WINDOW";

/// File in the data dir that may hold the server URL to offer at enrolment.
const SERVER_FILE: &str = "server-url";

/// How the app gets a position fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocationSource {
    /// The device: the geolocation plugin on phones, the webview's geolocation or manual
    /// entry on desktop.
    Device,
    /// A fixed position (tests and demos); its time is the time it is asked for.
    Fake {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
        /// Accuracy radius in metres.
        accuracy_m: f64,
    },
}

impl LocationSource {
    /// The fake fix at `at`, if this is the fake source.
    pub fn fake_fix(&self, at: gridwalk_shared::time::Timestamp) -> Option<Location> {
        match *self {
            LocationSource::Device => None,
            LocationSource::Fake {
                lat,
                lon,
                accuracy_m,
            } => Some(Location {
                lat,
                lon,
                accuracy_m: Some(accuracy_m),
                at,
                adjusted_from: None,
            }),
        }
    }
}

/// The app's settings, resolved once at start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Server URL to offer at enrolment, if known.
    pub default_server: Option<String>,
    /// Position source.
    pub location: LocationSource,
    /// Time between automatic syncs.
    pub sync_every: Duration,
    /// Initial window size on desktop.
    pub window: Option<(f64, f64)>,
}

impl AppConfig {
    /// Resolves the settings from `env` (a lookup, so tests need not touch the process
    /// environment) with `app_data` as the default data directory.
    pub fn resolve(env: impl Fn(&str) -> Option<String>, app_data: &Path) -> Result<Self, String> {
        let data_dir = env(ENV_DATA)
            .filter(|d| !d.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| app_data.to_path_buf());
        let default_server = env(ENV_SERVER)
            .or_else(|| std::fs::read_to_string(data_dir.join(SERVER_FILE)).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let location = match env(ENV_FAKE_LOCATION) {
            None => LocationSource::Device,
            Some(text) => parse_fake(&text)?,
        };
        let sync_every = match env(ENV_SYNC_SECS) {
            None => Duration::from_secs(300),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| format!("{ENV_SYNC_SECS}=`{text}` is not a number of seconds"))?,
        };
        let window = match env(ENV_WINDOW) {
            None => None,
            Some(text) => Some(parse_size(&text)?),
        };
        Ok(Self {
            data_dir,
            default_server,
            location,
            sync_every,
            window,
        })
    }
}

fn parse_fake(text: &str) -> Result<LocationSource, String> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{ENV_FAKE_LOCATION}=`{text}` is not `lat,lon[,accuracy_m]`"))?;
    match numbers[..] {
        [lat, lon] => Ok(LocationSource::Fake {
            lat,
            lon,
            accuracy_m: 10.0,
        }),
        [lat, lon, accuracy_m] => Ok(LocationSource::Fake {
            lat,
            lon,
            accuracy_m,
        }),
        _ => Err(format!(
            "{ENV_FAKE_LOCATION}=`{text}` is not `lat,lon[,accuracy_m]`"
        )),
    }
}

fn parse_size(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("{ENV_WINDOW}=`{text}` is not WIDTHxHEIGHT");
    let (w, h) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let w: f64 = w.parse().map_err(|_| bad())?;
    let h: f64 = h.parse().map_err(|_| bad())?;
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_come_from_the_app_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SERVER_FILE), "http://10.0.0.2:8080\n").unwrap();
        let config = AppConfig::resolve(env_of(&[]), dir.path()).unwrap();
        assert_eq!(config.data_dir, dir.path());
        assert_eq!(
            config.default_server.as_deref(),
            Some("http://10.0.0.2:8080")
        );
        assert_eq!(config.location, LocationSource::Device);
        assert_eq!(config.sync_every, Duration::from_secs(300));
        assert_eq!(config.window, None);
    }

    #[test]
    fn environment_overrides_everything() {
        let config = AppConfig::resolve(
            env_of(&[
                (ENV_DATA, "/tmp/phone"),
                (ENV_SERVER, "http://127.0.0.1:9"),
                (ENV_FAKE_LOCATION, "39.9, 116.4, 8"),
                (ENV_SYNC_SECS, "5"),
                (ENV_WINDOW, "1024x768"),
            ]),
            Path::new("/nowhere"),
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/phone"));
        assert_eq!(config.default_server.as_deref(), Some("http://127.0.0.1:9"));
        let fix = config
            .location
            .fake_fix(gridwalk_shared::time::Timestamp::from_millis(0));
        assert_eq!(fix.unwrap().accuracy_m, Some(8.0));
        assert_eq!(config.sync_every, Duration::from_secs(5));
        assert_eq!(config.window, Some((1024.0, 768.0)));
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        let error = AppConfig::resolve(env_of(&[(ENV_FAKE_LOCATION, "north")]), Path::new("/x"))
            .unwrap_err();
        assert!(error.contains(ENV_FAKE_LOCATION));
        let error =
            AppConfig::resolve(env_of(&[(ENV_SYNC_SECS, "0")]), Path::new("/x")).unwrap_err();
        assert!(error.contains(ENV_SYNC_SECS));
    }
}
