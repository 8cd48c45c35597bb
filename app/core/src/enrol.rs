//! Enrolment: exchanging a one-time code for a device token (`POST /v1/enroll`).

use gridwalk_shared::{
    model::User,
    wire::{EnrollRequest, EnrollResponse},
};
use rusqlite::Connection;
use serde::Serialize;
use uuid::Uuid;

use crate::http::Retry;
use crate::store::{meta, outbox, records};
use crate::{Client, Error, Result};

/// The account a device signs in with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Account {
    /// This device's id.
    pub device_id: Uuid,
    /// The signed-in user (role and scope).
    pub user: User,
    /// The sync server's base URL.
    pub server_url: String,
}

impl From<&meta::Credentials> for Account {
    fn from(value: &meta::Credentials) -> Self {
        Account {
            device_id: value.device_id,
            user: value.user.clone(),
            server_url: value.server_url.clone(),
        }
    }
}

/// `server_url` without surrounding space and trailing slashes; it must be http(s).
fn normalise(server_url: &str) -> Result<String> {
    let url = server_url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(Error::Usage(format!(
            "server URL `{server_url}` must start with http:// or https://"
        )));
    }
    Ok(url.to_string())
}

/// Refuses to switch account while local changes are unsent.
fn check_switch(conn: &Connection) -> Result<()> {
    let pending = outbox::pending(conn)?;
    if pending > 0 {
        return Err(Error::Usage(format!(
            "this device holds {pending} unsent change(s) of another account or server; \
             sync them before enrolling again"
        )));
    }
    Ok(())
}

/// Forgets everything the previous account held.
fn reset(conn: &Connection) -> Result<()> {
    records::forget_all(conn)?;
    meta::clear_cursor(conn)?;
    meta::clear_reference(conn)
}

impl Client {
    /// Enrols this device with a one-time code and stores its credentials. Enrolling again
    /// with another user or server forgets what the previous account held (refused while it
    /// has unsent changes).
    pub async fn enroll(&self, server_url: &str, code: &str, device_name: &str) -> Result<Account> {
        let server_url = normalise(server_url)?;
        let current = meta::credentials(self.store().conn())?;
        if current.is_some_and(|c| c.server_url != server_url) {
            check_switch(self.store().conn())?;
        }
        let request = EnrollRequest {
            code: code.trim().to_string(),
            device_name: device_name.to_string(),
            app_version: crate::APP_VERSION.to_string(),
        };
        let body = serde_json::to_vec(&request)?;
        let url = format!("{server_url}/v1/enroll");
        let answer = self
            .http
            .post(&url, &body, "application/json", None, Retry::ConnectOnly)
            .await?;
        let response: EnrollResponse = serde_json::from_slice(&answer.body)
            .map_err(|e| Error::Protocol(format!("enrolment answer: {e}")))?;
        let credentials = meta::Credentials {
            device_id: response.device_id,
            token: response.token,
            server_url,
            user: response.user,
        };
        self.store().write(|tx| {
            if let Some(current) = meta::credentials(tx)? {
                let same = current.server_url == credentials.server_url
                    && current.user.id == credentials.user.id;
                if !same {
                    check_switch(tx)?;
                    reset(tx)?;
                }
            }
            meta::set_credentials(tx, &credentials)
        })?;
        tracing::info!(device = %credentials.device_id, role = credentials.user.role.as_str(), "enrolled");
        Ok(Account::from(&credentials))
    }
}
