//! Notices and instructions on the phone (通知公告 / 信息指令): the deliveries addressed to
//! the signed-in user, newest first; opening one records the read receipt, and an
//! instruction takes a reply or a done mark — each a local edit that syncs, offline too.

use gridwalk_shared::model::{NoticeDelivery, NoticeResponse};
use gridwalk_shared::{doc, Record, RecordKind};
use serde::Serialize;
use uuid::Uuid;

use super::{context, wrong_kind};
use crate::store::records;
use crate::{Client, Error, Result};

/// A notice as the phone lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoticeItem {
    /// The delivery: what the notice says and the receipt.
    pub delivery: NoticeDelivery,
    /// Not opened yet.
    pub unread: bool,
    /// An instruction not answered by its deadline.
    pub overdue: bool,
}

impl Client {
    /// The notices addressed to the signed-in user, newest first.
    pub fn notices(&self) -> Result<Vec<NoticeItem>> {
        let now = self.clock.now();
        let store = self.store();
        let conn = store.conn();
        let user = context(conn)?.user.id;
        let mut items = Vec::new();
        for id in records::ids_of_kind(conn, RecordKind::NoticeDelivery)? {
            let Some(stored) = records::load(conn, id)? else {
                continue;
            };
            let Ok(Record::NoticeDelivery(delivery)) = stored.record() else {
                continue;
            };
            if delivery.recipient_id == user {
                items.push(NoticeItem {
                    unread: delivery.receipt.read_at.is_none(),
                    overdue: delivery.content.overdue(&delivery.receipt, now),
                    delivery,
                });
            }
        }
        items.sort_by(|a, b| {
            (b.delivery.sent_at, b.delivery.id).cmp(&(a.delivery.sent_at, a.delivery.id))
        });
        Ok(items)
    }

    /// How many notices are not opened yet (the home screen's badge).
    pub fn unread_notices(&self) -> Result<usize> {
        Ok(self.notices()?.iter().filter(|n| n.unread).count())
    }

    /// Opens notice `id` (a delivery id): records the read receipt the first time.
    pub fn open_notice(&self, id: Uuid) -> Result<NoticeItem> {
        self.answer_notice(id, |_| Ok(()))?;
        self.notices()?
            .into_iter()
            .find(|n| n.delivery.id == id)
            .ok_or(Error::NotFound(id))
    }

    /// Replies to instruction `id` (回复).
    pub fn reply_notice(&self, id: Uuid, text: &str) -> Result<()> {
        let now = self.clock.now();
        self.answer_notice(id, |d| {
            asks(d, NoticeResponse::Reply)?;
            d.receipt.reply = Some(text.trim().to_string());
            d.receipt.replied_at = Some(now);
            Ok(())
        })
    }

    /// Marks instruction `id` done (办结).
    pub fn mark_notice_done(&self, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        self.answer_notice(id, |d| {
            asks(d, NoticeResponse::Done)?;
            d.receipt.done_at.get_or_insert(now);
            Ok(())
        })
    }

    /// Edits delivery `id`'s receipt with `answer`, marking it read first if it was not.
    fn answer_notice(
        &self,
        id: Uuid,
        answer: impl FnOnce(&mut NoticeDelivery) -> Result<()>,
    ) -> Result<()> {
        let now = self.clock.now();
        self.edit(id, Some(RecordKind::NoticeDelivery), |document, old, _| {
            let Record::NoticeDelivery(mut delivery) = old.clone() else {
                return Err(wrong_kind(id, RecordKind::NoticeDelivery, old.kind()));
            };
            delivery.receipt.read_at.get_or_insert(now);
            answer(&mut delivery)?;
            Ok(doc::write(document, &Record::NoticeDelivery(delivery))?)
        })
    }
}

fn asks(delivery: &NoticeDelivery, response: NoticeResponse) -> Result<()> {
    if delivery.content.response == Some(response) {
        Ok(())
    } else {
        let what = match response {
            NoticeResponse::Reply => "a reply",
            NoticeResponse::Done => "a done mark",
        };
        Err(Error::Usage(format!("this notice asks for no {what}")))
    }
}
