//! `gridwalk-server`: serve, seed demo data, list users, issue enrolment codes, set admin
//! passwords, back up and restore, collect unneeded blobs.

mod open311_cmd;
mod serve_cmd;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use gridwalk_server::admin;
use gridwalk_server::blobs::fs::FsBlobStore;
use gridwalk_server::blobs::{gc, missing_blobs, Blobs};
use gridwalk_server::store::{AdminStore, AuditEntry, SqliteStore, Store};
use gridwalk_server::{auth, backup, populate, seed};
use gridwalk_shared::model::{Record, Role, User};
use serde_json::{json, Value};
use serve_cmd::{serve, ServeArgs};

/// Gridwalk sync server (网格通同步服务).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create the demo street: 2 communities, 6 grids, 1,800 households, users for every role.
    SeedDemo {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Random seed for the generated data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Add demo field activity (visits, incidents, desk requests) for the dashboards.
    SeedActivity {
        /// Data directory (seeded with `seed-demo`).
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Days of activity, ending today.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// List users: `LOGIN ROLE SCOPE_ID`, one per line.
    Users {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
    },
    /// Issue a one-time enrolment code for a user (printed as the last line).
    EnrollCode {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// User login.
        #[arg(long)]
        user: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        ttl_hours: i64,
    },
    /// Set a user's admin-web password (argon2id): first start and recovery.
    AdminPassword {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// User login (an admin or department user).
        #[arg(long)]
        user: String,
        /// New password (at least 8 characters).
        #[arg(long, env = "GRIDWALK_ADMIN_PASSWORD")]
        password: String,
    },
    /// Issue an admin API token (`Authorization: Bearer`) for another system, printed as the
    /// last line; issuing a name again replaces that token. `--revoke` revokes it instead.
    ApiToken {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// User login the token acts as (an admin or department user).
        #[arg(long)]
        user: String,
        /// Name of the token (what uses it, e.g. `city-platform`).
        #[arg(long)]
        name: String,
        /// Revoke the token of that name: it stops working at once.
        #[arg(long)]
        revoke: bool,
    },
    /// Issue an Open311 API key (`api_key`) bound to an org unit, printed as the last line;
    /// issuing a name again replaces that key. `--revoke` revokes it instead.
    Open311Key {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Name of the key (what uses it, e.g. `city-12345`).
        #[arg(long)]
        name: String,
        /// Org unit the key files into and reads (default: the street, the root).
        #[arg(long)]
        unit: Option<uuid::Uuid>,
        /// Revoke the key of that name: it stops working at once.
        #[arg(long)]
        revoke: bool,
    },
    /// List referenced blobs not uploaded (whole) yet:
    /// `HASH KIND DOC_ID SCOPE PARTIAL_BYTES DEVICE_ID USER_ID SINCE` (`-` when unknown; SINCE
    /// in RFC 3339, UTC).
    MissingBlobs {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Most lines to print.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Revoke a device: its token stops working at once.
    RevokeDevice {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Device id.
        #[arg(long)]
        device: uuid::Uuid,
    },
    /// Start a new epoch after restoring a backup, so devices re-send what they hold.
    NewEpoch {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
    },
    /// Copy the store to FILE while the server runs (SQLite's online backup), with a list of
    /// the blobs held then in FILE.blobs; copy the `blobs` folder beside it yourself.
    Backup {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Backup file to write (replaced if it exists).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a data directory (stop the server first) with a new epoch, so
    /// devices re-send what the backup missed.
    Restore {
        /// Backup file written by `backup`.
        #[arg(long)]
        from: PathBuf,
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
    },
    /// List (or with --delete remove) partial uploads and unreferenced blobs older than the
    /// grace period: `partial|unreferenced HASH BYTES MODIFIED` per line, then a summary.
    GcBlobs {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Hours a blob or partial upload is kept before it may go.
        #[arg(long, default_value_t = 72)]
        grace_hours: u64,
        /// Delete them (without it, only print what would go).
        #[arg(long)]
        delete: bool,
    },
    /// Drop change-log rows older than the newest `keep`; devices behind get snapshots.
    Compact {
        /// Data directory.
        #[arg(long, env = "GRIDWALK_DATA")]
        data: PathBuf,
        /// Change-log rows to keep.
        #[arg(long, default_value_t = 1_000_000)]
        keep: u64,
    },
}

pub(crate) fn open(data: &std::path::Path) -> Result<SqliteStore> {
    SqliteStore::open(data)
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

async fn seed_demo(data: PathBuf, seed_value: u64) -> Result<()> {
    let store = open(&data)?;
    if store.reference().version > 0 {
        bail!(
            "{} already holds a deployment (reference data version {}); use an empty directory",
            data.display(),
            store.reference().version
        );
    }
    let demo = seed::demo(seed_value);
    let households = demo.households.len();
    let users = demo.reference.users.len();
    store.put_reference(demo.reference).await?;
    let records = demo.households.into_iter().map(Record::Household).collect();
    populate::insert_records(&store, records).await?;
    println!("Seeded the demo street into {}:", data.display());
    println!("  {households} households, {users} users");
    println!(
        "  logins: `gridwalk-server users --data {}`",
        data.display()
    );
    for login in ["admin", "dept1", "dept2"] {
        set_password(&store, login, DEMO_PASSWORD).await?;
    }
    println!(
        "  admin web: /admin, login admin / {DEMO_PASSWORD} (street admin; dept1, dept2 alike)"
    );
    println!("Demo admin login: admin {DEMO_PASSWORD}");
    Ok(())
}

/// Password of the demo's admin and department accounts (change it with `admin-password`).
const DEMO_PASSWORD: &str = "gridwalk-demo";

/// The admin or department user with `login` (the roles that use the admin web and API).
fn admin_user(store: &SqliteStore, login: &str) -> Result<User> {
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
async fn audit_cli(store: &SqliteStore, action: &str, target: &str, detail: Value) -> Result<()> {
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

async fn set_password(store: &SqliteStore, login: &str, password: &str) -> Result<()> {
    let user = admin_user(store, login)?;
    let hash = admin::password::hash(password)?;
    store.set_password(user.id, hash).await?;
    store.delete_sessions_of(user.id).await?;
    Ok(())
}

async fn api_token(data: PathBuf, login: String, name: String, revoke: bool) -> Result<()> {
    let store = open(&data)?;
    let user = admin_user(&store, &login)?;
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let target = format!("{login}/{name}");
    if revoke {
        if !store.revoke_api_token(user.id, name.clone()).await? {
            bail!("`{login}` has no live API token named `{name}`");
        }
        audit_cli(&store, "api_token.revoke", &target, json!({})).await?;
        println!("API token `{name}` of {login} revoked");
        return Ok(());
    }
    let token = format!("gwk_{}", auth::new_token());
    store
        .issue_api_token(auth::sha256_hex(token.as_bytes()), user.id, name.clone())
        .await?;
    audit_cli(&store, "api_token.issue", &target, json!({})).await?;
    println!(
        "API token `{name}` for {login} ({}); send it as `Authorization: Bearer TOKEN` to /api/. \
         It is shown once; an earlier token of this name no longer works:",
        user.name
    );
    println!("{token}");
    Ok(())
}

async fn enroll_code(data: PathBuf, login: String, ttl_hours: i64) -> Result<()> {
    let store = open(&data)?;
    let reference = store.reference();
    let Some(user) = reference.users.iter().find(|u| u.login == login) else {
        bail!(
            "no user `{login}`; see `gridwalk-server users --data {}`",
            data.display()
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

async fn gc_blobs(data: PathBuf, grace_hours: u64, delete: bool) -> Result<()> {
    let store = open(&data)?;
    let dir = data.join("blobs");
    let blobs = FsBlobStore::open(&dir).context("cannot open the blob directory")?;
    let needed = gc::needed(&store, &blobs).await?;
    let grace = Duration::from_secs(grace_hours * 3600);
    let mut garbage = gc::collectable(&dir, &needed, grace, std::time::SystemTime::now())?;
    if delete {
        garbage = gc::delete(&store, &dir, garbage).await?;
    }
    for item in &garbage {
        let modified = chrono::DateTime::<chrono::Utc>::from(item.file.modified);
        println!(
            "{} {} {} {}",
            item.why.as_str(),
            item.file.hash,
            item.file.size,
            modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    let bytes: u64 = garbage.iter().map(|g| g.file.size).sum();
    let verb = if delete { "deleted" } else { "would delete" };
    println!(
        "{verb} {} files, {bytes} bytes (older than {grace_hours} h){}",
        garbage.len(),
        if delete {
            ""
        } else {
            "; run with --delete to delete them"
        }
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("错误 / error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::SeedDemo { data, seed } => seed_demo(data, seed).await,
        Command::SeedActivity { data, days, seed } => {
            let now = chrono::Utc::now().timestamp_millis();
            let made = admin::demo::seed_activity(&open(&data)?, days, seed, now).await?;
            println!(
                "added {} visits, {} incidents and {} desk requests over {days} days",
                made.visits, made.incidents, made.services
            );
            Ok(())
        }
        Command::Users { data } => {
            for user in &open(&data)?.reference().users {
                println!("{} {} {}", user.login, user.role.as_str(), user.scope_id);
            }
            Ok(())
        }
        Command::EnrollCode {
            data,
            user,
            ttl_hours,
        } => enroll_code(data, user, ttl_hours).await,
        Command::AdminPassword {
            data,
            user,
            password,
        } => {
            let store = open(&data)?;
            set_password(&store, &user, &password).await?;
            audit_cli(
                &store,
                "user.password",
                &user,
                json!({ "via": "admin-password" }),
            )
            .await?;
            println!("password of {user} set; their sessions were ended");
            Ok(())
        }
        Command::ApiToken {
            data,
            user,
            name,
            revoke,
        } => api_token(data, user, name, revoke).await,
        Command::Open311Key {
            data,
            name,
            unit,
            revoke,
        } => open311_cmd::open311_key(data, name, unit, revoke).await,
        Command::MissingBlobs { data, limit } => {
            let store = open(&data)?;
            let blobs =
                Blobs::in_dir(data.join("blobs")).context("cannot open the blob directory")?;
            for m in missing_blobs(&store, blobs.store.as_ref(), limit, None).await? {
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                println!(
                    "{} {} {} {} {} {} {} {}",
                    m.hash,
                    m.kind,
                    m.doc_id,
                    m.scope,
                    m.partial_bytes,
                    or_dash(m.device_id.map(|d| d.to_string())),
                    or_dash(m.user_id.map(|u| u.to_string())),
                    or_dash(
                        m.since
                            .and_then(chrono::DateTime::from_timestamp_millis)
                            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    ),
                );
            }
            Ok(())
        }
        Command::RevokeDevice { data, device } => {
            open(&data)?.revoke_device(device).await?;
            println!("device {device} revoked");
            Ok(())
        }
        Command::NewEpoch { data } => {
            let epoch = open(&data)?.new_epoch()?;
            println!("new epoch {epoch}: devices will re-send what they hold");
            Ok(())
        }
        Command::Backup { data, to } => {
            let made = tokio::task::spawn_blocking(move || backup::backup(&data, &to)).await??;
            println!(
                "backup {} ({} bytes); {} blobs listed in {}",
                made.file.display(),
                made.bytes,
                made.blobs,
                made.manifest.display()
            );
            Ok(())
        }
        Command::Restore { from, data } => {
            let done = tokio::task::spawn_blocking(move || backup::restore(&from, &data)).await??;
            println!(
                "restored; new epoch {}: devices will re-send what they hold",
                done.epoch
            );
            if done.missing_blobs > 0 {
                println!(
                    "{} referenced blobs are not in the blob folder: copy it back, or see missing-blobs",
                    done.missing_blobs
                );
            }
            Ok(())
        }
        Command::GcBlobs {
            data,
            grace_hours,
            delete,
        } => gc_blobs(data, grace_hours, delete).await,
        Command::Compact { data, keep } => {
            let store = open(&data)?;
            let top = store.top_seq().await?;
            let removed = store.prune_log(top.saturating_sub(keep)).await?;
            println!("removed {removed} change-log rows (top sequence {top})");
            Ok(())
        }
    }
}
