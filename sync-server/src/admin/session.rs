//! `/api/session`: sign in (password, lock-out), who am I, sign out.

use axum::extract::State;
use std::time::Instant;

use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gridwalk_shared::model::User;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api::{Body, Doc, Reply};
use super::caller::{may_sign_in, street_admin, Caller, ClientIp, COOKIE};
use super::json::ApiJson;
use super::password;
use crate::app::AppState;
use crate::auth::{new_token, sha256_hex};
use crate::error::AppError;
use crate::store::{AdminStore, Attempt, AuditEntry, Session};

/// Documentation of `POST /api/session`.
pub const SIGN_IN: Doc = Doc {
    id: "signIn",
    summary: "Sign in with login and password; sets the session cookie",
    tag: "session",
    public: true,
    query: &[],
    body: Some(Body::json::<SignIn>()),
    reply: Reply::json::<SessionInfo>(),
};
/// Documentation of `GET /api/session`.
pub const CURRENT: Doc = Doc {
    id: "currentSession",
    summary: "The signed-in user and the CSRF token",
    tag: "session",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<SessionInfo>(),
};
/// Documentation of `DELETE /api/session`.
pub const SIGN_OUT: Doc = Doc {
    id: "signOut",
    summary: "Sign out",
    tag: "session",
    public: false,
    query: &[],
    body: None,
    reply: Reply::Empty,
};

/// Sign-in form.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    login: String,
    password: String,
}

/// The signed-in user.
#[derive(Serialize, specta::Type)]
pub struct SessionInfo {
    user: User,
    csrf: String,
    /// Whether the user administers a whole street (may edit deployment-wide data).
    street_admin: bool,
    /// Reference data version.
    reference_version: u64,
}

fn refused() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "wrong login or password",
    )
}

fn rate_limited(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs() + 1;
    let mut response = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "sign_in_rate_limited",
        format!("too many failed sign-ins from your address: try again in {seconds} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn locked(until: i64, now: i64) -> AppError {
    let minutes = (until - now + 59_999) / 60_000;
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
        format!("too many failed sign-ins: try again in {minutes} min"),
    )
}

/// Signs in: the address's budget, a verification slot, the attempt counted (or refused
/// while locked), then the password. See [`super::sign_in_guard`].
#[tracing::instrument(skip_all)]
pub async fn sign_in<S: AdminStore>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SignIn>,
) -> Result<Response, AppError> {
    let guard = &state.admin.sign_in;
    if let Err(wait) = guard.take(&ip, Instant::now()) {
        return Ok(rate_limited(wait));
    }
    let reference = state.store.reference();
    let user = reference
        .users
        .iter()
        .find(|u| u.login == form.login && may_sign_in(u.role))
        .cloned();
    let now = chrono::Utc::now().timestamp_millis();
    let mut entry = AuditEntry {
        id: 0,
        at: now,
        actor_id: user.as_ref().map(|u| u.id),
        actor_login: form.login.chars().take(100).collect(),
        actor_scope: user.as_ref().map(|u| u.scope_id),
        action: "sign_in".into(),
        target: String::new(),
        detail: "{}".into(),
        ok: false,
        ip: ip.clone(),
    };
    // A locked account is refused before any waiting or hashing.
    let account = match &user {
        Some(u) => state.store.account(u.id).await?,
        None => None,
    };
    if let Some(until) = account
        .as_ref()
        .and_then(|a| a.locked_until)
        .filter(|t| *t > now)
    {
        entry.detail = json!({ "reason": "locked" }).to_string();
        state.store.append_audit(entry).await?;
        return Err(locked(until, now));
    }
    let slot = match guard.slot().await {
        Ok(slot) => slot,
        Err(busy) => {
            guard.refund(&ip);
            return Err(busy);
        }
    };
    let attempt = match &account {
        Some(a) => {
            let lock_until = now + state.admin.lock_minutes * 60_000;
            state
                .store
                .sign_in_attempt(a.user_id, state.admin.lock_after, now, lock_until)
                .await?
        }
        None => Attempt::NoAccount,
    };
    if let Attempt::Locked { until } = attempt {
        entry.detail = json!({ "reason": "locked" }).to_string();
        state.store.append_audit(entry).await?;
        return Err(locked(until, now));
    }
    let phc = match (&account, attempt) {
        (Some(a), Attempt::Counted { .. }) => a.password_hash.clone(),
        _ => password::decoy().to_string(),
    };
    let typed = form.password;
    let good = tokio::task::spawn_blocking(move || password::verify(&typed, &phc))
        .await
        .unwrap_or(false);
    drop(slot);
    let (Some(user), Attempt::Counted { .. }, true) = (user, attempt, good) else {
        entry.detail = match (entry.actor_id, attempt) {
            (Some(_), Attempt::Counted { locks, .. }) => {
                json!({ "reason": "bad_credentials", "locked": locks })
            }
            (Some(_), _) => json!({ "reason": "bad_credentials", "locked": false }),
            (None, _) => json!({ "reason": "unknown_login" }),
        }
        .to_string();
        state.store.append_audit(entry).await?;
        return Err(refused());
    };
    guard.refund(&ip);
    let token = new_token();
    let csrf = new_token();
    let hours = state.admin.session_hours;
    state
        .store
        .create_session(
            sha256_hex(token.as_bytes()),
            Session {
                user_id: user.id,
                csrf: csrf.clone(),
                expires_at: now + hours * 3_600_000,
            },
        )
        .await?;
    entry.ok = true;
    state.store.append_audit(entry).await?;
    tracing::info!(user = %user.id, "admin signed in");
    let secure = if state.admin.cookies_secure(&headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        hours * 3600
    );
    let info = SessionInfo {
        street_admin: street_admin(&reference, &user),
        user,
        csrf,
        reference_version: reference.version,
    };
    let mut response = ApiJson(info).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| {
            AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "cookie", e.to_string())
        })?,
    );
    Ok(response)
}

/// The signed-in user.
pub async fn current(caller: Caller) -> ApiJson<SessionInfo> {
    ApiJson(SessionInfo {
        street_admin: caller.is_street_admin(),
        reference_version: caller.reference.version,
        user: caller.user,
        csrf: caller.csrf,
    })
}

/// Signs out: ends the session and clears the cookie.
pub async fn sign_out<S: AdminStore>(
    State(state): State<AppState<S>>,
    request_headers: HeaderMap,
    caller: Caller,
) -> Result<(StatusCode, HeaderMap), AppError> {
    if caller.api_token {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "api_token",
            "an API token has no session to end; revoke it with gridwalk-server api-token --revoke",
        ));
    }
    state
        .store
        .delete_session(caller.token_hash.clone())
        .await?;
    caller
        .audit(
            &state.store,
            "sign_out",
            caller.user.login.clone(),
            json!({}),
        )
        .await?;
    let secure = if state.admin.cookies_secure(&request_headers) {
        "; Secure"
    } else {
        ""
    };
    let cleared = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&cleared).map_err(|e| {
            AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "cookie", e.to_string())
        })?,
    );
    Ok((StatusCode::NO_CONTENT, headers))
}
