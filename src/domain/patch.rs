//! The three PATCH flavours of the Kubernetes API, as pure functions over JSON documents.
//!
//! - [`merge_patch`]: JSON merge patch (RFC 7386, `application/merge-patch+json`).
//! - [`json_patch`]: JSON patch (RFC 6902, `application/json-patch+json`) including `test`,
//!   with the API server's error wording (`testing value /spec/x failed: test failed`).
//! - [`strategic_merge_patch`]: strategic merge patch
//!   (`application/strategic-merge-patch+json`), the flavour kubectl uses for built-in kinds.
//!
//! # Strategic merge patch: supported subset
//!
//! The real implementation reads the patch strategy of every field from the Go types. Here
//! the strategy comes from the field's name and position ([`list_kind`]):
//!
//! - maps merge recursively; a `null` value deletes the key;
//! - lists of objects merge by key: `containers`, `initContainers`, `ephemeralContainers`,
//!   `env`, `volumes`, `imagePullSecrets` and ServiceAccount `secrets` by `name`;
//!   `volumeMounts` by `mountPath`; `volumeDevices` by `devicePath`; container `ports` by
//!   `containerPort`; Service `spec.ports` by `port`; `metadata.ownerReferences` by `uid`;
//!   `status.conditions` by `type`; `hostAliases` by `ip`. New items are appended;
//! - `metadata.finalizers` is a set of strings: patch values are added, duplicates dropped;
//! - every other list (`tolerations`, `args`, `command`, `envFrom`, …) is replaced whole, as
//!   is a keyed list whose patch items are not all objects;
//! - directives: `$patch: replace` and `$patch: delete` in a map (the map becomes the patch
//!   or `{}`), `{"$patch": "delete", <key>: v}` and `{"$patch": "replace"}` as list items,
//!   `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`
//!   (kubectl's client-side apply sends the last one: the merged list takes that order, items
//!   the patch does not mention keep their slots). Directive keys are never stored.
//!
//! Not supported: `$patch: merge` list items (the API server rejects them too), and the
//! multi-key merge of `topologySpreadConstraints` (treated as a replaced list).
//!
//! # Errors
//!
//! [`PatchError::BadRequest`] is a malformed patch document (the API server answers 400);
//! [`PatchError::Invalid`] is a well-formed patch that does not apply (422, reason `Invalid`,
//! message "the server rejected our request due to an error in our request", the text of the
//! error in the Status cause).

use std::collections::HashSet;

use json_patch::{PatchErrorKind, PatchOperation};
use serde_json::{Map, Value};

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch document is malformed (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// The patch is well formed but does not apply to this object (HTTP 422).
    #[error("{0}")]
    Invalid(String),
}

impl PatchError {
    /// The HTTP status the API server answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Invalid(_) => 422,
        }
    }
}

/// Applies a JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything
/// else (lists included) replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut doc = target.clone();
    json_patch::merge(&mut doc, patch);
    doc
}

/// Applies a JSON patch (RFC 6902) atomically: on error the target is untouched.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, PatchError> {
    let patch: json_patch::Patch = serde_json::from_value(ops.clone())
        .map_err(|e| PatchError::BadRequest(format!("invalid JSON patch: {e}")))?;
    let mut doc = target.clone();
    for op in patch.iter() {
        // evanphx/json-patch (the API server's library) lets `test` of a missing path
        // against `null` pass; the json-patch crate would fail it.
        if let PatchOperation::Test(test) = op
            && test.value.is_null()
            && doc.pointer(test.path.as_str()).is_none()
        {
            continue;
        }
        json_patch::patch(&mut doc, std::slice::from_ref(op))
            .map_err(|e| PatchError::Invalid(json_patch_message(op, &e.kind)))?;
    }
    Ok(doc)
}

/// The error text evanphx/json-patch gives for a failed operation.
fn json_patch_message(op: &PatchOperation, kind: &PatchErrorKind) -> String {
    let path = op.path().as_str();
    match (op, kind) {
        (PatchOperation::Test(_), PatchErrorKind::TestFailed) => {
            format!("testing value {path} failed: test failed")
        }
        (PatchOperation::Test(_), _) => {
            format!("test operation does not apply: is missing path: {path}: missing value")
        }
        (PatchOperation::Add(_), _) => {
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        (PatchOperation::Remove(_), _) => format!(
            "remove operation does not apply: doc is missing path: \"{path}\": missing value"
        ),
        (PatchOperation::Replace(_), _) => {
            format!("replace operation does not apply: doc is missing key: {path}: missing value")
        }
        (PatchOperation::Move(m), PatchErrorKind::InvalidFromPointer) => format!(
            "move operation does not apply: doc is missing from path: {}: missing value",
            m.from.as_str()
        ),
        (PatchOperation::Copy(c), PatchErrorKind::InvalidFromPointer) => format!(
            "copy operation does not apply: doc is missing from path: {}: missing value",
            c.from.as_str()
        ),
        (PatchOperation::Move(_), PatchErrorKind::CannotMoveInsideItself) => {
            format!("move operation does not apply: cannot move {path} inside itself")
        }
        (PatchOperation::Move(_) | PatchOperation::Copy(_), _) => {
            let name = if matches!(op, PatchOperation::Move(_)) {
                "move"
            } else {
                "copy"
            };
            format!("{name} operation does not apply: doc is missing destination path: {path}")
        }
    }
}

/// How a list field is merged, decided by its position in the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Replaced whole by a patch; a single leaf for field ownership.
    Atomic,
    /// A list of objects identified by this field.
    Keyed(&'static str),
    /// A set of scalars.
    Set,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The merge strategy of the list at `path` (field names from the object root, list
/// positions omitted: `["spec", "template", "spec", "containers", "ports"]`).
pub fn list_kind(path: &[&str]) -> ListKind {
    let Some((last, parents)) = path.split_last() else {
        return ListKind::Atomic;
    };
    let parent = parents.last().copied();
    match *last {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => ListKind::Keyed("name"),
        "secrets" if parents.is_empty() => ListKind::Keyed("name"),
        "volumeMounts" => ListKind::Keyed("mountPath"),
        "volumeDevices" => ListKind::Keyed("devicePath"),
        "hostAliases" => ListKind::Keyed("ip"),
        "ports" if parent.is_some_and(|p| CONTAINER_LISTS.contains(&p)) => {
            ListKind::Keyed("containerPort")
        }
        "ports" if parents == ["spec"] => ListKind::Keyed("port"),
        "ownerReferences" if parent == Some("metadata") => ListKind::Keyed("uid"),
        "finalizers" if parent == Some("metadata") => ListKind::Set,
        "conditions" if parent == Some("status") => ListKind::Keyed("type"),
        _ => ListKind::Atomic,
    }
}

/// Rearranges `list` so the items that `rank` places come in rank order, occupying the slots
/// such items held before; unranked items stay where they are.
pub fn reorder_ranked(list: &mut [Value], rank: impl Fn(&Value) -> Option<usize>) {
    let slots: Vec<usize> = (0..list.len())
        .filter(|&i| rank(&list[i]).is_some())
        .collect();
    let mut ranked: Vec<(usize, Value)> = slots
        .iter()
        .map(|&i| (rank(&list[i]).unwrap_or(usize::MAX), list[i].clone()))
        .collect();
    ranked.sort_by_key(|(r, _)| *r);
    for (slot, (_, item)) in slots.into_iter().zip(ranked) {
        list[slot] = item;
    }
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

/// Applies a strategic merge patch (see the module doc for the supported subset).
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Object(patch_map) = patch else {
        return Err(PatchError::BadRequest(
            "strategic merge patch must be a JSON object".to_string(),
        ));
    };
    let original = target.as_object();
    let merged = merge_map(original, patch_map, &mut Vec::new())?;
    Ok(Value::Object(merged))
}

fn merge_map(
    original: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            // The map becomes the patch itself (cleaned of directives).
            Some("replace") => {
                let rest: Map<String, Value> = patch
                    .iter()
                    .filter(|(k, _)| k.as_str() != DIRECTIVE)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                merge_map(None, &rest, path)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(PatchError::BadRequest(format!(
                "unknown patch type: {directive} in map: {}",
                Value::Object(patch.clone())
            ))),
        };
    }
    let mut result = original.cloned().unwrap_or_default();
    if let Some(keys) = patch.get(RETAIN_KEYS) {
        retain_keys(&mut result, keys, patch)?;
    }
    for (key, values) in directive_fields(patch, DELETE_FROM_PRIMITIVE_LIST) {
        delete_from_primitive_list(&mut result, key, values)?;
    }
    for (key, value) in patch.iter().filter(|(k, _)| !k.starts_with('$')) {
        if value.is_null() {
            result.remove(key);
            continue;
        }
        path.push(key.clone());
        let merged = merge_value(result.get(key), value, path);
        path.pop();
        result.insert(key.clone(), merged?);
    }
    for (key, order) in directive_fields(patch, SET_ELEMENT_ORDER) {
        path.push(key.to_string());
        let ordered = set_element_order(&mut result, key, order, path);
        path.pop();
        ordered?;
    }
    Ok(result)
}

/// The `(field, value)` pairs of the directive keys `<prefix><field>`.
fn directive_fields<'a>(
    patch: &'a Map<String, Value>,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Value)> {
    patch
        .iter()
        .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|field| (field, v)))
}

fn retain_keys(
    result: &mut Map<String, Value>,
    keys: &Value,
    patch: &Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(keys) = keys.as_array() else {
        return Err(PatchError::BadRequest(
            "invalid patch format of retainKeys".to_string(),
        ));
    };
    let keep: HashSet<&str> = keys.iter().filter_map(Value::as_str).collect();
    if keep.len() != keys.len() {
        return Err(PatchError::BadRequest(
            "invalid patch format of retainKeys".to_string(),
        ));
    }
    let patch_fields_retained = patch
        .iter()
        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
        .all(|(k, _)| keep.contains(k.as_str()));
    if !patch_fields_retained {
        return Err(PatchError::Invalid(
            "patch content doesn't match retainKeys list".to_string(),
        ));
    }
    result.retain(|k, _| keep.contains(k.as_str()));
    Ok(())
}

fn delete_from_primitive_list(
    result: &mut Map<String, Value>,
    field: &str,
    values: &Value,
) -> Result<(), PatchError> {
    let Some(values) = values.as_array() else {
        return Err(PatchError::BadRequest(
            "invalid patch format of primitive list".to_string(),
        ));
    };
    if let Some(Value::Array(list)) = result.get_mut(field) {
        list.retain(|item| !values.contains(item));
    }
    Ok(())
}

fn set_element_order(
    result: &mut Map<String, Value>,
    field: &str,
    order: &Value,
    path: &[String],
) -> Result<(), PatchError> {
    let Some(order) = order.as_array() else {
        return Err(PatchError::BadRequest(
            "invalid patch format of setElementOrder list".to_string(),
        ));
    };
    let Some(Value::Array(list)) = result.get_mut(field) else {
        return Ok(());
    };
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    match list_kind(&names) {
        ListKind::Keyed(key) => {
            let order_keys: Vec<Option<&Value>> = order.iter().map(|o| o.get(key)).collect();
            reorder_ranked(list, |item| {
                let id = item.get(key)?;
                order_keys.iter().position(|k| *k == Some(id))
            });
        }
        ListKind::Set | ListKind::Atomic => {
            reorder_ranked(list, |item| order.iter().position(|o| o == item));
        }
    }
    Ok(())
}

fn merge_value(
    original: Option<&Value>,
    patch: &Value,
    path: &mut Vec<String>,
) -> Result<Value, PatchError> {
    match patch {
        Value::Object(patch_map) => {
            let original_map = original.and_then(Value::as_object);
            Ok(Value::Object(merge_map(original_map, patch_map, path)?))
        }
        Value::Array(items) => {
            let original_list = original.and_then(Value::as_array);
            Ok(Value::Array(merge_list(original_list, items, path)?))
        }
        scalar => Ok(scalar.clone()),
    }
}

fn merge_list(
    original: Option<&Vec<Value>>,
    patch: &[Value],
    path: &mut Vec<String>,
) -> Result<Vec<Value>, PatchError> {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    match list_kind(&names) {
        ListKind::Atomic => Ok(patch.to_vec()),
        ListKind::Set => {
            let mut result = original.cloned().unwrap_or_default();
            for item in patch {
                if !result.contains(item) {
                    result.push(item.clone());
                }
            }
            Ok(result)
        }
        ListKind::Keyed(key) if patch.iter().all(Value::is_object) => {
            merge_keyed_list(original, patch, key, path)
        }
        ListKind::Keyed(_) => Ok(patch.to_vec()),
    }
}

fn merge_keyed_list(
    original: Option<&Vec<Value>>,
    patch: &[Value],
    key: &str,
    path: &mut Vec<String>,
) -> Result<Vec<Value>, PatchError> {
    let mut result = original.cloned().unwrap_or_default();
    let mut replace = false;
    let mut plain = Vec::new();
    for item in patch {
        match item.get(DIRECTIVE).map(|d| d.as_str()) {
            None => plain.push(item),
            Some(Some("delete")) => {
                let id = merge_key_of(item, key)?;
                result.retain(|existing| existing.get(key) != Some(id));
            }
            Some(Some("replace")) => replace = true,
            Some(_) => {
                return Err(PatchError::BadRequest(format!(
                    "unknown patch type: {} in map: {item}",
                    item.get(DIRECTIVE).unwrap_or(&Value::Null)
                )));
            }
        }
    }
    if replace {
        result.clear();
    }
    for item in plain {
        let id = merge_key_of(item, key)?;
        let patch_map = item.as_object();
        let position = result.iter().position(|e| e.get(key) == Some(id));
        let original_map = position.and_then(|i| result[i].as_object());
        let merged = Value::Object(merge_map(
            original_map,
            patch_map.unwrap_or(&Map::new()),
            path,
        )?);
        match position {
            Some(i) => result[i] = merged,
            None => result.push(merged),
        }
    }
    Ok(result)
}

fn merge_key_of<'a>(item: &'a Value, key: &str) -> Result<&'a Value, PatchError> {
    item.get(key).ok_or_else(|| {
        PatchError::BadRequest(format!(
            "map: {item} does not contain declared merge key: {key}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.25",
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "ports": [{"containerPort": 80}, {"containerPort": 443}],
                         "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                        {"name": "sidecar", "image": "busybox"}
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}]
                }}
            }
        })
    }

    fn smp(target: &Value, patch: Value) -> Value {
        strategic_merge_patch(target, &patch).expect("patch applies")
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let out = merge_patch(
            &deployment(),
            &json!({"metadata": {"labels": {"tier": null, "new": "x"}}, "spec": {"replicas": 5}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({"app": "web", "new": "x"}));
        assert_eq!(out["spec"]["replicas"], 5);
        // Lists are replaced whole by a merge patch.
        let out = merge_patch(
            &deployment(),
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "only"}]}}}}),
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only"}])
        );
    }

    #[test]
    fn json_patch_applies_ops_in_order() {
        let out = json_patch(
            &deployment(),
            &json!([
                {"op": "test", "path": "/spec/replicas", "value": 2},
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/metadata/labels/x", "value": "y"},
                {"op": "remove", "path": "/metadata/labels/tier"}
            ]),
        )
        .expect("applies");
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(out["metadata"]["labels"], json!({"app": "web", "x": "y"}));
    }

    #[test]
    fn json_patch_failing_test_is_invalid_with_api_server_wording() {
        let err = json_patch(
            &deployment(),
            &json!([
                {"op": "replace", "path": "/spec/replicas", "value": 9},
                {"op": "test", "path": "/spec/replicas", "value": 2}
            ]),
        )
        .expect_err("test fails after the replace");
        assert_eq!(
            err,
            PatchError::Invalid("testing value /spec/replicas failed: test failed".into())
        );
        assert_eq!(err.status_code(), 422);
    }

    #[test]
    fn json_patch_test_of_missing_path_against_null_passes() {
        let out = json_patch(
            &json!({"a": 1}),
            &json!([{"op": "test", "path": "/operation", "value": null},
                    {"op": "add", "path": "/operation", "value": {"sync": {}}}]),
        )
        .expect("applies");
        assert_eq!(out, json!({"a": 1, "operation": {"sync": {}}}));
    }

    #[test]
    fn json_patch_errors_name_the_operation_and_path() {
        let replace = json_patch(
            &json!({}),
            &json!([{"op": "replace", "path": "/x", "value": 1}]),
        );
        assert_eq!(
            replace,
            Err(PatchError::Invalid(
                "replace operation does not apply: doc is missing key: /x: missing value".into()
            ))
        );
        let remove = json_patch(&json!({}), &json!([{"op": "remove", "path": "/a/b"}]));
        assert_eq!(
            remove,
            Err(PatchError::Invalid(
                "remove operation does not apply: doc is missing path: \"/a/b\": missing value"
                    .into()
            ))
        );
        let malformed = json_patch(&json!({}), &json!([{"op": "frobnicate", "path": "/a"}]));
        assert!(matches!(malformed, Err(PatchError::BadRequest(_))));
    }

    #[test]
    fn smp_merges_containers_by_name_and_env_by_name() {
        let out = smp(
            &deployment(),
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.26", "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]},
                {"name": "new", "image": "redis"}
            ]}}}}),
        );
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "nginx:1.26");
        assert_eq!(
            containers[0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}])
        );
        // Untouched fields of a merged item stay.
        assert_eq!(containers[0]["volumeMounts"][0]["mountPath"], "/data");
        assert_eq!(containers[1]["name"], "sidecar");
        assert_eq!(containers[2], json!({"name": "new", "image": "redis"}));
    }

    #[test]
    fn smp_merges_ports_by_container_port_and_replaces_tolerations() {
        let out = smp(
            &deployment(),
            json!({"spec": {"template": {"spec": {
                "containers": [{"name": "web", "ports": [{"containerPort": 443, "name": "https"}, {"containerPort": 8080}]}],
                "tolerations": [{"key": "b", "operator": "Exists"}]
            }}}}),
        );
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(
            spec["containers"][0]["ports"],
            json!([{"containerPort": 80}, {"containerPort": 443, "name": "https"}, {"containerPort": 8080}])
        );
        assert_eq!(
            spec["tolerations"],
            json!([{"key": "b", "operator": "Exists"}])
        );
    }

    #[test]
    fn smp_service_ports_merge_by_port() {
        let svc = json!({"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}});
        let out = smp(
            &svc,
            json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}}),
        );
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 8080, "name": "http"}, {"port": 443}])
        );
    }

    #[test]
    fn smp_patch_delete_removes_list_items_and_maps() {
        let out = smp(
            &deployment(),
            json!({"spec": {"template": {"spec": {
                "containers": [{"$patch": "delete", "name": "sidecar"},
                               {"name": "web", "volumeMounts": [{"$patch": "delete", "mountPath": "/data"}]}],
                "volumes": [{"name": "data", "$patch": "delete"}]
            }}}}),
        );
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(spec["containers"].as_array().map(Vec::len), Some(1));
        assert_eq!(spec["containers"][0]["volumeMounts"], json!([]));
        assert_eq!(spec["volumes"], json!([]));

        let out = smp(
            &deployment(),
            json!({"metadata": {"labels": {"$patch": "delete"}}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({}));
    }

    #[test]
    fn smp_patch_replace_on_map_and_list() {
        let out = smp(
            &deployment(),
            json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({"only": "this"}));
        let out = smp(
            &deployment(),
            json!({"spec": {"template": {"spec": {"volumes": [{"$patch": "replace"}, {"name": "cfg", "configMap": {"name": "c"}}]}}}}),
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["volumes"],
            json!([{"name": "cfg", "configMap": {"name": "c"}}])
        );
    }

    #[test]
    fn smp_set_element_order_reorders_and_is_never_stored() {
        let out = smp(
            &deployment(),
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
                "containers": [{"name": "web", "image": "nginx:1.27"}]
            }}}}),
        );
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(spec["containers"][0]["name"], "sidecar");
        assert_eq!(spec["containers"][1]["image"], "nginx:1.27");
        assert!(!out.to_string().contains('$'), "directive leaked: {out}");
    }

    #[test]
    fn smp_set_element_order_inside_new_items_is_stripped() {
        let out = smp(
            &json!({"spec": {}}),
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "a"}],
                "containers": [{"name": "a", "image": "x", "$setElementOrder/env": [{"name": "E"}], "env": [{"name": "E", "value": "v"}]}]
            }}}}),
        );
        assert!(!out.to_string().contains('$'), "directive leaked: {out}");
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "v"
        );
    }

    #[test]
    fn smp_kubectl_client_side_apply_patch() {
        // What kubectl apply sends after the image changed, replicas were dropped from the
        // file and the sidecar was removed.
        let patch = json!({
            "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Deployment\"}\n"}},
            "spec": {
                "replicas": null,
                "template": {"spec": {
                    "$setElementOrder/containers": [{"name": "web"}],
                    "containers": [{"$patch": "delete", "name": "sidecar"}, {"image": "nginx:1.26", "name": "web"}]
                }}
            }
        });
        let out = smp(&deployment(), patch);
        assert!(out["spec"].get("replicas").is_none());
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers.as_array().map(Vec::len), Some(1));
        assert_eq!(containers[0]["image"], "nginx:1.26");
        assert_eq!(
            out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
            "{\"kind\":\"Deployment\"}\n"
        );
        assert_eq!(out["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn smp_retain_keys_clears_other_fields() {
        let target = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let out = smp(
            &target,
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}}),
        );
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        let err = strategic_merge_patch(
            &target,
            &json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}}),
        );
        assert_eq!(
            err,
            Err(PatchError::Invalid(
                "patch content doesn't match retainKeys list".into()
            ))
        );
    }

    #[test]
    fn smp_finalizers_are_a_set_with_delete_from_primitive_list() {
        let target = json!({"metadata": {"finalizers": ["a", "b"]}});
        let out = smp(
            &target,
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["b", "c"]}}),
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["b", "c"]));
    }

    #[test]
    fn smp_list_item_without_merge_key_is_rejected() {
        let err = strategic_merge_patch(
            &deployment(),
            &json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
        )
        .expect_err("no name");
        assert!(
            matches!(&err, PatchError::BadRequest(m) if m.contains("does not contain declared merge key: name"))
        );
    }

    #[test]
    fn list_kind_distinguishes_container_and_service_ports() {
        assert_eq!(
            list_kind(&["spec", "template", "spec", "containers", "ports"]),
            ListKind::Keyed("containerPort")
        );
        assert_eq!(list_kind(&["spec", "ports"]), ListKind::Keyed("port"));
        assert_eq!(
            list_kind(&["spec", "template", "spec", "tolerations"]),
            ListKind::Atomic
        );
        assert_eq!(list_kind(&["metadata", "finalizers"]), ListKind::Set);
    }

    fn small_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0i64..5).prop_map(Value::from),
            "[a-c]{1,2}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        })
    }

    proptest! {
        // Without lists or directives, a strategic merge patch is a JSON merge patch.
        #[test]
        fn smp_equals_merge_patch_on_plain_maps(target in small_json(), patch in small_json()) {
            prop_assume!(target.is_object() && patch.is_object());
            let smp = strategic_merge_patch(&target, &patch).expect("plain maps apply");
            prop_assert_eq!(smp, merge_patch(&target, &patch));
        }

        // Applying the same strategic merge patch twice changes nothing more.
        #[test]
        fn smp_is_idempotent(target in small_json(), patch in small_json()) {
            prop_assume!(target.is_object() && patch.is_object());
            let once = strategic_merge_patch(&target, &patch).expect("applies");
            let twice = strategic_merge_patch(&once, &patch).expect("applies");
            prop_assert_eq!(once, twice);
        }
    }
}
