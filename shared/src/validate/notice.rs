//! Notices and their deliveries (通知公告 / 信息指令): the schema, the size budget, who
//! the audience expands to, and the receipt rule — the server alone creates notices and
//! deliveries, nobody changes what a notice says, and only its recipient fills a
//! delivery's receipt (read, reply, done), which once given is not taken back.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::budget::{list, text, MAX_PHOTOS, MAX_SHORT_TEXT, MAX_TAGS, MAX_TEXT};
use super::{check_blobs, invalid, required, Actor, Result, ValidationError};
use crate::model::{
    Audience, Notice, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt, NoticeResponse,
    Record, ReferenceData,
};

/// Most users one notice may be addressed to (a street has some 500 workers).
pub const MAX_RECIPIENTS: usize = 5000;

/// The users `audience` addresses, in id order: every user whose scope lies within one of
/// its units (only of its roles, if it names any; department staff by their department's
/// unit), and its named users.
pub fn expand_audience(audience: &Audience, reference: &ReferenceData) -> Vec<Uuid> {
    let unit_of = |scope: Uuid| {
        reference
            .departments
            .iter()
            .find(|d| d.id == scope)
            .map_or(scope, |d| d.unit_id)
    };
    let mut ids: BTreeSet<Uuid> = reference
        .users
        .iter()
        .filter(|u| audience.roles.is_empty() || audience.roles.contains(&u.role))
        .filter(|u| {
            let unit = unit_of(u.scope_id);
            audience
                .units
                .iter()
                .any(|root| reference.is_within(unit, *root))
        })
        .map(|u| u.id)
        .collect();
    ids.extend(
        audience
            .users
            .iter()
            .filter(|id| reference.user(**id).is_some()),
    );
    ids.into_iter().collect()
}

/// Budget of a notice or delivery.
pub(super) fn budget(record: &Record) -> Result {
    match record {
        Record::Notice(n) => {
            content_budget(&n.content)?;
            list("audience units", n.audience.units.len(), MAX_TAGS)?;
            list("audience roles", n.audience.roles.len(), MAX_TAGS)?;
            list("audience users", n.audience.users.len(), MAX_RECIPIENTS)?;
            list("recipients", n.recipients.len(), MAX_RECIPIENTS)
        }
        Record::NoticeDelivery(d) => {
            content_budget(&d.content)?;
            text("sender", &d.sender, MAX_SHORT_TEXT)?;
            text("reply", d.receipt.reply.as_deref().unwrap_or(""), MAX_TEXT)
        }
        _ => Ok(()),
    }
}

fn content_budget(c: &NoticeContent) -> Result {
    text("title", &c.title, MAX_SHORT_TEXT)?;
    text("text", &c.text, MAX_TEXT)?;
    list("photos", c.photos.len(), MAX_PHOTOS)
}

/// What a notice says holds together: a title; an instruction asks for a reply or a done
/// mark by a deadline, a notice for neither.
pub fn check_content(c: &NoticeContent) -> Result {
    required("title", &c.title)?;
    check_blobs("photos", &c.photos)?;
    check_blobs("pdf", c.pdf.as_slice())?;
    match (c.kind, c.response, c.deadline) {
        (NoticeKind::Instruction, Some(_), Some(_)) | (NoticeKind::Notice, None, None) => Ok(()),
        (NoticeKind::Instruction, _, _) => Err(invalid(
            "an instruction needs a response (reply or done) and a deadline",
        )),
        (NoticeKind::Notice, _, _) => Err(invalid(
            "a notice asks for no response and has no deadline; send an instruction",
        )),
    }
}

/// Schema checks on a sender's notice.
pub(super) fn validate_notice(n: &Notice, reference: &ReferenceData) -> Result {
    check_content(&n.content)?;
    if reference.user(n.sender_id).is_none() {
        return Err(invalid(format!("sender {} does not exist", n.sender_id)));
    }
    if reference.unit(n.unit_id).is_none() {
        return Err(invalid(format!("org unit {} does not exist", n.unit_id)));
    }
    if n.recipients.is_empty() {
        return Err(invalid("the audience holds nobody"));
    }
    if let Some(unit) = n
        .audience
        .units
        .iter()
        .find(|u| reference.unit(**u).is_none())
    {
        return Err(invalid(format!("org unit {unit} does not exist")));
    }
    match n
        .recipients
        .iter()
        .chain(&n.audience.users)
        .find(|u| reference.user(**u).is_none())
    {
        Some(user) => Err(invalid(format!("user {user} does not exist"))),
        None => Ok(()),
    }
}

/// Schema checks on a delivery: its receipt answers what the notice asks, after reading it.
pub(super) fn validate_delivery(d: &NoticeDelivery, reference: &ReferenceData) -> Result {
    check_content(&d.content)?;
    if reference.user(d.recipient_id).is_none() {
        return Err(invalid(format!("user {} does not exist", d.recipient_id)));
    }
    let r = &d.receipt;
    if r.reply.is_some() != r.replied_at.is_some() {
        return Err(invalid(
            "a reply needs its time, and a reply time its reply",
        ));
    }
    if let Some(reply) = &r.reply {
        required("reply", reply)?;
    }
    if r.answered() && r.read_at.is_none() {
        return Err(invalid("a notice is read before it is answered"));
    }
    let asked = d.content.response;
    if r.replied_at.is_some() && asked != Some(NoticeResponse::Reply) {
        return Err(invalid("this notice asks for no reply"));
    }
    if r.done_at.is_some() && asked != Some(NoticeResponse::Done) {
        return Err(invalid("this notice asks for no done mark"));
    }
    Ok(())
}

fn forbidden(message: &str) -> ValidationError {
    ValidationError::new("forbidden", message)
}

/// For a notice or delivery: only the server creates them (`None` for other kinds).
pub(super) fn check_creation(new: &Record, actor: &Actor) -> Option<Result> {
    match new {
        Record::Notice(_) | Record::NoticeDelivery(_) if actor.is_system() => Some(Ok(())),
        Record::Notice(_) | Record::NoticeDelivery(_) => Some(Err(forbidden(
            "notices are sent from the admin web, not created on a device",
        ))),
        _ => None,
    }
}

/// For a notice or delivery: nobody changes what it says, only the recipient its receipt
/// (`None` for other kinds).
pub(super) fn check_change(old: &Record, new: &Record, actor: &Actor) -> Option<Result> {
    match (old, new) {
        (Record::Notice(o), Record::Notice(n)) => Some(if o == n || actor.is_system() {
            Ok(())
        } else {
            Err(forbidden("a sent notice cannot be changed"))
        }),
        (Record::NoticeDelivery(o), Record::NoticeDelivery(n)) => {
            Some(check_receipt_change(o, n, actor))
        }
        _ => None,
    }
}

fn check_receipt_change(old: &NoticeDelivery, new: &NoticeDelivery, actor: &Actor) -> Result {
    let same_notice = old.notice_id == new.notice_id
        && old.recipient_id == new.recipient_id
        && old.sender == new.sender
        && old.sent_at == new.sent_at
        && old.content == new.content;
    if !same_notice {
        return Err(ValidationError::new(
            "immutable_field",
            "what a notice says cannot be changed",
        ));
    }
    if old.receipt == new.receipt {
        return Ok(());
    }
    if actor.user_id != new.recipient_id {
        return Err(forbidden("only its recipient may answer a notice"));
    }
    if taken_back(&old.receipt, &new.receipt) {
        return Err(forbidden("a receipt once given is not taken back"));
    }
    Ok(())
}

fn taken_back(old: &NoticeReceipt, new: &NoticeReceipt) -> bool {
    (old.read_at.is_some() && new.read_at.is_none())
        || (old.replied_at.is_some() && new.replied_at.is_none())
        || (old.done_at.is_some() && new.done_at.is_none())
}
