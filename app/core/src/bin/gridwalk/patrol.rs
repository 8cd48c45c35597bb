//! `gridwalk patrol …` (巡查) and `gridwalk handover …` (交班会).

use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use gridwalk_client::Client;
use gridwalk_shared::model::Location;
use uuid::Uuid;

/// Patrol commands.
#[derive(Debug, Subcommand)]
pub enum PatrolCommand {
    /// Start a patrol of your grid; prints its id.
    Start,
    /// Add a position fix to the running patrol.
    Fix {
        /// Latitude (WGS-84).
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// Longitude (WGS-84).
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// Accuracy in metres.
        #[arg(long)]
        accuracy: Option<f64>,
    },
    /// End the running patrol (attaching the visits and reports made on it); prints its id.
    Stop,
    /// This week's patrol time against the rule, as JSON.
    Status,
}

/// Hand-over commands.
#[derive(Debug, Subcommand)]
pub enum HandoverCommand {
    /// Add the grid leader's remark to a grid's week; prints the record's id.
    Remark {
        /// Grid id.
        #[arg(long)]
        grid: Uuid,
        /// Any day of the week (default: last week).
        #[arg(long)]
        week: Option<NaiveDate>,
        /// The remark.
        #[arg(long)]
        text: String,
    },
    /// A grid's hand-over sheet from the records on this device, as JSON.
    Show {
        /// Grid id.
        #[arg(long)]
        grid: Uuid,
        /// Any day of the week (default: last week).
        #[arg(long)]
        week: Option<NaiveDate>,
    },
}

/// Runs a patrol command.
pub fn run(client: &Client, command: PatrolCommand, out: &mut impl Write) -> Result<()> {
    match command {
        PatrolCommand::Start => writeln!(out, "{}", client.start_patrol(None)?)?,
        PatrolCommand::Fix { lat, lon, accuracy } => {
            let fix = Location {
                lat,
                lon,
                accuracy_m: accuracy,
                at: client.now(),
                adjusted_from: None,
            };
            writeln!(out, "{}", client.patrol_fix(fix)?)?;
        }
        PatrolCommand::Stop => writeln!(out, "{}", client.stop_patrol()?)?,
        PatrolCommand::Status => {
            writeln!(out, "{}", serde_json::to_string(&client.patrol_status()?)?)?
        }
    }
    Ok(())
}

/// Runs a hand-over command.
pub fn run_handover(client: &Client, command: HandoverCommand, out: &mut impl Write) -> Result<()> {
    match command {
        HandoverCommand::Remark { grid, week, text } => {
            writeln!(out, "{}", client.add_handover_remark(grid, week, &text)?)?
        }
        HandoverCommand::Show { grid, week } => writeln!(
            out,
            "{}",
            serde_json::to_string(&client.handover_sheet(grid, week)?)?
        )?,
    }
    Ok(())
}
