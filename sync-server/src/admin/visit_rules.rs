//! `PUT /api/reference/visit-rules`: the visit frequency by key-person tag (走访频次), part of
//! the reference data devices receive.

use std::collections::HashSet;

use axum::extract::State;
use gridwalk_shared::model::VisitRules;
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
