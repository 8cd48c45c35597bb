//! `gridwalk notice`: the notices and instructions addressed to the signed-in user (list,
//! show — which records the read receipt — reply, done), each a local edit that syncs.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use gridwalk_client::{Client, NoticeItem};
use uuid::Uuid;

/// What to do with notices.
#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// One line per notice, newest first: `ID unread|read|answered [overdue] KIND TITLE`.
    List,
    /// Open a notice (records the read receipt); prints it as JSON.
    Show {
        /// Notice id (as `list` prints it).
        id: Uuid,
    },
    /// Reply to an instruction (回复).
    Reply {
        /// Notice id.
        id: Uuid,
        /// The reply.
        #[arg(long)]
        text: String,
    },
    /// Mark an instruction done (办结).
    Done {
        /// Notice id.
        id: Uuid,
    },
}

fn state(item: &NoticeItem) -> &'static str {
    if item.delivery.receipt.answered() {
        "answered"
    } else if item.unread {
        "unread"
    } else {
        "read"
    }
}

/// Runs one `notice` command.
pub fn run(client: &Client, command: NoticeCommand, out: &mut impl Write) -> Result<()> {
    match command {
        NoticeCommand::List => {
            for item in client.notices()? {
                let kind = serde_json::to_value(item.delivery.content.kind)?;
                writeln!(
                    out,
                    "{} {}{} {} {}",
                    item.delivery.id,
                    state(&item),
                    if item.overdue { " overdue" } else { "" },
                    kind.as_str().unwrap_or("notice"),
                    item.delivery.content.title
                )?;
            }
        }
        NoticeCommand::Show { id } => {
            let item = client.open_notice(id)?;
            writeln!(out, "{}", serde_json::to_string(&item)?)?;
        }
        NoticeCommand::Reply { id, text } => client.reply_notice(id, &text)?,
        NoticeCommand::Done { id } => client.mark_notice_done(id)?,
    }
    Ok(())
}
