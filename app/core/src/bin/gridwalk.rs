//! `gridwalk`: the headless Gridwalk client. Its commands and output are a contract that
//! scripts and tests rely on.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::{Args, Parser, Subcommand};
use gridwalk_client::{Client, NewIncident, NewVisit, SyncReport};
use gridwalk_shared::model::Location;
use uuid::Uuid;

#[path = "gridwalk/campaign.rs"]
mod campaign;
#[path = "gridwalk/incident.rs"]
mod incident;
#[path = "gridwalk/media.rs"]
mod media;
#[path = "gridwalk/notice.rs"]
mod notice;
#[path = "gridwalk/offline_map.rs"]
mod offline_map;
#[path = "gridwalk/patrol.rs"]
mod patrol;

use campaign::CampaignCommand;
use incident::IncidentCommand;
use media::Media;
use notice::NoticeCommand;
use patrol::{HandoverCommand, PatrolCommand};

/// Gridwalk device client (网格员离线客户端).
#[derive(Debug, Parser)]
#[command(name = "gridwalk", version)]
struct Cli {
    /// Data directory holding gridwalk.sqlite.
    #[arg(long, env = "GRIDWALK_DATA")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrol this device with a one-time code, then sync.
    Enroll {
        /// Sync server URL, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// One-time enrolment code.
        #[arg(long)]
        code: String,
        /// Device name shown to admins.
        #[arg(long, default_value = "gridwalk-cli")]
        name: String,
    },
    /// List household ids in scope, one per line (ordered by address).
    Households,
    /// Visits (入户走访).
    Visit {
        #[command(subcommand)]
        command: VisitCommand,
    },
    /// Reports (随手拍).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Households (住户).
    Household {
        #[command(subcommand)]
        command: HouseholdCommand,
    },
    /// Incident workflow.
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
    },
    /// Notices and instructions (通知公告 / 信息指令).
    Notice {
        #[command(subcommand)]
        command: NoticeCommand,
    },
    /// Campaigns (阶段性任务) and their tasks.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Photos and audio notes (blobs).
    Blob {
        #[command(subcommand)]
        command: BlobCommand,
    },
    /// Patrols (巡查).
    Patrol {
        #[command(subcommand)]
        command: PatrolCommand,
    },
    /// The weekly hand-over (交班会).
    Handover {
        #[command(subcommand)]
        command: HandoverCommand,
    },
    /// The community's offline map: `SHA256 NAME HELD/BYTES complete|partial`, or `none`.
    OfflineMap {
        /// Download it (or resume the download) first.
        #[arg(long)]
        download: bool,
    },
    /// Sync with the server.
    Sync,
    /// Print every record as JSON Lines (with `blobs`: the hashes it references).
    Export,
    /// Show the account, pending changes and last sync.
    Status,
}

#[derive(Debug, Args)]
struct Position {
    /// Latitude (WGS-84).
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    lat: Option<f64>,
    /// Longitude (WGS-84).
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    lon: Option<f64>,
}

#[derive(Debug, Subcommand)]
enum VisitCommand {
    /// Record a visit now; prints its id.
    Add {
        /// Household id.
        #[arg(long)]
        household: Uuid,
        /// Notes.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        position: Position,
        #[command(flatten)]
        media: Media,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Report a problem in your grid; prints its id.
    Add {
        /// Category code, e.g. env.garbage.
        #[arg(long)]
        category: String,
        /// Description.
        #[arg(long)]
        description: String,
        /// Grid to report in (for users whose scope is above one grid).
        #[arg(long)]
        grid: Option<Uuid>,
        /// Handled there and then (自行处置): no dispatch, a colleague checks it.
        #[arg(long)]
        handled_on_the_spot: bool,
        #[command(flatten)]
        position: Position,
        #[command(flatten)]
        media: Media,
    },
}

#[derive(Debug, Subcommand)]
enum BlobCommand {
    /// Copy a blob to a file, fetching it from the server if it is not held here.
    Get {
        /// The blob's SHA-256 (as records and `export` list it).
        sha256: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// The photo's thumbnail instead of the photo.
        #[arg(long)]
        thumbnail: bool,
    },
    /// List blobs waiting for upload: `HASH KIND SENT/SIZE`.
    Pending,
}

#[derive(Debug, Subcommand)]
enum HouseholdCommand {
    /// Set one field (address, head, phone, notes, tags).
    Set {
        /// Household id.
        #[arg(long)]
        id: Uuid,
        /// Field name.
        #[arg(long)]
        field: String,
        /// New value (tags: comma-separated).
        #[arg(long, allow_hyphen_values = true)]
        value: String,
    },
}

impl Position {
    fn location(&self, client: &Client) -> Option<Location> {
        let (lat, lon) = (self.lat?, self.lon?);
        Some(Location {
            lat,
            lon,
            accuracy_m: None,
            at: client.now(),
            adjusted_from: None,
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (e.g. `gridwalk households | head`): nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

async fn run(cli: Cli) -> Result<()> {
    let client = Client::open(&cli.data)?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Enroll { server, code, name } => {
            let account = client.enroll(&server, &code, &name).await?;
            writeln!(out, "device {}", account.device_id)?;
            let user = &account.user;
            writeln!(
                out,
                "user {} ({}, {}, scope {})",
                user.login,
                user.name,
                user.role.as_str(),
                user.scope_id
            )?;
            print_report(&mut out, &client.sync().await?)?;
        }
        Command::Households => {
            for household in client.households()? {
                writeln!(out, "{}", household.id)?;
            }
        }
        Command::Visit {
            command:
                VisitCommand::Add {
                    household,
                    note,
                    position,
                    media,
                },
        } => {
            let attachments = media.add(&client)?;
            let visit = NewVisit {
                household_id: household,
                note,
                location: position.location(&client),
                ..NewVisit::default()
            };
            let id =
                media.undo_on_error(&client, &attachments, |a| client.add_visit_with(visit, a))?;
            writeln!(out, "{id}")?;
        }
        Command::Report {
            command:
                ReportCommand::Add {
                    category,
                    description,
                    grid,
                    handled_on_the_spot,
                    position,
                    media,
                },
        } => {
            let attachments = media.add(&client)?;
            let incident = NewIncident {
                category,
                description,
                location: position.location(&client),
            };
            let id = media.undo_on_error(&client, &attachments, |a| {
                client.report_incident_with(grid, incident, a)
            })?;
            if handled_on_the_spot {
                client.add_incident_event(
                    id,
                    gridwalk_shared::model::IncidentAction::SelfHandle,
                    "当场处置",
                )?;
            }
            writeln!(out, "{id}")?;
        }
        Command::Household {
            command: HouseholdCommand::Set { id, field, value },
        } => client.set_household_field(id, &field, &value)?,
        Command::Incident { command } => incident::run(&client, command)?,
        Command::Notice { command } => notice::run(&client, command, &mut out)?,
        Command::Campaign { command } => campaign::run(&client, command, &mut out)?,
        Command::Blob {
            command:
                BlobCommand::Get {
                    sha256,
                    out: path,
                    thumbnail,
                },
        } => {
            let held = client.blob(&sha256, thumbnail).await?;
            std::fs::copy(&held, &path)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
            writeln!(out, "{}", path.display())?;
        }
        Command::Blob {
            command: BlobCommand::Pending,
        } => {
            for blob in client.pending_uploads()? {
                let kind = serde_json::to_value(blob.kind)?;
                let kind = kind.as_str().unwrap_or("blob");
                writeln!(out, "{} {kind} {}/{}", blob.hash, blob.sent, blob.size)?;
            }
        }
        Command::Patrol { command } => patrol::run(&client, command, &mut out)?,
        Command::Handover { command } => patrol::run_handover(&client, command, &mut out)?,
        Command::OfflineMap { download } => offline_map::run(&client, download, &mut out).await?,
        Command::Sync => print_report(&mut out, &client.sync().await?)?,
        Command::Export => {
            for record in client.export()? {
                writeln!(out, "{}", serde_json::to_string(&record)?)?;
            }
        }
        Command::Status => print_status(&mut out, &client)?,
    }
    Ok(())
}

fn print_report(out: &mut impl Write, report: &SyncReport) -> Result<()> {
    for (id, code, reason) in &report.rejected {
        eprintln!("拒绝 / rejected {id} ({code}): {reason}");
    }
    writeln!(
        out,
        "同步完成 / synced: uploaded {} change(s) in {} doc(s), downloaded {} doc(s), \
         {} rejected, {} conflict cop(ies), {} round(s), sent {} B, received {} B",
        report.uploaded_changes,
        report.uploaded_docs,
        report.downloaded_docs,
        report.rejected.len(),
        report.conflict_copies,
        report.rounds,
        report.bytes_sent,
        report.bytes_received
    )?;
    if report.moved_out > 0 {
        writeln!(
            out,
            "已移交其他网格 / moved to other grids: {} record(s) dropped from this device",
            report.moved_out
        )?;
    }
    Ok(())
}

fn print_status(out: &mut impl Write, client: &Client) -> Result<()> {
    let status = client.status()?;
    match &status.account {
        Some(account) => {
            writeln!(out, "device {}", account.device_id)?;
            writeln!(
                out,
                "user {} ({}, {}, scope {})",
                account.user.login,
                account.user.name,
                account.user.role.as_str(),
                account.user.scope_id
            )?;
            writeln!(out, "server {}", account.server_url)?;
        }
        None => writeln!(out, "not enrolled")?,
    }
    writeln!(out, "pending_changes {}", status.pending_changes)?;
    match status.last_sync {
        Some(at) => writeln!(out, "last_sync {at}")?,
        None => writeln!(out, "last_sync never")?,
    }
    writeln!(out, "reference_version {}", status.reference_version)?;
    writeln!(out, "records {}", status.records)?;
    writeln!(out, "conflict_copies {}", status.conflict_copies)?;
    Ok(())
}
