//! The controllers' only way to change the cluster: the API semantics of [`ClusterState`]
//! (validation, resourceVersions, managedFields, watch events), as a named controller.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::sim::api::{DeleteOptions, Part, PatchType, WriteContext};
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::resources::{ResourceKey, ResourceType};
use crate::sim::store::Write;

/// Field managers and event sources, as the real components are called.
pub const KUBELET: &str = "kubelet";
pub const SCHEDULER: &str = "default-scheduler";
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// Counters the handle exposes (benchmarks and tests read them).
#[derive(Debug, Default)]
pub struct Counters {
    pub writes: AtomicU64,
    pub write_errors: AtomicU64,
    pub events_recorded: AtomicU64,
    pub events_dropped: AtomicU64,
    pub events_expired: AtomicU64,
    pub log_lines: AtomicU64,
    pub churn_changes: AtomicU64,
    pub resyncs: AtomicU64,
    pub pods: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The served types the controllers write.
pub struct Types {
    pub pods: Arc<ResourceType>,
    pub nodes: Arc<ResourceType>,
    pub events: Arc<ResourceType>,
    pub replicasets: Arc<ResourceType>,
    pub deployments: Arc<ResourceType>,
    pub statefulsets: Arc<ResourceType>,
    pub daemonsets: Arc<ResourceType>,
    pub pvcs: Arc<ResourceType>,
    pub services: Arc<ResourceType>,
}

impl Types {
    /// The built-in types, or the name of the first one the cluster does not serve.
    pub fn of(cluster: &ClusterState) -> Result<Types, String> {
        let registry = cluster.registry.read();
        let get = |api_version: &str, kind: &str| {
            registry
                .by_kind(api_version, kind)
                .ok_or_else(|| format!("{kind} ({api_version})"))
        };
        Ok(Types {
            pods: get("v1", "Pod")?,
            nodes: get("v1", "Node")?,
            events: get("v1", "Event")?,
            replicasets: get("apps/v1", "ReplicaSet")?,
            deployments: get("apps/v1", "Deployment")?,
            statefulsets: get("apps/v1", "StatefulSet")?,
            daemonsets: get("apps/v1", "DaemonSet")?,
            pvcs: get("v1", "PersistentVolumeClaim")?,
            services: get("v1", "Service")?,
        })
    }
}

/// Writes through the cluster's API semantics and counts what it did.
pub struct Writer {
    pub cluster: Arc<ClusterState>,
    pub types: Types,
    pub counters: Arc<Counters>,
}

/// The resourceVersion of a stored object (0 if absent).
pub fn rv_of(obj: &Value) -> u64 {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

impl Writer {
    fn done<T>(&self, what: &str, result: Result<T, ApiError>) -> Result<T, ApiError> {
        match &result {
            Ok(_) => Counters::add(&self.counters.writes, 1),
            Err(e) => {
                Counters::add(&self.counters.write_errors, 1);
                if e.code != 404 && e.code != 409 {
                    tracing::warn!("{} sim workloads: {what} failed: {e}", self.cluster.name);
                }
            }
        }
        result
    }

    /// The current object, parsed.
    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Option<Value> {
        self.cluster.get(rt, namespace, name).ok()?.value().ok()
    }

    pub fn create(
        &self,
        rt: &ResourceType,
        namespace: &str,
        obj: Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        let result = self
            .cluster
            .create(rt, namespace, obj, &WriteContext::controller(manager));
        self.done(&format!("creating a {} in {namespace:?}", rt.kind), result)
    }

    /// Replaces the `status` of an object (the `/status` subresource).
    pub fn status(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        status: Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        let mut metadata = json!({"name": name});
        if rt.namespaced {
            metadata["namespace"] = json!(namespace);
        }
        let body = json!({
            "apiVersion": rt.api_version(),
            "kind": rt.kind,
            "metadata": metadata,
            "status": status,
        });
        let result = self.cluster.replace(
            rt,
            namespace,
            name,
            body,
            Part::Status,
            &WriteContext::controller(manager),
        );
        self.done(
            &format!("writing the status of {} {namespace}/{name}", rt.kind),
            result,
        )
    }

    /// A JSON merge patch of the object or its status.
    pub fn merge(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        patch: &Value,
        part: Part,
        manager: &str,
    ) -> Result<Value, ApiError> {
        let result = self
            .cluster
            .patch(
                rt,
                namespace,
                name,
                PatchType::Merge,
                patch,
                part,
                false,
                &WriteContext::controller(manager),
            )
            .map(|(v, _)| v);
        self.done(&format!("patching {} {namespace}/{name}", rt.kind), result)
    }

    pub fn delete(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        manager: &str,
    ) -> Result<(), ApiError> {
        let result = self
            .cluster
            .delete(
                rt,
                namespace,
                name,
                &DeleteOptions::default(),
                &WriteContext::controller(manager),
            )
            .map(|_| ());
        self.done(&format!("deleting {} {namespace}/{name}", rt.kind), result)
    }

    /// Removes an expired Event the way etcd's lease TTL does: straight from storage (with
    /// a DELETED watch event), without the API's garbage-collection pass, since events own
    /// nothing and that pass scans the whole store.
    pub fn expire_event(&self, namespace: &str, name: &str) {
        let key = ResourceKey::new("", "events");
        let removed = self
            .cluster
            .store
            .write(&key, namespace, name, false, |current, _| match current {
                Some(entry) => Ok(Write::Delete(entry.value()?)),
                None => Ok(Write::Unchanged),
            });
        match removed {
            Ok(_) => Counters::add(&self.counters.events_expired, 1),
            Err(e) => tracing::warn!(
                "{} sim workloads: expiring event {namespace}/{name} failed: {e}",
                self.cluster.name
            ),
        }
    }
}
