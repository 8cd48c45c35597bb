//! JSON schemas of the admin API's bodies, for `/api/openapi.json`.

use serde_json::{json, Value};

fn obj(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn s() -> Value {
    json!({ "type": "string" })
}

fn id() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn int() -> Value {
    json!({ "type": "integer" })
}

fn texts() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn opt_rate() -> Value {
    json!({ "type": "number", "nullable": true, "minimum": 0, "maximum": 1 })
}

/// Every schema the operations refer to.
pub fn schemas() -> Value {
    let role = json!({ "type": "string", "enum": ["grid_worker", "grid_leader", "desk", "department", "admin"] });
    let user = obj(
        &["id", "login", "name", "role", "scope_id"],
        json!({
        "id": id(), "login": s(), "name": s(), "role": role.clone(), "scope_id": id() }),
    );
    let mut user_row = user.clone();
    user_row["properties"]["scope_name"] = s();
    let mut entries: Vec<(&str, Value)> = vec![
        (
            "Error",
            obj(&["code", "message"], json!({ "code": s(), "message": s() })),
        ),
        (
            "OpenApi",
            json!({ "type": "object", "description": "This document" }),
        ),
        (
            "SignIn",
            obj(
                &["login", "password"],
                json!({ "login": s(), "password": { "type": "string", "format": "password" } }),
            ),
        ),
        (
            "SessionInfo",
            obj(
                &["user", "csrf", "street_admin", "reference_version"],
                json!({
            "user": r("User"), "csrf": s(), "street_admin": { "type": "boolean" }, "reference_version": int() }),
            ),
        ),
        ("User", user),
        ("UserRow", user_row),
        ("UserList", list("UserRow")),
        (
            "NewUser",
            obj(
                &["login", "name", "role", "scope_id"],
                json!({
            "login": { "type": "string", "pattern": "^[a-z0-9._-]{2,32}$" }, "name": s(), "role": role,
            "scope_id": id(), "password": { "type": "string", "format": "password", "minLength": 8 } }),
            ),
        ),
        (
            "PasswordChange",
            obj(
                &["password"],
                json!({ "password": { "type": "string", "format": "password", "minLength": 8 } }),
            ),
        ),
        (
            "OrgUnit",
            obj(
                &["id", "kind", "name"],
                json!({
            "id": id(), "kind": { "type": "string", "enum": ["district", "street", "community", "grid"] },
            "name": s(), "parent": { "type": "string", "format": "uuid", "nullable": true } }),
            ),
        ),
        (
            "NewUnit",
            obj(&["name", "parent"], json!({ "name": s(), "parent": id() })),
        ),
        (
            "Building",
            obj(
                &["id", "grid_id", "name", "address"],
                json!({ "id": id(), "grid_id": id(), "name": s(), "address": s() }),
            ),
        ),
        (
            "NewBuilding",
            obj(
                &["grid_id", "name", "address"],
                json!({ "grid_id": id(), "name": s(), "address": s() }),
            ),
        ),
        (
            "Department",
            obj(
                &["id", "name", "unit_id"],
                json!({ "id": id(), "name": s(), "unit_id": id() }),
            ),
        ),
        (
            "OrgTree",
            obj(
                &["root", "units", "buildings", "departments"],
                json!({
            "root": id(), "units": list("OrgUnit"), "buildings": list("Building"), "departments": list("Department") }),
            ),
        ),
        (
            "Household",
            obj(
                &["id", "building_id", "address", "head", "phone", "tags"],
                json!({
            "id": id(), "building_id": id(), "address": s(), "head": s(),
            "phone": { "type": "string", "description": "masked" }, "tags": texts() }),
            ),
        ),
        ("HouseholdList", list("Household")),
        (
            "RowError",
            obj(
                &["row", "message"],
                json!({ "row": int(), "column": { "type": "string", "nullable": true }, "message": s() }),
            ),
        ),
        (
            "ImportReport",
            obj(
                &[
                    "code", "message", "rows", "valid", "imported", "errors", "preview",
                ],
                json!({
            "code": { "type": "string", "enum": ["ok", "preview", "import_refused"] }, "message": s(),
            "rows": int(), "valid": int(), "imported": int(), "errors": list("RowError"), "preview": list("Household") }),
            ),
        ),
        (
            "Device",
            obj(
                &[
                    "device_id",
                    "user_id",
                    "name",
                    "app_version",
                    "created_at",
                    "login",
                    "user_name",
                    "role",
                ],
                json!({
            "device_id": id(), "user_id": id(), "name": s(), "app_version": s(), "created_at": int(),
            "last_sync_at": { "type": "integer", "nullable": true }, "revoked_at": { "type": "integer", "nullable": true }, "pending_changes": { "type": "integer", "nullable": true },
            "login": s(), "user_name": s(), "role": s() }),
            ),
        ),
        ("DeviceList", list("Device")),
        (
            "EnrollCode",
            obj(
                &[
                    "code",
                    "user_id",
                    "login",
                    "expires_at",
                    "payload",
                    "qr_svg",
                ],
                json!({
            "code": s(), "user_id": id(), "login": s(), "expires_at": int(), "payload": s(), "qr_svg": s() }),
            ),
        ),
        (
            "Category",
            obj(
                &["code", "name", "group"],
                json!({ "code": s(), "name": s(), "group": s() }),
            ),
        ),
        ("Categories", list("Category")),
        (
            "RoutingRule",
            obj(
                &["category", "area_id", "level", "days"],
                json!({
            "category": s(), "area_id": id(), "level": { "type": "string", "enum": ["grid", "community", "street", "city"] },
            "department_id": { "type": "string", "format": "uuid", "nullable": true }, "days": int() }),
            ),
        ),
        ("RoutingRules", list("RoutingRule")),
        (
            "ServiceItem",
            obj(
                &[
                    "id",
                    "category",
                    "name",
                    "materials",
                    "steps",
                    "time_limit_days",
                    "department",
                ],
                json!({
            "id": id(), "category": s(), "name": s(), "materials": texts(), "steps": texts(),
            "time_limit_days": int(), "department": s() }),
            ),
        ),
        ("Services", list("ServiceItem")),
        (
            "Calendar",
            obj(
                &["holidays", "workdays"],
                json!({
            "holidays": { "type": "array", "items": { "type": "string", "format": "date" } },
            "workdays": { "type": "array", "items": { "type": "string", "format": "date" } } }),
            ),
        ),
        (
            "ChecklistItem",
            obj(
                &["key", "label", "kind", "required"],
                json!({
            "key": s(), "label": s(),
            "kind": { "type": "string", "enum": ["yes_no", "single_choice", "multi_choice", "text", "number", "photo"] },
            "options": texts(), "required": { "type": "boolean" } }),
            ),
        ),
        (
            "ChecklistDraft",
            obj(
                &["name", "items"],
                json!({ "name": s(), "items": list("ChecklistItem") }),
            ),
        ),
        (
            "ChecklistTemplate",
            obj(
                &["id", "version", "name", "items"],
                json!({
            "id": id(), "version": int(), "name": s(), "items": list("ChecklistItem") }),
            ),
        ),
        (
            "Reference",
            obj(
                &[
                    "version",
                    "categories",
                    "routing",
                    "checklists",
                    "services",
                    "calendar",
                    "departments",
                ],
                json!({
            "version": int(), "categories": list("Category"), "routing": list("RoutingRule"),
            "checklists": list("ChecklistTemplate"), "services": list("ServiceItem"),
            "calendar": { "type": "object" }, "departments": list("Department") }),
            ),
        ),
        (
            "ReferenceVersion",
            obj(&["version"], json!({ "version": int() })),
        ),
        (
            "Count",
            obj(
                &["key", "name", "count"],
                json!({ "key": s(), "name": s(), "count": int() }),
            ),
        ),
        (
            "Overdue",
            obj(
                &["id", "category", "grid", "level", "status"],
                json!({
            "id": id(), "category": s(), "grid": s(), "level": s(), "status": s(),
            "reported_at": { "type": "integer", "nullable": true }, "due": { "type": "integer", "nullable": true } }),
            ),
        ),
        (
            "Dashboard",
            obj(
                &["from", "to", "visits_total", "incidents_total"],
                json!({
            "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
            "visits_total": int(), "visits_per_day": list("Count"), "visits_per_grid": list("Count"),
            "visits_per_worker": list("Count"), "coverage_month": s(), "households": int(),
            "households_visited": int(), "coverage_rate": opt_rate(), "incidents_total": int(),
            "incidents_by_status": list("Count"), "incidents_by_category": list("Count"),
            "incidents_by_level": list("Count"), "incidents_done": int(), "incidents_on_time": int(),
            "on_time_rate": opt_rate(), "overdue": list("Overdue"), "rated": int(), "satisfied": int(),
            "basically_satisfied": int(), "dissatisfied": int(), "satisfaction_rate": opt_rate(),
            "services_total": int(), "services_completed": int(), "services_on_the_spot": int(),
            "on_the_spot_rate": opt_rate(), "services_done_with_limit": int(),
            "services_on_time": int(), "services_on_time_rate": opt_rate() }),
            ),
        ),
        (
            "AuditEntry",
            obj(
                &[
                    "id",
                    "at",
                    "actor_login",
                    "action",
                    "target",
                    "detail",
                    "ok",
                    "ip",
                ],
                json!({
            "id": int(), "at": int(), "actor_id": { "type": "string", "format": "uuid", "nullable": true },
            "actor_login": s(), "actor_scope": { "type": "string", "format": "uuid", "nullable": true },
            "action": s(), "target": s(), "detail": { "type": "string", "description": "JSON text" },
            "ok": { "type": "boolean" }, "ip": s() }),
            ),
        ),
        ("AuditPage", list("AuditEntry")),
    ];
    entries.extend(evidence());
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// Schemas of the records-and-evidence routes.
fn evidence() -> Vec<(&'static str, Value)> {
    let opt = |t: &str| json!({ "type": t, "nullable": true });
    let opt_id = json!({ "type": "string", "format": "uuid", "nullable": true });
    let hash = json!({ "type": "string", "description": "SHA-256, 64 lowercase hex digits" });
    vec![
        (
            "Media",
            obj(
                &["hash", "uploaded", "thumbnail"],
                json!({ "hash": hash, "uploaded": { "type": "boolean" },
                    "thumbnail": { "type": "boolean" } }),
            ),
        ),
        (
            "EvidenceRecord",
            obj(
                &[
                    "id", "kind", "grid_id", "grid", "text", "actor", "photos", "audio",
                ],
                json!({ "id": id(), "kind": { "type": "string", "enum": ["incident", "visit"] },
                    "at": opt("integer"), "grid_id": id(), "grid": s(), "category": opt("string"),
                    "category_name": opt("string"), "household_id": opt_id, "address": opt("string"),
                    "text": s(), "actor_id": opt_id, "actor": s(), "status": opt("string"),
                    "photos": list("Media"), "audio": list("Media") }),
            ),
        ),
        ("RecordList", list("EvidenceRecord")),
        (
            "QueueItem",
            obj(
                &[
                    "id",
                    "grid_id",
                    "category",
                    "description",
                    "status",
                    "level",
                    "late_to_accept",
                    "box",
                    "urges",
                    "record",
                ],
                json!({ "id": id(), "grid_id": id(), "category": s(), "description": s(),
                    "status": s(), "level": s(), "department_id": opt_id,
                    "reported_at": opt("string"), "due": opt("string"),
                    "accept_due": opt("string"), "late_to_accept": { "type": "boolean" },
                    "box": { "type": "string", "enum": ["new", "accepted", "due_soon", "overdue", "handled", "returned"] },
                    "urges": int(), "grid": s(), "department": opt("string"),
                    "names": { "type": "object", "additionalProperties": { "type": "string" },
                        "description": "user id → display name, for the timeline" },
                    "record": { "type": "object", "description": "the incident with its event timeline" } }),
            ),
        ),
        (
            "StoredPhoto",
            obj(&["hash", "size"], json!({ "hash": s(), "size": int() })),
        ),
        (
            "Queue",
            obj(
                &["counts", "items", "services"],
                json!({ "counts": { "type": "object", "additionalProperties": { "type": "integer" } },
                    "items": list("QueueItem"), "services": list("ServiceQueueItem") }),
            ),
        ),
        (
            "ServiceQueueItem",
            obj(
                &[
                    "id",
                    "community_id",
                    "item_id",
                    "item",
                    "resident_name",
                    "status",
                    "box",
                    "record",
                ],
                json!({ "id": id(), "community_id": id(), "item_id": id(), "item": s(),
                    "resident_name": s(), "status": s(), "department_id": opt_id,
                    "department": opt("string"), "due": opt("string"),
                    "registered_at": opt("string"),
                    "box": { "type": "string", "enum": ["new", "due_soon", "overdue", "handled", "returned"] },
                    "community": s(),
                    "names": { "type": "object", "additionalProperties": { "type": "string" },
                        "description": "user id → display name, for the timeline" },
                    "record": { "type": "object", "description": "the service request with its event timeline" } }),
            ),
        ),
        (
            "ServiceEventRequest",
            obj(
                &["action"],
                json!({ "action": { "type": "object", "required": ["type"],
                        "description": "{type: complete (on_the_spot: false)|return|comment|hand_over|transfer|rate, ...its fields}" },
                    "note": s() }),
            ),
        ),
        (
            "IncidentEventRequest",
            obj(
                &["action"],
                json!({ "action": { "type": "object", "required": ["type"],
                        "description": "{type: accept|feedback|return|dispatch|transfer|escalate|urge|close|comment|evaluate|verify|reopen, ...its fields}" },
                    "note": s(), "photos": texts(),
                    "days": { "type": "integer", "minimum": 0, "maximum": 60,
                        "description": "with dispatch/transfer/escalate: working days allowed; the server sets `due` from the calendar" } }),
            ),
        ),
        (
            "MissingBlob",
            obj(
                &["hash", "kind", "doc_id", "grid_id", "grid", "partial_bytes"],
                json!({ "hash": hash, "kind": s(), "doc_id": id(), "grid_id": id(), "grid": s(),
                    "partial_bytes": int(), "device_id": opt_id, "device_name": opt("string"),
                    "user_id": opt_id, "user_name": opt("string"), "login": opt("string"),
                    "since": { "type": "integer", "nullable": true,
                        "description": "epoch ms the reference reached the server" } }),
            ),
        ),
        ("MissingBlobList", list("MissingBlob")),
    ]
}
