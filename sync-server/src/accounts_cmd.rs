//! The account commands: `enroll-code`, `admin-password`, `api-token`, and the audit entry
//! every command-line change leaves.

use anyhow::{bail, Result};
use gridwalk_server::store::{AdminStore, AuditEntry, ServerStore, Store};
use gridwalk_server::{admin, auth};
use gridwalk_shared::model::{Role, User};
use serde_json::{json, Value};

use crate::storage_cmd::StorageArgs;

/// The admin or department user with `login` (the roles that use the admin web and API).
fn admin_user<S: Store>(store: &S, login: &str) -> Result<User> {
    let reference = store.reference();
    let Some(user) = reference.users.iter().find(|u| u.login == login) else {
        bail!("no user `{login}`");
    };
    if !matches!(user.role, Role::Admin | Role::Department) {
        bail!(
            "`{login}` is a {}: only admins and department staff use the admin web and API",
            user.role.as_str()
        );
    }
    Ok(user.clone())
}

/// Records a command-line action in the audit log.
pub async fn audit_cli<S: AdminStore>(
    store: &S,
    action: &str,
    target: &str,
    detail: Value,
) -> Result<()> {
    store
        .append_audit(AuditEntry {
            id: 0,
            at: chrono::Utc::now().timestamp_millis(),
            actor_id: None,
            actor_login: "(command line)".into(),
            actor_scope: None,
            action: action.into(),
            target: target.into(),
            detail: detail.to_string(),
            ok: true,
            ip: String::new(),
        })
        .await?;
    Ok(())
}

/// Sets `login`'s admin-web password and ends their sessions.
pub async fn set_password<S: AdminStore>(store: &S, login: &str, password: &str) -> Result<()> {
    let user = admin_user(store, login)?;
    let hash = admin::password::hash(password)?;
    store.set_password(user.id, hash).await?;
    store.delete_sessions_of(user.id).await?;
    Ok(())
}

/// `admin-password`: sets the password, audited.
pub async fn admin_password<S: AdminStore>(store: &S, login: &str, password: &str) -> Result<()> {
    set_password(store, login, password).await?;
    audit_cli(
        store,
        "user.password",
        login,
        json!({ "via": "admin-password" }),
    )
    .await?;
    println!("password of {login} set; their sessions were ended");
    Ok(())
}

/// `api-token`: issues (or revokes) the token `name` of `login`; the token is the last line.
pub async fn api_token<S: AdminStore>(
    store: &S,
    login: String,
    name: String,
    revoke: bool,
) -> Result<()> {
    let user = admin_user(store, &login)?;
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let target = format!("{login}/{name}");
    if revoke {
        if !store.revoke_api_token(user.id, name.clone()).await? {
            bail!("`{login}` has no live API token named `{name}`");
        }
        audit_cli(store, "api_token.revoke", &target, json!({})).await?;
        println!("API token `{name}` of {login} revoked");
        return Ok(());
    }
    let token = format!("gwk_{}", auth::new_token());
    store
        .issue_api_token(auth::sha256_hex(token.as_bytes()), user.id, name.clone())
        .await?;
    audit_cli(store, "api_token.issue", &target, json!({})).await?;
    println!(
        "API token `{name}` for {login} ({}); send it as `Authorization: Bearer TOKEN` to /api/. \
         It is shown once; an earlier token of this name no longer works:",
        user.name
    );
    println!("{token}");
    Ok(())
}

/// `enroll-code`: a one-time enrolment code for `login`, printed as the last line.
pub async fn enroll_code<S: ServerStore>(
    store: &S,
    storage: &StorageArgs,
    login: String,
    ttl_hours: i64,
) -> Result<()> {
    let reference = store.reference();
    let Some(user) = reference.users.iter().find(|u| u.login == login) else {
        bail!(
            "no user `{login}`; see `gridwalk-server users {}`",
            storage.describe()
        );
    };
    let code = auth::new_enroll_code();
    store
        .issue_enroll_code(user.id, auth::enroll_code_hash(&code), ttl_hours)
        .await?;
    println!(
        "One-time enrolment code for {} ({}), valid {ttl_hours} h:",
        user.login, user.name
    );
    println!("{code}");
    Ok(())
}
