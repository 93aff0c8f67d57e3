//! Kubernetes Events on Applications, as ArgoCD's controller emits them (`OperationStarted`,
//! `OperationCompleted`, `ResourceUpdated`). Only the newest events are kept, as the API
//! server's event TTL would.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::sim::api::{DeleteOptions, WriteContext};
use crate::sim::cluster::ClusterState;

use super::clock::Clock;

pub const REASON_OPERATION_STARTED: &str = "OperationStarted";
pub const REASON_OPERATION_COMPLETED: &str = "OperationCompleted";
pub const REASON_RESOURCE_UPDATED: &str = "ResourceUpdated";

const COMPONENT: &str = "argocd-application-controller";

/// Writes Events into the management cluster and deletes the oldest past a limit.
pub struct EventRecorder {
    cluster: Arc<ClusterState>,
    clock: Clock,
    kept: Mutex<VecDeque<(String, String)>>,
    limit: usize,
}

/// Normal or Warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventRecorder {
    pub fn new(cluster: Arc<ClusterState>, clock: Clock, limit: usize) -> Self {
        Self {
            cluster,
            clock,
            kept: Mutex::new(VecDeque::new()),
            limit: limit.max(1),
        }
    }

    /// Records an event about an Application (given as stored).
    pub fn record(&self, app: &Value, kind: EventType, reason: &str, message: &str) {
        let meta = |field: &str| {
            app.pointer(&format!("/metadata/{field}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (name, namespace) = (meta("name"), meta("namespace"));
        let now = self.clock.now_micros();
        let event_name = format!(
            "{name}.{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": event_name, "namespace": namespace},
            "involvedObject": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "name": name,
                "namespace": namespace,
                "uid": meta("uid"),
                "resourceVersion": meta("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": match kind { EventType::Normal => "Normal", EventType::Warning => "Warning" },
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": format!("{COMPONENT}-0"),
            "firstTimestamp": self.clock.timestamp(),
            "lastTimestamp": self.clock.timestamp(),
            "eventTime": now,
            "action": reason,
            "count": 1,
        });
        let Some(rt) = self.cluster.registry.read().by_kind("v1", "Event") else {
            return;
        };
        let ctx = WriteContext::controller(COMPONENT);
        match self.cluster.create(&rt, &namespace, event, &ctx) {
            Ok(_) => self.keep(namespace, event_name, &rt),
            Err(err) => tracing::debug!(%err, app = %name, "recording an ArgoCD event failed"),
        }
    }

    fn keep(&self, namespace: String, name: String, rt: &crate::sim::resources::ResourceType) {
        let expired = {
            let mut kept = self.kept.lock();
            kept.push_back((namespace, name));
            let excess = kept.len().saturating_sub(self.limit);
            kept.drain(..excess).collect::<Vec<_>>()
        };
        let ctx = WriteContext::controller(COMPONENT);
        for (namespace, name) in expired {
            // Someone else may have deleted it already.
            let _ = self
                .cluster
                .delete(rt, &namespace, &name, &DeleteOptions::default(), &ctx);
        }
    }
}
