//! Just enough of the Kubernetes protobuf encoding to read what kubectl's typed clients POST
//! as protobuf (SelfSubjectAccessReview, SelfSubjectReview); the answer is JSON, which those
//! clients also accept. Everything else kubectl sends is JSON.

use serde_json::{Map, Value, json};

use crate::sim::error::ApiError;

const MAGIC: &[u8] = b"k8s\0";

/// A protobuf wire field: (field number, payload).
enum Field<'a> {
    Varint,
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
                varint(buf, &mut pos)?;
                out.push((number, Field::Varint));
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

/// Decodes a `k8s\0`-framed `runtime.Unknown` holding a SelfSubjectAccessReview or
/// SelfSubjectReview into its JSON form.
pub fn decode_review(body: &[u8]) -> Result<Value, ApiError> {
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
    let mut spec = Map::new();
    if kind == "SelfSubjectAccessReview" {
        for (number, field) in fields(raw)? {
            if let (2, Field::Bytes(spec_bytes)) = (number, field) {
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
        }
    }
    Ok(json!({"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": spec}))
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
        let v = decode_review(&body).expect("decodes");
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "create");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "deployments");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "default");
    }

    #[test]
    fn refuses_garbage() {
        assert!(decode_review(b"nope").is_err());
        assert!(decode_review(b"k8s\0\x0a\x50").is_err());
    }
}
