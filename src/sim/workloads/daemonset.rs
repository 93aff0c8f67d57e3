//! The DaemonSet controller: one pod per eligible node (schedulable, matching the template's
//! `nodeSelector`), bound straight to its node with the tolerations daemon pods get, rolled
//! node by node within `maxUnavailable` on a template change.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::cache::{CONTROLLER_REVISION_HASH, int, text};
use super::controller::{Controller, OwnerKind};
use super::events::Involved;
use super::naming::template_hash;
use super::pod::Key;
use super::replicaset::{available, pod_from_template};
use super::rollout::int_or_percent;
use super::writer::CONTROLLER_MANAGER;

const DS_CONTROLLER: &str = "daemonset-controller";

/// The tolerations the DaemonSet controller adds to every daemon pod.
fn daemon_tolerations() -> Vec<Value> {
    let mut t = vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}),
    ];
    for key in [
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ] {
        t.push(json!({"key": key, "operator": "Exists", "effect": "NoSchedule"}));
    }
    t
}

impl Controller {
    fn ds_event(&mut self, key: &Key, uid: &Arc<str>, reason: &str, message: &str) {
        let involved = Involved::object("apps/v1", "DaemonSet", key, uid);
        self.controller_event(&involved, DS_CONTROLLER, reason, message);
    }

    /// Nodes that should run a daemon pod: schedulable and matching the selector.
    fn eligible_nodes(&self, selector: &BTreeMap<String, String>) -> Vec<Arc<str>> {
        self.nodes
            .iter()
            .filter(|(_, n)| {
                !n.unschedulable
                    && selector
                        .iter()
                        .all(|(k, v)| n.labels.get(k).is_some_and(|nv| nv == v))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    pub fn reconcile_daemonset(&mut self, key: &Key) {
        let Some(meta) = self.daemonsets.get(key).cloned() else {
            return;
        };
        if meta.deleting {
            return;
        }
        let daemonsets = self.w.types.daemonsets.clone();
        let Some(ds) = self.w.get(&daemonsets, &key.0, &key.1) else {
            return;
        };
        let uid = meta.uid.clone();
        let template = ds
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let hash = template_hash(&template, 0);
        let selector: BTreeMap<String, String> = template
            .pointer("/spec/nodeSelector")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or_default();
        let eligible = self.eligible_nodes(&selector);
        let mut by_node: HashMap<Arc<str>, Vec<Key>> = HashMap::new();
        let mut unbound = Vec::new();
        for pod_key in self.owned_pods(&uid) {
            match self.pods.get(&pod_key).and_then(|p| p.node.clone()) {
                Some(node) => by_node.entry(node).or_default().push(pod_key),
                None => unbound.push(pod_key),
            }
        }
        // Pods on nodes that should not run one, and duplicates, go.
        let mut surplus: Vec<Key> = unbound;
        for (node, pods) in &by_node {
            if eligible.contains(node) {
                surplus.extend(pods.iter().skip(1).cloned());
            } else {
                surplus.extend(pods.iter().cloned());
            }
        }
        for pod_key in surplus {
            if !self.has_budget() {
                self.queues.daemonsets.push(key.clone());
                return;
            }
            if self.delete_pod(&pod_key, CONTROLLER_MANAGER) {
                let message = format!("Deleted pod: {}", pod_key.1);
                self.ds_event(key, &uid, "SuccessfulDelete", &message);
            }
        }
        for node in &eligible {
            if by_node.contains_key(node) {
                continue;
            }
            if !self.has_budget() {
                self.queues.daemonsets.push(key.clone());
                return;
            }
            self.create_daemon_pod(
                key,
                &uid,
                &template,
                &hash,
                int(&ds, "/metadata/generation"),
                node,
            );
        }
        self.roll_daemon_pods(key, &uid, &ds, &hash, &eligible);
        self.write_ds_status(key, &ds, &hash, &eligible);
    }

    fn create_daemon_pod(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        template: &Value,
        hash: &str,
        generation: i64,
        node: &Arc<str>,
    ) {
        let mut template = template.clone();
        if let Some(spec) = template.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(&**node));
            let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
            if let Some(list) = tolerations.as_array_mut() {
                list.extend(daemon_tolerations());
            }
        }
        let name = format!("{}-{}", key.1, self.rng.suffix(5));
        let prefix = format!("{}-", key.1);
        let pod = pod_from_template(
            &template,
            &key.0,
            &name,
            Some(&prefix),
            "DaemonSet",
            &key.1,
            uid,
            &[
                (CONTROLLER_REVISION_HASH, hash.to_string()),
                ("pod-template-generation", generation.to_string()),
            ],
        );
        if let Some(created) = self.create_pod(&key.0, pod) {
            let message = format!("Created pod: {created}");
            self.ds_event(key, uid, "SuccessfulCreate", &message);
        }
    }

    /// Replaces outdated daemon pods, keeping at most `maxUnavailable` nodes without one.
    fn roll_daemon_pods(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        ds: &Value,
        hash: &str,
        eligible: &[Arc<str>],
    ) {
        if text(ds, "/spec/updateStrategy/type") == "OnDelete" {
            return;
        }
        let desired = eligible.len() as i64;
        let max_unavailable = int_or_percent(
            ds.pointer("/spec/updateStrategy/rollingUpdate/maxUnavailable"),
            "1",
            desired,
            true,
        )
        .max(1);
        let now = Instant::now();
        let min_ready = self.clock.scaled(std::time::Duration::from_secs(
            int(ds, "/spec/minReadySeconds").max(0) as u64,
        ));
        let pods = self.owned_pods(uid);
        let mut unavailable = desired;
        let mut outdated_available = Vec::new();
        let mut outdated_unavailable = Vec::new();
        for pod_key in &pods {
            let Some(pod) = self.pods.get(pod_key) else {
                continue;
            };
            let is_available = available(pod, min_ready, now);
            if is_available {
                unavailable -= 1;
            }
            if pod.revision.as_deref() != Some(hash) {
                if is_available {
                    outdated_available.push(pod_key.clone());
                } else {
                    outdated_unavailable.push(pod_key.clone());
                }
            }
        }
        // Outdated pods that are not available anyway can go at once.
        let mut doomed = outdated_unavailable;
        let room = (max_unavailable - unavailable.max(0)).max(0) as usize;
        doomed.extend(outdated_available.into_iter().take(room));
        for pod_key in doomed {
            if !self.has_budget() {
                self.queues.daemonsets.push(key.clone());
                return;
            }
            if self.delete_pod(&pod_key, CONTROLLER_MANAGER) {
                let message = format!("Deleted pod: {}", pod_key.1);
                self.ds_event(key, uid, "SuccessfulDelete", &message);
            }
        }
    }

    fn write_ds_status(&mut self, key: &Key, ds: &Value, hash: &str, eligible: &[Arc<str>]) {
        let Some(meta) = self.daemonsets.get(key) else {
            return;
        };
        let uid = meta.uid.clone();
        let now = Instant::now();
        let min_ready = self.clock.scaled(std::time::Duration::from_secs(
            int(ds, "/spec/minReadySeconds").max(0) as u64,
        ));
        let (mut scheduled, mut misscheduled, mut ready, mut updated, mut avail) = (0, 0, 0, 0, 0);
        for pod_key in self.owned_pods(&uid) {
            let Some(pod) = self.pods.get(&pod_key) else {
                continue;
            };
            let on_eligible = pod.node.as_ref().is_some_and(|n| eligible.contains(n));
            if !on_eligible {
                misscheduled += 1;
                continue;
            }
            scheduled += 1;
            if pod.is_ready() {
                ready += 1;
            }
            if available(pod, min_ready, now) {
                avail += 1;
            }
            if pod.revision.as_deref() == Some(hash) {
                updated += 1;
            }
        }
        let desired = eligible.len() as i64;
        let mut status = Map::new();
        status.insert("currentNumberScheduled".into(), json!(scheduled));
        status.insert("numberMisscheduled".into(), json!(misscheduled));
        status.insert("desiredNumberScheduled".into(), json!(desired));
        status.insert("numberReady".into(), json!(ready));
        status.insert(
            "observedGeneration".into(),
            json!(int(ds, "/metadata/generation")),
        );
        if updated > 0 {
            status.insert("updatedNumberScheduled".into(), json!(updated));
        }
        if avail > 0 {
            status.insert("numberAvailable".into(), json!(avail));
        }
        if desired - avail > 0 {
            status.insert("numberUnavailable".into(), json!(desired - avail));
        }
        let status = Value::Object(status);
        if ds.get("status") == Some(&status) {
            return;
        }
        self.workload_status_write(OwnerKind::DaemonSet, key, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_pods_tolerate_node_trouble() {
        let t = daemon_tolerations();
        assert!(
            t.iter()
                .any(|t| t["key"] == "node.kubernetes.io/not-ready" && t["effect"] == "NoExecute")
        );
        assert_eq!(t.len(), 6);
    }
}
