//! Structural-schema handling of custom resources: pruning, defaulting and validation against
//! a CRD version's `openAPIV3Schema`, as the apiextensions API server does on every write.
//!
//! Order, as in the real server: unknown fields are pruned silently (`apiVersion`, `kind` and
//! `metadata` at the root and in embedded resources are always kept), defaults fill missing
//! fields, then the object is validated and every failure is reported with the API server's
//! path and wording (`spec.replicas: Invalid value: "string": spec.replicas in body must be of
//! type integer: "string"`, `spec.destination: Required value`).
//!
//! Supported keywords: `type` (object, array, string, integer, number, boolean), `properties`,
//! `required`, `items`, `additionalProperties` (schema or bool), `nullable`, `enum`, `default`,
//! `minimum`/`maximum` (+ `exclusiveMinimum`/`exclusiveMaximum`), `multipleOf`,
//! `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern` (Rust `regex`, which accepts the
//! RE2 syntax CRDs use), `format: date-time` and `date`, `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-embedded-resource`.
//!
//! Not supported (accepted, not enforced): `x-kubernetes-validations` (CEL),
//! `x-kubernetes-list-type` uniqueness, `anyOf`/`oneOf`/`allOf`/`not`, `minProperties` /
//! `maxProperties`, formats other than the two above. `metadata` is not checked against the
//! schema (see `validate::validate_object_meta`).

use regex::Regex;
use serde_json::{Map, Value};

use crate::sim::validate::FieldError;

/// What [`check_custom_resource`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaReport {
    /// Validation failures (the causes of a 422).
    pub errors: Vec<FieldError>,
    /// Paths of pruned unknown fields (`spec.foo`), for `fieldValidation=Warn|Strict`.
    pub pruned: Vec<String>,
}

/// Prunes, defaults and validates `obj` in place against `schema` (the version's
/// `openAPIV3Schema`); returns the validation failures.
pub fn validate_and_prune(obj: &mut Value, schema: &Value) -> Vec<FieldError> {
    check_custom_resource(obj, schema).errors
}

/// As [`validate_and_prune`], also reporting which unknown fields were pruned.
pub fn check_custom_resource(obj: &mut Value, schema: &Value) -> SchemaReport {
    let mut walker = Walker::default();
    match obj {
        Value::Object(map) => walker.object(map, schema, "", true),
        other => walker.node(other, schema, ""),
    }
    SchemaReport {
        errors: walker.errors,
        pruned: walker.pruned,
    }
}

/// Fields kept at the root of every object and of every embedded resource.
const RESOURCE_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool) == Some(true)
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON type name kube-openapi reports for a value.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn type_matches(wanted: &str, value: &Value) -> bool {
    match wanted {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => is_integer(value),
        "number" => value.is_number(),
        _ => true,
    }
}

/// Prints a schema bound as Go's `%v` prints a float64 (`1`, `1.5`).
fn bound(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[derive(Default)]
struct Walker {
    errors: Vec<FieldError>,
    pruned: Vec<String>,
}

impl Walker {
    fn node(&mut self, value: &mut Value, schema: &Value, path: &str) {
        if value.is_null() {
            self.null(schema, path);
            return;
        }
        if !self.check_type(value, schema, path) {
            return;
        }
        match value {
            Value::Object(map) => self.object(map, schema, path, false),
            Value::Array(items) => self.array(items, schema, path),
            Value::String(s) => self.string(s, schema, path),
            Value::Number(_) => self.number(value, schema, path),
            _ => {}
        }
        self.check_enum(value, schema, path);
    }

    fn type_error(&mut self, path: &str, wanted: &str, value: &Value) {
        let actual = type_name(value);
        let detail = format!("{path} in body must be of type {wanted}: \"{actual}\"");
        self.errors.push(FieldError::type_invalid(
            path,
            &Value::from(actual),
            &detail,
        ));
    }

    fn null(&mut self, schema: &Value, path: &str) {
        if flag(schema, "nullable") {
            return;
        }
        if flag(schema, "x-kubernetes-int-or-string") {
            self.type_error(path, "integer,string", &Value::Null);
        } else if let Some(wanted) = schema.get("type").and_then(Value::as_str) {
            self.type_error(path, wanted, &Value::Null);
        }
    }

    /// Reports a type mismatch; returns whether the value has an acceptable type.
    fn check_type(&mut self, value: &Value, schema: &Value, path: &str) -> bool {
        if flag(schema, "x-kubernetes-int-or-string") {
            if is_integer(value) || value.is_string() {
                return true;
            }
            self.type_error(path, "integer,string", value);
            return false;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some(wanted) if !type_matches(wanted, value) => {
                self.type_error(path, wanted, value);
                false
            }
            _ => true,
        }
    }

    fn check_enum(&mut self, value: &Value, schema: &Value, path: &str) {
        let Some(Value::Array(allowed)) = schema.get("enum") else {
            return;
        };
        if allowed.contains(value) {
            return;
        }
        let names: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        self.errors
            .push(FieldError::not_supported(path, value, &names));
    }

    fn object(&mut self, map: &mut Map<String, Value>, schema: &Value, path: &str, root: bool) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let additional_schema = additional.filter(|a| a.is_object());
        let embedded = flag(schema, "x-kubernetes-embedded-resource");
        let keeps_resource_fields = root || embedded;

        apply_defaults(map, properties);
        let preserves = flag(schema, "x-kubernetes-preserve-unknown-fields")
            || additional_schema.is_some()
            || additional.and_then(Value::as_bool) == Some(true);
        if !preserves {
            self.prune(map, properties, keeps_resource_fields, path);
        }
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(name) {
                self.errors
                    .push(FieldError::required(&child(path, name), ""));
            }
        }
        for (key, value) in map.iter_mut() {
            if root && key == "metadata" {
                continue;
            }
            let child_schema = properties.and_then(|p| p.get(key)).or(additional_schema);
            if let Some(child_schema) = child_schema {
                self.node(value, child_schema, &child(path, key));
            }
        }
        if embedded {
            self.embedded_resource(map, path);
        }
    }

    fn prune(
        &mut self,
        map: &mut Map<String, Value>,
        properties: Option<&Map<String, Value>>,
        keeps_resource_fields: bool,
        path: &str,
    ) {
        let pruned: Vec<String> = map
            .keys()
            .filter(|k| !properties.is_some_and(|p| p.contains_key(*k)))
            .filter(|k| !(keeps_resource_fields && RESOURCE_FIELDS.contains(&k.as_str())))
            .cloned()
            .collect();
        for key in pruned {
            map.remove(&key);
            self.pruned.push(child(path, &key));
        }
    }

    /// `x-kubernetes-embedded-resource`: apiVersion and kind present and non-empty strings.
    fn embedded_resource(&mut self, map: &Map<String, Value>, path: &str) {
        for field in ["apiVersion", "kind"] {
            let at = child(path, field);
            match map.get(field) {
                None => self
                    .errors
                    .push(FieldError::required(&at, "must not be empty")),
                Some(Value::String(s)) if s.is_empty() => self.errors.push(FieldError::invalid(
                    &at,
                    &Value::from(""),
                    "must not be empty",
                )),
                Some(Value::String(_)) => {}
                Some(other) => {
                    self.errors
                        .push(FieldError::invalid(&at, other, "must be a string"))
                }
            }
        }
    }

    fn array(&mut self, items: &mut [Value], schema: &Value, path: &str) {
        let len = items.len();
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (len as u64) < min
        {
            let detail = format!("{path} in body should have at least {min} items");
            self.errors
                .push(FieldError::invalid(path, &Value::from(len), &detail));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && (len as u64) > max
        {
            self.errors
                .push(FieldError::too_many(path, len, max as usize));
        }
        if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
            for (i, item) in items.iter_mut().enumerate() {
                self.node(item, item_schema, &format!("{path}[{i}]"));
            }
        }
    }

    fn string(&mut self, s: &str, schema: &Value, path: &str) {
        let value = Value::from(s);
        let chars = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            let detail = format!("{path} in body should be at least {min} chars long");
            self.errors.push(FieldError::invalid(path, &value, &detail));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            self.errors.push(FieldError::too_long(path, max as usize));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Ok(re) = Regex::new(pattern)
            && !re.is_match(s)
        {
            let detail = format!("{path} in body should match '{pattern}'");
            self.errors.push(FieldError::invalid(path, &value, &detail));
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str)
            && !format_matches(format, s)
        {
            let detail = format!("{path} in body must be of type {format}: {value}");
            self.errors
                .push(FieldError::type_invalid(path, &value, &detail));
        }
    }

    fn number(&mut self, value: &Value, schema: &Value, path: &str) {
        let Some(n) = value.as_f64() else {
            return;
        };
        let limit = |key: &str| schema.get(key).and_then(Value::as_f64);
        if let Some(min) = limit("minimum") {
            let exclusive = flag(schema, "exclusiveMinimum");
            if n < min || (exclusive && n == min) {
                let relation = if exclusive {
                    "greater than"
                } else {
                    "greater than or equal to"
                };
                let detail = format!("{path} in body should be {relation} {}", bound(min));
                self.errors.push(FieldError::invalid(path, value, &detail));
            }
        }
        if let Some(max) = limit("maximum") {
            let exclusive = flag(schema, "exclusiveMaximum");
            if n > max || (exclusive && n == max) {
                let relation = if exclusive {
                    "less than"
                } else {
                    "less than or equal to"
                };
                let detail = format!("{path} in body should be {relation} {}", bound(max));
                self.errors.push(FieldError::invalid(path, value, &detail));
            }
        }
        if let Some(step) = limit("multipleOf").filter(|s| *s > 0.0)
            && (n / step).fract() != 0.0
        {
            let detail = format!("{path} in body should be a multiple of {}", bound(step));
            self.errors.push(FieldError::invalid(path, value, &detail));
        }
    }
}

/// Missing properties with a `default` get it; so do `null`s where null is not allowed.
fn apply_defaults(map: &mut Map<String, Value>, properties: Option<&Map<String, Value>>) {
    for (name, prop) in properties.into_iter().flatten() {
        let Some(default) = prop.get("default") else {
            continue;
        };
        let missing = match map.get(name) {
            None => true,
            Some(Value::Null) => !flag(prop, "nullable"),
            Some(_) => false,
        };
        if missing {
            map.insert(name.clone(), default.clone());
        }
    }
}

fn format_matches(format: &str, s: &str) -> bool {
    match format {
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A cut-down Argo CD Application schema: required spec, destination and project;
    /// free-form helm values; a defaulted field; an int-or-string.
    fn application_schema() -> Value {
        json!({
            "type": "object",
            "required": ["metadata", "spec"],
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "required": ["destination", "project"],
                    "properties": {
                        "project": {"type": "string", "minLength": 1},
                        "destination": {
                            "type": "object",
                            "properties": {
                                "server": {"type": "string"},
                                "namespace": {"type": "string", "pattern": "^[a-z0-9-]*$"}
                            }
                        },
                        "replicas": {"type": "integer", "minimum": 0, "maximum": 10},
                        "revisionHistoryLimit": {"type": "integer", "default": 10},
                        "port": {"x-kubernetes-int-or-string": true},
                        "mode": {"type": "string", "enum": ["Sync", "Async"]},
                        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 5}},
                        "sources": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["repoURL"],
                                "properties": {
                                    "repoURL": {"type": "string"},
                                    "helm": {"type": "object", "properties": {
                                        "valuesObject": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                                    }}
                                }
                            }
                        },
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                     "x-kubernetes-preserve-unknown-fields": true},
                        "deadline": {"type": "string", "format": "date-time", "nullable": true}
                    }
                },
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }
        })
    }

    fn app(spec: Value) -> Value {
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "guestbook", "namespace": "argocd", "labels": {"x": "y"}},
            "spec": spec
        })
    }

    fn messages(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_object_passes_and_gets_defaults() {
        let mut obj = app(
            json!({"project": "default", "destination": {"server": "https://kubernetes.default.svc"}}),
        );
        let errors = validate_and_prune(&mut obj, &application_schema());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(obj["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(obj["metadata"]["labels"]["x"], "y");
    }

    #[test]
    fn required_fields_are_reported_with_their_paths() {
        let mut obj = app(json!({}));
        let errors = validate_and_prune(&mut obj, &application_schema());
        assert_eq!(
            messages(&errors),
            vec![
                "spec.destination: Required value",
                "spec.project: Required value"
            ]
        );
        let mut no_spec = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}});
        assert_eq!(
            messages(&validate_and_prune(&mut no_spec, &application_schema())),
            vec!["spec: Required value"]
        );
    }

    #[test]
    fn type_errors_use_the_api_server_wording() {
        let mut obj = app(json!({"project": "p", "destination": {}, "replicas": "three"}));
        let errors = validate_and_prune(&mut obj, &application_schema());
        assert_eq!(
            messages(&errors),
            vec![
                "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""
            ]
        );
        assert_eq!(errors[0].kind.reason(), "FieldValueTypeInvalid");
        let mut obj = app(json!({"project": "p", "destination": "cluster"}));
        assert_eq!(
            messages(&validate_and_prune(&mut obj, &application_schema())),
            vec![
                "spec.destination: Invalid value: \"string\": spec.destination in body must be of type object: \"string\""
            ]
        );
    }

    #[test]
    fn nested_array_paths_use_indices() {
        let mut obj = app(json!({"project": "p", "destination": {},
                                 "sources": [{"repoURL": "a"}, {"path": "x"}]}));
        let errors = validate_and_prune(&mut obj, &application_schema());
        assert_eq!(
            messages(&errors),
            vec!["spec.sources[1].repoURL: Required value"]
        );
        // `path` is not in the schema: pruned.
        assert_eq!(obj["spec"]["sources"][1], json!({}));
    }

    #[test]
    fn unknown_fields_are_pruned_silently_except_where_preserved() {
        let mut obj = app(json!({
            "project": "p", "destination": {"server": "s", "bogus": 1},
            "unknownTop": true,
            "sources": [{"repoURL": "r", "helm": {"valuesObject": {"any": {"deep": [1, 2]}}, "extra": 1}}]
        }));
        obj["status"] = json!({"whatever": {"x": 1}});
        obj["extraRoot"] = json!("gone");
        let report = check_custom_resource(&mut obj, &application_schema());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(
            report.pruned,
            vec![
                "extraRoot",
                "spec.unknownTop",
                "spec.destination.bogus",
                "spec.sources[0].helm.extra"
            ]
        );
        assert!(obj.get("extraRoot").is_none());
        assert_eq!(obj["spec"]["destination"], json!({"server": "s"}));
        assert_eq!(
            obj["spec"]["sources"][0]["helm"]["valuesObject"]["any"]["deep"],
            json!([1, 2])
        );
        assert_eq!(obj["status"]["whatever"]["x"], 1);
        // The root identity fields are never pruned, even when the schema omits them.
        let mut bare = app(json!({"project": "p", "destination": {}}));
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}});
        assert!(validate_and_prune(&mut bare, &schema).is_empty());
        assert_eq!(bare["kind"], "Application");
        assert_eq!(bare["metadata"]["name"], "guestbook");
    }

    #[test]
    fn int_or_string_accepts_both_and_rejects_others() {
        for port in [json!(8080), json!("http")] {
            let mut obj = app(json!({"project": "p", "destination": {}, "port": port}));
            assert!(validate_and_prune(&mut obj, &application_schema()).is_empty());
        }
        let mut obj = app(json!({"project": "p", "destination": {}, "port": true}));
        assert_eq!(
            messages(&validate_and_prune(&mut obj, &application_schema())),
            vec![
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""
            ]
        );
    }

    #[test]
    fn value_constraints() {
        let mut obj = app(json!({
            "project": "", "destination": {"namespace": "Bad_NS"},
            "replicas": 11, "mode": "Later", "tags": ["a", "toolong", "c"],
            "sources": [], "labels": {"a": 1}, "deadline": "yesterday"
        }));
        let errors = validate_and_prune(&mut obj, &application_schema());
        let mut got = messages(&errors);
        got.sort();
        let mut expected = vec![
            "spec.project: Invalid value: \"\": spec.project in body should be at least 1 chars long".to_string(),
            "spec.destination.namespace: Invalid value: \"Bad_NS\": spec.destination.namespace in body should match '^[a-z0-9-]*$'".to_string(),
            "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10".to_string(),
            "spec.mode: Unsupported value: \"Later\": supported values: \"Sync\", \"Async\"".to_string(),
            "spec.tags: Too many: 3: must have at most 2 items".to_string(),
            "spec.tags[1]: Too long: may not be more than 5 bytes".to_string(),
            "spec.sources: Invalid value: 0: spec.sources in body should have at least 1 items".to_string(),
            "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"".to_string(),
            "spec.deadline: Invalid value: \"yesterday\": spec.deadline in body must be of type date-time: \"yesterday\"".to_string(),
        ];
        expected.sort();
        assert_eq!(got, expected);
    }

    #[test]
    fn nullable_and_null_defaults() {
        let mut obj = app(
            json!({"project": "p", "destination": {}, "deadline": null, "revisionHistoryLimit": null}),
        );
        assert!(validate_and_prune(&mut obj, &application_schema()).is_empty());
        assert_eq!(obj["spec"]["deadline"], Value::Null);
        assert_eq!(obj["spec"]["revisionHistoryLimit"], 10);
        let mut obj = app(json!({"project": null, "destination": {}}));
        assert_eq!(
            messages(&validate_and_prune(&mut obj, &application_schema())),
            vec![
                "spec.project: Invalid value: \"null\": spec.project in body must be of type string: \"null\""
            ]
        );
    }

    #[test]
    fn embedded_resources_need_api_version_and_kind() {
        let mut obj = app(
            json!({"project": "p", "destination": {}, "template": {"metadata": {"name": "x"}, "spec": {}}}),
        );
        assert_eq!(
            messages(&validate_and_prune(&mut obj, &application_schema())),
            vec![
                "spec.template.apiVersion: Required value: must not be empty",
                "spec.template.kind: Required value: must not be empty"
            ]
        );
        let mut obj = app(json!({"project": "p", "destination": {},
                                 "template": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}}));
        assert!(validate_and_prune(&mut obj, &application_schema()).is_empty());
        assert_eq!(obj["spec"]["template"]["data"]["k"], "v");
    }

    #[test]
    fn integral_floats_are_integers() {
        let mut obj = app(json!({"project": "p", "destination": {}, "replicas": 3.0}));
        assert!(validate_and_prune(&mut obj, &application_schema()).is_empty());
        let mut obj = app(json!({"project": "p", "destination": {}, "replicas": 2.5}));
        assert_eq!(
            messages(&validate_and_prune(&mut obj, &application_schema())),
            vec![
                "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\""
            ]
        );
    }
}
