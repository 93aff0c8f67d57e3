//! The ReplicaSet controller: as many pods as `spec.replicas` (created from the template,
//! owned by the ReplicaSet, the least useful deleted first), and the status counts.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::controller::{Controller, RsStatus, Timer};
use super::events::Involved;
use super::pod::{Key, Phase, PodState};
use super::writer::{CONTROLLER_MANAGER, rv_of};

const RS_CONTROLLER: &str = "replicaset-controller";

/// Order in which surplus pods go: unscheduled, pending, not ready, then the youngest.
fn deletion_rank(pod: &PodState) -> (u8, std::cmp::Reverse<Instant>) {
    let class = if pod.node.is_none() {
        0
    } else if pod.phase == Phase::Pending {
        1
    } else if !pod.ready {
        2
    } else {
        3
    };
    (
        class,
        std::cmp::Reverse(pod.ready_since.unwrap_or(pod.created_at)),
    )
}

/// Is the pod available: Ready for at least `min_ready_seconds` (simulated)?
pub fn available(pod: &PodState, min_ready: Duration, now: Instant) -> bool {
    pod.is_ready()
        && pod
            .ready_since
            .is_some_and(|since| now.saturating_duration_since(since) >= min_ready)
}

/// A pod object from a workload's template, owned by the workload.
#[allow(clippy::too_many_arguments)]
pub fn pod_from_template(
    template: &Value,
    namespace: &str,
    name: &str,
    generate_name: Option<&str>,
    owner_kind: &str,
    owner_name: &str,
    owner_uid: &str,
    extra_labels: &[(&str, String)],
) -> Value {
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in extra_labels {
        labels.insert((*k).to_string(), json!(v));
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(prefix) = generate_name {
        metadata.insert("generateName".into(), json!(prefix));
    }
    metadata.insert("namespace".into(), json!(namespace));
    metadata.insert("labels".into(), Value::Object(labels));
    if let Some(annotations) = template
        .pointer("/metadata/annotations")
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        metadata.insert("annotations".into(), annotations.clone());
    }
    metadata.insert(
        "ownerReferences".into(),
        json!([{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner_name, "uid": owner_uid,
                "controller": true, "blockOwnerDeletion": true}]),
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

impl Controller {
    /// Active pods owned by `uid`.
    pub fn owned_pods(&self, uid: &Arc<str>) -> Vec<Key> {
        self.pods_by_owner
            .get(uid)
            .map(|set| {
                set.iter()
                    .filter(|k| self.pods.get(*k).is_some_and(PodState::is_active))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn rs_event(&mut self, key: &Key, uid: &Arc<str>, reason: &str, message: &str) {
        let involved = Involved::object("apps/v1", "ReplicaSet", key, uid);
        self.controller_event(&involved, RS_CONTROLLER, reason, message);
    }

    /// Creates a pod and starts simulating it right away (its watch echo is then skipped).
    /// Returns the pod's name, or None if the API refused.
    pub fn create_pod(&mut self, namespace: &Arc<str>, pod: Value) -> Option<Arc<str>> {
        let pods = self.w.types.pods.clone();
        let written = self
            .create_write(&pods, namespace, pod, CONTROLLER_MANAGER)
            .ok()?;
        let name: Arc<str> = Arc::from(written.pointer("/metadata/name")?.as_str()?);
        let key: Key = (namespace.clone(), name.clone());
        self.adopt_pod(key, &written);
        Some(name)
    }

    pub fn reconcile_replicaset(&mut self, key: &Key) {
        let Some(info) = self.replicasets.get(key).cloned() else {
            return;
        };
        if info.deleting {
            return;
        }
        let pods = self.owned_pods(&info.uid);
        let diff = info.spec_replicas - pods.len() as i64;
        if diff > 0 && !self.create_rs_pods(key, &info.uid, diff as usize) {
            // Out of budget (or refused): carry on next round.
            self.queues.replicasets.push(key.clone());
        }
        if diff < 0 {
            let mut victims: Vec<(Key, (u8, std::cmp::Reverse<Instant>))> = pods
                .iter()
                .filter_map(|k| self.pods.get(k).map(|p| (k.clone(), deletion_rank(p))))
                .collect();
            victims.sort_by_key(|v| v.1);
            for (victim, _) in victims.into_iter().take((-diff) as usize) {
                if !self.has_budget() {
                    self.queues.replicasets.push(key.clone());
                    break;
                }
                if self.delete_pod(&victim, CONTROLLER_MANAGER) {
                    let message = format!("Deleted pod: {}", victim.1);
                    self.rs_event(key, &info.uid, "SuccessfulDelete", &message);
                }
            }
        }
        self.write_rs_status(key);
    }

    /// Creates up to `n` pods; false if it could not create them all now.
    fn create_rs_pods(&mut self, key: &Key, uid: &Arc<str>, n: usize) -> bool {
        let replicasets = self.w.types.replicasets.clone();
        let Some(rs) = self.w.get(&replicasets, &key.0, &key.1) else {
            return true;
        };
        let template = rs
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        for _ in 0..n {
            if !self.has_budget() {
                return false;
            }
            let name = format!("{}-{}", key.1, self.rng.suffix(5));
            let prefix = format!("{}-", key.1);
            let pod = pod_from_template(
                &template,
                &key.0,
                &name,
                Some(&prefix),
                "ReplicaSet",
                &key.1,
                uid,
                &[],
            );
            match self.create_pod(&key.0, pod) {
                Some(created) => {
                    let message = format!("Created pod: {created}");
                    self.rs_event(key, uid, "SuccessfulCreate", &message);
                }
                None => return false,
            }
        }
        true
    }

    /// Counts the pods into `status`, and writes it when it changed.
    pub fn write_rs_status(&mut self, key: &Key) {
        let Some(info) = self.replicasets.get(key).cloned() else {
            return;
        };
        let now = Instant::now();
        let min_ready = self
            .clock
            .scaled(Duration::from_secs(info.min_ready_seconds.max(0) as u64));
        let pods = self.owned_pods(&info.uid);
        let mut status = RsStatus {
            replicas: pods.len() as i64,
            observed_generation: info.generation,
            ..Default::default()
        };
        let mut next_available: Option<Instant> = None;
        for k in &pods {
            let Some(pod) = self.pods.get(k) else {
                continue;
            };
            if pod.is_ready() {
                status.ready += 1;
                if available(pod, min_ready, now) {
                    status.available += 1;
                } else if let Some(since) = pod.ready_since {
                    let at = since + min_ready;
                    next_available = Some(next_available.map_or(at, |n| n.min(at)));
                }
            }
        }
        if let Some(at) = next_available {
            self.timers.schedule(at, Timer::Owner(info.uid.clone()));
        }
        if status == info.status {
            return;
        }
        let mut body = Map::new();
        body.insert("replicas".into(), json!(status.replicas));
        if status.replicas > 0 {
            body.insert("fullyLabeledReplicas".into(), json!(status.replicas));
        }
        if status.ready > 0 {
            body.insert("readyReplicas".into(), json!(status.ready));
        }
        if status.available > 0 {
            body.insert("availableReplicas".into(), json!(status.available));
        }
        body.insert(
            "observedGeneration".into(),
            json!(status.observed_generation),
        );
        let replicasets = self.w.types.replicasets.clone();
        match self.status_write(&replicasets, key, Value::Object(body), CONTROLLER_MANAGER) {
            Ok(written) => {
                let rv = rv_of(&written);
                if let Some(rs) = self.replicasets.get_mut(key) {
                    rs.status = status;
                    rs.rv = rs.rv.max(rv);
                }
                if let Some(owner) = info.owner {
                    self.owner_dirty(&owner);
                }
            }
            Err(e) if e.code == 404 => {}
            Err(_) => self.queues.replicasets.push(key.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_from_templates_carry_labels_annotations_and_owner() {
        let template = json!({"metadata": {"labels": {"app": "web"}, "annotations": {"sim.k8tre.io/never-ready": "true"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}});
        let pod = pod_from_template(
            &template,
            "ns",
            "web-abc-x1",
            Some("web-abc-"),
            "ReplicaSet",
            "web-abc",
            "u1",
            &[("extra", "1".to_string())],
        );
        assert_eq!(
            pod["metadata"]["labels"],
            json!({"app": "web", "extra": "1"})
        );
        assert_eq!(
            pod["metadata"]["annotations"]["sim.k8tre.io/never-ready"],
            "true"
        );
        assert_eq!(pod["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(pod["metadata"]["generateName"], "web-abc-");
        assert_eq!(pod["spec"]["containers"][0]["image"], "nginx");
    }
}
