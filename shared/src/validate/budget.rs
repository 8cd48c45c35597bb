//! The size budget of a record and its document: how long each text may be, how many items
//! each list may hold, how large a saved document and how many changes it may have. Device
//! and server refuse what does not fit, per document; docs/protocol.md ("Limits") lists
//! every cap with its code.
//!
//! The caps are far above real use: a household of 20 members edited every week for five
//! years saves to well under a tenth of [`MAX_DOC_BYTES`] (`shared/tests/budget.rs`).

use super::{Result, ValidationError};
use crate::model::{Answer, Household, Incident, Record, ServiceRequest, Visit, WorkLogDay};

/// Longest free text (notes, descriptions, answers, event notes), in characters.
pub const MAX_TEXT: usize = 4000;
/// Longest short text (names, relations, tags, addresses, categories, keys), in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Most members of a household.
pub const MAX_MEMBERS: usize = 100;
/// Most tags on a household or member, choices in an answer, materials of a request.
pub const MAX_TAGS: usize = 50;
/// Most events of an incident or service request, entries of a work-log day.
pub const MAX_EVENTS: usize = 1000;
/// Most answers in a visit.
pub const MAX_ANSWERS: usize = 500;
/// Most photos (or recordings) in one list: a record's, an event's, an answer's.
pub const MAX_PHOTOS: usize = 50;
/// Most distinct photos and recordings one record references in all.
pub const MAX_BLOBS_PER_RECORD: usize = 200;
/// Largest saved document (uncompressed, as the server stores it), in bytes.
pub const MAX_DOC_BYTES: usize = 1024 * 1024;
/// Most changes one document may have in all (so also in one upload).
pub const MAX_CHANGES_PER_DOC: usize = 20_000;
/// Most change bytes one upload may carry for one document (a device sends more in
/// several rounds).
pub const MAX_UPLOAD_BYTES_PER_DOC: usize = 4 * 1024 * 1024;

fn too_long(field: &str, max: usize) -> ValidationError {
    ValidationError::new(
        "field_too_long",
        format!("`{field}` is longer than {max} characters"),
    )
}

pub(super) fn text(field: &str, value: &str, max: usize) -> Result {
    // Characters are at most four bytes: only long strings need counting.
    if value.len() > max && value.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(())
}

pub(super) fn list(field: &str, len: usize, max: usize) -> Result {
    if len > max {
        return Err(ValidationError::new(
            "list_too_long",
            format!("`{field}` holds more than {max} items"),
        ));
    }
    Ok(())
}

pub(super) fn tags(field: &str, values: &[String]) -> Result {
    list(field, values.len(), MAX_TAGS)?;
    values
        .iter()
        .try_for_each(|t| text(field, t, MAX_SHORT_TEXT))
}

/// Checks `record` against the budget: text lengths and list lengths.
pub fn check_record(record: &Record) -> Result {
    match record {
        Record::Household(h) => household(h),
        Record::Visit(v) => visit(v),
        Record::Incident(i) => incident(i),
        Record::ServiceRequest(s) => service_request(s),
        Record::WorkLog(w) => work_log(w),
        Record::Notice(_) | Record::NoticeDelivery(_) => super::notice::budget(record),
        Record::Patrol(_) | Record::Handover(_) => Ok(()), // patrol.rs checks their lists
        Record::Campaign(c) => super::campaign::budget(c),
    }?;
    list(
        "photos and recordings",
        record.blob_refs().len(),
        MAX_BLOBS_PER_RECORD,
    )
}

fn household(h: &Household) -> Result {
    text("address", &h.address, MAX_SHORT_TEXT)?;
    text("head", &h.head, MAX_SHORT_TEXT)?;
    text("phone", &h.phone, MAX_SHORT_TEXT)?;
    text("notes", &h.notes, MAX_TEXT)?;
    tags("tags", &h.tags)?;
    list("members", h.members.len(), MAX_MEMBERS)?;
    for m in &h.members {
        text("member name", &m.name, MAX_SHORT_TEXT)?;
        text("member relation", &m.relation, MAX_SHORT_TEXT)?;
        tags("member tags", &m.tags)?;
    }
    Ok(())
}

fn visit(v: &Visit) -> Result {
    text("notes", &v.notes, MAX_TEXT)?;
    if let Some(work) = &v.campaign {
        super::campaign::work_budget(work)?;
    }
    list("photos", v.photos.len(), MAX_PHOTOS)?;
    list("audio", v.audio.len(), MAX_PHOTOS)?;
    list("answers", v.answers.len(), MAX_ANSWERS)?;
    for (key, answer) in &v.answers {
        text("answer key", key, MAX_SHORT_TEXT)?;
        match answer {
            Answer::YesNo(_) | Answer::Number(_) => {}
            Answer::Choice(c) => text(key, c, MAX_SHORT_TEXT)?,
            Answer::Choices(cs) => tags(key, cs)?,
            Answer::Text(t) => text(key, t, MAX_TEXT)?,
            Answer::Photos(p) => list(key, p.len(), MAX_PHOTOS)?,
        }
    }
    Ok(())
}

fn incident(i: &Incident) -> Result {
    text("category", &i.category, MAX_SHORT_TEXT)?;
    text("description", &i.description, MAX_TEXT)?;
    list("photos", i.photos.len(), MAX_PHOTOS)?;
    list("audio", i.audio.len(), MAX_PHOTOS)?;
    list("events", i.events.len(), MAX_EVENTS)?;
    for e in &i.events {
        text("event note", &e.note, MAX_TEXT)?;
        list("event photos", e.photos.len(), MAX_PHOTOS)?;
    }
    if i.received.len() > i.events.len() {
        return Err(ValidationError::new(
            "list_too_long",
            "`received` holds more receipt times than there are events",
        ));
    }
    Ok(())
}

fn service_request(s: &ServiceRequest) -> Result {
    text("resident_name", &s.resident_name, MAX_SHORT_TEXT)?;
    text("resident_phone", &s.resident_phone, MAX_SHORT_TEXT)?;
    tags("materials_received", &s.materials_received)?;
    list("events", s.events.len(), MAX_EVENTS)?;
    s.events
        .iter()
        .try_for_each(|e| text("event note", &e.note, MAX_TEXT))
}

fn work_log(w: &WorkLogDay) -> Result {
    text("date", &w.date, MAX_SHORT_TEXT)?;
    list("entries", w.entries.len(), MAX_EVENTS)?;
    w.entries
        .iter()
        .try_for_each(|e| text("entry", &e.text, MAX_TEXT))
}

/// Checks an upload of `changes` changes and `bytes` change bytes to one document, before
/// any is parsed.
pub fn check_upload(changes: usize, bytes: usize) -> Result {
    if changes > MAX_CHANGES_PER_DOC {
        return Err(too_many_changes());
    }
    if bytes > MAX_UPLOAD_BYTES_PER_DOC {
        return Err(ValidationError::new(
            "document_too_large",
            format!(
                "more than {MAX_UPLOAD_BYTES_PER_DOC} bytes of changes to one document; send \
                 the rest in another round"
            ),
        ));
    }
    Ok(())
}

/// Checks a document's history and saved size.
pub fn check_document(changes: u64, saved_bytes: usize) -> Result {
    if changes > MAX_CHANGES_PER_DOC as u64 {
        return Err(too_many_changes());
    }
    if saved_bytes > MAX_DOC_BYTES {
        return Err(ValidationError::new(
            "document_too_large",
            format!("the document would save to more than {MAX_DOC_BYTES} bytes"),
        ));
    }
    Ok(())
}

fn too_many_changes() -> ValidationError {
    ValidationError::new(
        "too_many_changes",
        format!("a document may have at most {MAX_CHANGES_PER_DOC} changes"),
    )
}
