//! `PUT /api/reference/visit-rules`: the visit frequency by key-person tag (走访频次), and
//! `PUT /api/reference/visit-check`: the thresholds of the visit authenticity check (走访核验);
//! both part of the reference data devices receive.

use std::collections::HashSet;

use axum::extract::State;
use gridwalk_shared::model::{VisitCheckRule, VisitRules};
use serde_json::json;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::org::name;
use super::reference::{edit, ReferenceVersion};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::AdminStore;

/// Documentation of `PUT /api/reference/visit-rules`.
pub const PUT: Doc = Doc {
    id: "putVisitRules",
    summary: "Replace the visit frequency rules by key-person tag (strictest rule wins)",
    tag: "reference",
    public: false,
    query: &[],
    body: Some(Body::json::<VisitRules>()),
    reply: Reply::json::<ReferenceVersion>(),
};

/// Documentation of `PUT /api/reference/visit-check`.
pub const PUT_CHECK: Doc = Doc {
    id: "putVisitCheck",
    summary: "Replace the visit authenticity check's thresholds (distance from the building, fix accuracy, shortest visit)",
    tag: "reference",
    public: false,
    query: &[],
    body: Some(Body::json::<VisitCheckRule>()),
    reply: Reply::json::<ReferenceVersion>(),
};

/// Most tag rules.
const MAX_RULES: usize = 100;

/// Replaces the visit rules.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(mut rules): ApiJson<VisitRules>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    caller.require_street_admin()?;
    if rules.by_tag.len() > MAX_RULES {
        return Err(invalid(format!("at most {MAX_RULES} visit rules")));
    }
    let mut tags = HashSet::new();
    for rule in &mut rules.by_tag {
        rule.tag = name(&rule.tag, "a tag")?;
        if !tags.insert(rule.tag.clone()) {
            return Err(invalid(format!("two rules for the tag `{}`", rule.tag)));
        }
    }
    let n = rules.by_tag.len();
    let (_, version) = edit(&state, move |data| {
        data.visit_rules = rules;
        Ok(())
    })
    .await?;
    caller
        .audit(
            &state.store,
            "reference.visit_rules",
            "reference",
            json!({ "items": n, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(ReferenceVersion { version }))
}

/// Replaces the visit check's thresholds: each from 1 to a day's worth (86,400 s) or 100 km.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_check<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(rule): ApiJson<VisitCheckRule>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    caller.require_street_admin()?;
    let limits = [
        (rule.max_distance_m, 100_000, "max_distance_m"),
        (rule.max_accuracy_m, 100_000, "max_accuracy_m"),
        (rule.min_duration_s, 86_400, "min_duration_s"),
    ];
    for (value, most, what) in limits {
        if value == 0 || value > most {
            return Err(invalid(format!("{what} must be from 1 to {most}")));
        }
    }
    let (_, version) = edit(&state, move |data| {
        data.visit_check = rule;
        Ok(())
    })
    .await?;
    caller
        .audit(
            &state.store,
            "reference.visit_check",
            "reference",
            json!({ "rule": rule, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(ReferenceVersion { version }))
}
