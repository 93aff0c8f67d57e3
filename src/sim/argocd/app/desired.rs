//! From rendered manifests to managed resources: namespaces defaulted to the destination,
//! the tracking annotation set, then each paired with its live object (and the live objects
//! the Application tracks that git no longer has).

use std::collections::HashSet;

use serde_json::Value;

use crate::domain::health;
use crate::sim::cluster::ClusterState;

use super::super::kube::{self, served_kind};
use super::super::tracking::{self, LiveIndex, split_api_version};
use super::compare::Managed;

/// Whether objects of `api_version`/`kind` are namespaced on `target`; for a kind the target
/// does not serve yet, a CRD among `manifests` decides, else it is assumed namespaced.
fn namespaced(target: &ClusterState, manifests: &[Value], api_version: &str, kind: &str) -> bool {
    if let Some(rt) = served_kind(target, api_version, kind) {
        return rt.namespaced;
    }
    let (group, _) = split_api_version(api_version);
    manifests
        .iter()
        .find(|m| {
            m.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
                && kube::text(m, "/spec/group") == group
                && kube::text(m, "/spec/names/kind") == kind
        })
        .is_none_or(|crd| kube::text(crd, "/spec/scope") != "Cluster")
}

/// The manifests as ArgoCD applies them: `Skip` hooks dropped, namespaced objects put in the
/// destination namespace when they name none, cluster-scoped ones stripped of a namespace,
/// duplicates dropped, and every object annotated with its tracking id.
pub fn prepare(
    manifests: &[Value],
    app: &str,
    namespace: &str,
    target: &ClusterState,
) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for manifest in manifests {
        if health::is_skipped(manifest) || !manifest.is_object() {
            continue;
        }
        let mut obj = manifest.clone();
        let api_version = kube::text(&obj, "/apiVersion").to_string();
        let kind = kube::text(&obj, "/kind").to_string();
        if namespaced(target, manifests, &api_version, &kind) {
            if kube::text(&obj, "/metadata/namespace").is_empty() {
                let ns = if namespace.is_empty() {
                    "default"
                } else {
                    namespace
                };
                obj["metadata"]["namespace"] = Value::String(ns.to_string());
            }
        } else if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("namespace");
        }
        let (group, _) = split_api_version(&api_version);
        let key = (
            group.to_string(),
            kind,
            kube::text(&obj, "/metadata/namespace").to_string(),
            kube::text(&obj, "/metadata/name").to_string(),
        );
        if !seen.insert(key) {
            continue;
        }
        tracking::annotate(&mut obj, app);
        out.push(obj);
    }
    out
}

fn managed_of(obj: &Value, desired: Option<Value>, live: Option<Value>) -> Managed {
    let (group, version) = split_api_version(kube::text(obj, "/apiVersion"));
    Managed {
        group: group.to_string(),
        version: version.to_string(),
        kind: kube::text(obj, "/kind").to_string(),
        namespace: kube::text(obj, "/metadata/namespace").to_string(),
        name: kube::text(obj, "/metadata/name").to_string(),
        desired,
        live,
    }
}

/// The live state of one prepared manifest.
pub fn live_of(target: &ClusterState, desired: &Value) -> Option<Value> {
    let rt = served_kind(
        target,
        kube::text(desired, "/apiVersion"),
        kube::text(desired, "/kind"),
    )?;
    let ns = if rt.namespaced {
        kube::text(desired, "/metadata/namespace")
    } else {
        ""
    };
    kube::get(target, &rt.key(), ns, kube::text(desired, "/metadata/name"))
}

/// Every resource of the Application: prepared manifests with their live objects, then the
/// live objects it tracks that are not in git.
pub fn gather(
    desired: &[Value],
    app: &str,
    target: &ClusterState,
    index: &LiveIndex,
) -> Vec<Managed> {
    let mut items: Vec<Managed> = desired
        .iter()
        .map(|d| managed_of(d, Some(d.clone()), live_of(target, d)))
        .collect();
    let known: HashSet<(String, String, String, String)> = items
        .iter()
        .map(|m| {
            (
                m.group.clone(),
                m.kind.clone(),
                m.namespace.clone(),
                m.name.clone(),
            )
        })
        .collect();
    for live_ref in index.objects(&target.name, app) {
        let Some(live) = kube::get(
            target,
            &live_ref.resource,
            &live_ref.namespace,
            &live_ref.name,
        ) else {
            continue;
        };
        if tracking::TrackingId::of(&live).is_none_or(|id| id.app != app) {
            continue;
        }
        let item = managed_of(&live, None, Some(live.clone()));
        let key = (
            item.group.clone(),
            item.kind.clone(),
            item.namespace.clone(),
            item.name.clone(),
        );
        if !known.contains(&key) {
            items.push(item);
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::Users;
    use crate::sim::cluster::ClusterOptions;
    use serde_json::json;

    #[test]
    fn manifests_get_namespaces_tracking_and_lose_duplicates_and_skips() {
        let target = ClusterState::new(
            "dev",
            ClusterOptions::default(),
            Users::generate("dev"),
            None,
        );
        let manifests = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "y"}}),
            json!({"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}),
            json!({"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "g"}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": "gadgets.example.org"},
                   "spec": {"group": "example.org", "scope": "Cluster", "names": {"kind": "Gadget", "plural": "gadgets"}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "skipped",
                   "annotations": {"argocd.argoproj.io/hook": "Skip"}}}),
        ];
        let out = prepare(&manifests, "web-dev", "web", &target);
        let summary: Vec<(String, String)> = out
            .iter()
            .map(|o| {
                (
                    kube::text(o, "/metadata/name").to_string(),
                    kube::text(o, "/metadata/namespace").to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a".to_string(), "web".to_string()),
                ("x".to_string(), String::new()),
                ("w".to_string(), "web".to_string()),
                ("g".to_string(), String::new()),
                ("gadgets.example.org".to_string(), String::new()),
            ]
        );
        assert_eq!(
            kube::text(
                &out[0],
                "/metadata/annotations/argocd.argoproj.io~1tracking-id"
            ),
            "web-dev:/ConfigMap:web/a"
        );
    }
}
