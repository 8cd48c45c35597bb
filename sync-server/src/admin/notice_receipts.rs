//! What the sender sees of a notice: counts over its deliveries (recipients, read, replied
//! or done, overdue) and each recipient's receipt, worked out from the deliveries as stored.

use gridwalk_shared::model::{
    Notice, NoticeDelivery, NoticeKind, NoticeReceipt, NoticeResponse, ReferenceData,
};
use gridwalk_shared::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

/// Receipt counts of one notice.
#[derive(Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct NoticeCounts {
    /// Users it was addressed to.
    pub recipients: u32,
    /// Of them, who opened it.
    pub read: u32,
    /// Who replied or marked it done.
    pub answered: u32,
    /// Who has not answered an instruction whose deadline has passed.
    pub overdue: u32,
}

/// A sent notice, as listed.
#[derive(Debug, Serialize, specta::Type)]
pub struct NoticeSummary {
    id: Uuid,
    kind: NoticeKind,
    title: String,
    response: Option<NoticeResponse>,
    deadline: Option<Timestamp>,
    sent_at: Timestamp,
    /// The sender's name.
    sender: String,
    counts: NoticeCounts,
}

/// One recipient's receipt.
#[derive(Debug, Serialize, specta::Type)]
pub struct ReceiptRow {
    user_id: Uuid,
    /// The recipient's name.
    name: String,
    /// Their org unit's (or department's) name.
    unit: String,
    read_at: Option<Timestamp>,
    reply: Option<String>,
    replied_at: Option<Timestamp>,
    done_at: Option<Timestamp>,
    /// Not answered, and the deadline has passed.
    overdue: bool,
}

/// One notice with every recipient's receipt.
#[derive(Debug, Serialize, specta::Type)]
pub struct NoticeReceipts {
    notice: NoticeSummary,
    text: String,
    photos: Vec<String>,
    pdf: Option<String>,
    /// By name.
    receipts: Vec<ReceiptRow>,
}

fn receipt_of<'a>(deliveries: &[&'a NoticeDelivery], user: Uuid) -> Option<&'a NoticeReceipt> {
    deliveries
        .iter()
        .find(|d| d.recipient_id == user)
        .map(|d| &d.receipt)
}

/// The counts of `notice` over its `deliveries` at `now`.
pub fn counts(notice: &Notice, deliveries: &[&NoticeDelivery], now: Timestamp) -> NoticeCounts {
    let empty = NoticeReceipt::default();
    let mut counts = NoticeCounts::default();
    for user in &notice.recipients {
        let receipt = receipt_of(deliveries, *user).unwrap_or(&empty);
        counts.recipients += 1;
        counts.read += u32::from(receipt.read_at.is_some());
        counts.answered += u32::from(receipt.answered());
        counts.overdue += u32::from(notice.content.overdue(receipt, now));
    }
    counts
}

fn user_name(reference: &ReferenceData, id: Uuid) -> String {
    reference
        .user(id)
        .map_or_else(|| id.to_string(), |u| u.name.clone())
}

/// The list entry of `notice`.
pub fn summary(
    notice: &Notice,
    deliveries: &[&NoticeDelivery],
    reference: &ReferenceData,
    now: Timestamp,
) -> NoticeSummary {
    NoticeSummary {
        id: notice.id,
        kind: notice.content.kind,
        title: notice.content.title.clone(),
        response: notice.content.response,
        deadline: notice.content.deadline,
        sent_at: notice.sent_at,
        sender: user_name(reference, notice.sender_id),
        counts: counts(notice, deliveries, now),
    }
}

fn scope_name(reference: &ReferenceData, scope: Uuid) -> String {
    reference
        .unit(scope)
        .map(|u| u.name.clone())
        .or_else(|| {
            let department = reference.departments.iter().find(|d| d.id == scope);
            department.map(|d| d.name.clone())
        })
        .unwrap_or_default()
}

/// `notice` with each recipient's receipt, by name.
pub fn receipts_of(
    notice: &Notice,
    deliveries: &[&NoticeDelivery],
    reference: &ReferenceData,
    now: Timestamp,
) -> NoticeReceipts {
    let empty = NoticeReceipt::default();
    let mut receipts: Vec<ReceiptRow> = notice
        .recipients
        .iter()
        .map(|user| {
            let receipt = receipt_of(deliveries, *user).unwrap_or(&empty);
            let scope = reference.user(*user).map(|u| u.scope_id);
            ReceiptRow {
                user_id: *user,
                name: user_name(reference, *user),
                unit: scope.map(|s| scope_name(reference, s)).unwrap_or_default(),
                read_at: receipt.read_at,
                reply: receipt.reply.clone(),
                replied_at: receipt.replied_at,
                done_at: receipt.done_at,
                overdue: notice.content.overdue(receipt, now),
            }
        })
        .collect();
    receipts.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
    NoticeReceipts {
        notice: summary(notice, deliveries, reference, now),
        text: notice.content.text.clone(),
        photos: notice.content.photos.clone(),
        pdf: notice.content.pdf.clone(),
        receipts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_shared::model::{Audience, NoticeContent};

    fn at(ms: i64) -> Option<Timestamp> {
        Some(Timestamp::from_millis(ms))
    }

    #[test]
    fn counts_follow_the_receipts_and_the_deadline() {
        let users: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        let notice = Notice {
            id: Uuid::from_u128(9),
            sender_id: Uuid::from_u128(8),
            unit_id: Uuid::from_u128(7),
            sent_at: Timestamp::from_millis(0),
            content: NoticeContent {
                kind: NoticeKind::Instruction,
                title: "排查".into(),
                text: String::new(),
                photos: vec![],
                pdf: None,
                response: Some(NoticeResponse::Done),
                deadline: at(1_000),
            },
            audience: Audience::default(),
            recipients: users.clone(),
        };
        let delivery = |user: Uuid, receipt: NoticeReceipt| NoticeDelivery {
            id: Uuid::now_v7(),
            notice_id: notice.id,
            recipient_id: user,
            sender: String::new(),
            sent_at: notice.sent_at,
            content: notice.content.clone(),
            receipt,
        };
        let done = delivery(
            users[0],
            NoticeReceipt {
                read_at: at(10),
                done_at: at(20),
                ..NoticeReceipt::default()
            },
        );
        let read = delivery(
            users[1],
            NoticeReceipt {
                read_at: at(10),
                ..NoticeReceipt::default()
            },
        );
        let deliveries = [&done, &read];
        let before = counts(&notice, &deliveries, Timestamp::from_millis(500));
        let after = counts(&notice, &deliveries, Timestamp::from_millis(1_500));
        let expect = |overdue| NoticeCounts {
            recipients: 3,
            read: 2,
            answered: 1,
            overdue,
        };
        assert_eq!((before, after), (expect(0), expect(2)));
    }
}
