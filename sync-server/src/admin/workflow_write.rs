//! Adding one workflow event from the admin web, for incidents and service requests alike:
//! load the record the caller sees, add the event, check it with the same validation as a
//! device's upload, write it into the document as the server actor (with the server's own
//! additions), commit, and nudge the devices in scope.

use automerge::Automerge;
use gridwalk_shared::doc;
use gridwalk_shared::model::{Record, RecordKind};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{self, Actor};
use uuid::Uuid;

use super::caller::Caller;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;
use crate::sync::stored_write;

/// The 404 for a record that does not exist or that the caller does not see.
pub fn not_found(id: Uuid) -> AppError {
    AppError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("{id} does not exist"),
    )
}

fn internal(code: &'static str, e: impl std::fmt::Display) -> AppError {
    AppError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        code,
        e.to_string(),
    )
}

/// The HTTP answer to a refused event: the shared validation's code, as a static string.
pub fn refused(e: validate::ValidationError) -> AppError {
    use axum::http::StatusCode as H;
    let (status, code) = match e.code.as_str() {
        "forbidden" => (H::FORBIDDEN, "forbidden"),
        "out_of_scope" => (H::FORBIDDEN, "out_of_scope"),
        "illegal_transition" => (H::CONFLICT, "illegal_transition"),
        "missing_due" => (H::UNPROCESSABLE_ENTITY, "missing_due"),
        "reason_required" => (H::UNPROCESSABLE_ENTITY, "reason_required"),
        _ => (H::UNPROCESSABLE_ENTITY, "invalid_record"),
    };
    AppError::new(status, code, e.message)
}

/// Adds an event to record `id` of `kind` as the caller: `change` gets the record and the
/// event's time and returns the record with the event added. Returns the stored record
/// (with the server's additions) and the time the event was made.
pub async fn add_event<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
    id: Uuid,
    kind: RecordKind,
    change: impl FnOnce(Record, Timestamp) -> Result<Record, AppError>,
) -> Result<(Record, Timestamp), AppError> {
    let _guard = state.locks.lock(std::iter::once(id)).await;
    let stored = state
        .store
        .load_docs(vec![id])
        .await?
        .pop()
        .ok_or_else(|| not_found(id))?;
    if stored.kind != kind || !caller.sees(stored.scope, stored.department) {
        return Err(not_found(id));
    }
    let reference = &caller.reference;
    let mut document =
        Automerge::load(&stored.snapshot).map_err(|e| internal("storage_failure", e))?;
    let old = doc::read(&document, stored.kind).map_err(|e| internal("storage_failure", e))?;
    let now = Timestamp::from(chrono::Utc::now());
    let new = change(old.clone(), now)?;
    let actor = Actor {
        user_id: caller.user.id,
        role: caller.user.role,
        scope_id: caller.user.scope_id,
    };
    validate::validate_record(&new, reference).map_err(refused)?;
    validate::validate_change(Some(&old), &new, &actor, reference).map_err(refused)?;
    let server_actor = state.store.server_actor();
    let written = crate::sync::write_as_server(&mut document, &new, server_actor)
        .map_err(|e| internal("internal", e))?;
    let (record, added) =
        crate::sync::after_upload(&mut document, new, server_actor, reference, now);
    let changes = std::iter::once(written).chain(added).collect();
    let write = stored_write(
        document,
        record.clone(),
        Vec::new(),
        changes,
        Some(stored.seq),
    );
    let changed = crate::live::Changed::of(std::slice::from_ref(&write));
    state.store.commit(Uuid::nil(), vec![write]).await?;
    state.live.notify(changed);
    Ok((record, now))
}
