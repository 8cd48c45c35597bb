//! The admin API's body types, written once in Rust: their `specta` type graph gives the
//! admin web its TypeScript types (`ui/src/admin/api.gen.ts`) and, converted here to JSON
//! Schema (which OpenAPI 3.1 uses), `components.schemas` of `/api/openapi.json`.

use std::cell::RefCell;

use serde_json::{json, Map, Value};
use specta::datatype::{DataType, Enum, Fields, NamedReferenceType, Primitive, Reference};
use specta::{Format, Types};

/// A JSON body's type: its `specta` definition, which registers the named types it uses.
pub type Schema = fn(&mut Types) -> DataType;

/// The schema of `T`.
pub const fn of<T: specta::Type>() -> Schema {
    T::definition
}

/// Named types collected from schemas, with serde's renames, tags and defaults applied.
pub struct Catalogue {
    raw: Types,
    serde: Types,
    /// Types that could not be described (a derive whose serde attributes specta refuses):
    /// they get an empty schema (any value) and are listed here instead of failing the
    /// document; the schema test asserts there are none.
    problems: RefCell<Vec<String>>,
}

impl Catalogue {
    /// Collects `schemas` and every named type they use.
    pub fn new(schemas: impl IntoIterator<Item = Schema>) -> Self {
        let mut raw = Types::default();
        for schema in schemas {
            schema(&mut raw);
        }
        let problems = RefCell::new(Vec::new());
        let serde = match specta_serde::Format.map_types(&raw) {
            Ok(types) => types.into_owned(),
            Err(e) => {
                problems.borrow_mut().push(format!("serde rules: {e}"));
                Types::default()
            }
        };
        Self {
            raw,
            serde,
            problems,
        }
    }

    /// What could not be described (empty for a sound API).
    pub fn problems(&self) -> Vec<String> {
        self.problems.borrow().clone()
    }

    /// The collected types as derived (for exporters that apply serde's rules themselves).
    #[cfg(test)]
    pub fn types(&self) -> &Types {
        &self.raw
    }

    /// The JSON Schema of `schema` (one of those collected), referring to named types as
    /// `#/components/schemas/NAME`.
    pub fn schema(&mut self, schema: Schema) -> Value {
        let dt = schema(&mut self.raw);
        match specta_serde::Format.map_type(&self.raw, &dt) {
            Ok(dt) => self.convert(&dt),
            Err(e) => {
                self.problems.borrow_mut().push(format!("serde rules: {e}"));
                json!({})
            }
        }
    }

    /// Every named type's JSON Schema, by name.
    pub fn components(&self) -> Map<String, Value> {
        self.serde
            .into_sorted_iter()
            .filter_map(|ndt| {
                let mut schema = self.convert(ndt.ty.as_ref()?);
                describe(&mut schema, &ndt.docs);
                Some((ndt.name.to_string(), schema))
            })
            .collect()
    }

    fn convert(&self, dt: &DataType) -> Value {
        match dt {
            DataType::Primitive(p) => primitive(p),
            DataType::List(list) => {
                let mut out = json!({ "type": "array", "items": self.convert(&list.ty) });
                if list.unique {
                    out["uniqueItems"] = json!(true);
                }
                if let Some(n) = list.length {
                    out["minItems"] = json!(n);
                    out["maxItems"] = json!(n);
                }
                out
            }
            DataType::Map(map) => {
                json!({ "type": "object", "additionalProperties": self.convert(map.value_ty()) })
            }
            DataType::Struct(s) => self.fields(&s.fields),
            DataType::Enum(e) => self.variants(e),
            DataType::Tuple(t) if t.elements.is_empty() => json!({ "type": "null" }),
            DataType::Tuple(t) => self.tuple(t.elements.iter()),
            DataType::Nullable(inner) => {
                json!({ "anyOf": [self.convert(inner), { "type": "null" }] })
            }
            DataType::Intersection(parts) => {
                json!({ "allOf": parts.iter().map(|p| self.convert(p)).collect::<Vec<_>>() })
            }
            // Generic parameters and exporter-specific opaque types: any JSON value.
            DataType::Generic(_) | DataType::Reference(Reference::Opaque(_)) => json!({}),
            DataType::Reference(Reference::Named(r)) => match &r.inner {
                NamedReferenceType::Inline { dt, .. } => self.convert(dt),
                NamedReferenceType::Reference { .. } | NamedReferenceType::Recursive(_) => {
                    match self.serde.get(r) {
                        Some(ndt) => reference(&ndt.name),
                        None => {
                            self.problems
                                .borrow_mut()
                                .push("a named type was not collected".into());
                            json!({})
                        }
                    }
                }
            },
        }
    }

    fn fields(&self, fields: &Fields) -> Value {
        match fields {
            Fields::Unit => json!({ "type": "null" }),
            Fields::Unnamed(u) => {
                let live: Vec<&DataType> = u.fields.iter().filter_map(|f| f.ty.as_ref()).collect();
                match (u.fields.len(), live.as_slice()) {
                    // A newtype is its content.
                    (1, [only]) => self.convert(only),
                    _ => self.tuple(live.into_iter()),
                }
            }
            Fields::Named(named) => {
                let mut properties = Map::new();
                let mut required = Vec::new();
                for (name, field) in &named.fields {
                    let Some(ty) = &field.ty else { continue };
                    let mut schema = self.convert(ty);
                    describe(&mut schema, &field.docs);
                    if !field.optional {
                        required.push(name.to_string());
                    }
                    properties.insert(name.to_string(), schema);
                }
                json!({ "type": "object", "required": required, "properties": properties })
            }
        }
    }

    fn variants(&self, e: &Enum) -> Value {
        let live: Vec<_> = e.variants.iter().filter(|(_, v)| !v.skip).collect();
        if live.iter().all(|(_, v)| matches!(v.fields, Fields::Unit)) {
            let names: Vec<&str> = live.iter().map(|(name, _)| name.as_ref()).collect();
            return json!({ "type": "string", "enum": names });
        }
        let any_of: Vec<Value> = live
            .iter()
            .map(|(name, v)| {
                let mut schema = match &v.fields {
                    Fields::Unit => json!({ "const": name }),
                    fields => self.fields(fields),
                };
                describe(&mut schema, &v.docs);
                schema
            })
            .collect();
        // serde's unit variants come out as one-string alternatives: one `enum` of them all.
        let strings: Option<Vec<Vec<Value>>> = any_of.iter().map(string_literals).collect();
        match strings {
            Some(names) => json!({ "type": "string", "enum": names.concat() }),
            None => json!({ "anyOf": any_of }),
        }
    }

    fn tuple<'a>(&self, elements: impl ExactSizeIterator<Item = &'a DataType>) -> Value {
        let n = elements.len();
        let items: Vec<Value> = elements.map(|e| self.convert(e)).collect();
        json!({ "type": "array", "prefixItems": items, "minItems": n, "maxItems": n })
    }
}

/// `$ref` to a named schema.
pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn primitive(p: &Primitive) -> Value {
    use Primitive as P;
    match p {
        P::i8 | P::i16 | P::i32 | P::i64 | P::i128 | P::isize => json!({ "type": "integer" }),
        P::u8 | P::u16 | P::u32 | P::u64 | P::u128 | P::usize => {
            json!({ "type": "integer", "minimum": 0 })
        }
        P::f16 | P::f32 | P::f64 | P::f128 => json!({ "type": "number" }),
        P::bool => json!({ "type": "boolean" }),
        P::char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
        P::str => json!({ "type": "string" }),
    }
}

/// The values of a schema that only lists strings.
fn string_literals(schema: &Value) -> Option<Vec<Value>> {
    let map = schema.as_object()?;
    let only = map
        .keys()
        .all(|k| ["type", "enum", "description"].contains(&k.as_str()));
    match (only, &map.get("type")?, map.get("enum")?) {
        (true, Value::String(t), Value::Array(values)) if t == "string" => Some(values.clone()),
        _ => None,
    }
}

/// Adds a doc comment as the schema's `description`.
fn describe(schema: &mut Value, docs: &str) {
    let docs = docs.trim();
    if !docs.is_empty() {
        schema["description"] = json!(docs);
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::{of, Catalogue};

    /// A state.
    #[allow(dead_code)]
    #[derive(Serialize, specta::Type)]
    #[serde(rename_all = "snake_case")]
    enum Light {
        Green,
        DueSoon,
    }

    #[allow(dead_code)]
    #[derive(Serialize, specta::Type)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Step {
        Wait,
        Go { metres: u32 },
    }

    #[derive(Serialize, specta::Type)]
    struct Base {
        id: String,
    }

    /// A thing.
    #[derive(Serialize, specta::Type)]
    struct Thing {
        /// Its light.
        light: Light,
        #[serde(rename = "box")]
        in_box: Option<f64>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        steps: Vec<Step>,
        #[serde(flatten)]
        base: Base,
    }

    #[test]
    fn serde_shapes_become_json_schema() {
        let mut types = Catalogue::new([of::<Thing>()]);
        assert_eq!(
            types.schema(of::<Vec<Thing>>()),
            json!({ "type": "array", "items": { "$ref": "#/components/schemas/Thing" } })
        );
        let all = types.components();
        assert_eq!(
            all["Light"],
            json!({ "type": "string", "enum": ["green", "due_soon"], "description": "A state." })
        );
        let step = &all["Step"]["anyOf"];
        assert_eq!(step[0]["properties"]["type"]["enum"], json!(["wait"]));
        assert_eq!(step[1]["required"], json!(["type", "metres"]));
        assert_eq!(
            step[1]["properties"]["metres"],
            json!({ "type": "integer", "minimum": 0 })
        );
        let thing = &all["Thing"];
        assert_eq!(thing["description"], "A thing.");
        assert_eq!(
            thing["allOf"][1],
            json!({ "$ref": "#/components/schemas/Base" })
        );
        let own = &thing["allOf"][0];
        // Renamed, nullable, and optional when serde may leave it out.
        assert_eq!(own["required"], json!(["light", "box"]));
        assert_eq!(
            own["properties"]["box"],
            json!({ "anyOf": [{ "type": "number" }, { "type": "null" }] })
        );
        assert_eq!(
            own["properties"]["light"],
            json!({ "$ref": "#/components/schemas/Light", "description": "Its light." })
        );
    }
}
