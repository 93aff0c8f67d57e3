//! Just enough of the Kubernetes protobuf encoding to read what kubectl's typed clients POST
//! as protobuf: the reviews behind `auth can-i` / `auth whoami`, and the objects of
//! `kubectl create namespace|configmap|secret|serviceaccount`. Answers are JSON, which those
//! clients also accept. kubectl's `apply`, `create -f`, `patch`, `edit` and `delete` send JSON.

use serde_json::{Map, Value, json};

use crate::sim::error::ApiError;

const MAGIC: &[u8] = b"k8s\0";

/// A protobuf wire field: (field number, payload).
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn bad(what: &str) -> ApiError {
    ApiError::bad_request(format!("cannot decode protobuf body: {what}"))
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, ApiError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or_else(|| bad("truncated varint"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(bad("varint too long"))
}

fn fields(buf: &[u8]) -> Result<Vec<(u64, Field<'_>)>, ApiError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                let value = varint(buf, &mut pos)?;
                out.push((number, Field::Varint(value)));
            }
            2 => {
                let len =
                    usize::try_from(varint(buf, &mut pos)?).map_err(|_| bad("length overflow"))?;
                let end = pos
                    .checked_add(len)
                    .filter(|e| *e <= buf.len())
                    .ok_or_else(|| bad("truncated field"))?;
                out.push((number, Field::Bytes(&buf[pos..end])));
                pos = end;
            }
            1 => pos += 8,
            5 => pos += 4,
            _ => return Err(bad("unsupported wire type")),
        }
    }
    Ok(out)
}

fn string_fields(buf: &[u8], names: &[(u64, &str)]) -> Result<Map<String, Value>, ApiError> {
    let mut map = Map::new();
    for (number, field) in fields(buf)? {
        if let (Some((_, name)), Field::Bytes(bytes)) =
            (names.iter().find(|(n, _)| *n == number), field)
        {
            map.insert(name.to_string(), json!(String::from_utf8_lossy(bytes)));
        }
    }
    Ok(map)
}

fn text(bytes: &[u8]) -> Value {
    json!(String::from_utf8_lossy(bytes))
}

/// A protobuf `map<string, string|bytes>`: repeated entries `{1: key, 2: value}`.
fn map_entry(entry: &[u8], value_as_base64: bool) -> Result<(String, Value), ApiError> {
    use base64::Engine;
    let mut key = String::new();
    let mut value = Value::String(String::new());
    for (number, field) in fields(entry)? {
        match (number, field) {
            (1, Field::Bytes(b)) => key = String::from_utf8_lossy(b).into_owned(),
            (2, Field::Bytes(b)) if value_as_base64 => {
                value = json!(base64::engine::general_purpose::STANDARD.encode(b))
            }
            (2, Field::Bytes(b)) => value = text(b),
            _ => {}
        }
    }
    Ok((key, value))
}

/// `ObjectMeta`: name, generateName, namespace, labels, annotations (the fields clients set).
fn object_meta(buf: &[u8]) -> Result<Value, ApiError> {
    let mut meta = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    for (number, field) in fields(buf)? {
        match (number, field) {
            (1, Field::Bytes(b)) => drop(meta.insert("name".into(), text(b))),
            (2, Field::Bytes(b)) => drop(meta.insert("generateName".into(), text(b))),
            (3, Field::Bytes(b)) => drop(meta.insert("namespace".into(), text(b))),
            (11, Field::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                labels.insert(k, v);
            }
            (12, Field::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                annotations.insert(k, v);
            }
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    Ok(Value::Object(meta))
}

fn review_spec(raw: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let mut spec = Map::new();
    for (number, field) in fields(raw)? {
        let (2, Field::Bytes(spec_bytes)) = (number, field) else {
            continue;
        };
        for (n, f) in fields(spec_bytes)? {
            match (n, f) {
                (1, Field::Bytes(attrs)) => {
                    let names = [
                        (1, "namespace"),
                        (2, "verb"),
                        (3, "group"),
                        (4, "version"),
                        (5, "resource"),
                        (6, "subresource"),
                        (7, "name"),
                    ];
                    spec.insert(
                        "resourceAttributes".into(),
                        Value::Object(string_fields(attrs, &names)?),
                    );
                }
                (2, Field::Bytes(attrs)) => {
                    spec.insert(
                        "nonResourceAttributes".into(),
                        Value::Object(string_fields(attrs, &[(1, "path"), (2, "verb")])?),
                    );
                }
                _ => {}
            }
        }
    }
    Ok(spec)
}

/// The JSON form of an object kind this decoder knows, from its protobuf message.
fn object(kind: &str, raw: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let mut obj = Map::new();
    let mut data = Map::new();
    let mut string_data = Map::new();
    for (number, field) in fields(raw)? {
        match (kind, number, field) {
            (_, 1, Field::Bytes(b)) => drop(obj.insert("metadata".into(), object_meta(b)?)),
            ("Namespace", 2, Field::Bytes(spec)) => {
                let finalizers: Vec<Value> = fields(spec)?
                    .into_iter()
                    .filter_map(|(n, f)| match (n, f) {
                        (1, Field::Bytes(b)) => Some(text(b)),
                        _ => None,
                    })
                    .collect();
                obj.insert("spec".into(), json!({"finalizers": finalizers}));
            }
            ("ConfigMap", 2, Field::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                data.insert(k, v);
            }
            ("Secret", 2, Field::Bytes(b)) => {
                let (k, v) = map_entry(b, true)?;
                data.insert(k, v);
            }
            ("Secret", 3, Field::Bytes(b)) => drop(obj.insert("type".into(), text(b))),
            ("Secret", 4, Field::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                string_data.insert(k, v);
            }
            ("ConfigMap", 4, Field::Varint(v)) | ("Secret", 5, Field::Varint(v)) => {
                drop(obj.insert("immutable".into(), json!(v != 0)));
            }
            ("SelfSubjectAccessReview", 2, _) => {
                obj.insert("spec".into(), Value::Object(review_spec(raw)?));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        obj.insert("data".into(), Value::Object(data));
    }
    if !string_data.is_empty() {
        obj.insert("stringData".into(), Value::Object(string_data));
    }
    Ok(obj)
}

const KINDS: [&str; 6] = [
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "Namespace",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
];

/// Decodes a `k8s\0`-framed `runtime.Unknown` into the JSON object it carries, for the kinds
/// this decoder knows; other kinds are answered with 415 and a hint to send JSON.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("missing k8s protobuf magic"))?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (number, field) in fields(envelope)? {
        match (number, field) {
            (1, Field::Bytes(type_meta)) => {
                let tm = string_fields(type_meta, &[(1, "apiVersion"), (2, "kind")])?;
                api_version = tm
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                kind = tm
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
            }
            (2, Field::Bytes(bytes)) => raw = bytes,
            _ => {}
        }
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(ApiError::protobuf_unsupported(&kind, &KINDS));
    }
    let mut obj = object(&kind, raw)?;
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    obj.entry("metadata").or_insert_with(|| json!({}));
    if kind == "SelfSubjectAccessReview" {
        obj.entry("spec").or_insert_with(|| json!({}));
    }
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_self_subject_access_review() {
        let attrs = [
            field(2, b"create"),
            field(3, b"apps"),
            field(5, b"deployments"),
            field(1, b"default"),
        ]
        .concat();
        let spec = field(1, &attrs);
        let review = [field(1, &[]), field(2, &spec)].concat();
        let type_meta = [
            field(1, b"authorization.k8s.io/v1"),
            field(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &review)].concat();
        let v = decode(&body).expect("decodes");
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "create");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "deployments");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "default");
    }

    #[test]
    fn decodes_a_config_map_with_labels_and_data() {
        let label = [field(1, b"app"), field(2, b"web")].concat();
        let meta = [
            field(1, b"settings"),
            field(3, b"default"),
            field(11, &label),
        ]
        .concat();
        let entry = [field(1, b"greeting"), field(2, b"hello")].concat();
        let cm = [field(1, &meta), field(2, &entry)].concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &cm)].concat();
        let v = decode(&body).expect("decodes");
        assert_eq!(v["metadata"]["name"], "settings");
        assert_eq!(v["metadata"]["labels"]["app"], "web");
        assert_eq!(v["data"]["greeting"], "hello");
    }

    #[test]
    fn unknown_kinds_are_415_with_a_hint() {
        let type_meta = [field(1, b"apps/v1"), field(2, b"Deployment")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta)].concat();
        let err = decode(&body).expect_err("unsupported");
        assert_eq!(err.code, 415);
        assert!(err.message.contains("send Deployment as JSON"));
    }

    #[test]
    fn refuses_garbage() {
        assert!(decode(b"nope").is_err());
        assert!(decode(b"k8s\0\x0a\x50").is_err());
    }
}
