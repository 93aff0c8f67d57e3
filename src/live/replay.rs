//! Feeding a model from objects as an API server serves them, without HTTP: each object goes
//! to the watch whose selectors would return it and through the same wire types and
//! conversions the watchers use. For tests, benchmarks and screenshots that need a model in a
//! known state (fixed times, no ports) built from the same objects the simulation serves.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::event::{ContextName, LiveEvent, LiveObject, ObjKey, WatchKind};
use super::model::EstateModel;
use super::objects::{
    AppRecord, AppSetRecord, CILIUM_CONFIG, ClusterSecretRecord, ConfigMapRecord,
    GATEWAY_API_GROUP, SlimEvent, SlimNode, SlimPod, SlimWorkload, WorkloadKind,
    storage_class_from_wire,
};
use super::strings::SharedStrings;
use super::wire::{
    ApplicationSetWire, ApplicationWire, ClusterSecretWire, ConfigMapWire, DaemonSetWire,
    DeploymentWire, EventWire, NodeWire, PodWire, StatefulSetWire, StorageClassWire,
};

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The watch whose request (resource, namespace, selectors) would return `object`, if any.
pub fn watch_for(object: &Value, argocd_namespace: &str) -> Option<WatchKind> {
    let namespace = text(object, "/metadata/namespace");
    let name = text(object, "/metadata/name");
    let in_argocd = namespace == argocd_namespace;
    let watch = match (text(object, "/apiVersion"), text(object, "/kind")) {
        ("argoproj.io/v1alpha1", "Application") if in_argocd => WatchKind::Applications,
        ("argoproj.io/v1alpha1", "ApplicationSet") if in_argocd => WatchKind::ApplicationSets,
        ("argoproj.io/v1alpha1", "AppProject") if in_argocd => WatchKind::AppProjects,
        ("v1", "Secret")
            if in_argocd
                && text(object, "/metadata/labels/argocd.argoproj.io~1secret-type")
                    == "cluster" =>
        {
            WatchKind::ClusterSecrets
        }
        ("v1", "ConfigMap") if in_argocd => WatchKind::ArgoCdConfigMaps,
        ("v1", "ConfigMap") if namespace == "kube-system" && name == CILIUM_CONFIG => {
            WatchKind::CiliumConfig
        }
        ("v1", "Node") => WatchKind::Nodes,
        ("apps/v1", "Deployment") => WatchKind::Deployments,
        ("apps/v1", "StatefulSet") => WatchKind::StatefulSets,
        ("apps/v1", "DaemonSet") => WatchKind::DaemonSets,
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => WatchKind::GatewayCrds,
        ("storage.k8s.io/v1", "StorageClass") => WatchKind::StorageClasses,
        ("v1", "Pod") => WatchKind::Pods,
        ("v1", "Event") if text(object, "/type") == "Warning" => WatchKind::WarningEvents,
        _ => return None,
    };
    Some(watch)
}

fn wire<T: DeserializeOwned>(object: Value) -> Option<T> {
    serde_json::from_value(object).ok()
}

/// What the watcher of `watch` makes of `object` (`source`: the context it is read from).
pub fn live_object(
    watch: WatchKind,
    object: Value,
    source: &str,
    strings: &SharedStrings,
) -> Option<LiveObject> {
    let key = |object: &Value| {
        strings.with(|s| {
            ObjKey::new(
                s.intern(text(object, "/metadata/namespace")),
                Arc::from(text(object, "/metadata/name")),
            )
        })
    };
    Some(match watch {
        WatchKind::Applications => LiveObject::Application(Box::new(AppRecord::from_wire(
            wire::<ApplicationWire>(object)?,
            source,
            strings,
        ))),
        WatchKind::ApplicationSets => {
            let (key, record) =
                AppSetRecord::from_wire(wire::<ApplicationSetWire>(object)?, strings);
            LiveObject::ApplicationSet(key, record)
        }
        WatchKind::AppProjects => LiveObject::AppProject(key(&object)),
        WatchKind::ClusterSecrets => {
            let (key, record) =
                ClusterSecretRecord::from_wire(wire::<ClusterSecretWire>(object)?, strings);
            LiveObject::ClusterSecret(key, record)
        }
        WatchKind::ArgoCdConfigMaps | WatchKind::CiliumConfig => {
            let (key, record) =
                ConfigMapRecord::from_wire(wire::<ConfigMapWire>(object)?, strings)?;
            LiveObject::ConfigMap(key, record)
        }
        WatchKind::Nodes => {
            let (key, node) = SlimNode::from_wire(wire::<NodeWire>(object)?, strings);
            LiveObject::Node(key, node)
        }
        WatchKind::Deployments => {
            let body = wire::<DeploymentWire>(object)?.body;
            let (key, w) = SlimWorkload::from_body(WorkloadKind::Deployment, body, strings);
            LiveObject::Workload(key, w)
        }
        WatchKind::StatefulSets => {
            let body = wire::<StatefulSetWire>(object)?.body;
            let (key, w) = SlimWorkload::from_body(WorkloadKind::StatefulSet, body, strings);
            LiveObject::Workload(key, w)
        }
        WatchKind::DaemonSets => {
            let body = wire::<DaemonSetWire>(object)?.body;
            let (key, w) = SlimWorkload::from_body(WorkloadKind::DaemonSet, body, strings);
            LiveObject::Workload(key, w)
        }
        WatchKind::GatewayCrds => {
            let key = key(&object);
            if !key.name.ends_with(&format!(".{GATEWAY_API_GROUP}")) {
                return None;
            }
            LiveObject::Crd(key)
        }
        WatchKind::StorageClasses => {
            let (key, fact) = storage_class_from_wire(wire::<StorageClassWire>(object)?, strings);
            LiveObject::StorageClass(key, fact)
        }
        WatchKind::Pods => {
            let (key, pod) = SlimPod::from_wire(wire::<PodWire>(object)?, strings);
            LiveObject::Pod(key, pod)
        }
        WatchKind::WarningEvents => {
            let (key, event) = SlimEvent::from_wire(wire::<EventWire>(object)?, strings)?;
            LiveObject::Event(key, event)
        }
    })
}

/// The event a watcher sends when `object` is added or changed.
pub fn applied(
    model: &EstateModel,
    context: &str,
    object: Value,
    at: DateTime<Utc>,
) -> Option<LiveEvent> {
    let watch = watch_for(&object, &model.settings().argocd_namespace)?;
    let object = live_object(watch, object, context, model.strings())?;
    Some(LiveEvent::Applied {
        context: ContextName::from(context),
        watch,
        at,
        object,
    })
}

/// Lists every watch the model expects of `context` once, with the objects among `objects`
/// each would return, at `at`; reports `version` as the server's. Contexts the model does not
/// (yet) connect to are skipped: call again after the cluster Secrets are in.
pub fn list_all(
    model: &mut EstateModel,
    context: &str,
    version: &str,
    objects: &[Value],
    at: DateTime<Utc>,
) {
    let Some(connection) = model.connection(context) else {
        return;
    };
    let watches: Vec<WatchKind> = connection.watches.keys().copied().collect();
    let context: ContextName = Arc::from(context);
    let namespace = model.settings().argocd_namespace.clone();
    model.apply(LiveEvent::ServerVersion {
        context: context.clone(),
        git_version: version.to_string(),
    });
    for watch in watches {
        model.apply(LiveEvent::ListStarted {
            context: context.clone(),
            watch,
        });
        for object in objects {
            if watch_for(object, &namespace) != Some(watch) {
                continue;
            }
            let strings = model.strings().clone();
            if let Some(object) = live_object(watch, object.clone(), &context, &strings) {
                model.apply(LiveEvent::Applied {
                    context: context.clone(),
                    watch,
                    at,
                    object,
                });
            }
        }
        model.apply(LiveEvent::ListDone {
            context: context.clone(),
            watch,
            at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_go_to_the_watch_that_would_return_them() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "c", "namespace": "argocd", "labels": {"argocd.argoproj.io/secret-type": "cluster"}}});
        assert_eq!(
            watch_for(&secret, "argocd"),
            Some(WatchKind::ClusterSecrets)
        );
        let plain = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "argocd"}});
        assert_eq!(watch_for(&plain, "argocd"), None);
        let cilium = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"}});
        assert_eq!(watch_for(&cilium, "argocd"), Some(WatchKind::CiliumConfig));
        let normal = json!({"apiVersion": "v1", "kind": "Event", "type": "Normal", "metadata": {"name": "e"}});
        assert_eq!(watch_for(&normal, "argocd"), None);
        let app = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a", "namespace": "elsewhere"}});
        assert_eq!(watch_for(&app, "argocd"), None);
    }

    #[test]
    fn conversions_follow_the_watchers() {
        let strings = SharedStrings::default();
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.org"}});
        assert!(live_object(WatchKind::GatewayCrds, crd, "dev", &strings).is_none());
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "status": {"phase": "Running"}});
        assert!(matches!(
            live_object(WatchKind::Pods, pod, "dev", &strings),
            Some(LiveObject::Pod(..))
        ));
    }
}
