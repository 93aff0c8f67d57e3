//! Pure JSON comparisons the simulated ArgoCD needs: "is the live object what git says"
//! (desired fields contained in live, with `ignoreDifferences`), and the JSON merge patch
//! that turns one document into another (so status writes only send what changed).

use serde_json::{Map, Value};

use crate::domain::argocd::ResourceIgnoreDifferences;

/// Annotation kubectl's client-side apply keeps; never part of a comparison.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One step of an ignored path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(usize),
    /// Every element of an array (`[]` in a jq path).
    AnyIndex,
}

/// A path to ignore, from a JSON pointer (`/spec/replicas`) or a simple jq path
/// (`.spec.managed.roles[].inherit`).
pub type IgnorePath = Vec<PathStep>;

/// Reads a JSON pointer (RFC 6901) as path steps; numeric segments may index arrays.
pub fn pointer_path(pointer: &str) -> IgnorePath {
    pointer
        .split('/')
        .skip(1)
        .map(|raw| {
            let key = raw.replace("~1", "/").replace("~0", "~");
            match key.parse::<usize>() {
                Ok(i) => PathStep::Index(i),
                Err(_) => PathStep::Key(key),
            }
        })
        .collect()
}

/// Reads the jq paths ArgoCD users write for ignoreDifferences: `.a.b`, `.a[].b`, `.a[0]`,
/// `.a["b.c"]`. Anything richer (filters, `select`) is `None`: it cannot be ignored here.
pub fn jq_path(expression: &str) -> Option<IgnorePath> {
    let mut steps = Vec::new();
    let mut rest = expression.trim();
    if !rest.starts_with('.') {
        return None;
    }
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[]") {
            steps.push(PathStep::AnyIndex);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]")?;
            steps.push(PathStep::Key(after[..end].to_string()));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(PathStep::Index(after[..end].parse().ok()?));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            if key.is_empty() {
                if end == after.len() {
                    break;
                }
                rest = after;
                continue;
            }
            if !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return None;
            }
            steps.push(PathStep::Key(key.to_string()));
            rest = &after[end..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// Removes every value a path names (wildcards fan out over arrays).
pub fn remove_path(value: &mut Value, path: &[PathStep]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match (first, value) {
        (PathStep::Key(key), Value::Object(map)) => {
            if rest.is_empty() {
                map.remove(key);
            } else if let Some(child) = map.get_mut(key) {
                remove_path(child, rest);
            }
        }
        (PathStep::Index(i), Value::Array(items)) => {
            if rest.is_empty() {
                if *i < items.len() {
                    items.remove(*i);
                }
            } else if let Some(child) = items.get_mut(*i) {
                remove_path(child, rest);
            }
        }
        (PathStep::AnyIndex, Value::Array(items)) => {
            if rest.is_empty() {
                items.clear();
            } else {
                for child in items {
                    remove_path(child, rest);
                }
            }
        }
        _ => {}
    }
}

/// The paths of an Application's `ignoreDifferences` that apply to one resource.
pub fn ignored_paths(
    rules: &[ResourceIgnoreDifferences],
    group: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Vec<IgnorePath> {
    let matches = |rule: &ResourceIgnoreDifferences| {
        (rule.group.is_empty() || rule.group == "*" || rule.group == group)
            && (rule.kind == "*" || rule.kind == kind)
            && (rule.name.is_empty() || rule.name == name)
            && (rule.namespace.is_empty() || rule.namespace == namespace)
    };
    rules
        .iter()
        .filter(|r| matches(r))
        .flat_map(|r| {
            r.json_pointers
                .iter()
                .map(|p| pointer_path(p))
                .chain(r.jq_path_expressions.iter().filter_map(|e| jq_path(e)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether every field git sets is set to the same value in the live object, the way
/// ArgoCD's diff sees it after normalisation: fields the server adds (defaults, status,
/// system metadata) are not differences; an empty map or list in git equals a missing one.
pub fn live_matches_desired(desired: &Value, live: &Value, ignored: &[IgnorePath]) -> bool {
    let mut desired = comparable(desired);
    let mut live = comparable(live);
    for path in ignored {
        remove_path(&mut desired, path);
        remove_path(&mut live, path);
    }
    contains(&desired, &live)
}

/// The parts of an object a sync compares: everything but status, type and system metadata;
/// from metadata only labels and annotations (minus kubectl's bookkeeping).
fn comparable(obj: &Value) -> Value {
    let mut out = Map::new();
    if let Some(map) = obj.as_object() {
        for (key, value) in map {
            match key.as_str() {
                "status" | "apiVersion" | "kind" => {}
                "metadata" => {
                    let mut meta = Map::new();
                    for field in ["labels", "annotations"] {
                        if let Some(v) = value.get(field) {
                            meta.insert(field.to_string(), v.clone());
                        }
                    }
                    if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
                        annotations.remove(LAST_APPLIED_ANNOTATION);
                    }
                    out.insert(key.clone(), Value::Object(meta));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
    }
    normalise_secret(&mut out);
    Value::Object(out)
}

/// `stringData` is written into `data` by the API server; compare it that way.
fn normalise_secret(obj: &mut Map<String, Value>) {
    use base64::Engine;
    let Some(Value::Object(string_data)) = obj.remove("stringData") else {
        return;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(data) = data {
        for (key, value) in string_data {
            let text = value.as_str().unwrap_or_default();
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            data.insert(key, Value::String(encoded));
        }
    }
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// `desired` ⊆ `live`: maps by key (missing empty values allowed), lists element-wise with the
/// same length, scalars equal (numbers by value).
fn contains(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(key, dv)| match l.get(key) {
            Some(lv) => contains(dv, lv),
            None => is_empty_value(dv),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(dv, lv)| contains(dv, lv))
        }
        (Value::Number(d), Value::Number(l)) => d.as_f64() == l.as_f64(),
        (Value::Null, _) => true,
        (d, l) if is_empty_value(d) && is_empty_value(l) => true,
        (d, l) => d == l,
    }
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`, or `None` when they are equal.
/// Lists and scalars are replaced whole; keys only in `old` become `null`.
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (key, nv) in n {
                match o.get(key) {
                    Some(ov) => {
                        if let Some(child) = merge_diff(ov, nv) {
                            patch.insert(key.clone(), child);
                        }
                    }
                    None => {
                        patch.insert(key.clone(), nv.clone());
                    }
                }
            }
            for key in o.keys() {
                if !n.contains_key(key) {
                    patch.insert(key.clone(), Value::Null);
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (o, n) if o == n => None,
        (_, n) => Some(n.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::patch::merge_patch;
    use proptest::prelude::*;
    use serde_json::json;

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "ns", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}
        })
    }

    fn live_of(desired: &Value) -> Value {
        let mut live = desired.clone();
        live["metadata"]["uid"] = json!("u-1");
        live["metadata"]["resourceVersion"] = json!("42");
        live["metadata"]["annotations"] = json!({LAST_APPLIED_ANNOTATION: "{}"});
        live["spec"]["revisionHistoryLimit"] = json!(10);
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        live["status"] = json!({"readyReplicas": 1});
        live
    }

    #[test]
    fn server_defaults_status_and_system_metadata_are_not_differences() {
        let desired = deployment(2, "nginx:1");
        assert!(live_matches_desired(&desired, &live_of(&desired), &[]));
    }

    #[test]
    fn changed_fields_and_list_lengths_are_differences() {
        let desired = deployment(2, "nginx:1");
        let mut live = live_of(&desired);
        live["spec"]["replicas"] = json!(3);
        assert!(!live_matches_desired(&desired, &live, &[]));
        let mut live = live_of(&desired);
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(!live_matches_desired(&desired, &live, &[]));
        let mut live = live_of(&desired);
        let extra = json!({"name": "sidecar", "image": "x"});
        live["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .expect("containers")
            .push(extra);
        assert!(!live_matches_desired(&desired, &live, &[]));
        let mut live = live_of(&desired);
        live["metadata"]["labels"]["app"] = json!("other");
        assert!(!live_matches_desired(&desired, &live, &[]));
    }

    #[test]
    fn empty_values_in_git_equal_missing_live_values() {
        let desired = json!({"kind": "ClusterIssuer", "metadata": {"name": "s", "labels": {}}, "spec": {"selfSigned": {}}});
        let live = json!({"kind": "ClusterIssuer", "metadata": {"name": "s"}, "spec": {}});
        assert!(live_matches_desired(&desired, &live, &[]));
    }

    #[test]
    fn numbers_compare_by_value() {
        let desired = json!({"spec": {"x": 1}});
        let live = json!({"spec": {"x": 1.0}});
        assert!(live_matches_desired(&desired, &live, &[]));
    }

    #[test]
    fn secret_string_data_compares_as_encoded_data() {
        let desired =
            json!({"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}});
        let live = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}});
        assert!(live_matches_desired(&desired, &live, &[]));
        let live = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "eA=="}});
        assert!(!live_matches_desired(&desired, &live, &[]));
    }

    #[test]
    fn ignore_differences_by_pointer_and_jq_path() {
        let desired = deployment(2, "nginx:1");
        let mut live = live_of(&desired);
        live["spec"]["replicas"] = json!(5);
        let by_pointer = [ResourceIgnoreDifferences {
            group: "apps".into(),
            kind: "Deployment".into(),
            json_pointers: vec!["/spec/replicas".into()],
            ..Default::default()
        }];
        let paths = ignored_paths(&by_pointer, "apps", "Deployment", "ns", "web");
        assert!(live_matches_desired(&desired, &live, &paths));
        assert!(ignored_paths(&by_pointer, "", "Service", "ns", "web").is_empty());

        let mut live = live_of(&desired);
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:9");
        let by_jq = [ResourceIgnoreDifferences {
            kind: "Deployment".into(),
            name: "web".into(),
            jq_path_expressions: vec![".spec.template.spec.containers[].image".into()],
            ..Default::default()
        }];
        let paths = ignored_paths(&by_jq, "apps", "Deployment", "ns", "web");
        assert!(live_matches_desired(&desired, &live, &paths));
        assert!(ignored_paths(&by_jq, "apps", "Deployment", "ns", "api").is_empty());
    }

    #[test]
    fn jq_paths_are_read_or_refused() {
        assert_eq!(
            jq_path(".spec.managed.roles[].inherit"),
            Some(vec![
                PathStep::Key("spec".into()),
                PathStep::Key("managed".into()),
                PathStep::Key("roles".into()),
                PathStep::AnyIndex,
                PathStep::Key("inherit".into()),
            ])
        );
        assert_eq!(
            jq_path(".metadata.annotations[\"a.b/c\"]"),
            Some(vec![
                PathStep::Key("metadata".into()),
                PathStep::Key("annotations".into()),
                PathStep::Key("a.b/c".into()),
            ])
        );
        assert_eq!(
            jq_path(".a[2]"),
            Some(vec![PathStep::Key("a".into()), PathStep::Index(2)])
        );
        assert_eq!(jq_path(".a | select(.b)"), None);
        assert_eq!(jq_path("a.b"), None);
        assert_eq!(
            pointer_path("/metadata/annotations/a~1b"),
            vec![
                PathStep::Key("metadata".into()),
                PathStep::Key("annotations".into()),
                PathStep::Key("a/b".into())
            ]
        );
    }

    #[test]
    fn merge_diff_is_none_for_equal_documents() {
        let doc = json!({"a": 1, "b": {"c": [1, 2]}});
        assert_eq!(merge_diff(&doc, &doc), None);
        assert_eq!(
            merge_diff(&doc, &json!({"a": 2, "b": {"c": [1, 2]}})),
            Some(json!({"a": 2}))
        );
        assert_eq!(
            merge_diff(&doc, &json!({"b": {}})),
            Some(json!({"a": null, "b": {"c": null}}))
        );
    }

    fn json_doc() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<i32>().prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            prop::collection::vec(any::<u8>().prop_map(Value::from), 0..3).prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        })
        .prop_map(|v| match v {
            Value::Object(_) => v,
            other => serde_json::json!({"x": other}),
        })
    }

    proptest! {
        #[test]
        fn merge_diff_round_trips_through_merge_patch(old in json_doc(), new in json_doc()) {
            // Merge patches cannot carry nulls as values; the generated documents have none.
            let patched = match merge_diff(&old, &new) {
                Some(patch) => merge_patch(&old, &patch),
                None => old.clone(),
            };
            prop_assert_eq!(patched, new);
        }

        #[test]
        fn a_document_always_matches_itself(doc in json_doc()) {
            prop_assert!(live_matches_desired(&doc, &doc, &[]));
        }
    }
}
