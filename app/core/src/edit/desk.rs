//! Hall-desk and daily records: walk-in service requests (办事登记) and work logs (工作日志).

use gridwalk_shared::{
    model::{ServiceAction, ServiceEvent, ServiceRequest, WorkLogDay, WorkLogEntry},
    time::{new_id, Timestamp},
    Record, RecordKind,
};
use uuid::Uuid;

use super::{context, wrong_kind};
use crate::store::queries;
use crate::{Client, Result};

/// A walk-in request to register at the community hall.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewServiceRequest {
    /// Service catalogue item.
    pub item_id: Uuid,
    /// Resident's name.
    pub resident_name: String,
    /// Resident's phone.
    pub resident_phone: String,
    /// Materials received at the window.
    pub materials_received: Vec<String>,
}

impl Client {
    /// Registers a walk-in request in the signed-in desk worker's community, with the
    /// signed-in user as first responder (首问负责); returns its id.
    pub fn register_service_request(&self, request: NewServiceRequest) -> Result<Uuid> {
        let now = self.clock.now();
        self.create(|_, ctx| {
            let due = ctx
                .reference
                .service(request.item_id)
                .map(|item| ctx.reference.calendar.due(now, item.time_limit_days));
            Ok(Record::ServiceRequest(ServiceRequest {
                id: new_id(),
                community_id: ctx.user.scope_id,
                item_id: request.item_id,
                resident_name: request.resident_name,
                resident_phone: request.resident_phone,
                materials_received: request.materials_received,
                due,
                events: vec![ServiceEvent {
                    id: new_id(),
                    at: now,
                    by: ctx.user.id,
                    action: ServiceAction::Register,
                    note: String::new(),
                }],
                received: Default::default(),
            }))
        })
    }

    /// Appends a workflow event by the signed-in user to a service request.
    pub fn add_service_event(&self, id: Uuid, action: ServiceAction, note: &str) -> Result<()> {
        let now = self.clock.now();
        self.edit(id, Some(RecordKind::ServiceRequest), |doc, old, ctx| {
            let Record::ServiceRequest(mut request) = old.clone() else {
                return Err(wrong_kind(id, RecordKind::ServiceRequest, old.kind()));
            };
            let latest = request.events.iter().map(|e| e.at).max();
            request.events.push(ServiceEvent {
                id: new_id(),
                at: Timestamp::next_after(latest, now),
                by: ctx.user.id,
                action,
                note: note.to_string(),
            });
            Ok(gridwalk_shared::doc::write(
                doc,
                &Record::ServiceRequest(request),
            )?)
        })
    }

    /// Adds a line to the signed-in user's work log for today (local date), creating the
    /// day's record if needed; returns the day record's id.
    pub fn add_work_log(&self, text: &str) -> Result<Uuid> {
        let now = self.clock.now();
        let (user, date, today) = {
            let store = self.store();
            let ctx = context(store.conn())?;
            let date = ctx.reference.calendar.local_date(now).to_string();
            let today = queries::work_log_of(store.conn(), ctx.user.id, &date)?;
            (ctx.user, date, today)
        };
        let entry = WorkLogEntry {
            id: new_id(),
            at: now,
            text: text.to_string(),
        };
        match today {
            Some(id) => {
                self.edit(id, Some(RecordKind::WorkLog), |doc, old, _| {
                    let Record::WorkLog(mut day) = old.clone() else {
                        return Err(wrong_kind(id, RecordKind::WorkLog, old.kind()));
                    };
                    day.entries.push(entry);
                    Ok(gridwalk_shared::doc::write(doc, &Record::WorkLog(day))?)
                })?;
                Ok(id)
            }
            None => self.create(|_, _| {
                Ok(Record::WorkLog(WorkLogDay {
                    id: new_id(),
                    scope_id: user.scope_id,
                    worker_id: user.id,
                    date,
                    entries: vec![entry],
                }))
            }),
        }
    }
}
