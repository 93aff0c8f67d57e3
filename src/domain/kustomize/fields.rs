//! Reading and locating fields of Kubernetes manifests for the transformers.

use serde_json::{Map, Value};

pub fn text<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

pub fn kind(obj: &Value) -> &str {
    text(obj, "/kind").unwrap_or_default()
}

pub fn name(obj: &Value) -> &str {
    text(obj, "/metadata/name").unwrap_or_default()
}

pub fn namespace(obj: &Value) -> Option<&str> {
    text(obj, "/metadata/namespace").filter(|s| !s.is_empty())
}

/// (group, version) of a manifest's apiVersion.
pub fn group_version(obj: &Value) -> (&str, &str) {
    let api_version = text(obj, "/apiVersion").unwrap_or_default();
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// Built-in kinds that have no namespace; the namespace transformer leaves them alone. Like
/// kustomize without a cluster's schema, custom kinds are treated as namespaced (the API server
/// ignores the namespace of a cluster-scoped object when it is applied).
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "CustomResourceDefinition"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "StorageClass"
            | "PersistentVolume"
            | "PriorityClass"
            | "IngressClass"
            | "RuntimeClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "Node"
            | "CertificateSigningRequest"
    )
}

/// The object at `pointer`, created (as `{}`) if absent.
pub fn object_at<'a>(obj: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut current = obj;
    for key in path {
        let map = current.as_object_mut()?;
        current = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    current.as_object_mut()
}

/// JSON pointers of the pod specs a workload kind carries.
pub fn pod_spec_pointers(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["/spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["/spec/template/spec"],
        "CronJob" => &["/spec/jobTemplate/spec/template/spec"],
        _ => &[],
    }
}

/// Pointers of the pod template metadata a workload kind carries.
pub fn template_metadata_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some(&["spec", "template", "metadata"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "metadata"]),
        _ => None,
    }
}

/// Applies `f` to every container (and init container) of a manifest's pod specs.
pub fn for_each_container(obj: &mut Value, mut f: impl FnMut(&mut Value)) {
    for pointer in pod_spec_pointers(kind(obj)) {
        let Some(spec) = obj.pointer_mut(pointer) else {
            continue;
        };
        for list in ["containers", "initContainers"] {
            if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
                containers.iter_mut().for_each(&mut f);
            }
        }
    }
}
