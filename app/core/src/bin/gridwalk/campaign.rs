//! `gridwalk campaign`: the campaigns held (阶段性任务), the signed-in worker's open tasks,
//! and doing one — a visit, a building check or a census visit that references the campaign.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use gridwalk_client::{CampaignVisit, CensusForm, Client};
use gridwalk_shared::model::{Answer, ItemKind};
use uuid::Uuid;

/// Campaign commands.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// The campaigns held: `CAMPAIGN KIND DEADLINE DONE/TOTAL overdue|- NAME`.
    List,
    /// My open tasks by deadline: `CAMPAIGN TARGET KIND DEADLINE overdue|- LABEL`.
    Tasks,
    /// Do a task now; prints the visit's id.
    Do {
        /// Campaign id.
        #[arg(long)]
        campaign: Uuid,
        /// Household (or, for a building check, building) id.
        #[arg(long)]
        target: Uuid,
        /// Notes.
        #[arg(long, default_value = "")]
        note: String,
        /// A checklist answer, `KEY=VALUE` (yes/no, an option, options joined by `,`, text or a
        /// number, by the item's kind); repeat for more.
        #[arg(long = "answer")]
        answers: Vec<String>,
        /// Census: head of household.
        #[arg(long)]
        head: Option<String>,
        /// Census: phone.
        #[arg(long, allow_hyphen_values = true)]
        phone: Option<String>,
        /// Census: address.
        #[arg(long)]
        address: Option<String>,
        /// Census: household tags, comma-separated (empty: none).
        #[arg(long)]
        tags: Option<String>,
    },
}

/// Runs a campaign command.
pub fn run(client: &Client, command: CampaignCommand, out: &mut impl Write) -> Result<()> {
    match command {
        CampaignCommand::List => {
            for c in client.campaigns()? {
                writeln!(
                    out,
                    "{} {} {} {}/{} {} {}",
                    c.campaign_id,
                    c.kind.as_str(),
                    c.deadline,
                    c.done,
                    c.total,
                    if c.overdue { "overdue" } else { "-" },
                    c.name
                )?;
            }
        }
        CampaignCommand::Tasks => {
            for t in client.campaign_tasks()? {
                writeln!(
                    out,
                    "{} {} {} {} {} {}",
                    t.campaign_id,
                    t.target_id,
                    t.kind.as_str(),
                    t.deadline,
                    if t.overdue { "overdue" } else { "-" },
                    t.label
                )?;
            }
        }
        CampaignCommand::Do {
            campaign,
            target,
            note,
            answers,
            head,
            phone,
            address,
            tags,
        } => {
            let task = client
                .campaign_tasks()?
                .into_iter()
                .find(|t| t.campaign_id == campaign && t.target_id == target);
            let template = task
                .as_ref()
                .and_then(|t| t.template_id.zip(t.template_version));
            let answers = parse_answers(client, template, &answers)?;
            let census = census_form(client, target, head, phone, address, tags)?;
            let id = client.do_campaign_task(CampaignVisit {
                campaign_id: campaign,
                target_id: target,
                note,
                answers,
                location: None,
                census,
            })?;
            writeln!(out, "{id}")?;
        }
    }
    Ok(())
}

/// The census form: the household as held, with the fields given changed; `None` when no
/// census field was given.
fn census_form(
    client: &Client,
    target: Uuid,
    head: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    tags: Option<String>,
) -> Result<Option<CensusForm>> {
    if head.is_none() && phone.is_none() && address.is_none() && tags.is_none() {
        return Ok(None);
    }
    let card = client.household_card(target)?;
    let mut form = card.household.facts();
    form.head = head.unwrap_or(form.head);
    form.phone = phone.unwrap_or(form.phone);
    form.address = address.unwrap_or(form.address);
    if let Some(tags) = tags {
        form.tags = split_list(&tags);
    }
    Ok(Some(form))
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// `KEY=VALUE` answers, typed by the items of the campaign's checklist (or the current one).
fn parse_answers(
    client: &Client,
    template: Option<(Uuid, u32)>,
    given: &[String],
) -> Result<BTreeMap<String, Answer>> {
    if given.is_empty() {
        return Ok(BTreeMap::new());
    }
    let reference = client
        .reference()?
        .ok_or_else(|| anyhow!("no reference data yet: sync first"))?;
    let checklist = match template {
        Some((id, version)) => reference.checklist(id, version),
        None => reference.current_checklist(),
    }
    .ok_or_else(|| anyhow!("the campaign's checklist is not held"))?;
    let mut answers = BTreeMap::new();
    for pair in given {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("`{pair}` is not KEY=VALUE"))?;
        let item = checklist
            .items
            .iter()
            .find(|i| i.key == key)
            .ok_or_else(|| anyhow!("the checklist has no item `{key}`"))?;
        let answer = match &item.kind {
            ItemKind::YesNo => Answer::YesNo(matches!(value, "yes" | "true" | "是" | "1")),
            ItemKind::SingleChoice { .. } => Answer::Choice(value.to_string()),
            ItemKind::MultiChoice { .. } => Answer::Choices(split_list(value)),
            ItemKind::Text => Answer::Text(value.to_string()),
            ItemKind::Number => Answer::Number(
                value
                    .parse()
                    .map_err(|_| anyhow!("`{value}` is not a number"))?,
            ),
            ItemKind::Photo => return Err(anyhow!("photo items are answered in the app")),
        };
        answers.insert(key.to_string(), answer);
    }
    Ok(answers)
}
