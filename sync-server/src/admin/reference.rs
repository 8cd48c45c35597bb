//! Reference-data editing: incident categories, routing rules, versioned checklist templates,
//! the service catalogue and the working-day calendar. Every edit stores a new
//! `ReferenceData` version, which devices receive on their next sync.

use std::collections::{BTreeSet, HashSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use gridwalk_shared::model::{
    ChecklistItem, ChecklistTemplate, IncidentCategory, ItemKind, ReferenceData, RoutingRule,
    ServiceItem,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::json::{invalid, ApiJson};
use super::org::name;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, StoreError};

const fn doc(id: &'static str, summary: &'static str, body: Body, reply: Reply) -> Doc {
    Doc {
        id,
        summary,
        tag: "reference",
        public: false,
        query: &[],
        body: Some(body),
        reply,
    }
}

/// Documentation of `GET /api/reference`.
pub const GET: Doc = Doc {
    id: "getReference",
    summary: "Categories, routing rules, checklist templates (every version), service catalogue, calendar",
    tag: "reference",
    public: false,
    query: &[],
    body: None,
    reply: Reply::json::<ReferenceView>(),
};
/// Documentation of `PUT /api/reference/categories`.
pub const CATEGORIES: Doc = doc(
    "putCategories",
    "Replace the incident categories",
    Body::json::<Vec<IncidentCategory>>(),
    Reply::json::<ReferenceVersion>(),
);
/// Documentation of `PUT /api/reference/routing`.
pub const ROUTING: Doc = doc(
    "putRouting",
    "Replace the routing rules (category + area → level, department, days)",
    Body::json::<Vec<RoutingRule>>(),
    Reply::json::<ReferenceVersion>(),
);
/// Documentation of `PUT /api/reference/services`.
pub const SERVICES: Doc = doc(
    "putServices",
    "Replace the service catalogue",
    Body::json::<Vec<ServiceItem>>(),
    Reply::json::<ReferenceVersion>(),
);
/// Documentation of `PUT /api/reference/calendar`.
pub const CALENDAR: Doc = doc(
    "putCalendar",
    "Replace the holidays and make-up workdays",
    Body::json::<CalendarForm>(),
    Reply::json::<ReferenceVersion>(),
);
/// Documentation of `POST /api/checklists/{id}/versions`.
pub const CHECKLIST: Doc = doc(
    "newChecklistVersion",
    "Save a checklist template as its next version (old visits keep theirs)",
    Body::json::<ChecklistDraft>(),
    Reply::json::<ChecklistTemplate>(),
);

/// Applies `f` to the current reference data and stores the result as a new version, one
/// edit at a time. Returns what `f` returned and the new version.
pub async fn edit<S, T, F>(state: &AppState<S>, f: F) -> Result<(T, u64), AppError>
where
    S: AdminStore,
    F: FnOnce(&mut ReferenceData) -> Result<T, AppError>,
{
    let _one_at_a_time = state.admin.reference_edit.lock().await;
    let mut data = (*state.store.reference()).clone();
    let base = data.version;
    let out = f(&mut data)?;
    let version = match state.store.put_reference(data, Some(base)).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "reference_changed",
                "参考数据刚被他人修改，请刷新后再改 / the reference data was changed meanwhile: reload and edit again",
            ))
        }
        stored => stored?,
    };
    Ok((out, version))
}

/// The editable reference data.
#[derive(Serialize, specta::Type)]
pub struct ReferenceView {
    version: u64,
    categories: Vec<IncidentCategory>,
    routing: Vec<RoutingRule>,
    checklists: Vec<ChecklistTemplate>,
    services: Vec<ServiceItem>,
    calendar: gridwalk_shared::calendar::WorkCalendar,
    departments: Vec<gridwalk_shared::model::Department>,
    visit_rules: gridwalk_shared::model::VisitRules,
    visit_check: gridwalk_shared::model::VisitCheckRule,
}

/// The new reference version after an edit.
#[derive(Serialize, specta::Type)]
pub struct ReferenceVersion {
    pub(super) version: u64,
}

/// Reads the reference data.
pub async fn get(caller: Caller) -> ApiJson<ReferenceView> {
    let r = &caller.reference;
    ApiJson(ReferenceView {
        version: r.version,
        categories: r.categories.clone(),
        routing: r.routing.clone(),
        checklists: r.checklists.clone(),
        services: r.services.clone(),
        calendar: r.calendar.clone(),
        departments: r.departments.clone(),
        visit_rules: r.visit_rules.clone(),
        visit_check: r.visit_check,
    })
}

pub(super) async fn replace<S, T, F>(
    state: &AppState<S>,
    caller: &Caller,
    action: &str,
    count: usize,
    apply: F,
) -> Result<ApiJson<ReferenceVersion>, AppError>
where
    S: AdminStore,
    F: FnOnce(&mut ReferenceData) -> Result<T, AppError>,
{
    caller.require_street_admin()?;
    let (_, version) = edit(state, apply).await?;
    caller
        .audit(
            &state.store,
            action,
            "reference",
            json!({ "items": count, "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(ReferenceVersion { version }))
}

/// Replaces the incident categories.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_categories<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(categories): ApiJson<Vec<IncidentCategory>>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    let mut codes = HashSet::new();
    for c in &categories {
        let ok = !c.code.is_empty()
            && c.code.len() <= 64
            && c.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ".-_".contains(ch));
        if !ok || !codes.insert(c.code.clone()) {
            return Err(invalid(format!(
                "category code `{}` is empty, malformed or repeated",
                c.code
            )));
        }
        name(&c.name, "a category name")?;
        name(&c.group, "a category group")?;
    }
    let n = categories.len();
    replace(&state, &caller, "reference.categories", n, move |data| {
        if let Some(rule) = data.routing.iter().find(|r| !codes.contains(&r.category)) {
            return Err(invalid(format!(
                "routing rules still use category `{}`: change them first",
                rule.category
            )));
        }
        data.categories = categories;
        Ok(())
    })
    .await
}

/// Replaces the routing rules.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_routing<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(rules): ApiJson<Vec<RoutingRule>>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    let n = rules.len();
    replace(&state, &caller, "reference.routing", n, move |data| {
        let mut seen = HashSet::new();
        for r in &rules {
            if data.category(&r.category).is_none() {
                return Err(invalid(format!("unknown category `{}`", r.category)));
            }
            if data.unit(r.area_id).is_none() {
                return Err(invalid(format!("unknown area {}", r.area_id)));
            }
            if let Some(d) = r.department_id {
                if !data.departments.iter().any(|x| x.id == d) {
                    return Err(invalid(format!("unknown department {d}")));
                }
            }
            if r.days > 60 {
                return Err(invalid("a time limit is at most 60 working days"));
            }
            if !seen.insert((r.category.clone(), r.area_id)) {
                return Err(invalid(format!(
                    "two rules for `{}` in one area",
                    r.category
                )));
            }
        }
        data.routing = rules;
        Ok(())
    })
    .await
}

/// Replaces the service catalogue; items with a nil id get a new one.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_services<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(mut services): ApiJson<Vec<ServiceItem>>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    let mut ids = HashSet::new();
    for s in &mut services {
        if s.id.is_nil() {
            s.id = Uuid::now_v7();
        }
        if !ids.insert(s.id) {
            return Err(invalid(format!("service item {} appears twice", s.id)));
        }
        s.name = name(&s.name, "a service item name")?;
        s.category = name(&s.category, "a service category")?;
        if s.time_limit_days > 365 || s.materials.len() > 100 || s.steps.len() > 100 {
            return Err(invalid(format!(
                "`{}`: too many materials or steps, or too long a time limit",
                s.name
            )));
        }
    }
    let n = services.len();
    replace(&state, &caller, "reference.services", n, move |data| {
        data.services = services;
        Ok(())
    })
    .await
}

/// Holidays and make-up workdays.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct CalendarForm {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// Replaces the calendar's holidays and make-up workdays (the time zone stays).
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn put_calendar<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    ApiJson(form): ApiJson<CalendarForm>,
) -> Result<ApiJson<ReferenceVersion>, AppError> {
    if let Some(day) = form.holidays.intersection(&form.workdays).next() {
        return Err(invalid(format!("{day} is both a holiday and a workday")));
    }
    let n = form.holidays.len() + form.workdays.len();
    replace(&state, &caller, "reference.calendar", n, move |data| {
        data.calendar.holidays = form.holidays;
        data.calendar.workdays = form.workdays;
        Ok(())
    })
    .await
}

/// A checklist template's next version.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ChecklistDraft {
    name: String,
    items: Vec<ChecklistItem>,
}

/// Checks a checklist's items: 1 to 200, keys present and unique, choices with options.
pub(super) fn check_items(items: &[ChecklistItem]) -> Result<(), AppError> {
    if items.is_empty() || items.len() > 200 {
        return Err(invalid("a checklist has 1 to 200 items"));
    }
    let mut keys = HashSet::new();
    for item in items {
        if item.key.trim().is_empty() || !keys.insert(item.key.as_str()) {
            return Err(invalid(format!(
                "item key `{}` is empty or repeated",
                item.key
            )));
        }
        name(&item.label, "an item label")?;
        if let ItemKind::SingleChoice { options } | ItemKind::MultiChoice { options } = &item.kind {
            if options.is_empty() {
                return Err(invalid(format!("`{}` needs options", item.key)));
            }
        }
    }
    Ok(())
}

/// Stores a checklist template as its next version; earlier versions stay.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn new_checklist_version<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(draft): ApiJson<ChecklistDraft>,
) -> Result<ApiJson<ChecklistTemplate>, AppError> {
    caller.require_street_admin()?;
    let title = name(&draft.name, "a checklist name")?;
    check_items(&draft.items)?;
    let (template, version) = edit(&state, move |data| {
        let latest = data
            .checklists
            .iter()
            .filter(|t| t.id == id)
            .map(|t| t.version)
            .max()
            .ok_or_else(|| AppError::from(StoreError::NotFound(format!("checklist {id}"))))?;
        let template = ChecklistTemplate {
            id,
            version: latest + 1,
            name: title,
            items: draft.items,
        };
        data.checklists.push(template.clone());
        Ok(template)
    })
    .await?;
    caller
        .audit(
            &state.store,
            "reference.checklist",
            id.to_string(),
            json!({ "version": template.version, "items": template.items.len(), "reference_version": version }),
        )
        .await?;
    Ok(ApiJson(template))
}
