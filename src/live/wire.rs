//! What the watchers deserialize: one type per watched kind, reading only the fields the
//! console shows. Everything else in the JSON (managedFields, specs, most annotations, the
//! `config` of a cluster Secret) is skipped by serde without being stored, so the full
//! object never exists in memory.
//!
//! Each type implements kube's [`Resource`] so `kube::runtime::watcher` can drive it; its
//! [`ObjectMeta`] holds only name, namespace and resourceVersion (what the watcher uses).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::Resource;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::domain::appset::ApplicationSet;
use crate::domain::argocd::Application;

/// Annotations never read: `kubectl apply` keeps the whole applied object here, which for a
/// Secret includes its data.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

macro_rules! wire_resource {
    ($ty:ident, $group:literal, $version:literal, $kind:literal, $plural:literal, $scope:ty) => {
        impl Resource for $ty {
            type DynamicType = ();
            type Scope = $scope;
            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($group)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($version)
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.object_meta
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.object_meta
            }
        }
    };
}

/// The metadata fields the console reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    pub resource_version: String,
    pub generation: Option<i64>,
    pub creation_timestamp: Option<String>,
    pub deletion_timestamp: Option<String>,
    #[serde(deserialize_with = "string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "annotations_without_last_applied")]
    pub annotations: BTreeMap<String, String>,
    pub owner_references: Vec<Owner>,
}

impl Meta {
    fn object_meta(&self) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: Some(self.namespace.clone()).filter(|n| !n.is_empty()),
            resource_version: Some(self.resource_version.clone()),
            ..ObjectMeta::default()
        }
    }

    /// The controlling owner, else the first.
    pub fn controller(&self) -> Option<&Owner> {
        self.owner_references
            .iter()
            .find(|o| o.controller == Some(true))
            .or_else(|| self.owner_references.first())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Owner {
    pub kind: String,
    pub name: String,
    pub controller: Option<bool>,
}

/// A string map whose null values are read as empty.
fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    d.deserialize_option(FilteredMap { keep: |_| true })
}

fn annotations_without_last_applied<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    d.deserialize_option(FilteredMap {
        keep: |key| key != LAST_APPLIED,
    })
}

/// Reads a `{string: string}` map keeping only keys `keep` accepts; the values of the others
/// are skipped unread.
struct FilteredMap {
    keep: fn(&str) -> bool,
}

impl<'de> Visitor<'de> for FilteredMap {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if (self.keep)(&key) {
                let value: Option<String> = map.next_value()?;
                out.insert(key, value.unwrap_or_default());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- core kinds

#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawPod")]
pub struct PodWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub spec: PodSpec,
    pub status: PodStatus,
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct RawPod {
    metadata: Meta,
    spec: PodSpec,
    status: PodStatus,
}

impl From<RawPod> for PodWire {
    fn from(raw: RawPod) -> Self {
        PodWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            spec: raw.spec,
            status: raw.status,
        }
    }
}
wire_resource!(PodWire, "", "v1", "Pod", "pods", NamespaceResourceScope);

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub restart_policy: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub conditions: Vec<Condition>,
    pub container_statuses: Vec<ContainerStatus>,
    pub init_container_statuses: Vec<ContainerStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    pub ready: bool,
    pub restart_count: u32,
    pub state: ContainerState,
    pub last_state: ContainerState,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainerState {
    pub waiting: Option<Waiting>,
    pub terminated: Option<IgnoredPresence>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Waiting {
    pub reason: Option<String>,
}

/// A field whose presence matters, not its content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IgnoredPresence;

impl<'de> Deserialize<'de> for IgnoredPresence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| IgnoredPresence)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawNode")]
pub struct NodeWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub provider_id: Option<String>,
    pub conditions: Vec<Condition>,
    pub kubelet_version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNode {
    metadata: Meta,
    spec: RawNodeSpec,
    status: RawNodeStatus,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawNodeSpec {
    #[serde(rename = "providerID")]
    provider_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawNodeStatus {
    conditions: Vec<Condition>,
    node_info: RawNodeInfo,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawNodeInfo {
    kubelet_version: Option<String>,
}

impl From<RawNode> for NodeWire {
    fn from(raw: RawNode) -> Self {
        NodeWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            provider_id: raw.spec.provider_id,
            conditions: raw.status.conditions,
            kubelet_version: raw.status.node_info.kubelet_version,
        }
    }
}
wire_resource!(NodeWire, "", "v1", "Node", "nodes", ClusterResourceScope);

/// Deployments, StatefulSets and DaemonSets share what the console reads of them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WorkloadBody {
    pub metadata: Meta,
    pub spec: WorkloadSpec,
    pub status: WorkloadStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadSpec {
    pub replicas: Option<u32>,
    /// Deployment only: a paused rollout (ArgoCD: Suspended).
    pub paused: bool,
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PodTemplate {
    pub spec: PodTemplateSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PodTemplateSpec {
    pub containers: Vec<NamedContainer>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NamedContainer {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadStatus {
    pub observed_generation: Option<i64>,
    pub replicas: Option<u32>,
    pub ready_replicas: Option<u32>,
    pub updated_replicas: Option<u32>,
    pub available_replicas: Option<u32>,
    // DaemonSet
    pub desired_number_scheduled: Option<u32>,
    pub number_ready: Option<u32>,
    pub updated_number_scheduled: Option<u32>,
    pub number_available: Option<u32>,
    /// Deployment only; the console keeps just whether the progress deadline passed.
    pub conditions: Vec<WorkloadCondition>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WorkloadCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
}

impl WorkloadStatus {
    /// A Deployment's Progressing condition says its progress deadline passed.
    pub fn progress_deadline_exceeded(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| c.type_ == "Progressing" && c.reason == "ProgressDeadlineExceeded")
    }
}

macro_rules! workload_wire {
    ($ty:ident, $kind:literal, $plural:literal) => {
        #[derive(Debug, Clone, Deserialize)]
        #[serde(from = "WorkloadBody")]
        pub struct $ty {
            object_meta: ObjectMeta,
            pub body: WorkloadBody,
        }

        impl From<WorkloadBody> for $ty {
            fn from(body: WorkloadBody) -> Self {
                $ty {
                    object_meta: body.metadata.object_meta(),
                    body,
                }
            }
        }
        wire_resource!($ty, "apps", "v1", $kind, $plural, NamespaceResourceScope);
    };
}
workload_wire!(DeploymentWire, "Deployment", "deployments");
workload_wire!(StatefulSetWire, "StatefulSet", "statefulsets");
workload_wire!(DaemonSetWire, "DaemonSet", "daemonsets");

/// A core/v1 Event (watched with `type=Warning`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawEvent")]
pub struct EventWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub kind: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub involved: InvolvedObject,
    pub count: Option<u32>,
    pub last_timestamp: Option<String>,
    pub event_time: Option<String>,
    pub series_last_observed: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct InvolvedObject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawEvent {
    metadata: Meta,
    #[serde(rename = "type")]
    kind: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    involved_object: InvolvedObject,
    count: Option<u32>,
    last_timestamp: Option<String>,
    event_time: Option<String>,
    series: Option<RawSeries>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawSeries {
    last_observed_time: Option<String>,
    count: Option<u32>,
}

impl From<RawEvent> for EventWire {
    fn from(raw: RawEvent) -> Self {
        let series_count = raw.series.as_ref().and_then(|s| s.count);
        EventWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            kind: raw.kind,
            reason: raw.reason,
            message: raw.message,
            involved: raw.involved_object,
            count: raw.count.or(series_count),
            last_timestamp: raw.last_timestamp,
            event_time: raw.event_time,
            series_last_observed: raw.series.and_then(|s| s.last_observed_time),
        }
    }
}
wire_resource!(
    EventWire,
    "",
    "v1",
    "Event",
    "events",
    NamespaceResourceScope
);

#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawConfigMap")]
pub struct ConfigMapWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub data: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfigMap {
    metadata: Meta,
    #[serde(deserialize_with = "string_map")]
    data: BTreeMap<String, String>,
}

impl From<RawConfigMap> for ConfigMapWire {
    fn from(raw: RawConfigMap) -> Self {
        ConfigMapWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            data: raw.data,
        }
    }
}
wire_resource!(
    ConfigMapWire,
    "",
    "v1",
    "ConfigMap",
    "configmaps",
    NamespaceResourceScope
);

/// An ArgoCD cluster Secret. Of its data only `name` and `server` are decoded (the identity
/// `argocd cluster list` shows); `config`, which holds the credentials, is skipped unread.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawClusterSecret")]
pub struct ClusterSecretWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub cluster_name: Option<String>,
    pub server: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawClusterSecret {
    metadata: Meta,
    data: ClusterSecretData,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClusterSecretData {
    name: Option<Base64Text>,
    server: Option<Base64Text>,
}

/// A base64 Secret value decoded as UTF-8 text; undecodable values read as absent.
struct Base64Text(Option<String>);

impl<'de> Deserialize<'de> for Base64Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let encoded = Option::<String>::deserialize(d)?.unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        Ok(Base64Text(decoded))
    }
}

impl From<RawClusterSecret> for ClusterSecretWire {
    fn from(raw: RawClusterSecret) -> Self {
        ClusterSecretWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            cluster_name: raw.data.name.and_then(|t| t.0),
            server: raw.data.server.and_then(|t| t.0),
        }
    }
}
wire_resource!(
    ClusterSecretWire,
    "",
    "v1",
    "Secret",
    "secrets",
    NamespaceResourceScope
);

#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawStorageClass")]
pub struct StorageClassWire {
    object_meta: ObjectMeta,
    pub meta: Meta,
    pub provisioner: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStorageClass {
    metadata: Meta,
    provisioner: String,
}

impl From<RawStorageClass> for StorageClassWire {
    fn from(raw: RawStorageClass) -> Self {
        StorageClassWire {
            object_meta: raw.metadata.object_meta(),
            meta: raw.metadata,
            provisioner: raw.provisioner,
        }
    }
}
wire_resource!(
    StorageClassWire,
    "storage.k8s.io",
    "v1",
    "StorageClass",
    "storageclasses",
    ClusterResourceScope
);

/// Watched metadata-only: only names matter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CrdMarker {
    #[serde(skip)]
    object_meta: ObjectMeta,
}
wire_resource!(
    CrdMarker,
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    ClusterResourceScope
);

/// Watched metadata-only: the console lists project names.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppProjectMarker {
    #[serde(skip)]
    object_meta: ObjectMeta,
}
wire_resource!(
    AppProjectMarker,
    "argoproj.io",
    "v1alpha1",
    "AppProject",
    "appprojects",
    NamespaceResourceScope
);

// ---------------------------------------------------------------- ArgoCD

/// An Application, read tolerantly: an object that does not fit the console's types is kept
/// as `Err(reason)` (with its name) instead of failing the whole list.
#[derive(Debug, Clone)]
pub struct ApplicationWire {
    object_meta: ObjectMeta,
    pub application: Result<Box<Application>, String>,
}

impl<'de> Deserialize<'de> for ApplicationWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let object_meta = object_meta_of(&value);
        let application = Application::deserialize(&value)
            .map(Box::new)
            .map_err(|e| e.to_string());
        Ok(ApplicationWire {
            object_meta,
            application,
        })
    }
}
wire_resource!(
    ApplicationWire,
    "argoproj.io",
    "v1alpha1",
    "Application",
    "applications",
    NamespaceResourceScope
);

impl ApplicationWire {
    pub fn name(&self) -> &str {
        self.object_meta.name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.object_meta.namespace.as_deref().unwrap_or_default()
    }
}

/// An ApplicationSet, read tolerantly like [`ApplicationWire`].
#[derive(Debug, Clone)]
pub struct ApplicationSetWire {
    object_meta: ObjectMeta,
    pub applicationset: Result<Box<ApplicationSet>, String>,
}

impl<'de> Deserialize<'de> for ApplicationSetWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let object_meta = object_meta_of(&value);
        let applicationset = ApplicationSet::deserialize(&value)
            .map(Box::new)
            .map_err(|e| e.to_string());
        Ok(ApplicationSetWire {
            object_meta,
            applicationset,
        })
    }
}
wire_resource!(
    ApplicationSetWire,
    "argoproj.io",
    "v1alpha1",
    "ApplicationSet",
    "applicationsets",
    NamespaceResourceScope
);

impl ApplicationSetWire {
    pub fn name(&self) -> &str {
        self.object_meta.name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.object_meta.namespace.as_deref().unwrap_or_default()
    }
}

fn object_meta_of(value: &Value) -> ObjectMeta {
    let text = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    ObjectMeta {
        name: text("/metadata/name"),
        namespace: text("/metadata/namespace"),
        resource_version: text("/metadata/resourceVersion"),
        ..ObjectMeta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cluster_secret_reads_name_and_server_only() {
        let secret: ClusterSecretWire = serde_json::from_value(json!({
            "metadata": {"name": "cluster-dev", "namespace": "argocd", "resourceVersion": "7",
                "labels": {"argocd.argoproj.io/secret-type": "cluster", "environment": "dev"},
                "annotations": {LAST_APPLIED: "{\"data\":{\"config\":\"c2VjcmV0\"}}", "team": "a"}},
            "data": {"name": "ZGV2", "server": "aHR0cHM6Ly9kZXY6NjQ0Mw==", "config": "c2VjcmV0"}
        }))
        .expect("secret");
        assert_eq!(secret.cluster_name.as_deref(), Some("dev"));
        assert_eq!(secret.server.as_deref(), Some("https://dev:6443"));
        assert_eq!(secret.meta.labels["environment"], "dev");
        assert!(!secret.meta.annotations.contains_key(LAST_APPLIED));
        assert_eq!(secret.meta.annotations["team"], "a");
        let debug = format!("{secret:?}");
        assert!(
            !debug.contains("c2VjcmV0") && !debug.contains("secret\""),
            "{debug}"
        );
        assert_eq!(secret.meta().resource_version.as_deref(), Some("7"));
    }

    #[test]
    fn pod_keeps_what_is_shown() {
        let pod: PodWire = serde_json::from_value(json!({
            "metadata": {"name": "web-1", "namespace": "ns", "resourceVersion": "3",
                "labels": {"pod-template-hash": "abc"}, "annotations": null,
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]},
            "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "nginx"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"ready": false, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1}}}]}
        }))
        .expect("pod");
        assert_eq!(
            pod.meta.controller().map(|o| o.name.as_str()),
            Some("web-abc")
        );
        assert_eq!(pod.spec.node_name.as_deref(), Some("n1"));
        let c = &pod.status.container_statuses[0];
        assert_eq!(c.restart_count, 4);
        assert!(c.last_state.terminated.is_some());
        assert_eq!(
            c.state.waiting.as_ref().and_then(|w| w.reason.as_deref()),
            Some("CrashLoopBackOff")
        );
        assert_eq!(
            PodWire::url_path(&(), Some("ns")),
            "/api/v1/namespaces/ns/pods"
        );
    }

    #[test]
    fn a_bad_application_does_not_fail_the_list() {
        let list: Vec<ApplicationWire> = serde_json::from_value(json!([
            {"metadata": {"name": "ok", "namespace": "argocd"}, "spec": {"project": "default", "destination": {}}},
            {"metadata": {"name": "bad", "namespace": "argocd"}, "spec": {"project": 5}}
        ]))
        .expect("list");
        assert!(list[0].application.is_ok());
        assert_eq!(list[1].name(), "bad");
        assert!(list[1].application.is_err());
        assert_eq!(
            ApplicationWire::url_path(&(), Some("argocd")),
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
        );
    }

    #[test]
    fn daemonset_status_fields() {
        let ds: DaemonSetWire = serde_json::from_value(json!({
            "metadata": {"name": "cilium", "namespace": "kube-system", "generation": 2},
            "status": {"desiredNumberScheduled": 3, "numberReady": 2, "observedGeneration": 2}
        }))
        .expect("ds");
        assert_eq!(ds.body.status.desired_number_scheduled, Some(3));
        assert_eq!(ds.body.status.number_ready, Some(2));
    }
}
