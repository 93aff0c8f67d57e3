//! Small typed helpers over a simulated cluster for the in-process controllers: every write
//! goes through `ClusterState` with the controller's field manager, so it gets
//! resourceVersions, generation, managedFields and watch events like an HTTP write.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::api::{DeleteOptions, Part, PatchType, WriteContext};
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::resources::{ResourceKey, ResourceType};

use super::settings::NAMESPACE;

/// Field manager of the application controller (writes to Applications).
pub const APP_CONTROLLER: &str = "argocd-application-controller";
/// Field manager of the ApplicationSet controller.
pub const APPSET_CONTROLLER: &str = "argocd-applicationset-controller";
/// Field manager ArgoCD applies managed resources with.
pub const RESOURCE_MANAGER: &str = "argocd-controller";

pub fn applications() -> ResourceKey {
    ResourceKey::new("argoproj.io", "applications")
}

pub fn application_sets() -> ResourceKey {
    ResourceKey::new("argoproj.io", "applicationsets")
}

/// The served type for a group/plural, or a 404 naming it.
pub fn served(
    cluster: &ClusterState,
    group: &str,
    plural: &str,
) -> Result<Arc<ResourceType>, ApiError> {
    cluster
        .registry
        .read()
        .all()
        .find(|t| t.group == group && t.plural == plural)
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the server could not find the requested resource ({plural}.{group}) in cluster {}",
                cluster.name
            ))
        })
}

/// The served type of an `apiVersion`/`kind` pair.
pub fn served_kind(
    cluster: &ClusterState,
    api_version: &str,
    kind: &str,
) -> Option<Arc<ResourceType>> {
    let registry = cluster.registry.read();
    registry.by_kind(api_version, kind).or_else(|| {
        // Another version of the same group and kind is as good for reading and writing.
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        registry
            .all()
            .find(|t| t.group == group && t.kind == kind)
            .cloned()
    })
}

/// One object as stored.
pub fn get(
    cluster: &ClusterState,
    key: &ResourceKey,
    namespace: &str,
    name: &str,
) -> Option<Value> {
    cluster.store.get(key, namespace, name)?.value().ok()
}

/// An Application in ArgoCD's namespace.
pub fn get_app(mgmt: &ClusterState, name: &str) -> Option<Value> {
    get(mgmt, &applications(), NAMESPACE, name)
}

/// Names of every object of a resource in a namespace.
pub fn names(cluster: &ClusterState, key: &ResourceKey, namespace: &str) -> Vec<String> {
    cluster
        .store
        .list(key, Some(namespace), None, None, &|_| true)
        .items
        .iter()
        .map(|e| e.name.clone())
        .collect()
}

fn ctx(manager: &str) -> WriteContext {
    WriteContext::controller(manager)
}

/// PATCH as `manager`.
pub fn patch(
    cluster: &ClusterState,
    key: &ResourceKey,
    namespace: &str,
    name: &str,
    patch_type: PatchType,
    body: &Value,
    manager: &str,
) -> Result<Value, ApiError> {
    let rt = served(cluster, &key.group, &key.plural)?;
    cluster
        .patch(
            &rt,
            namespace,
            name,
            patch_type,
            body,
            Part::Main,
            false,
            &ctx(manager),
        )
        .map(|(v, _)| v)
}

/// POST as `manager`.
pub fn create(
    cluster: &ClusterState,
    key: &ResourceKey,
    namespace: &str,
    obj: Value,
    manager: &str,
) -> Result<Value, ApiError> {
    let rt = served(cluster, &key.group, &key.plural)?;
    cluster.create(&rt, namespace, obj, &ctx(manager))
}

/// DELETE as `manager`.
pub fn delete(
    cluster: &ClusterState,
    key: &ResourceKey,
    namespace: &str,
    name: &str,
    manager: &str,
) -> Result<Value, ApiError> {
    let rt = served(cluster, &key.group, &key.plural)?;
    cluster.delete(
        &rt,
        namespace,
        name,
        &DeleteOptions::default(),
        &ctx(manager),
    )
}

/// A string field of an object, empty when absent.
pub fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}
