//! Writing managed resources to a target cluster the way ArgoCD's `kubectl apply` does:
//! client-side apply (with `last-applied-configuration`, strategic merge for built-in kinds,
//! merge patch for custom resources) or, with `ServerSideApply=true`, server-side apply;
//! prunes; and the `CreateNamespace=true` namespace.

use serde_json::{Map, Value, json};

use crate::sim::api::{DeleteOptions, Part, PatchType, WriteContext};
use crate::sim::cluster::ClusterState;
use crate::sim::resources::ResourceType;

use super::super::diff::LAST_APPLIED_ANNOTATION;
use super::super::kube::{RESOURCE_MANAGER, served_kind, text};
use super::super::tracking::split_api_version;

/// A scenario knob standing in for an admission webhook: on an Application, every apply of its
/// syncs fails with the value as the reason; on a Namespace of a target cluster, every apply
/// into that namespace does.
pub const FAIL_SYNC_ANNOTATION: &str = "sim.k8tre.io/fail-sync";

/// Why the simulated admission webhook refuses to apply `obj`, if it does: the Application's
/// knob (`by_app`) or the knob on the object's namespace.
pub fn rejection(target: &ClusterState, by_app: Option<&String>, obj: &Value) -> Option<String> {
    let namespace = text(obj, "/metadata/namespace");
    let by_namespace = (!namespace.is_empty())
        .then(|| {
            target.store.get(
                &crate::sim::resources::ResourceKey::new("", "namespaces"),
                "",
                namespace,
            )
        })
        .flatten()
        .and_then(|e| e.value().ok())
        .and_then(|ns| {
            ns.pointer("/metadata/annotations")
                .and_then(|a| a.get(FAIL_SYNC_ANNOTATION))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let reason = by_app.cloned().or(by_namespace).filter(|r| !r.is_empty())?;
    Some(format!(
        "admission webhook \"validate.sim.k8tre.io\" denied the request: {reason}"
    ))
}

/// `deployment.apps/web`, `service/backend`: how kubectl names an object in its messages.
pub fn display_name(obj: &Value) -> String {
    let (group, _) = split_api_version(text(obj, "/apiVersion"));
    let kind = text(obj, "/kind").to_ascii_lowercase();
    let name = text(obj, "/metadata/name");
    if group.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}.{group}/{name}")
    }
}

/// The message gitops-engine gives for a kind the target does not serve.
pub fn unknown_kind_message(obj: &Value) -> String {
    let (group, version) = split_api_version(text(obj, "/apiVersion"));
    let kind = text(obj, "/kind");
    let ns = text(obj, "/metadata/namespace");
    let name = text(obj, "/metadata/name");
    let resource = if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    };
    format!(
        "The Kubernetes API could not find version \"{version}\" of {group}/{kind} for requested resource {resource}. Version \"{version}\" of {group}/{kind} does not exist. Make sure the \"{kind}\" CRD is installed on the destination cluster."
    )
}

fn ctx(dry_run: bool) -> WriteContext {
    WriteContext {
        dry_run,
        ..WriteContext::controller(RESOURCE_MANAGER)
    }
}

fn suffix(dry_run: bool) -> &'static str {
    if dry_run { " (dry run)" } else { "" }
}

fn namespace_of<'a>(rt: &ResourceType, obj: &'a Value) -> &'a str {
    if rt.namespaced {
        text(obj, "/metadata/namespace")
    } else {
        ""
    }
}

/// The manifest as kubectl records it in `last-applied-configuration`.
fn last_applied(obj: &Value) -> String {
    let mut copy = obj.clone();
    if let Some(annotations) = copy
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
    copy.to_string()
}

fn with_last_applied(obj: &Value) -> Value {
    let mut out = obj.clone();
    let recorded = last_applied(obj);
    if !out.get("metadata").is_some_and(Value::is_object) {
        out["metadata"] = json!({});
    }
    if !out["metadata"]
        .get("annotations")
        .is_some_and(Value::is_object)
    {
        out["metadata"]["annotations"] = json!({});
    }
    out["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] = Value::String(recorded);
    out
}

/// Nulls for every field kubectl applied last time that the new manifest no longer has, so
/// the patch removes them (client-side apply's three-way merge, reduced to maps).
fn removals(previous: &Value, desired: &Value, patch: &mut Value) {
    let (Some(prev), Some(want)) = (previous.as_object(), desired.as_object()) else {
        return;
    };
    let Some(out) = patch.as_object_mut() else {
        return;
    };
    for (key, old) in prev {
        match want.get(key) {
            None => {
                out.insert(key.clone(), Value::Null);
            }
            Some(new) if old.is_object() && new.is_object() => {
                if let Some(child) = out.get_mut(key) {
                    removals(old, new, child);
                }
            }
            Some(_) => {}
        }
    }
}

/// Applies one manifest; the message is kubectl's (`deployment.apps/web configured`).
pub fn apply(
    target: &ClusterState,
    obj: &Value,
    server_side: bool,
    dry_run: bool,
) -> Result<String, String> {
    let Some(rt) = served_kind(target, text(obj, "/apiVersion"), text(obj, "/kind")) else {
        return Err(unknown_kind_message(obj));
    };
    let name = text(obj, "/metadata/name");
    let namespace = namespace_of(&rt, obj);
    let shown = display_name(obj);
    if server_side {
        return target
            .patch(
                &rt,
                namespace,
                name,
                PatchType::Apply,
                obj,
                Part::Main,
                true,
                &ctx(dry_run),
            )
            .map(|_| format!("{shown} serverside-applied{}", suffix(dry_run)))
            .map_err(|e| e.message);
    }
    let live = target.store.get(&rt.key(), namespace, name);
    let Some(live) = live else {
        return target
            .create(&rt, namespace, with_last_applied(obj), &ctx(dry_run))
            .map(|_| format!("{shown} created{}", suffix(dry_run)))
            .map_err(|e| e.message);
    };
    let before_rv = live.rv;
    let live = live.value().map_err(|e| e.message)?;
    let previous: Value = live
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({}));
    let mut patch = with_last_applied(obj);
    removals(&previous, obj, &mut patch);
    let patch_type = if rt.builtin {
        PatchType::Strategic
    } else {
        PatchType::Merge
    };
    let (after, _) = target
        .patch(
            &rt,
            namespace,
            name,
            patch_type,
            &patch,
            Part::Main,
            false,
            &ctx(dry_run),
        )
        .map_err(|e| e.message)?;
    let after_rv = text(&after, "/metadata/resourceVersion");
    if dry_run {
        Ok(format!("{shown} configured (dry run)"))
    } else if after_rv == before_rv.to_string() {
        Ok(format!("{shown} unchanged"))
    } else {
        Ok(format!("{shown} configured"))
    }
}

/// Deletes a live object (unless it is already being deleted).
pub fn prune(target: &ClusterState, live: &Value, dry_run: bool) -> Result<String, String> {
    if dry_run {
        return Ok("pruned (dry run)".to_string());
    }
    let Some(rt) = served_kind(target, text(live, "/apiVersion"), text(live, "/kind")) else {
        return Ok("pruned".to_string());
    };
    if live.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok("pruned".to_string());
    }
    match target.delete(
        &rt,
        namespace_of(&rt, live),
        text(live, "/metadata/name"),
        &DeleteOptions::default(),
        &ctx(false),
    ) {
        Ok(_) => Ok("pruned".to_string()),
        Err(e) if e.code == 404 => Ok("pruned".to_string()),
        Err(e) => Err(e.message),
    }
}

/// The Namespace `CreateNamespace=true` creates, with `managedNamespaceMetadata`.
pub fn namespace_manifest(name: &str, metadata: Option<&Value>) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(name.to_string()));
    for field in ["labels", "annotations"] {
        if let Some(v) = metadata
            .and_then(|m| m.get(field))
            .filter(|v| v.is_object())
        {
            meta.insert(field.into(), v.clone());
        }
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::Users;
    use crate::sim::cluster::ClusterOptions;

    fn cluster() -> ClusterState {
        let c = ClusterState::new(
            "dev",
            ClusterOptions::default(),
            Users::generate("dev"),
            None,
        );
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}});
        apply(&c, &ns, false, false).expect("namespace");
        c
    }

    fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "web"}, "data": data})
    }

    #[test]
    fn client_side_apply_creates_configures_and_removes_dropped_fields() {
        let c = cluster();
        assert_eq!(
            apply(&c, &config_map(json!({"a": "1", "b": "2"})), false, false),
            Ok("configmap/cfg created".to_string())
        );
        assert_eq!(
            apply(&c, &config_map(json!({"a": "1", "b": "2"})), false, false),
            Ok("configmap/cfg unchanged".to_string())
        );
        assert_eq!(
            apply(&c, &config_map(json!({"a": "1"})), false, false),
            Ok("configmap/cfg configured".to_string())
        );
        let live = c
            .store
            .get(
                &crate::sim::resources::ResourceKey::new("", "configmaps"),
                "web",
                "cfg",
            )
            .expect("live")
            .value()
            .expect("json");
        assert_eq!(live["data"], json!({"a": "1"}));
        assert!(live["metadata"]["annotations"][LAST_APPLIED_ANNOTATION].is_string());
    }

    #[test]
    fn server_side_apply_and_failures_use_kubectl_wording() {
        let c = cluster();
        assert_eq!(
            apply(&c, &config_map(json!({"a": "1"})), true, false),
            Ok("configmap/cfg serverside-applied".to_string())
        );
        let widget = json!({"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "web"}});
        let err = apply(&c, &widget, false, false).expect_err("unknown kind");
        assert!(
            err.contains("Make sure the \"Widget\" CRD is installed"),
            "{err}"
        );
        let elsewhere = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "missing"}});
        let err = apply(&c, &elsewhere, false, false).expect_err("no namespace");
        assert!(err.contains("not found"), "{err}");
        assert_eq!(
            display_name(
                &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})
            ),
            "deployment.apps/web"
        );
    }

    #[test]
    fn the_webhook_knob_refuses_by_application_or_by_namespace() {
        let c = cluster();
        let cm = config_map(json!({"a": "1"}));
        assert_eq!(rejection(&c, None, &cm), None);
        let by_app = "frozen".to_string();
        assert_eq!(
            rejection(&c, Some(&by_app), &cm).as_deref(),
            Some("admission webhook \"validate.sim.k8tre.io\" denied the request: frozen")
        );
        let ns = json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "web", "annotations": {FAIL_SYNC_ANNOTATION: "quota exceeded"}}});
        apply(&c, &ns, false, false).expect("annotated");
        assert!(rejection(&c, None, &cm).is_some_and(|m| m.ends_with("quota exceeded")));
    }

    #[test]
    fn prune_deletes_and_tolerates_gone_objects() {
        let c = cluster();
        let cm = config_map(json!({"a": "1"}));
        apply(&c, &cm, false, false).expect("created");
        assert_eq!(prune(&c, &cm, false), Ok("pruned".to_string()));
        assert_eq!(prune(&c, &cm, false), Ok("pruned".to_string()));
        let ns = namespace_manifest("web", Some(&json!({"labels": {"team": "a"}})));
        assert_eq!(ns["metadata"]["labels"]["team"], "a");
    }
}
