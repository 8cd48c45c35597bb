//! `gridwalk incident act`: every workflow event the signed-in user may add, so scripts can
//! drive the closed loop (the same validation as the app: a refusal writes nothing).

use anyhow::{anyhow, Context, Result};
use clap::{Subcommand, ValueEnum};
use gridwalk_client::Client;
use gridwalk_shared::model::{IncidentAction, Level, Satisfaction};
use uuid::Uuid;

use super::media::Media;

/// What to do to an incident.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Action {
    /// 分拨 (community staff; needs --level, and --department beyond the community).
    Dispatch,
    /// 转派 to another department (community staff).
    Transfer,
    /// 吹哨 / 上报 to a higher level.
    Escalate,
    /// 受理.
    Accept,
    /// 退回 (department staff; reason in --note).
    Return,
    /// 处置反馈 (with --photo).
    Feedback,
    /// 核查 on site; with --failed the check fails (reason in --note).
    Verify,
    /// 评价 with --rating.
    Evaluate,
    /// 重新办理 after a failed check or 不满意 (reason in --note).
    Reopen,
    /// 督办.
    Urge,
    /// 结案归档.
    Close,
    /// A note.
    Comment,
}

/// A resident's rating.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Rating {
    /// 满意
    Satisfied,
    /// 基本满意
    Basic,
    /// 不满意
    Unsatisfied,
}

/// A handling level.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LevelArg {
    /// 网格
    Grid,
    /// 社区
    Community,
    /// 街道
    Street,
    /// 区级及以上
    City,
}

/// Incident workflow commands.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Add a workflow event.
    Act {
        /// Incident id.
        #[arg(long)]
        id: Uuid,
        /// What to do.
        #[arg(long, value_enum)]
        action: Action,
        /// Note (the reason, for return / failed verify / reopen).
        #[arg(long, default_value = "")]
        note: String,
        /// With `verify`: the check failed, send it back.
        #[arg(long)]
        failed: bool,
        /// With `evaluate`: the rating.
        #[arg(long, value_enum)]
        rating: Option<Rating>,
        /// With `dispatch`, `transfer`, `escalate`: the level it goes to.
        #[arg(long, value_enum)]
        level: Option<LevelArg>,
        /// With `dispatch`, `transfer`, `escalate`: the department.
        #[arg(long)]
        department: Option<Uuid>,
        /// With `dispatch`, `transfer`, `escalate`: working days allowed (default: the
        /// level's limit).
        #[arg(long)]
        days: Option<u32>,
        #[command(flatten)]
        media: Media,
        /// Where it was done (e.g. the check on site).
        #[command(flatten)]
        position: super::Position,
    },
}

fn level(arg: LevelArg) -> Level {
    match arg {
        LevelArg::Grid => Level::Grid,
        LevelArg::Community => Level::Community,
        LevelArg::Street => Level::Street,
        LevelArg::City => Level::City,
    }
}

/// The event an `act` command asks for.
fn action(client: &Client, command: &IncidentCommand) -> Result<IncidentAction> {
    let IncidentCommand::Act {
        action,
        failed,
        rating,
        level: to_level,
        department,
        days,
        ..
    } = command;
    let assignment = || -> Result<(Level, Option<Uuid>, Option<Uuid>, Option<_>)> {
        let to = level(to_level.ok_or_else(|| anyhow!("--level is required for this action"))?);
        let reference = client
            .reference()?
            .context("no reference data yet: sync first")?;
        let days = days.unwrap_or_else(|| to.default_days());
        Ok((
            to,
            *department,
            None,
            Some(reference.calendar.due(client.now(), days)),
        ))
    };
    Ok(match action {
        Action::Dispatch => {
            let (level, department_id, assignee_id, due) = assignment()?;
            IncidentAction::Dispatch {
                level,
                department_id,
                assignee_id,
                due,
            }
        }
        Action::Transfer => {
            let (level, department_id, assignee_id, due) = assignment()?;
            IncidentAction::Transfer {
                level,
                department_id,
                assignee_id,
                due,
            }
        }
        Action::Escalate => {
            let (level, department_id, assignee_id, due) = assignment()?;
            IncidentAction::Escalate {
                level,
                department_id,
                assignee_id,
                due,
            }
        }
        Action::Accept => IncidentAction::Accept,
        Action::Return => IncidentAction::Return,
        Action::Feedback => IncidentAction::Feedback,
        Action::Verify => IncidentAction::Verify { passed: !failed },
        Action::Evaluate => IncidentAction::Evaluate {
            satisfaction: match rating.ok_or_else(|| anyhow!("--rating is required to evaluate"))? {
                Rating::Satisfied => Satisfaction::Satisfied,
                Rating::Basic => Satisfaction::Basically,
                Rating::Unsatisfied => Satisfaction::Dissatisfied,
            },
        },
        Action::Reopen => IncidentAction::Reopen,
        Action::Urge => IncidentAction::Urge,
        Action::Close => IncidentAction::Close,
        Action::Comment => IncidentAction::Comment,
    })
}

/// Runs an incident command.
pub fn run(client: &Client, command: IncidentCommand) -> Result<()> {
    let event = action(client, &command)?;
    let IncidentCommand::Act {
        id,
        note,
        media,
        position,
        ..
    } = command;
    let location = position.location(client);
    let added = media.add(client)?;
    media.undo_on_error(client, &added, |a| {
        client
            .add_incident_event_with(id, event, &note, &a.photos, location.clone())
            .map(|()| id)
    })?;
    Ok(())
}
