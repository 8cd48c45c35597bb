//! Key/value settings (credentials, cursor, last sync) and the reference data.

use gridwalk_shared::{model::ReferenceData, model::User, time::Timestamp, wire::Cursor};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

use crate::{Error, Result};

const DEVICE_ID: &str = "device_id";
const TOKEN: &str = "token";
const SERVER_URL: &str = "server_url";
const USER: &str = "user";
const CURSOR: &str = "cursor";
const LAST_SYNC: &str = "last_sync";

/// What the device signs in with.
#[derive(Clone)]
pub(crate) struct Credentials {
    /// Device id given at enrolment.
    pub device_id: Uuid,
    /// Bearer token.
    pub token: String,
    /// Server base URL, without a trailing slash.
    pub server_url: String,
    /// The signed-in user.
    pub user: User,
}

fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?)
}

fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn get_json<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    match get(conn, key)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Corrupt(format!("setting `{key}`: {e}"))),
    }
}

fn set_json<T: Serialize>(conn: &Connection, key: &str, value: &T) -> Result<()> {
    set(conn, key, &serde_json::to_string(value)?)
}

/// The stored credentials, if the device is enrolled.
pub(crate) fn credentials(conn: &Connection) -> Result<Option<Credentials>> {
    let (Some(device_id), Some(token), Some(server_url), Some(user)) = (
        get(conn, DEVICE_ID)?,
        get(conn, TOKEN)?,
        get(conn, SERVER_URL)?,
        get_json::<User>(conn, USER)?,
    ) else {
        return Ok(None);
    };
    let device_id = Uuid::parse_str(&device_id)
        .map_err(|e| Error::Corrupt(format!("stored device id: {e}")))?;
    Ok(Some(Credentials {
        device_id,
        token,
        server_url,
        user,
    }))
}

/// Stores new credentials.
pub(crate) fn set_credentials(conn: &Connection, credentials: &Credentials) -> Result<()> {
    set(conn, DEVICE_ID, &credentials.device_id.to_string())?;
    set(conn, TOKEN, &credentials.token)?;
    set(conn, SERVER_URL, &credentials.server_url)?;
    set_json(conn, USER, &credentials.user)
}

/// The sync cursor, if the device has synced.
pub(crate) fn cursor(conn: &Connection) -> Result<Option<Cursor>> {
    get_json(conn, CURSOR)
}

/// Stores the sync cursor.
pub(crate) fn set_cursor(conn: &Connection, cursor: &Cursor) -> Result<()> {
    set_json(conn, CURSOR, cursor)
}

/// Forgets the sync cursor (the next sync starts with a snapshot).
pub(crate) fn clear_cursor(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [CURSOR])?;
    Ok(())
}

/// When the last sync round completed.
pub(crate) fn last_sync(conn: &Connection) -> Result<Option<Timestamp>> {
    Ok(get(conn, LAST_SYNC)?
        .and_then(|text| text.parse::<i64>().ok())
        .map(Timestamp::from_millis))
}

/// Records when a sync round completed.
pub(crate) fn set_last_sync(conn: &Connection, at: Timestamp) -> Result<()> {
    set(conn, LAST_SYNC, &at.millis().to_string())
}

/// The reference data held, if any.
pub(crate) fn reference(conn: &Connection) -> Result<Option<ReferenceData>> {
    let text: Option<String> = conn
        .query_row("SELECT data FROM reference WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?;
    match text {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Corrupt(format!("stored reference data: {e}"))),
    }
}

/// Version of the reference data held (0: none).
pub(crate) fn reference_version(conn: &Connection) -> Result<u64> {
    let version: Option<i64> = conn
        .query_row("SELECT version FROM reference WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(version.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
}

/// Replaces the reference data.
pub(crate) fn set_reference(conn: &Connection, reference: &ReferenceData) -> Result<()> {
    let version = i64::try_from(reference.version)
        .map_err(|_| Error::Protocol("reference version out of range".into()))?;
    conn.execute(
        "INSERT INTO reference (id, version, data) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
        params![version, serde_json::to_string(reference)?],
    )?;
    Ok(())
}

/// Forgets the reference data.
pub(crate) fn clear_reference(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM reference", [])?;
    Ok(())
}
