//! The query row the server keeps per document (dashboards, queues, exports), derived from
//! the hydrated record whenever the document is stored.

use gridwalk_shared::model::Record;
use gridwalk_shared::workflow::{fold_incident_accounted, fold_service_request_accounted};
use uuid::Uuid;

/// Columns of `record_index`: the facts about a record that queries filter and count by.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// Workflow status (incidents, service requests).
    pub status: Option<String>,
    /// Incident category code, or service item id.
    pub category: Option<String>,
    /// Handling level (incidents).
    pub level: Option<String>,
    /// Who: visit worker, incident reporter, responsible desk worker, work-log writer,
    /// notice sender or recipient.
    pub actor: Option<Uuid>,
    /// What about: the visited household, a delivery's notice.
    pub subject: Option<Uuid>,
    /// When it started: visit start, report time, registration time (epoch ms).
    pub at: Option<i64>,
    /// Due time (epoch ms).
    pub due: Option<i64>,
    /// When it was handled or completed (epoch ms).
    pub done_at: Option<i64>,
    /// Satisfaction rating.
    pub satisfaction: Option<String>,
    /// The whole record as JSON (for exports).
    pub json: String,
}

fn snake<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// Derives the index row of a record.
pub fn index_row(record: &Record) -> IndexRow {
    let mut row = IndexRow {
        status: None,
        category: None,
        level: None,
        actor: None,
        subject: None,
        at: None,
        due: None,
        done_at: None,
        satisfaction: None,
        json: serde_json::to_string(record).unwrap_or_default(),
    };
    match record {
        Record::Household(_) => {}
        Record::Visit(v) => {
            row.actor = Some(v.worker_id);
            // A building check (a campaign task) is filed under its building: no household.
            let building_check = v.campaign.as_ref().is_some_and(|c| c.building_id.is_some());
            row.subject = (!building_check).then_some(v.household_id);
            row.at = Some(v.started_at.millis());
            row.done_at = v.ended_at.map(|t| t.millis());
        }
        Record::Incident(i) => {
            let state = fold_incident_accounted(i);
            row.status = Some(state.status.as_str().to_string());
            row.category = Some(i.category.clone());
            row.level = snake(&state.level);
            row.actor = Some(i.reporter_id);
            row.at = state.reported_at.map(|t| t.millis());
            row.due = state.due.map(|t| t.millis());
            row.done_at = state.handled_at.map(|t| t.millis());
            row.satisfaction = state.satisfaction.as_ref().and_then(snake);
        }
        Record::ServiceRequest(s) => {
            let state = fold_service_request_accounted(s);
            row.status = Some(state.status.as_str().to_string());
            row.category = Some(s.item_id.to_string());
            row.actor = state.responsible_id;
            row.at = state.registered_at.map(|t| t.millis());
            row.due = state.due.map(|t| t.millis());
            row.done_at = state.completed_at.map(|t| t.millis());
            row.satisfaction = state.satisfaction.as_ref().and_then(snake);
        }
        Record::WorkLog(w) => {
            row.actor = Some(w.worker_id);
        }
        Record::Notice(n) => {
            row.actor = Some(n.sender_id);
            row.at = Some(n.sent_at.millis());
            row.due = n.content.deadline.map(|t| t.millis());
        }
        Record::NoticeDelivery(d) => {
            row.actor = Some(d.recipient_id);
            row.subject = Some(d.notice_id);
            row.at = Some(d.sent_at.millis());
            row.due = d.content.deadline.map(|t| t.millis());
            row.done_at = d
                .receipt
                .replied_at
                .or(d.receipt.done_at)
                .map(|t| t.millis());
        }
        Record::Patrol(p) => {
            row.actor = Some(p.worker_id);
            row.at = Some(p.started_at.millis());
            row.done_at = p.ended_at.map(|t| t.millis());
        }
        Record::Handover(h) => {
            row.category = Some(h.week.clone());
        }
        Record::Campaign(c) => {
            row.category = Some(c.task_kind.as_str().to_string());
            row.actor = Some(c.created_by);
            row.subject = Some(c.campaign_id);
            row.at = Some(c.created_at.millis());
            row.due = Some(c.deadline.millis());
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_shared::model::{Incident, IncidentAction, IncidentEvent};
    use gridwalk_shared::time::Timestamp;

    fn event(at: i64, action: IncidentAction) -> IncidentEvent {
        IncidentEvent {
            id: Uuid::now_v7(),
            at: Timestamp::from_millis(at),
            by: Uuid::nil(),
            action,
            note: String::new(),
            photos: vec![],
            location: None,
        }
    }

    #[test]
    fn incident_rows_carry_status_times_and_category() {
        let record = Record::Incident(Incident {
            id: Uuid::now_v7(),
            grid_id: Uuid::now_v7(),
            category: "env.garbage".into(),
            description: "暴露垃圾".into(),
            location: None,
            photos: vec![],
            audio: vec![],
            reporter_id: Uuid::nil(),
            events: vec![
                event(1_000, IncidentAction::Report),
                event(5_000, IncidentAction::SelfHandle),
            ],
            received: Default::default(),
        });
        let row = index_row(&record);
        assert_eq!(row.status.as_deref(), Some("handled"));
        assert_eq!(row.category.as_deref(), Some("env.garbage"));
        assert_eq!(row.level.as_deref(), Some("grid"));
        assert_eq!((row.at, row.done_at), (Some(1_000), Some(5_000)));
        assert!(row.json.contains("\"kind\":\"incident\""));
    }
}
