//! Notices and instructions (通知公告 / 信息指令): `POST /api/notices` sends one to an
//! audience within the sender's scope — the audience is expanded to its users now, and the
//! sender's record and one delivery per recipient (scoped to the recipient's user id) are
//! written as the server in one commit, with a live nudge; `GET /api/notices` lists what the
//! caller's scope sent with receipt counts, and `GET /api/notices/{id}` one notice's
//! receipts per recipient.

use automerge::Automerge;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gridwalk_shared::model::{
    Audience, Notice, NoticeContent, NoticeDelivery, NoticeReceipt, Record, RecordKind,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::validate::{self, expand_audience, Actor};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{forbidden, ApiJson};
use super::notice_receipts::{receipts_of, summary, NoticeReceipts, NoticeSummary};
use super::workflow_write::{not_found, refused};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};
use crate::sync::{stored_write, write_as_server};

/// Documentation of `POST /api/notices`.
pub const SEND: Doc = Doc {
    id: "sendNotice",
    summary: "Send a notice or an instruction to units, roles within them, or named users",
    tag: "notices",
    public: false,
    query: &[],
    body: Some(Body::json::<NoticeDraft>()),
    reply: Reply::json::<NoticeSummary>(),
};
/// Documentation of `GET /api/notices`.
pub const LIST: Doc = Doc {
    id: "listNotices",
    summary: "Notices sent within your scope, newest first, with receipt counts",
    tag: "notices",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<Vec<NoticeSummary>>(),
};
/// Documentation of `GET /api/notices/{id}`.
pub const RECEIPTS: Doc = Doc {
    id: "noticeReceipts",
    summary: "One notice with each recipient's receipt (read, reply or done, overdue)",
    tag: "notices",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<NoticeReceipts>(),
};

/// A notice to send.
#[derive(serde::Deserialize, specta::Type)]
pub struct NoticeDraft {
    /// What it says (an instruction also asks for a reply or done mark by a deadline).
    #[serde(flatten)]
    content: NoticeContent,
    /// Who it goes to.
    audience: Audience,
}

fn unprocessable(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_notice", message)
}

/// Every id of the audience exists and lies within the caller's scope.
fn check_audience(caller: &Caller, audience: &Audience) -> Result<(), AppError> {
    let reference = &caller.reference;
    for unit in &audience.units {
        if reference.unit(*unit).is_none() {
            return Err(unprocessable(format!("org unit {unit} does not exist")));
        }
        if !caller.manages_unit(*unit) {
            return Err(forbidden(format!("org unit {unit} is outside your scope")));
        }
    }
    for id in &audience.users {
        let user = reference
            .user(*id)
            .ok_or_else(|| unprocessable(format!("user {id} does not exist")))?;
        if !caller.manages_user(user) {
            return Err(forbidden(format!("user {id} is outside your scope")));
        }
    }
    Ok(())
}

/// Refuses attachments the server does not hold whole (they were never uploaded, or not
/// finished): every phone addressed would wait for them forever.
async fn check_attachments<S: AdminStore>(
    state: &AppState<S>,
    content: &gridwalk_shared::model::NoticeContent,
) -> Result<(), AppError> {
    let attached: Vec<&String> = content.photos.iter().chain(&content.pdf).collect();
    if attached.is_empty() {
        return Ok(());
    }
    let Some(blobs) = state.blobs.as_ref() else {
        return Err(unprocessable(
            "this server keeps no files: send the notice without attachments",
        ));
    };
    for hash in attached {
        if !matches!(blobs.store.held(hash).await?, crate::blobs::Held::Whole(_)) {
            return Err(unprocessable(format!(
                "attachment {hash} was not uploaded (POST /api/photos or /api/documents first)"
            )));
        }
    }
    Ok(())
}

/// Sends a notice: checked whole first, then the sender's record and every delivery in one
/// commit; nothing is written if any part is refused.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn send<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(draft): ApiJson<NoticeDraft>,
) -> Result<ApiJson<NoticeSummary>, AppError> {
    caller.require_admin()?;
    let NoticeDraft { content, audience } = draft;
    validate::check_content(&content).map_err(|e| unprocessable(e.message))?;
    let now = Timestamp::from(chrono::Utc::now());
    if content.deadline.is_some_and(|d| d <= now) {
        return Err(unprocessable("the deadline has passed"));
    }
    check_audience(&caller, &audience)?;
    check_attachments(&state, &content).await?;
    let reference = &caller.reference;
    let recipients = expand_audience(&audience, reference);
    if recipients.is_empty() {
        return Err(unprocessable("the audience holds nobody"));
    }
    let notice = Notice {
        id: new_id(),
        sender_id: caller.user.id,
        unit_id: caller.user.scope_id,
        sent_at: now,
        content,
        audience,
        recipients,
    };
    let deliveries = notice.recipients.iter().map(|recipient| NoticeDelivery {
        id: new_id(),
        notice_id: notice.id,
        recipient_id: *recipient,
        sender: caller.user.name.clone(),
        sent_at: now,
        content: notice.content.clone(),
        receipt: NoticeReceipt::default(),
    });
    let records: Vec<Record> = std::iter::once(Record::Notice(notice.clone()))
        .chain(deliveries.map(Record::NoticeDelivery))
        .collect();
    let server_actor = state.store.server_actor();
    let mut writes = Vec::with_capacity(records.len());
    for record in records {
        validate::validate_record(&record, reference).map_err(refused)?;
        validate::validate_change(None, &record, &Actor::system(), reference).map_err(refused)?;
        let mut document = Automerge::new();
        let change = write_as_server(&mut document, &record, server_actor).map_err(|e| {
            AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        writes.push(stored_write(
            document,
            record,
            Vec::new(),
            vec![change],
            None,
        ));
    }
    let changed = crate::live::Changed::of(&writes);
    state.store.commit(Uuid::nil(), writes).await?;
    state.live.notify(changed);
    caller
        .audit(
            &state.store,
            "notice.send",
            notice.id.to_string(),
            json!({ "kind": notice.content.kind, "recipients": notice.recipients.len() }),
        )
        .await?;
    Ok(ApiJson(summary(&notice, &[], reference, now)))
}

/// The users whose notices the caller sees: those they administer, and themselves.
fn senders(caller: &Caller) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = caller
        .reference
        .users
        .iter()
        .filter(|u| u.id == caller.user.id || caller.manages_user(u))
        .map(|u| u.id)
        .collect();
    ids.sort();
    ids
}

/// Every delivery of `notices`, read from the index.
async fn deliveries_of<S: AdminStore>(
    store: &S,
    notices: &[Notice],
) -> Result<Vec<NoticeDelivery>, AppError> {
    let mut recipients: Vec<Uuid> = notices.iter().flat_map(|n| n.recipients.clone()).collect();
    recipients.sort();
    recipients.dedup();
    let ids: std::collections::HashSet<Uuid> = notices.iter().map(|n| n.id).collect();
    let filter = IndexFilter {
        units: recipients,
        ..IndexFilter::default()
    };
    let rows = store.index_rows(RecordKind::NoticeDelivery, filter).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.row.subject.is_some_and(|s| ids.contains(&s)))
        .filter_map(|r| match serde_json::from_str(&r.row.json) {
            Ok(Record::NoticeDelivery(d)) => Some(d),
            _ => None,
        })
        .collect())
}

async fn notices_of<S: AdminStore>(store: &S, caller: &Caller) -> Result<Vec<Notice>, AppError> {
    let filter = IndexFilter {
        units: senders(caller),
        newest_first: true,
        limit: Some(200),
        ..IndexFilter::default()
    };
    let rows = store.index_rows(RecordKind::Notice, filter).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str(&r.row.json) {
            Ok(Record::Notice(n)) => Some(n),
            _ => None,
        })
        .collect())
}

/// Lists the notices sent within the caller's scope (the latest 200), with counts.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
) -> Result<ApiJson<Vec<NoticeSummary>>, AppError> {
    caller.require_admin()?;
    let notices = notices_of(&state.store, &caller).await?;
    let deliveries = deliveries_of(&state.store, &notices).await?;
    let now = Timestamp::from(chrono::Utc::now());
    Ok(ApiJson(
        notices
            .iter()
            .map(|n| {
                let own: Vec<&NoticeDelivery> =
                    deliveries.iter().filter(|d| d.notice_id == n.id).collect();
                summary(n, &own, &caller.reference, now)
            })
            .collect(),
    ))
}

/// One notice's receipts per recipient.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, notice = %id))]
pub async fn receipts<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<ApiJson<NoticeReceipts>, AppError> {
    caller.require_admin()?;
    let stored = state.store.load_docs(vec![id]).await?.pop();
    let stored = stored
        .filter(|s| s.kind == RecordKind::Notice && senders(&caller).contains(&s.scope))
        .ok_or_else(|| not_found(id))?;
    let document = Automerge::load(&stored.snapshot).map_err(|e| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage_failure",
            e.to_string(),
        )
    })?;
    let Ok(Record::Notice(notice)) = gridwalk_shared::doc::read(&document, RecordKind::Notice)
    else {
        return Err(not_found(id));
    };
    let deliveries = deliveries_of(&state.store, std::slice::from_ref(&notice)).await?;
    let now = Timestamp::from(chrono::Utc::now());
    let deliveries: Vec<&NoticeDelivery> = deliveries.iter().collect();
    Ok(ApiJson(receipts_of(
        &notice,
        &deliveries,
        &caller.reference,
        now,
    )))
}
