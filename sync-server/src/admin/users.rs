//! `/api/users`: people with roles and scopes. Users travel in the reference data, so adding
//! one reaches devices with the next sync.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use gridwalk_shared::model::{OrgKind, Role, User};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::{may_sign_in, Caller};
use super::json::{forbidden, invalid, ApiJson};
use super::org::name;
use super::password;
use super::reference::edit;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, StoreError};

/// Documentation of `GET /api/users`.
pub const LIST: Doc = Doc {
    id: "listUsers",
    summary: "Users within your scope",
    tag: "users",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<Vec<UserRow>>(),
};
/// Documentation of `POST /api/users`.
pub const CREATE: Doc = Doc {
    id: "createUser",
    summary: "Add a user with a role and a scope (and a web password for admins and departments)",
    tag: "users",
    public: false,
    query: &[],
    body: Some(Body::json::<NewUser>()),
    reply: Reply::json::<User>(),
};
/// Documentation of `PUT /api/users/{id}/password`.
pub const PASSWORD: Doc = Doc {
    id: "setPassword",
    summary: "Set a user's admin-web password (ends their sessions)",
    tag: "users",
    public: false,
    query: &[],
    body: Some(Body::json::<PasswordChange>()),
    reply: Reply::Empty,
};

/// A user as listed.
#[derive(Serialize, specta::Type)]
pub struct UserRow {
    #[serde(flatten)]
    user: User,
    /// Name of the org unit or department.
    scope_name: String,
}

/// A new user.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    login: String,
    name: String,
    role: Role,
    scope_id: Uuid,
    #[serde(default)]
    password: Option<String>,
}

/// A new password.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    password: String,
}

/// Lists the users the caller administers.
pub async fn list(caller: Caller) -> Result<ApiJson<Vec<UserRow>>, AppError> {
    caller.require_admin()?;
    let r = &caller.reference;
    let scope_name = |id: Uuid| {
        r.unit(id)
            .map(|u| u.name.clone())
            .or_else(|| {
                r.departments
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.name.clone())
            })
            .unwrap_or_default()
    };
    Ok(ApiJson(
        r.users
            .iter()
            .filter(|u| caller.manages_user(u))
            .map(|u| UserRow {
                scope_name: scope_name(u.scope_id),
                user: u.clone(),
            })
            .collect(),
    ))
}

fn check_login(login: &str) -> Result<(), AppError> {
    let ok = (2..=32).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(invalid("a login has 2 to 32 of a-z, 0-9, '.', '_' and '-'"))
    }
}

/// Which scopes a role takes.
fn check_role_scope(caller: &Caller, role: Role, scope: Uuid) -> Result<(), AppError> {
    let r = &caller.reference;
    let kind = r.unit(scope).map(|u| u.kind);
    let fits = match role {
        Role::GridWorker => kind == Some(OrgKind::Grid),
        Role::GridLeader => matches!(kind, Some(OrgKind::Grid | OrgKind::Community)),
        Role::Desk => kind == Some(OrgKind::Community),
        Role::Admin => matches!(kind, Some(OrgKind::Street | OrgKind::Community)),
        Role::Department => r.departments.iter().any(|d| d.id == scope),
    };
    if !fits {
        return Err(invalid(format!(
            "role {} does not take that scope (grid workers: a grid; desks: a community; \
             admins: a street or community; department staff: a department)",
            role.as_str()
        )));
    }
    if !caller.manages_scope(scope) {
        return Err(forbidden("that scope is outside yours"));
    }
    Ok(())
}

async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| {
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "hash_failed",
                e.to_string(),
            )
        })?
        .map_err(|e| invalid(e.to_string()))
}

/// Adds a user.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn create<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(form): ApiJson<NewUser>,
) -> Result<ApiJson<User>, AppError> {
    caller.require_admin()?;
    check_login(&form.login)?;
    let display = name(&form.name, "a name")?;
    check_role_scope(&caller, form.role, form.scope_id)?;
    let phc = match form.password {
        Some(_) if !may_sign_in(form.role) => {
            return Err(invalid(
                "only admins and department staff sign in to the admin web",
            ))
        }
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let user = User {
        id: Uuid::now_v7(),
        login: form.login,
        name: display,
        role: form.role,
        scope_id: form.scope_id,
    };
    let new = user.clone();
    let (_, version) = edit(&state, move |data| {
        if data.users.iter().any(|u| u.login == new.login) {
            return Err(AppError::from(StoreError::Refused(format!(
                "login `{}` is taken",
                new.login
            ))));
        }
        data.users.push(new);
        Ok(())
    })
    .await?;
    if let Some(phc) = phc {
        state.store.set_password(user.id, phc).await?;
    }
    caller
        .audit(
            &state.store,
            "user.create",
            user.login.clone(),
            json!({ "id": user.id, "role": user.role, "scope": user.scope_id, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(user))
}

/// Sets a user's web password and ends their sessions.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn set_password<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(form): ApiJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    let target = caller
        .reference
        .user(id)
        .cloned()
        .ok_or_else(|| AppError::from(StoreError::NotFound(format!("user {id}"))))?;
    if target.id != caller.user.id {
        caller.require_admin()?;
        if !caller.manages_user(&target) {
            return Err(forbidden("that user is outside your scope"));
        }
    }
    if !may_sign_in(target.role) {
        return Err(invalid(
            "only admins and department staff sign in to the admin web",
        ));
    }
    let phc = hash(form.password).await?;
    state.store.set_password(id, phc).await?;
    state.store.delete_sessions_of(id).await?;
    caller
        .audit(
            &state.store,
            "user.password",
            target.login,
            json!({ "id": id }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
