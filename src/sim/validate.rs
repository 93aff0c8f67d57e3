//! Field errors and built-in object validation, worded as the API server words its 422 causes.
//!
//! [`FieldError`] mirrors `k8s.io/apimachinery/pkg/util/validation/field.Error`: a field path
//! (`spec.containers[0].image`), a kind (`Required value`, `Invalid value`, …), the offending
//! value printed the way Go's `%q`/`%v` prints it, and a detail. Its `Display` is the exact
//! `field: body` line kubectl prints; [`invalid_message`] builds the Status message
//! (`Pod "web" is invalid: spec.containers: Required value`).
//!
//! [`validate_builtin`] covers the kinds the simulator serves (see its doc for the checked rules).
//! It is a subset of the real validation: enough for the errors a user meets when writing
//! manifests by hand, not every rule the API server has.
//!
//! Wording checked against k8s.io/apimachinery v0.32 (Kubernetes 1.32).
//!
//! Bad values that Go would print as a struct dump (`&v1.LabelSelector{…}`) are printed as JSON
//! here; string maps print as Go does (`map[string]string{"app":"web"}`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Value, json};

use crate::domain::labels::LabelSelector;

/// The kind of a field error, as `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Required,
    Invalid,
    /// A value of the wrong JSON type (CRD schema validation).
    TypeInvalid,
    NotSupported,
    Duplicate,
    TooLong,
    TooMany,
    Forbidden,
    NotFound,
}

impl ErrorKind {
    /// The human label that starts the error body (`field.ErrorType.String()`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Required => "Required value",
            Self::Invalid | Self::TypeInvalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Duplicate => "Duplicate value",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not found",
        }
    }

    /// The `StatusCause.reason` (`metav1.CauseType`) for this kind.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Required => "FieldValueRequired",
            Self::Invalid => "FieldValueInvalid",
            Self::TypeInvalid => "FieldValueTypeInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Duplicate => "FieldValueDuplicate",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::Forbidden => "FieldValueForbidden",
            Self::NotFound => "FieldValueNotFound",
        }
    }

    /// Kinds whose body never shows the bad value (as in `field.Error.ErrorBody`).
    fn hides_value(self) -> bool {
        matches!(self, Self::Required | Self::Forbidden | Self::TooLong)
    }
}

/// One validation failure on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted field path with `[i]` indices and `[key]` map keys: `spec.ports[0].port`.
    pub path: String,
    pub kind: ErrorKind,
    /// The bad value as Go prints it (`"abc"`, `3`, `map[string]string{…}`), if shown.
    pub bad_value: Option<String>,
    pub detail: String,
}

impl FieldError {
    fn new(path: &str, kind: ErrorKind, bad_value: Option<String>, detail: &str) -> Self {
        Self {
            path: path.to_string(),
            kind,
            bad_value,
            detail: detail.to_string(),
        }
    }

    pub fn required(path: &str, detail: &str) -> Self {
        Self::new(path, ErrorKind::Required, None, detail)
    }

    pub fn invalid(path: &str, value: &Value, detail: &str) -> Self {
        Self::new(path, ErrorKind::Invalid, Some(go_repr(value)), detail)
    }

    /// An invalid value whose value is not printed (Go's `field.OmitValueType`).
    pub fn invalid_omitted(path: &str, detail: &str) -> Self {
        Self::new(path, ErrorKind::Invalid, None, detail)
    }

    pub fn type_invalid(path: &str, value: &Value, detail: &str) -> Self {
        Self::new(path, ErrorKind::TypeInvalid, Some(go_repr(value)), detail)
    }

    /// `Unsupported value: "x": supported values: "a", "b"`.
    pub fn not_supported<S: AsRef<str>>(path: &str, value: &Value, supported: &[S]) -> Self {
        let quoted: Vec<String> = supported.iter().map(|s| go_quote(s.as_ref())).collect();
        let detail = if quoted.is_empty() {
            String::new()
        } else {
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(path, ErrorKind::NotSupported, Some(go_repr(value)), &detail)
    }

    pub fn duplicate(path: &str, value: &Value) -> Self {
        Self::new(path, ErrorKind::Duplicate, Some(go_repr(value)), "")
    }

    /// `Too long: may not be more than N bytes` (`field.TooLong`).
    pub fn too_long(path: &str, max_bytes: usize) -> Self {
        let detail = format!("may not be more than {max_bytes} bytes");
        Self::new(path, ErrorKind::TooLong, None, &detail)
    }

    /// `Too many: 5: must have at most 3 items` (`field.TooMany`).
    pub fn too_many(path: &str, actual: usize, max: usize) -> Self {
        let detail = format!("must have at most {max} items");
        Self::new(path, ErrorKind::TooMany, Some(actual.to_string()), &detail)
    }

    pub fn forbidden(path: &str, detail: &str) -> Self {
        Self::new(path, ErrorKind::Forbidden, None, detail)
    }

    /// The message without the field (`field.Error.ErrorBody`), as in a `StatusCause`.
    pub fn body(&self) -> String {
        let mut body = self.kind.label().to_string();
        if let Some(value) = self.bad_value.as_ref().filter(|_| !self.kind.hides_value()) {
            body.push_str(": ");
            body.push_str(value);
        }
        if !self.detail.is_empty() {
            body.push_str(": ");
            body.push_str(&self.detail);
        }
        body
    }

    /// The `details.causes[]` entry of a 422 Status.
    pub fn status_cause(&self) -> Value {
        json!({"reason": self.kind.reason(), "message": self.body(), "field": self.path})
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.body())
    }
}

/// Joins errors as Go's `utilerrors.NewAggregate(...).Error()`: one message alone, several in
/// `[a, b]`, duplicates dropped.
pub fn aggregate(errors: &[FieldError]) -> String {
    let mut seen = BTreeSet::new();
    let messages: Vec<String> = errors
        .iter()
        .map(|e| e.to_string())
        .filter(|m| seen.insert(m.clone()))
        .collect();
    match messages.as_slice() {
        [one] => one.clone(),
        _ => format!("[{}]", messages.join(", ")),
    }
}

/// The message of a 422 Invalid Status: `Deployment.apps "web" is invalid: <aggregate>`.
/// `qualified_kind` is `Kind` for the core group, else `Kind.group`.
pub fn invalid_message(qualified_kind: &str, name: &str, errors: &[FieldError]) -> String {
    format!(
        "{qualified_kind} {} is invalid: {}",
        go_quote(name),
        aggregate(errors)
    )
}

/// Quotes a string as Go's `%q` does for the printable text Kubernetes names contain.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Prints a JSON value the way `field.Error` prints a Go value: strings quoted, numbers and
/// booleans bare, string maps as `map[string]string{"k":"v"}`, anything else as JSON.
pub fn go_repr(value: &Value) -> String {
    match value {
        Value::String(s) => go_quote(s),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(map) if map.values().all(Value::is_string) => {
            let sorted: BTreeMap<&String, &str> = map
                .iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
                .collect();
            let entries: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Name and key formats (k8s.io/apimachinery/pkg/util/validation), with their exact messages.
// ---------------------------------------------------------------------------------------------

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_MAP_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_MAP_KEY_MSG: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_MAX: usize = 63;
const TOTAL_ANNOTATION_SIZE_MAX: usize = 256 * 1024;

/// Go's `validation.RegexError`: the message, examples, and the regex shown to the user.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(max: usize) -> String {
    format!("must be no more than {max} characters")
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn matches_dns1123_label(s: &str) -> bool {
    let first_last_ok = s.chars().next().is_some_and(is_lower_alnum)
        && s.chars().last().is_some_and(is_lower_alnum);
    first_last_ok && s.chars().all(|c| is_lower_alnum(c) || c == '-')
}

fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn matches_qualified_name_part(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_alphanumeric();
    s.chars().next().is_some_and(edge)
        && s.chars().last().is_some_and(edge)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Messages for a value that is not a DNS-1123 label (`validation.IsDNS1123Label`).
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// Messages for a value that is not a DNS-1123 subdomain (`validation.IsDNS1123Subdomain`).
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Messages for a value that is not a DNS-1035 label (Service names, CRD version names).
pub fn dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX));
    }
    let starts_alpha = value.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if !(starts_alpha && matches_dns1123_label(value)) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Messages for a value that is not a qualified name (label and annotation keys).
pub fn qualified_name(value: &str) -> Vec<String> {
    let parts: Vec<&str> = value.split('/').collect();
    let mut errs = Vec::new();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            )];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > QUALIFIED_NAME_MAX {
        errs.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX)));
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Messages for an invalid label value (`validation.IsValidLabelValue`).
pub fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errs.push(max_len_error(LABEL_VALUE_MAX));
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Messages for an invalid ConfigMap/Secret data key (`validation.IsConfigMapKey`).
pub fn config_map_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    let valid_chars = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_chars {
        errs.push(regex_error(
            CONFIG_MAP_KEY_MSG,
            CONFIG_MAP_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    match value {
        "." => errs.push("must not be '.'".to_string()),
        ".." => errs.push("must not be '..'".to_string()),
        v if v.starts_with("..") => errs.push("must not start with '..'".to_string()),
        _ => {}
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Object metadata.
// ---------------------------------------------------------------------------------------------

/// Which name format a kind requires of `metadata.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    Dns1123Subdomain,
    Dns1123Label,
    Dns1035Label,
}

impl NameRule {
    fn check(self, name: &str) -> Vec<String> {
        match self {
            Self::Dns1123Subdomain => dns1123_subdomain(name),
            Self::Dns1123Label => dns1123_label(name),
            Self::Dns1035Label => dns1035_label(name),
        }
    }
}

/// `ValidateObjectMeta`: name (or generateName) present and well formed, namespace a DNS
/// label when set, labels and annotations well formed. Used for custom resources too.
pub fn validate_object_meta(obj: &Value, rule: NameRule) -> Vec<FieldError> {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let name = str_field(meta, "name");
    let generate_name = str_field(meta, "generateName");
    if name.is_empty() && generate_name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if !name.is_empty() {
        for msg in rule.check(name) {
            errs.push(FieldError::invalid(
                "metadata.name",
                &Value::from(name),
                &msg,
            ));
        }
    }
    let namespace = str_field(meta, "namespace");
    if !namespace.is_empty() {
        for msg in dns1123_label(namespace) {
            errs.push(FieldError::invalid(
                "metadata.namespace",
                &Value::from(namespace),
                &msg,
            ));
        }
    }
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"));
    errs.extend(validate_annotations(meta.get("annotations")));
    errs
}

/// `ValidateLabels`: every key a qualified name, every value a label value. Errors are
/// reported on the map's path, as the API server does.
pub fn validate_labels(labels: Option<&Value>, path: &str) -> Vec<FieldError> {
    let Some(Value::Object(map)) = labels else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    for (key, value) in map {
        for msg in qualified_name(key) {
            errs.push(FieldError::invalid(path, &Value::from(key.as_str()), &msg));
        }
        let value = value.as_str().unwrap_or_default();
        for msg in label_value(value) {
            errs.push(FieldError::invalid(path, &Value::from(value), &msg));
        }
    }
    errs
}

fn validate_annotations(annotations: Option<&Value>) -> Vec<FieldError> {
    let Some(Value::Object(map)) = annotations else {
        return Vec::new();
    };
    let path = "metadata.annotations";
    let mut errs = Vec::new();
    let mut total = 0;
    for (key, value) in map {
        for msg in qualified_name(&key.to_lowercase()) {
            errs.push(FieldError::invalid(path, &Value::from(key.as_str()), &msg));
        }
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_MAX {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_MAX));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds.
// ---------------------------------------------------------------------------------------------

/// Validates a built-in object of `kind` as the API server would on create/update, returning
/// every failure (empty when valid). Unknown kinds get only the metadata checks.
///
/// Checked: metadata for every kind (name format per kind: Namespace a DNS-1123 label, Service
/// a DNS-1035 label, others a DNS-1123 subdomain); Pod spec (containers required, each with a
/// unique DNS-label name and an image, ports in range, restartPolicy); Service (type, ports,
/// externalName); ConfigMap/Secret data keys (and TLS / docker-config required keys);
/// Deployment/StatefulSet/DaemonSet/ReplicaSet (selector required, non-empty, matching the
/// template labels; template pod spec; restartPolicy Always; replicas ≥ 0); PVC (access modes,
/// storage request); StorageClass (provisioner, reclaim policy, binding mode); Event
/// (involvedObject); CustomResourceDefinition (group, names, scope, versions, name).
pub fn validate_builtin(kind: &str, obj: &Value) -> Vec<FieldError> {
    let name_rule = match kind {
        "Namespace" => NameRule::Dns1123Label,
        "Service" => NameRule::Dns1035Label,
        _ => NameRule::Dns1123Subdomain,
    };
    let mut errs = validate_object_meta(obj, name_rule);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    match kind {
        "Pod" => errs.extend(validate_pod_spec(spec, "spec", None)),
        "Service" => errs.extend(validate_service_spec(spec)),
        "ConfigMap" => errs.extend(validate_config_map(obj)),
        "Secret" => errs.extend(validate_secret(obj)),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            errs.extend(validate_workload_spec(kind, spec));
        }
        "PersistentVolumeClaim" => errs.extend(validate_pvc_spec(spec)),
        "StorageClass" => errs.extend(validate_storage_class(obj)),
        "Event" => errs.extend(validate_event(obj)),
        "CustomResourceDefinition" => errs.extend(validate_crd(obj)),
        _ => {}
    }
    errs
}

fn str_field<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn array_field<'a>(obj: &'a Value, key: &str) -> &'a [Value] {
    obj.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn port_in_range(value: &Value) -> bool {
    value.as_i64().is_some_and(|p| (1..=65535).contains(&p))
}

const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";

/// Checks a pod spec under `path`. `only_restart_policy` restricts restartPolicy (workload
/// templates accept only `Always`).
fn validate_pod_spec(
    spec: &Value,
    path: &str,
    only_restart_policy: Option<&str>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let containers = array_field(spec, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(&format!("{path}.containers"), ""));
    }
    let mut names = BTreeSet::new();
    for field in ["initContainers", "containers"] {
        for (i, container) in array_field(spec, field).iter().enumerate() {
            let at = format!("{path}.{field}[{i}]");
            errs.extend(validate_container(container, &at, &mut names));
        }
    }
    errs.extend(validate_volumes(spec, path));
    let policy = spec.get("restartPolicy").and_then(Value::as_str);
    let allowed: &[&str] = match only_restart_policy {
        Some(only) => &[only][..],
        None => &["Always", "Never", "OnFailure"],
    };
    if let Some(policy) = policy.filter(|p| !allowed.contains(p)) {
        errs.push(FieldError::not_supported(
            &format!("{path}.restartPolicy"),
            &Value::from(policy),
            allowed,
        ));
    }
    errs
}

fn validate_container(
    container: &Value,
    at: &str,
    names: &mut BTreeSet<String>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(item_name(container, &format!("{at}.name"), names, true));
    if str_field(container, "image").is_empty() {
        errs.push(FieldError::required(&format!("{at}.image"), ""));
    }
    for (j, port) in array_field(container, "ports").iter().enumerate() {
        let port_path = format!("{at}.ports[{j}].containerPort");
        match port.get("containerPort") {
            None => errs.push(FieldError::required(&port_path, "")),
            Some(p) if !port_in_range(p) => {
                errs.push(FieldError::invalid(&port_path, p, PORT_RANGE_MSG));
            }
            Some(_) => {}
        }
    }
    for (j, env) in array_field(container, "env").iter().enumerate() {
        if str_field(env, "name").is_empty() {
            errs.push(FieldError::required(&format!("{at}.env[{j}].name"), ""));
        }
    }
    errs
}

/// A list item's `name` at `at`: a DNS-1123 label, unique among `names` (which it joins);
/// an empty name is an error only when `required`.
fn item_name(
    item: &Value,
    at: &str,
    names: &mut BTreeSet<String>,
    required: bool,
) -> Vec<FieldError> {
    let name = str_field(item, "name");
    if name.is_empty() {
        return if required {
            vec![FieldError::required(at, "")]
        } else {
            Vec::new()
        };
    }
    let mut errs: Vec<FieldError> = dns1123_label(name)
        .iter()
        .map(|msg| FieldError::invalid(at, &Value::from(name), msg))
        .collect();
    if !names.insert(name.to_string()) {
        errs.push(FieldError::duplicate(at, &Value::from(name)));
    }
    errs
}

fn validate_volumes(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, volume) in array_field(spec, "volumes").iter().enumerate() {
        let at = format!("{path}.volumes[{i}].name");
        errs.extend(item_name(volume, &at, &mut names, true));
    }
    errs
}

const SERVICE_TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

fn validate_service_spec(spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let service_type = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    if !SERVICE_TYPES.contains(&service_type) {
        errs.push(FieldError::not_supported(
            "spec.type",
            &Value::from(service_type),
            &SERVICE_TYPES,
        ));
    }
    let headless = str_field(spec, "clusterIP") == "None";
    let ports = array_field(spec, "ports");
    if service_type == "ExternalName" {
        if str_field(spec, "externalName").is_empty() {
            errs.push(FieldError::required("spec.externalName", ""));
        }
    } else if ports.is_empty() && !headless {
        errs.push(FieldError::required("spec.ports", ""));
    }
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        errs.extend(validate_service_port(port, i, ports.len() > 1, &mut names));
    }
    errs
}

fn validate_service_port(
    port: &Value,
    i: usize,
    name_required: bool,
    names: &mut BTreeSet<String>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let at = format!("spec.ports[{i}]");
    errs.extend(item_name(port, &format!("{at}.name"), names, name_required));
    match port.get("port") {
        None => errs.push(FieldError::required(&format!("{at}.port"), "")),
        Some(p) if !port_in_range(p) => {
            errs.push(FieldError::invalid(
                &format!("{at}.port"),
                p,
                PORT_RANGE_MSG,
            ));
        }
        Some(_) => {}
    }
    if let Some(protocol) = port.get("protocol").and_then(Value::as_str)
        && !PROTOCOLS.contains(&protocol)
    {
        errs.push(FieldError::not_supported(
            &format!("{at}.protocol"),
            &Value::from(protocol),
            &PROTOCOLS,
        ));
    }
    errs
}

/// Data keys of a ConfigMap (`data`, `binaryData`) or Secret (`data`, `stringData`).
fn validate_data_keys(obj: &Value, fields: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for field in fields {
        let Some(Value::Object(map)) = obj.get(*field) else {
            continue;
        };
        for key in map.keys() {
            let at = format!("{field}[{key}]");
            for msg in config_map_key(key) {
                errs.push(FieldError::invalid(&at, &Value::from(key.as_str()), &msg));
            }
            // ConfigMap forbids a key in both bags; Secret merges stringData over data.
            if fields.contains(&"binaryData")
                && let Some(other) = seen.insert(key, field)
                && other != *field
            {
                let msg = format!("duplicate of key present in {other}");
                errs.push(FieldError::invalid(&at, &Value::from(key.as_str()), &msg));
            }
        }
    }
    errs
}

fn validate_config_map(obj: &Value) -> Vec<FieldError> {
    validate_data_keys(obj, &["data", "binaryData"])
}

fn validate_secret(obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_data_keys(obj, &["data", "stringData"]);
    let required_keys: &[&str] = match str_field(obj, "type") {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    };
    let has_key = |key: &str| {
        ["data", "stringData"]
            .iter()
            .any(|f| obj.get(*f).and_then(|m| m.get(key)).is_some())
    };
    for key in required_keys.iter().filter(|k| !has_key(k)) {
        errs.push(FieldError::required(&format!("data[{key}]"), ""));
    }
    errs
}

/// Deployment, StatefulSet, DaemonSet and ReplicaSet share selector/template rules.
fn validate_workload_spec(kind: &str, spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(replicas) = spec.get("replicas")
        && replicas.as_i64().is_some_and(|r| r < 0)
    {
        errs.push(FieldError::invalid(
            "spec.replicas",
            replicas,
            "must be greater than or equal to 0",
        ));
    }
    let template = spec.get("template").unwrap_or(&Value::Null);
    match spec.get("selector") {
        None | Some(Value::Null) => errs.push(FieldError::required("spec.selector", "")),
        Some(raw) => errs.extend(validate_selector_matches(kind, raw, template)),
    }
    if template.is_null() {
        errs.push(FieldError::required("spec.template", ""));
    } else {
        errs.extend(validate_labels(
            template.pointer("/metadata/labels"),
            "spec.template.metadata.labels",
        ));
        let pod_spec = template.get("spec").unwrap_or(&Value::Null);
        // Workload controllers only ever restart their pods.
        errs.extend(validate_pod_spec(
            pod_spec,
            "spec.template.spec",
            Some("Always"),
        ));
    }
    errs
}

fn validate_selector_matches(kind: &str, raw: &Value, template: &Value) -> Vec<FieldError> {
    let selector: LabelSelector = match serde_json::from_value(raw.clone()) {
        Ok(s) => s,
        Err(e) => return vec![FieldError::invalid("spec.selector", raw, &e.to_string())],
    };
    if selector.is_empty() {
        let msg = format!("empty selector is invalid for {}", kind.to_lowercase());
        return vec![FieldError::invalid("spec.selector", raw, &msg)];
    }
    if let Err(e) = selector.to_selector() {
        return vec![FieldError::invalid("spec.selector", raw, &e.to_string())];
    }
    let labels_value = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let labels: BTreeMap<String, String> =
        serde_json::from_value(labels_value.clone()).unwrap_or_default();
    if selector.matches(&labels) {
        return Vec::new();
    }
    vec![FieldError::invalid(
        "spec.template.metadata.labels",
        &labels_value,
        "`selector` does not match template `labels`",
    )]
}

const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

fn validate_pvc_spec(spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let modes = array_field(spec, "accessModes");
    if modes.is_empty() {
        errs.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    for mode in modes {
        if !mode.as_str().is_some_and(|m| ACCESS_MODES.contains(&m)) {
            errs.push(FieldError::not_supported(
                "spec.accessModes",
                mode,
                &ACCESS_MODES,
            ));
        }
    }
    if spec.pointer("/resources/requests/storage").is_none() {
        errs.push(FieldError::required("spec.resources[storage]", ""));
    }
    errs
}

fn validate_storage_class(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if str_field(obj, "provisioner").is_empty() {
        errs.push(FieldError::required("provisioner", ""));
    }
    let enums: [(&str, &[&str]); 2] = [
        ("reclaimPolicy", &["Delete", "Retain"]),
        ("volumeBindingMode", &["Immediate", "WaitForFirstConsumer"]),
    ];
    for (field, allowed) in enums {
        if let Some(value) = obj.get(field).filter(|v| !v.is_null())
            && !value.as_str().is_some_and(|v| allowed.contains(&v))
        {
            errs.push(FieldError::not_supported(field, value, allowed));
        }
    }
    errs
}

fn validate_event(obj: &Value) -> Vec<FieldError> {
    let Some(involved) = obj.get("involvedObject").filter(|v| v.is_object()) else {
        return vec![FieldError::required("involvedObject", "")];
    };
    let mut errs = Vec::new();
    if str_field(involved, "kind").is_empty() {
        errs.push(FieldError::required("involvedObject.kind", ""));
    }
    let event_ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let involved_ns = str_field(involved, "namespace");
    if !involved_ns.is_empty() && involved_ns != event_ns {
        errs.push(FieldError::invalid(
            "involvedObject.namespace",
            &Value::from(involved_ns),
            "does not match event.namespace",
        ));
    }
    errs
}

fn validate_crd(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let group = str_field(spec, "group");
    if group.is_empty() {
        errs.push(FieldError::required("spec.group", ""));
    } else if !group.contains('.') {
        errs.push(FieldError::invalid(
            "spec.group",
            &Value::from(group),
            "should be a domain with at least one dot",
        ));
    }
    let names = spec.get("names").unwrap_or(&Value::Null);
    let plural = str_field(names, "plural");
    errs.extend(validate_crd_names(names));
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !name.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        errs.push(FieldError::invalid(
            "metadata.name",
            &Value::from(name),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    match spec.get("scope").and_then(Value::as_str) {
        None | Some("") => errs.push(FieldError::required("spec.scope", "")),
        Some("Cluster" | "Namespaced") => {}
        Some(other) => errs.push(FieldError::not_supported(
            "spec.scope",
            &Value::from(other),
            &["Cluster", "Namespaced"],
        )),
    }
    errs.extend(validate_crd_versions(spec));
    errs
}

fn validate_crd_names(names: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for field in ["plural", "singular"] {
        let value = str_field(names, field);
        let path = format!("spec.names.{field}");
        if value.is_empty() {
            if field == "plural" {
                errs.push(FieldError::required(&path, ""));
            }
            continue;
        }
        for msg in dns1123_label(value) {
            errs.push(FieldError::invalid(&path, &Value::from(value), &msg));
        }
    }
    if str_field(names, "kind").is_empty() {
        errs.push(FieldError::required("spec.names.kind", ""));
    }
    errs
}

fn validate_crd_versions(spec: &Value) -> Vec<FieldError> {
    let versions = array_field(spec, "versions");
    let mut errs = Vec::new();
    if versions.is_empty() {
        errs.push(FieldError::required("spec.versions", ""));
        return errs;
    }
    let mut names = BTreeSet::new();
    for (i, version) in versions.iter().enumerate() {
        let at = format!("spec.versions[{i}]");
        let name = str_field(version, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&format!("{at}.name"), ""));
        } else {
            for msg in dns1035_label(name) {
                errs.push(FieldError::invalid(
                    &format!("{at}.name"),
                    &Value::from(name),
                    &msg,
                ));
            }
            if !names.insert(name) {
                errs.push(FieldError::invalid_omitted(
                    "spec.versions",
                    "must contain unique version names",
                ));
            }
        }
        if version.pointer("/schema/openAPIV3Schema").is_none() {
            errs.push(FieldError::required(
                &format!("{at}.schema.openAPIV3Schema"),
                "schemas are required",
            ));
        }
    }
    let storage = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if storage != 1 {
        errs.push(FieldError::invalid_omitted(
            "spec.versions",
            "must have exactly one version marked as storage version",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn subdomain_message_matches_the_api_server() {
        assert!(dns1123_subdomain("example.com").is_empty());
        assert_eq!(
            dns1123_subdomain("Example_com"),
            vec![
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ]
        );
        assert_eq!(
            dns1123_subdomain(&"a".repeat(254)),
            vec!["must be no more than 253 characters"]
        );
    }

    #[test]
    fn label_messages_match_the_api_server() {
        assert!(dns1123_label("my-name").is_empty());
        assert_eq!(dns1123_label("a.b"), vec!["must not contain dots"]);
        // Go's RegexError really does print two spaces before "or".
        assert_eq!(
            dns1123_label("-x"),
            vec![
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
        assert!(dns1035_label("web").is_empty());
        assert_eq!(dns1035_label("1web").len(), 1);
        assert_eq!(dns1123_label(""), dns1123_label("-"));
    }

    #[test]
    fn label_keys_and_values() {
        assert!(qualified_name("app.kubernetes.io/name").is_empty());
        assert!(qualified_name("MyName").is_empty());
        assert_eq!(qualified_name("/x"), vec!["prefix part must be non-empty"]);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert!(qualified_name("bad key")[0].starts_with("name part must consist of"));
        assert!(label_value("").is_empty());
        assert!(label_value("v1.2_x").is_empty());
        assert_eq!(
            label_value(&"v".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
        assert!(label_value("-bad")[0].starts_with("a valid label must be an empty string"));
    }

    #[test]
    fn config_map_keys() {
        assert!(config_map_key("app.properties").is_empty());
        assert_eq!(config_map_key("..data"), vec!["must not start with '..'"]);
        assert!(config_map_key("a/b")[0].starts_with("a valid config key must consist"));
    }

    #[test]
    fn field_error_rendering() {
        let e = FieldError::invalid("metadata.name", &json!("Web"), "bad");
        assert_eq!(e.to_string(), "metadata.name: Invalid value: \"Web\": bad");
        assert_eq!(
            e.status_cause(),
            json!({"reason": "FieldValueInvalid", "message": "Invalid value: \"Web\": bad", "field": "metadata.name"})
        );
        assert_eq!(
            FieldError::required("spec.destination", "").to_string(),
            "spec.destination: Required value"
        );
        assert_eq!(
            FieldError::invalid(
                "spec.replicas",
                &json!(-1),
                "must be greater than or equal to 0"
            )
            .to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            go_repr(&json!({"b": "2", "a": "1"})),
            "map[string]string{\"a\":\"1\", \"b\":\"2\"}"
        );
    }

    #[test]
    fn invalid_message_aggregates() {
        let one = [FieldError::required("spec.containers", "")];
        assert_eq!(
            invalid_message("Pod", "web", &one),
            "Pod \"web\" is invalid: spec.containers: Required value"
        );
        let two = [
            FieldError::required("spec.a", ""),
            FieldError::required("spec.b", ""),
            FieldError::required("spec.a", ""),
        ];
        assert_eq!(
            invalid_message("Deployment.apps", "web", &two),
            "Deployment.apps \"web\" is invalid: [spec.a: Required value, spec.b: Required value]"
        );
    }

    #[test]
    fn namespace_names_are_labels() {
        let ns = json!({"kind": "Namespace", "metadata": {"name": "team.a"}});
        assert_eq!(
            messages(&validate_builtin("Namespace", &ns)),
            vec!["metadata.name: Invalid value: \"team.a\": must not contain dots"]
        );
        let missing = json!({"kind": "Namespace", "metadata": {}});
        assert_eq!(
            messages(&validate_builtin("Namespace", &missing)),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
    }

    #[test]
    fn labels_are_checked_on_the_map_path() {
        let cm =
            json!({"metadata": {"name": "c", "labels": {"ok": "fine", "bad key": "x", "k": "-v"}}});
        let errors = validate_builtin("ConfigMap", &cm);
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| e.path == "metadata.labels"));
        assert_eq!(errors[0].bad_value.as_deref(), Some("\"bad key\""));
        assert_eq!(errors[1].bad_value.as_deref(), Some("\"-v\""));
    }

    #[test]
    fn pod_needs_named_containers_with_images() {
        let empty = json!({"metadata": {"name": "p"}, "spec": {}});
        assert_eq!(
            messages(&validate_builtin("Pod", &empty)),
            vec!["spec.containers: Required value"]
        );
        let pod = json!({"metadata": {"name": "p"}, "spec": {
        "restartPolicy": "Sometimes",
        "containers": [
            {"name": "web", "image": "nginx", "ports": [{"containerPort": 0}]},
            {"name": "web"},
            {"image": "x", "env": [{"value": "v"}]}
        ]}});
        assert_eq!(
            messages(&validate_builtin("Pod", &pod)),
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.containers[1].name: Duplicate value: \"web\"",
                "spec.containers[1].image: Required value",
                "spec.containers[2].name: Required value",
                "spec.containers[2].env[0].name: Required value",
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\"",
            ]
        );
    }

    #[test]
    fn service_rules() {
        let svc = json!({"metadata": {"name": "web"}, "spec": {"type": "Cluster", "ports": [
            {"name": "http", "port": 80}, {"port": 70000, "protocol": "HTTP"}]}});
        assert_eq!(
            messages(&validate_builtin("Service", &svc)),
            vec![
                "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                "spec.ports[1].name: Required value",
                "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
        let headless = json!({"metadata": {"name": "db"}, "spec": {"clusterIP": "None"}});
        assert!(validate_builtin("Service", &headless).is_empty());
        let no_ports = json!({"metadata": {"name": "db"}, "spec": {}});
        assert_eq!(
            messages(&validate_builtin("Service", &no_ports)),
            vec!["spec.ports: Required value"]
        );
        let bad_name = json!({"metadata": {"name": "1db"}, "spec": {"clusterIP": "None"}});
        assert!(
            validate_builtin("Service", &bad_name)[0]
                .detail
                .starts_with("a DNS-1035 label")
        );
    }

    #[test]
    fn config_map_and_secret_keys() {
        let cm = json!({"metadata": {"name": "c"}, "data": {"a b": "x", "k": "v"}, "binaryData": {"k": "dg=="}});
        let got = messages(&validate_builtin("ConfigMap", &cm));
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("data[a b]: Invalid value: \"a b\": a valid config key"));
        assert_eq!(
            got[1],
            "binaryData[k]: Invalid value: \"k\": duplicate of key present in data"
        );
        let tls = json!({"metadata": {"name": "t"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}});
        assert_eq!(
            messages(&validate_builtin("Secret", &tls)),
            vec!["data[tls.key]: Required value"]
        );
    }

    fn deployment(selector: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {
            "replicas": 1,
            "selector": selector,
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    }

    #[test]
    fn workload_selector_must_match_template_labels() {
        let ok = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web", "x": "y"}),
        );
        for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
            assert!(validate_builtin(kind, &ok).is_empty(), "{kind}");
        }
        let mismatch = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "api"}),
        );
        assert_eq!(
            messages(&validate_builtin("Deployment", &mismatch)),
            vec![
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`"
            ]
        );
        let mut no_selector = ok.clone();
        no_selector["spec"]
            .as_object_mut()
            .expect("spec")
            .remove("selector");
        assert_eq!(
            messages(&validate_builtin("StatefulSet", &no_selector)),
            vec!["spec.selector: Required value"]
        );
        let empty = deployment(json!({}), json!({"app": "web"}));
        assert_eq!(
            validate_builtin("DaemonSet", &empty)[0].detail,
            "empty selector is invalid for daemonset"
        );
        let mut no_containers = ok.clone();
        no_containers["spec"]["template"]["spec"] = json!({"restartPolicy": "Never"});
        assert_eq!(
            messages(&validate_builtin("Deployment", &no_containers)),
            vec![
                "spec.template.spec.containers: Required value",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            ]
        );
    }

    #[test]
    fn pvc_storage_class_event() {
        let pvc =
            json!({"metadata": {"name": "d"}, "spec": {"accessModes": ["ReadWriteSometimes"]}});
        assert_eq!(
            messages(&validate_builtin("PersistentVolumeClaim", &pvc)),
            vec![
                "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                "spec.resources[storage]: Required value",
            ]
        );
        let sc = json!({"metadata": {"name": "fast"}, "reclaimPolicy": "Keep"});
        assert_eq!(
            messages(&validate_builtin("StorageClass", &sc)),
            vec![
                "provisioner: Required value",
                "reclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\"",
            ]
        );
        let event = json!({"metadata": {"name": "e.1", "namespace": "a"}});
        assert_eq!(
            messages(&validate_builtin("Event", &event)),
            vec!["involvedObject: Required value"]
        );
        let event = json!({"metadata": {"name": "e.1", "namespace": "a"},
                           "involvedObject": {"kind": "Pod", "name": "p", "namespace": "b"}});
        assert_eq!(
            messages(&validate_builtin("Event", &event)),
            vec!["involvedObject.namespace: Invalid value: \"b\": does not match event.namespace"]
        );
        assert!(validate_builtin("Node", &json!({"metadata": {"name": "node-1"}})).is_empty());
        assert!(
            validate_builtin("ServiceAccount", &json!({"metadata": {"name": "default"}}))
                .is_empty()
        );
    }

    fn crd(name: &str, versions: Value) -> Value {
        json!({"metadata": {"name": name}, "spec": {
            "group": "argoproj.io", "scope": "Namespaced",
            "names": {"plural": "applications", "singular": "application", "kind": "Application"},
            "versions": versions}})
    }

    #[test]
    fn crd_rules() {
        let schema = json!({"openAPIV3Schema": {"type": "object"}});
        let good = crd(
            "applications.argoproj.io",
            json!([{"name": "v1alpha1", "served": true, "storage": true, "schema": schema}]),
        );
        assert!(validate_builtin("CustomResourceDefinition", &good).is_empty());
        let bad = crd(
            "apps.argoproj.io",
            json!([{"name": "v1", "served": true, "storage": true, "schema": schema},
                   {"name": "v2", "served": true, "storage": true}]),
        );
        assert_eq!(
            messages(&validate_builtin("CustomResourceDefinition", &bad)),
            vec![
                "metadata.name: Invalid value: \"apps.argoproj.io\": must be spec.names.plural+\".\"+spec.group",
                "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required",
                "spec.versions: Invalid value: must have exactly one version marked as storage version",
            ]
        );
        let mut no_scope = good.clone();
        no_scope["spec"]["scope"] = json!("Global");
        no_scope["spec"]["group"] = json!("local");
        assert_eq!(
            messages(&validate_builtin("CustomResourceDefinition", &no_scope)),
            vec![
                "spec.group: Invalid value: \"local\": should be a domain with at least one dot",
                "metadata.name: Invalid value: \"applications.argoproj.io\": must be spec.names.plural+\".\"+spec.group",
                "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"",
            ]
        );
    }
}
