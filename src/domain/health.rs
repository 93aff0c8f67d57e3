//! ArgoCD's built-in health assessment of live objects, and how an app's health is rolled up
//! from its resources (gitops-engine `pkg/health` and argo-cd `controller/health.go`).
//!
//! Used by the simulated controller to compute health exactly as ArgoCD would, and by the
//! console to explain a resource's health when ArgoCD did not persist it
//! (`resourceHealthSource: appTree`).

mod pod;
mod simple;
mod workloads;

pub use pod::is_error_waiting_reason;

use std::fmt;

use serde_json::Value;

use crate::domain::argocd::{HealthStatus, HookType};

/// Annotation that keeps a resource out of its app's health.
pub const ANNOTATION_IGNORE_HEALTHCHECK: &str = "argocd.argoproj.io/ignore-healthcheck";
/// Annotation marking an ArgoCD hook (`PreSync`, `Sync`, `PostSync`, `SyncFail`, `Skip`, ...).
pub const ANNOTATION_HOOK: &str = "argocd.argoproj.io/hook";
/// Helm's hook annotation, which ArgoCD maps onto its own hooks.
pub const ANNOTATION_HELM_HOOK: &str = "helm.sh/hook";
/// Finalizer ArgoCD puts on running hooks; a hook being deleted with it is not "pending deletion".
pub const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";
/// Annotation that makes a `Never`/`OnFailure` pod be assessed like a long-running one.
pub const ANNOTATION_IGNORE_RESTART_POLICY: &str = "argocd.argoproj.io/ignore-restart-policy";

/// The result of assessing one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceHealth {
    pub status: HealthStatus,
    /// Empty when ArgoCD gives no message.
    pub message: String,
}

impl ResourceHealth {
    pub fn new(status: HealthStatus, message: impl Into<String>) -> ResourceHealth {
        ResourceHealth {
            status,
            message: message.into(),
        }
    }

    pub fn healthy() -> ResourceHealth {
        ResourceHealth::new(HealthStatus::Healthy, "")
    }

    /// What a resource with no live object has.
    pub fn missing() -> ResourceHealth {
        ResourceHealth::new(HealthStatus::Missing, "")
    }
}

/// Identity of a managed resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceRef {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ResourceRef {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> ResourceRef {
        ResourceRef {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// Reads `apiVersion`, `kind`, `metadata.namespace` and `metadata.name` of an object.
    pub fn of(obj: &Value) -> ResourceRef {
        ResourceRef {
            group: group_of(obj).to_string(),
            kind: text(obj, &["kind"]).to_string(),
            namespace: text(obj, &["metadata", "namespace"]).to_string(),
            name: text(obj, &["metadata", "name"]).to_string(),
        }
    }

    /// An ArgoCD Application (a child in app-of-apps).
    pub fn is_application(&self) -> bool {
        self.group == "argoproj.io" && self.kind == "Application"
    }
}

impl fmt::Display for ResourceRef {
    /// ArgoCD's cause format: `group/Kind:namespace/name`, parts omitted when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}/", self.group)?;
        }
        write!(f, "{}:", self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

/// ArgoCD's health of one live object, or `None` when ArgoCD has no health check for its kind
/// (ConfigMap, Secret, RBAC, Application, unknown CRDs) or the object opts out with
/// `argocd.argoproj.io/ignore-healthcheck: "true"`. An object being deleted is Progressing
/// "Pending deletion" whatever its kind (unless it is a hook held by ArgoCD's finalizer).
pub fn assess(obj: &Value) -> Option<ResourceHealth> {
    if annotation(obj, ANNOTATION_IGNORE_HEALTHCHECK) == Some("true") {
        return None;
    }
    if field(obj, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
        && !has_finalizer(obj, HOOK_FINALIZER)
    {
        return Some(ResourceHealth::new(
            HealthStatus::Progressing,
            "Pending deletion",
        ));
    }
    builtin_check(group_of(obj), text(obj, &["kind"])).map(|check| check(obj))
}

type Check = fn(&Value) -> ResourceHealth;

/// gitops-engine `GetHealthCheckFunc`, plus ArgoCD's bundled ApplicationSet health.
fn builtin_check(group: &str, kind: &str) -> Option<Check> {
    let check: Check = match (group, kind) {
        ("apps", "Deployment") => workloads::deployment,
        ("apps", "StatefulSet") => workloads::stateful_set,
        ("apps", "ReplicaSet") => workloads::replica_set,
        ("apps", "DaemonSet") => workloads::daemon_set,
        ("extensions" | "networking.k8s.io", "Ingress") => simple::ingress,
        ("argoproj.io", "Workflow") => simple::workflow,
        ("argoproj.io", "ApplicationSet") => simple::application_set,
        ("apiregistration.k8s.io", "APIService") => simple::api_service,
        ("", "Service") => simple::service,
        ("", "PersistentVolumeClaim") => simple::pvc,
        ("", "Pod") => pod::pod,
        ("batch", "Job") => simple::job,
        ("autoscaling", "HorizontalPodAutoscaler") => simple::hpa,
        _ => return None,
    };
    Some(check)
}

/// ArgoCD's app health from its managed resources (`setApplicationHealth`).
///
/// Each item is `(resource, health, excluded)`: pass `Some(ResourceHealth::missing())` for a
/// resource with no live object, `None` for a live one without a health check, and
/// `excluded = true` for hooks and `hook: Skip` resources ([`excluded_from_app_health`]).
///
/// Rules: the worst health of the rest wins; Missing resources do not degrade the app (its
/// OutOfSync status says so already); a child Application that is Missing or Unknown is
/// ignored; if resources are expected but none is live the app is Missing; nothing at all is
/// Healthy. The message names the causes like ArgoCD: `Caused by apps/Deployment:ns/web`.
pub fn aggregate(
    resources: impl IntoIterator<Item = (ResourceRef, Option<ResourceHealth>, bool)>,
) -> ResourceHealth {
    let mut worst = HealthStatus::Healthy;
    let mut causes: Vec<ResourceRef> = Vec::new();
    let mut any_resource = false;
    let mut any_live = false;
    for (resource, health, excluded) in resources {
        if excluded {
            continue;
        }
        any_resource = true;
        let status = health.map(|h| h.status);
        if status != Some(HealthStatus::Missing) {
            any_live = true;
        }
        let Some(status) = status else { continue };
        if status == HealthStatus::Missing {
            continue;
        }
        if resource.is_application()
            && matches!(status, HealthStatus::Missing | HealthStatus::Unknown)
        {
            continue;
        }
        if status.is_worse_than(worst) {
            worst = status;
            causes = vec![resource];
        } else if status == worst && worst != HealthStatus::Healthy {
            causes.push(resource);
        }
    }
    if any_resource && !any_live && HealthStatus::Missing.is_worse_than(worst) {
        return ResourceHealth::missing();
    }
    ResourceHealth::new(worst, causes_message(&causes))
}

/// How many causes ArgoCD names before "and N more".
const MAX_CAUSES_SHOWN: usize = 3;

fn causes_message(causes: &[ResourceRef]) -> String {
    if causes.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = causes
        .iter()
        .take(MAX_CAUSES_SHOWN)
        .map(ToString::to_string)
        .collect();
    let mut summary = shown.join(", ");
    if causes.len() > MAX_CAUSES_SHOWN {
        summary = format!("{summary} and {} more", causes.len() - MAX_CAUSES_SHOWN);
    }
    format!("Caused by {summary}")
}

/// The hook types an object declares (ArgoCD annotation, else Helm's mapped onto ArgoCD's).
pub fn hook_types(obj: &Value) -> Vec<HookType> {
    let argo: Vec<HookType> = csv_annotation(obj, ANNOTATION_HOOK)
        .filter_map(|t| match HookType::parse(t) {
            HookType::Other(_) | HookType::PreDelete | HookType::PostDelete => None,
            known => Some(known),
        })
        .collect();
    if !argo.is_empty() {
        return argo;
    }
    csv_annotation(obj, ANNOTATION_HELM_HOOK)
        .filter_map(|t| match t {
            "pre-install" | "pre-upgrade" => Some(HookType::PreSync),
            "post-install" | "post-upgrade" => Some(HookType::PostSync),
            _ => None,
        })
        .collect()
}

/// gitops-engine `hook.Skip`: annotated `argocd.argoproj.io/hook: Skip` and nothing else.
pub fn is_skipped(obj: &Value) -> bool {
    let types = hook_types(obj);
    types == [HookType::Skip]
}

/// gitops-engine `hook.IsHook`: carries the ArgoCD hook annotation (other than a lone `Skip`),
/// or a Helm hook annotation other than `crd-install`.
pub fn is_hook(obj: &Value) -> bool {
    if annotation(obj, ANNOTATION_HOOK).is_some() {
        return !is_skipped(obj);
    }
    annotation(obj, ANNOTATION_HELM_HOOK).is_some_and(|v| v != "crd-install")
}

/// Whether a resource is left out of its app's health: hooks and `Skip` resources.
pub fn excluded_from_app_health(obj: &Value) -> bool {
    is_hook(obj) || is_skipped(obj)
}

fn csv_annotation<'a>(obj: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    annotation(obj, key)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

// Small readers over untyped objects. Missing fields read as Go's zero values, because that is
// how gitops-engine sees them after converting to typed structs.

pub(crate) fn field<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |value, key| value.get(key))
}

pub(crate) fn text<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    field(obj, path).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn int(obj: &Value, path: &[&str]) -> i64 {
    field(obj, path).and_then(Value::as_i64).unwrap_or(0)
}

/// A Go `*int32`: `None` when absent.
pub(crate) fn opt_int(obj: &Value, path: &[&str]) -> Option<i64> {
    field(obj, path).and_then(Value::as_i64)
}

pub(crate) fn list<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    field(obj, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(crate) fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    field(obj, &["metadata", "annotations", key]).and_then(Value::as_str)
}

fn has_finalizer(obj: &Value, name: &str) -> bool {
    list(obj, &["metadata", "finalizers"])
        .iter()
        .any(|f| f.as_str() == Some(name))
}

/// The API group of an object: `apps` for `apps/v1`, empty for core `v1`.
pub(crate) fn group_of(obj: &Value) -> &str {
    let api_version = text(obj, &["apiVersion"]);
    api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group)
}

/// The condition of a type in `status.conditions`.
pub(crate) fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    list(obj, &["status", "conditions"])
        .iter()
        .find(|c| text(c, &["type"]) == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn health(status: HealthStatus) -> Option<ResourceHealth> {
        Some(ResourceHealth::new(status, ""))
    }

    fn deploy(name: &str) -> ResourceRef {
        ResourceRef::new("apps", "Deployment", "ns", name)
    }

    #[test]
    fn deleting_objects_are_pending_deletion() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "deletionTimestamp": "2026-08-22T10:00:00Z"}});
        assert_eq!(
            assess(&cm),
            Some(ResourceHealth::new(
                HealthStatus::Progressing,
                "Pending deletion"
            ))
        );
        let hook = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "j", "deletionTimestamp": "2026-08-22T10:00:00Z",
                         "finalizers": [HOOK_FINALIZER]},
            "status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(assess(&hook).map(|h| h.status), Some(HealthStatus::Healthy));
    }

    #[test]
    fn kinds_without_health_checks() {
        for (api, kind) in [
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "ServiceAccount"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("argoproj.io/v1alpha1", "Application"),
            ("example.com/v1", "Widget"),
            ("v1", "Namespace"),
        ] {
            let obj = json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}});
            assert_eq!(assess(&obj), None, "{kind}");
        }
    }

    #[test]
    fn ignore_healthcheck_annotation() {
        let svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "annotations": {ANNOTATION_IGNORE_HEALTHCHECK: "true"}},
            "spec": {"type": "LoadBalancer"}});
        assert_eq!(assess(&svc), None);
        let mut counted = svc.clone();
        counted["metadata"]["annotations"][ANNOTATION_IGNORE_HEALTHCHECK] = json!("false");
        assert_eq!(
            assess(&counted).map(|h| h.status),
            Some(HealthStatus::Progressing)
        );
    }

    #[test]
    fn aggregate_takes_the_worst_and_names_causes() {
        let result = aggregate([
            (deploy("a"), health(HealthStatus::Healthy), false),
            (deploy("b"), health(HealthStatus::Progressing), false),
            (deploy("c"), health(HealthStatus::Degraded), false),
            (
                ResourceRef::new("", "Pod", "ns", "p"),
                health(HealthStatus::Degraded),
                false,
            ),
        ]);
        assert_eq!(result.status, HealthStatus::Degraded);
        assert_eq!(result.message, "Caused by apps/Deployment:ns/c, Pod:ns/p");
    }

    #[test]
    fn aggregate_truncates_causes() {
        let items: Vec<_> = (0..5)
            .map(|i| {
                (
                    deploy(&format!("d{i}")),
                    health(HealthStatus::Progressing),
                    false,
                )
            })
            .collect();
        assert_eq!(
            aggregate(items).message,
            "Caused by apps/Deployment:ns/d0, apps/Deployment:ns/d1, apps/Deployment:ns/d2 and 2 more"
        );
    }

    #[test]
    fn missing_resources_do_not_degrade() {
        let result = aggregate([
            (deploy("a"), health(HealthStatus::Healthy), false),
            (deploy("gone"), Some(ResourceHealth::missing()), false),
        ]);
        assert_eq!(result, ResourceHealth::healthy());
    }

    #[test]
    fn nothing_live_is_missing() {
        let result = aggregate([
            (deploy("a"), Some(ResourceHealth::missing()), false),
            (deploy("b"), Some(ResourceHealth::missing()), false),
        ]);
        assert_eq!(result, ResourceHealth::missing());
        // ...but a live object without health (a ConfigMap) counts as live.
        let result = aggregate([
            (deploy("a"), Some(ResourceHealth::missing()), false),
            (ResourceRef::new("", "ConfigMap", "ns", "c"), None, false),
        ]);
        assert_eq!(result.status, HealthStatus::Healthy);
        // A worse state than Missing stays.
        let result = aggregate([
            (deploy("a"), Some(ResourceHealth::missing()), false),
            (
                ResourceRef::new("argoproj.io", "Application", "argocd", "child"),
                health(HealthStatus::Degraded),
                false,
            ),
        ]);
        assert_eq!(result.status, HealthStatus::Degraded);
    }

    #[test]
    fn empty_app_is_healthy_and_hooks_are_skipped() {
        assert_eq!(aggregate(Vec::new()), ResourceHealth::healthy());
        let result = aggregate([
            (deploy("a"), health(HealthStatus::Healthy), false),
            (
                ResourceRef::new("batch", "Job", "ns", "migrate"),
                health(HealthStatus::Degraded),
                true,
            ),
        ]);
        assert_eq!(result, ResourceHealth::healthy());
        // Only hooks: nothing counted, healthy (not Missing).
        let result = aggregate([(
            ResourceRef::new("batch", "Job", "ns", "migrate"),
            Some(ResourceHealth::missing()),
            true,
        )]);
        assert_eq!(result, ResourceHealth::healthy());
    }

    #[test]
    fn child_applications_missing_or_unknown_are_ignored() {
        let child = |name: &str| ResourceRef::new("argoproj.io", "Application", "argocd", name);
        let result = aggregate([
            (child("a"), health(HealthStatus::Unknown), false),
            (child("b"), health(HealthStatus::Missing), false),
            (child("c"), health(HealthStatus::Healthy), false),
        ]);
        assert_eq!(result, ResourceHealth::healthy());
        let result = aggregate([
            (child("a"), health(HealthStatus::Progressing), false),
            (child("b"), None, false),
        ]);
        assert_eq!(result.status, HealthStatus::Progressing);
        assert_eq!(result.message, "Caused by argoproj.io/Application:argocd/a");
        // A non-Application resource with Unknown health does count.
        let result = aggregate([(deploy("x"), health(HealthStatus::Unknown), false)]);
        assert_eq!(result.status, HealthStatus::Unknown);
    }

    #[test]
    fn hook_detection() {
        let with = |annotations: Value| json!({"metadata": {"annotations": annotations}});
        assert!(is_hook(&with(json!({ANNOTATION_HOOK: "PreSync"}))));
        assert!(is_hook(&with(json!({ANNOTATION_HOOK: "PreSync,PostSync"}))));
        assert!(!is_hook(&with(json!({ANNOTATION_HOOK: "Skip"}))));
        assert!(is_skipped(&with(json!({ANNOTATION_HOOK: "Skip"}))));
        assert!(excluded_from_app_health(&with(
            json!({ANNOTATION_HOOK: "Skip"})
        )));
        assert!(is_hook(&with(json!({ANNOTATION_HELM_HOOK: "pre-install"}))));
        assert!(!is_hook(&with(
            json!({ANNOTATION_HELM_HOOK: "crd-install"})
        )));
        assert!(!is_hook(&with(json!({}))));
        assert_eq!(
            hook_types(&with(json!({ANNOTATION_HELM_HOOK: "post-upgrade"}))),
            vec![HookType::PostSync]
        );
        // The ArgoCD annotation wins over Helm's.
        assert_eq!(
            hook_types(&with(
                json!({ANNOTATION_HOOK: "Sync", ANNOTATION_HELM_HOOK: "pre-install"})
            )),
            vec![HookType::Sync]
        );
    }

    #[test]
    fn resource_ref_of_object() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "ns"}});
        assert_eq!(ResourceRef::of(&obj), deploy("web"));
        let core = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}});
        assert_eq!(ResourceRef::of(&core).to_string(), "Namespace:ns");
    }
}
