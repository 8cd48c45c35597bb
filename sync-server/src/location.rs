//! Where a deployment keeps its data, as the command line and the environment name it:
//! `--data DIR` alone (SQLite and blobs under DIR, the one-command start), or a database URL
//! (`sqlite://DIR`, `postgres://USER@HOST:PORT/DB`) and a blob location (`DIR`,
//! `s3://BUCKET/PREFIX`) named on their own.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The database of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded SQLite store in this directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its connection URL.
    Postgres(String),
}

/// What a database location that cannot be used looks like, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a database location: {why} (expected sqlite://DIR or postgres://USER@HOST:PORT/DB)")]
pub struct BadLocation {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Database {
    type Err = BadLocation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why| BadLocation {
            given: s.to_string(),
            why,
        };
        if let Some(dir) = s.strip_prefix("sqlite://") {
            if dir.is_empty() {
                return Err(bad("no directory after sqlite://"));
            }
            return Ok(Database::Sqlite(PathBuf::from(dir)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let rest = s.split_once("://").map_or("", |(_, r)| r);
            if rest.is_empty() || !rest.contains('/') {
                return Err(bad("no database name after the host"));
            }
            return Ok(Database::Postgres(s.to_string()));
        }
        Err(bad("unknown scheme"))
    }
}

impl Database {
    /// The SQLite store in data directory `dir`.
    pub fn in_dir(dir: &Path) -> Database {
        Database::Sqlite(dir.to_path_buf())
    }

    /// As shown to people: the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Database::Sqlite(dir) => format!("sqlite://{}", dir.display()),
            Database::Postgres(url) => without_password(url),
        }
    }
}

/// `url` with any password replaced by `***`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            "sqlite:///var/lib/gw".parse(),
            Ok(Database::Sqlite("/var/lib/gw".into()))
        );
        assert_eq!("sqlite://data".parse(), Ok(Database::Sqlite("data".into())));
        let pg = "postgres://gw:secret@127.0.0.1:5432/gw";
        assert_eq!(pg.parse(), Ok(Database::Postgres(pg.into())));
        assert_eq!(
            pg.parse::<Database>().map(|d| d.display()),
            Ok("postgres://gw:***@127.0.0.1:5432/gw".into())
        );
        for bad in ["sqlite://", "mysql://x/y", "/var/lib/gw", "postgres://host"] {
            assert!(bad.parse::<Database>().is_err(), "{bad}");
        }
    }
}
