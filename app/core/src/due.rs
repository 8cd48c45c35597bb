//! When each household held is due its next visit, under the deployment's visit rules by
//! key-person tag ([`gridwalk_shared::schedule`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use gridwalk_shared::{
    model::ReferenceData,
    schedule::{household_tags, next_visit, NextVisit},
    Record,
};
use rusqlite::Connection;
use uuid::Uuid;

use crate::store::{queries, records};
use crate::{Result, VisitRow};

/// Each household's tags, its own and its members'.
fn tags_by_household(conn: &Connection) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut tags = HashMap::new();
    for (id, held) in queries::household_tags_all(conn)? {
        let held = match held {
            Some(held) => held,
            // A row derived before the tags were kept: read them from the document.
            None => match records::load(conn, id)?.map(|d| d.record()).transpose() {
                Ok(Some(Record::Household(h))) => household_tags(&h).map(str::to_string).collect(),
                _ => Vec::new(),
            },
        };
        tags.insert(id, held);
    }
    Ok(tags)
}

/// The next visit of every household held, from its tags and its latest visit in `visits`
/// (newest first), as of `today`.
pub(crate) fn next_visits(
    conn: &Connection,
    reference: &ReferenceData,
    visits: &[VisitRow],
    today: NaiveDate,
) -> Result<HashMap<Uuid, NextVisit>> {
    let mut last: HashMap<Uuid, NaiveDate> = HashMap::new();
    for visit in visits {
        last.entry(visit.household_id)
            .or_insert_with(|| reference.calendar.local_date(visit.started_at));
    }
    Ok(tags_by_household(conn)?
        .into_iter()
        .map(|(id, tags)| {
            let next = next_visit(
                &reference.visit_rules,
                tags.iter().map(String::as_str),
                last.get(&id).copied(),
                today,
            );
            (id, next)
        })
        .collect())
}
