//! Notices and instructions (通知公告 / 信息指令) with read receipts. The sender's record
//! ([`Notice`]) says who it was addressed to; the server writes one [`NoticeDelivery`] per
//! recipient, scoped to the recipient's user id, so each phone receives only its own copy,
//! and the recipient's receipt (read, reply, done) is a local edit that syncs.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::time::Timestamp;

/// A notice only informs; an instruction asks each recipient for a reply or a done mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 通知公告
    Notice,
    /// 信息指令
    Instruction,
}

/// What an instruction asks of each recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NoticeResponse {
    /// 回复: a written answer.
    Reply,
    /// 办结: a done mark.
    Done,
}

/// What a notice says, the same in the sender's record and in every delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoticeContent {
    /// Notice or instruction.
    pub kind: NoticeKind,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Photo blobs (SHA-256).
    pub photos: Vec<String>,
    /// One PDF blob (SHA-256), instead of or beside the photos.
    pub pdf: Option<String>,
    /// What an instruction asks for (`None` for a notice).
    pub response: Option<NoticeResponse>,
    /// When an instruction's reply or done mark is due (`None` for a notice).
    pub deadline: Option<Timestamp>,
}

impl NoticeContent {
    /// Blob hashes the content references.
    pub fn blob_refs(&self) -> Vec<String> {
        self.photos.iter().chain(&self.pdf).cloned().collect()
    }

    /// Whether a recipient who answered with `receipt` is overdue at `now`.
    pub fn overdue(&self, receipt: &NoticeReceipt, now: Timestamp) -> bool {
        self.kind == NoticeKind::Instruction
            && self.deadline.is_some_and(|d| d < now)
            && !receipt.answered()
    }
}

/// Who a notice is addressed to: everyone within the units (only the roles listed, if any),
/// and the named users wherever they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Audience {
    /// Grids, communities or streets.
    pub units: Vec<Uuid>,
    /// Only users of these roles within `units` (empty: every role).
    pub roles: Vec<Role>,
    /// Named users.
    pub users: Vec<Uuid>,
}

/// The sender's record of a notice, scoped to the sender's user id (no phone but the
/// sender's own receives it); the admin web counts receipts from the deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Notice {
    /// Record id.
    pub id: Uuid,
    /// Sender (scope), fixed at creation.
    pub sender_id: Uuid,
    /// The sender's org unit at the time of sending.
    pub unit_id: Uuid,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// What it says.
    pub content: NoticeContent,
    /// Who it was addressed to.
    pub audience: Audience,
    /// The users the audience expanded to when it was sent.
    pub recipients: Vec<Uuid>,
}

/// One recipient's receipt of a notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoticeReceipt {
    /// When the recipient first opened it.
    pub read_at: Option<Timestamp>,
    /// The recipient's reply (instructions asking for one).
    pub reply: Option<String>,
    /// When the reply was written.
    pub replied_at: Option<Timestamp>,
    /// When the recipient marked it done (instructions asking for that).
    pub done_at: Option<Timestamp>,
}

impl NoticeReceipt {
    /// Whether the recipient replied or marked it done.
    pub fn answered(&self) -> bool {
        self.replied_at.is_some() || self.done_at.is_some()
    }
}

/// One recipient's copy of a notice, scoped to the recipient's user id; only the recipient
/// may change its receipt, and nobody its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoticeDelivery {
    /// Record id.
    pub id: Uuid,
    /// The sender's [`Notice`].
    pub notice_id: Uuid,
    /// Recipient (scope), fixed at creation.
    pub recipient_id: Uuid,
    /// The sender's display name.
    pub sender: String,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// What it says.
    pub content: NoticeContent,
    /// The recipient's receipt.
    pub receipt: NoticeReceipt,
}
