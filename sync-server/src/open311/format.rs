//! The two response formats of GeoReport v2: every answer is built once as JSON and, for
//! `.xml`, written as the spec's XML (lists as `<services><service>…`, `null` as an empty
//! element), so the two cannot drift apart.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The format a path asks for by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.xml`
    Xml,
}

/// Splits `name.json` / `name.xml` into the name and its format; `None` for anything else.
pub fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, format))
}

/// An answer: `value` under the XML root element `root` (its list items are named after it).
pub struct Reply {
    /// Format asked for.
    pub format: Format,
    /// HTTP status.
    pub status: StatusCode,
    /// XML root element, e.g. `services`, `service_requests`.
    pub root: &'static str,
    /// The answer as JSON.
    pub value: Value,
}

impl Reply {
    /// A 200 answer.
    pub fn ok(format: Format, root: &'static str, value: Value) -> Reply {
        Reply {
            format,
            status: StatusCode::OK,
            root,
            value,
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let (content_type, body) = match self.format {
            Format::Json => ("application/json; charset=utf-8", self.value.to_string()),
            Format::Xml => ("text/xml; charset=utf-8", to_xml(self.root, &self.value)),
        };
        (self.status, [(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

/// The name of one item of a list element.
fn item_name(list: &str) -> &str {
    match list {
        "service_requests" => "request",
        "errors" => "error",
        "services" => "service",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// `value` as an XML document with root element `root`.
pub fn to_xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(&mut out, root, value);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
            return;
        }
        _ => {
            out.push('<');
            out.push_str(name);
            out.push('>');
        }
    }
    match value {
        Value::Array(items) => {
            let item = item_name(name);
            items.iter().for_each(|v| element(out, item, v));
        }
        Value::Object(fields) => fields.iter().for_each(|(k, v)| element(out, k, v)),
        Value::String(text) => escape(out, text),
        other => escape(out, &other.to_string()),
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_nulls_and_escapes() {
        let value = json!([{ "service_code": "a&b", "group": null, "n": 1.5 }]);
        assert_eq!(
            to_xml("services", &value),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>\
             <group/><n>1.5</n><service_code>a&amp;b</service_code></service></services>"
        );
    }

    #[test]
    fn only_json_and_xml() {
        assert_eq!(split("env.garbage.xml"), Some(("env.garbage", Format::Xml)));
        assert_eq!(split("services.json"), Some(("services", Format::Json)));
        assert_eq!(split("services.csv"), None);
        assert_eq!(split(".json"), None);
    }
}
