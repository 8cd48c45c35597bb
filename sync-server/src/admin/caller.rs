//! The signed-in admin-web caller: session cookie and CSRF check, or an API token, and the
//! role and scope questions every handler asks.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use gridwalk_shared::model::{OrgKind, ReferenceData, Role, User};
use uuid::Uuid;

use super::json::forbidden;
use crate::app::AppState;
use crate::auth::{bearer, sha256_hex};
use crate::error::AppError;
use crate::store::{AdminStore, AuditEntry, IndexFilter, Visibility};

/// Name of the session cookie.
pub const COOKIE: &str = "gw_session";
/// Header carrying the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in admin or department user (session cookie or API token).
pub struct Caller {
    /// The user.
    pub user: User,
    /// The session's CSRF token (empty for an API token).
    pub csrf: String,
    /// Hash of the session cookie or API token.
    pub token_hash: String,
    /// Whether the caller came with an API token rather than a session.
    pub api_token: bool,
    /// Client address.
    pub ip: String,
    /// Reference data at the time of the request.
    pub reference: Arc<ReferenceData>,
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The client's address, if the server knows it.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// The client's address as an extractor.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Equal strings, compared in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a role may sign in to the admin web.
pub fn may_sign_in(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Department)
}

/// Whether `user` administers a whole street (or district).
pub fn street_admin(reference: &ReferenceData, user: &User) -> bool {
    user.role == Role::Admin
        && reference
            .unit(user.scope_id)
            .is_some_and(|u| matches!(u.kind, OrgKind::Street | OrgKind::District))
}

/// Who a request speaks for, and with which credential.
struct Credential {
    user_id: Uuid,
    csrf: String,
    token_hash: String,
    api_token: bool,
}

/// The user a request speaks for: an API token's owner, or the session cookie's user (with
/// the session's CSRF token, checked on state-changing requests).
async fn signed_in<S: AdminStore>(parts: &Parts, store: &S) -> Result<Credential, AppError> {
    if let Some(token) = bearer(&parts.headers) {
        // A token is sent on purpose, never attached by a browser: no CSRF check.
        let token_hash = sha256_hex(token.as_bytes());
        let user = store
            .api_token_user(token_hash.clone())
            .await?
            .ok_or_else(|| AppError::unauthorized("unknown or revoked API token"))?;
        return Ok(Credential {
            user_id: user,
            csrf: String::new(),
            token_hash,
            api_token: true,
        });
    }
    let token =
        cookie(&parts.headers, COOKIE).ok_or_else(|| AppError::unauthorized("sign in first"))?;
    let token_hash = sha256_hex(token.as_bytes());
    let session = store
        .session(token_hash.clone())
        .await?
        .ok_or_else(|| AppError::unauthorized("the session has ended; sign in again"))?;
    if !parts.method.is_safe() {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same(sent, &session.csrf) {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header; reload the page",
            ));
        }
    }
    Ok(Credential {
        user_id: session.user_id,
        csrf: session.csrf,
        token_hash,
        api_token: false,
    })
}

impl<S: AdminStore> FromRequestParts<AppState<S>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let credential = signed_in(parts, &state.store).await?;
        let reference = state.store.reference();
        let user = reference
            .user(credential.user_id)
            .filter(|u| may_sign_in(u.role))
            .cloned()
            .ok_or_else(|| AppError::unauthorized("this account may no longer sign in"))?;
        Ok(Caller {
            user,
            csrf: credential.csrf,
            token_hash: credential.token_hash,
            api_token: credential.api_token,
            ip: client_ip(parts),
            reference,
        })
    }
}

impl Caller {
    /// Whether the caller is an administrator (not department staff).
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Refuses department staff.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden("this needs an administrator account"))
        }
    }

    /// Whether the caller administers a whole street (or district): deployment-wide data.
    pub fn is_street_admin(&self) -> bool {
        street_admin(&self.reference, &self.user)
    }

    /// Refuses all but street administrators.
    pub fn require_street_admin(&self) -> Result<(), AppError> {
        if self.is_street_admin() {
            Ok(())
        } else {
            Err(forbidden(
                "this is deployment-wide reference data: it needs a street administrator",
            ))
        }
    }

    /// Org units the caller administers (their scope and below; none for department staff).
    pub fn units(&self) -> Vec<Uuid> {
        if self.is_admin() {
            self.reference.subtree(self.user.scope_id)
        } else {
            Vec::new()
        }
    }

    /// Whether the caller administers org unit `unit`.
    pub fn manages_unit(&self, unit: Uuid) -> bool {
        self.is_admin()
            && self.reference.unit(unit).is_some()
            && self.reference.is_within(unit, self.user.scope_id)
    }

    /// Refuses a unit outside the caller's scope.
    pub fn check_unit(&self, unit: Uuid) -> Result<(), AppError> {
        if self.manages_unit(unit) {
            Ok(())
        } else {
            Err(forbidden(format!("org unit {unit} is outside your scope")))
        }
    }

    /// Whether a scope id (org unit, or department) is within the caller's scope.
    pub fn manages_scope(&self, scope: Uuid) -> bool {
        self.manages_unit(scope)
            || self
                .reference
                .departments
                .iter()
                .any(|d| d.id == scope && self.manages_unit(d.unit_id))
    }

    /// Whether the caller administers this user.
    pub fn manages_user(&self, user: &User) -> bool {
        self.manages_scope(user.scope_id)
    }

    /// What records the caller may query, narrowed to `area` if given.
    pub fn filter(&self, area: Option<Uuid>) -> Result<IndexFilter, AppError> {
        if !self.is_admin() {
            if area.is_some() {
                return Err(forbidden(
                    "department staff see their department's work, not areas",
                ));
            }
            return Ok(IndexFilter {
                department: Some(self.user.scope_id),
                ..IndexFilter::default()
            });
        }
        let root = match area {
            Some(area) => {
                self.check_unit(area)?;
                area
            }
            None => self.user.scope_id,
        };
        Ok(IndexFilter {
            units: self.reference.subtree(root),
            ..IndexFilter::default()
        })
    }

    /// Whether a record in `scope`, routed to `department`, is within what the caller sees
    /// (the same rule as [`Caller::filter`] without an area).
    pub fn sees(&self, scope: Uuid, department: Option<Uuid>) -> bool {
        if self.is_admin() {
            self.manages_unit(scope)
        } else {
            department == Some(self.user.scope_id)
        }
    }

    /// The records the caller sees, as the store's [`Visibility`].
    pub fn visibility(&self) -> Visibility {
        if self.is_admin() {
            Visibility {
                units: self.units(),
                department: None,
            }
        } else {
            Visibility {
                units: Vec::new(),
                department: Some(self.user.scope_id),
            }
        }
    }

    /// An audit entry for an action by this caller.
    pub fn entry(&self, action: &str, target: String, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: chrono::Utc::now().timestamp_millis(),
            actor_id: Some(self.user.id),
            actor_login: self.user.login.clone(),
            actor_scope: Some(self.user.scope_id),
            action: action.to_string(),
            target,
            detail: detail.to_string(),
            ok: true,
            ip: self.ip.clone(),
        }
    }

    /// Appends a successful action to the audit log.
    pub async fn audit<S: AdminStore>(
        &self,
        store: &S,
        action: &str,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        store
            .append_audit(self.entry(action, target.into(), detail))
            .await?;
        Ok(())
    }
}
