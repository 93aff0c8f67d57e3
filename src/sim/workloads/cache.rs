//! Folding watch events into the controller's slim caches (an informer): echoes of our own
//! writes are recognised by resourceVersion and skipped without parsing, other changes queue
//! the reconcilers that care.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use super::controller::{Controller, OwnerKind, RsInfo, RsStatus, WorkloadMeta};
use super::faults::PodFaults;
use super::pod::{
    ContainerSim, ContainerState, Key, Phase, PodState, PodTimes, Probe, RestartPolicy, now_stamp,
    parse_stamp, qos_class,
};
use crate::sim::store::{Entry, EventType, WatchEvent};

/// Label the deployment controller puts on ReplicaSets and their pods.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// Label StatefulSet and DaemonSet pods carry with their revision.
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
/// Label with a StatefulSet pod's ordinal.
pub const POD_INDEX: &str = "apps.kubernetes.io/pod-index";

pub fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

pub fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// UID of the controlling owner (or the first owner).
pub fn controller_uid(obj: &Value) -> Option<String> {
    let refs = obj.pointer("/metadata/ownerReferences")?.as_array()?;
    refs.iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/labels")?.get(key)?.as_str()
}

impl Controller {
    pub fn on_event(&mut self, event: &WatchEvent) {
        let resource = &event.resource;
        let entry = &event.entry;
        let deleted = event.kind == EventType::Deleted;
        match (resource.group.as_str(), resource.plural.as_str()) {
            ("", "pods") if deleted => {
                let key = self.key(&entry.namespace, &entry.name);
                if self.pods.get(&key).is_some_and(|p| *p.uid == *entry.uid) {
                    self.forget_pod(&key);
                }
            }
            ("", "pods") => self.upsert_pod(entry),
            ("apps", "replicasets") if deleted => {
                let key = self.key(&entry.namespace, &entry.name);
                self.forget_replicaset(&key);
            }
            ("apps", "replicasets") => self.upsert_replicaset(entry),
            ("apps", "deployments") => self.on_workload(OwnerKind::Deployment, entry, deleted),
            ("apps", "statefulsets") => self.on_workload(OwnerKind::StatefulSet, entry, deleted),
            ("apps", "daemonsets") => self.on_workload(OwnerKind::DaemonSet, entry, deleted),
            ("", "nodes") if deleted => self.forget_node(&entry.name),
            ("", "nodes") => self.upsert_node(entry),
            ("", "persistentvolumeclaims") if deleted => {
                let key = self.key(&entry.namespace, &entry.name);
                self.pvcs.remove(&key);
            }
            ("", "persistentvolumeclaims") => self.upsert_volume(entry),
            ("storage.k8s.io", "storageclasses") => self.on_class(entry, deleted),
            ("", "services") if deleted => {
                let key = self.key(&entry.namespace, &entry.name);
                self.services.remove(&key);
            }
            ("", "services") => self.upsert_service(entry),
            _ => {}
        }
    }

    /// After a resync: every current object again, and whatever is no longer there forgotten.
    pub fn relist(&mut self, replay: &[Arc<WatchEvent>]) {
        let mut seen: HashSet<(&'static str, Key)> = HashSet::new();
        for event in replay {
            let key = self.key(&event.namespace, &event.name);
            seen.insert((
                resource_tag(&event.resource.group, &event.resource.plural),
                key,
            ));
            self.on_event(event);
        }
        let gone = |tag: &'static str, keys: Vec<Key>| -> Vec<Key> {
            keys.into_iter()
                .filter(|k| !seen.contains(&(tag, k.clone())))
                .collect()
        };
        for key in gone("pods", self.pods.keys().cloned().collect()) {
            self.forget_pod(&key);
        }
        for key in gone("replicasets", self.replicasets.keys().cloned().collect()) {
            self.forget_replicaset(&key);
        }
        for (tag, kind) in [
            ("deployments", OwnerKind::Deployment),
            ("statefulsets", OwnerKind::StatefulSet),
            ("daemonsets", OwnerKind::DaemonSet),
        ] {
            let keys = self.workloads_mut(kind).keys().cloned().collect();
            for key in gone(tag, keys) {
                self.forget_workload(kind, &key);
            }
        }
        let node_keys = self
            .nodes
            .keys()
            .map(|n| (Arc::from(""), n.clone()))
            .collect();
        for (_, node) in gone("nodes", node_keys) {
            self.forget_node(&node);
        }
        for key in gone("pvcs", self.pvcs.keys().cloned().collect()) {
            self.pvcs.remove(&key);
        }
        for key in gone("services", self.services.keys().cloned().collect()) {
            self.services.remove(&key);
        }
        self.all_workloads_dirty();
    }

    fn workloads_mut(
        &mut self,
        kind: OwnerKind,
    ) -> &mut std::collections::HashMap<Key, WorkloadMeta> {
        match kind {
            OwnerKind::StatefulSet => &mut self.statefulsets,
            OwnerKind::DaemonSet => &mut self.daemonsets,
            OwnerKind::Deployment | OwnerKind::ReplicaSet => &mut self.deployments,
        }
    }

    fn queue_workload(&mut self, kind: OwnerKind, key: Key) {
        match kind {
            OwnerKind::Deployment => self.queues.deployments.push(key),
            OwnerKind::ReplicaSet => self.queues.replicasets.push(key),
            OwnerKind::StatefulSet => self.queues.statefulsets.push(key),
            OwnerKind::DaemonSet => self.queues.daemonsets.push(key),
        }
    }

    fn on_workload(&mut self, kind: OwnerKind, entry: &Entry, deleted: bool) {
        let key = self.key(&entry.namespace, &entry.name);
        if deleted {
            self.forget_workload(kind, &key);
            return;
        }
        if self
            .workloads_mut(kind)
            .get(&key)
            .is_some_and(|m| m.rv >= entry.rv)
        {
            return;
        }
        let Ok(obj) = entry.value() else { return };
        let uid: Arc<str> = Arc::from(entry.uid.as_str());
        let mut meta = WorkloadMeta {
            uid: uid.clone(),
            rv: entry.rv,
            deleting: obj.pointer("/metadata/deletionTimestamp").is_some(),
            deadline_check: None,
        };
        if let Some(old) = self.workloads_mut(kind).get(&key) {
            if old.uid == uid {
                meta.deadline_check = old.deadline_check;
            } else {
                let old_uid = old.uid.clone();
                self.owners.remove(&old_uid);
            }
        }
        self.workloads_mut(kind).insert(key.clone(), meta);
        self.owners.insert(uid, (kind, key.clone()));
        self.queue_workload(kind, key);
    }

    fn forget_workload(&mut self, kind: OwnerKind, key: &Key) {
        if let Some(meta) = self.workloads_mut(kind).remove(key) {
            self.owners.remove(&meta.uid);
            self.rs_by_owner.remove(&meta.uid);
        }
    }

    /// Records our own write of a Deployment/StatefulSet/DaemonSet so its echo is skipped.
    pub fn saw_workload_write(&mut self, kind: OwnerKind, key: &Key, written: &Value) {
        let rv = super::writer::rv_of(written);
        if let Some(meta) = self.workloads_mut(kind).get_mut(key) {
            meta.rv = meta.rv.max(rv);
        }
    }

    fn upsert_replicaset(&mut self, entry: &Entry) {
        let key = self.key(&entry.namespace, &entry.name);
        if self.replicasets.get(&key).is_some_and(|r| r.rv >= entry.rv) {
            return;
        }
        let Ok(obj) = entry.value() else { return };
        self.store_replicaset(key, &obj);
    }

    /// Caches a ReplicaSet (from the watch or from our own write) and queues who cares.
    pub fn store_replicaset(&mut self, key: Key, obj: &Value) {
        let info = rs_info(obj);
        let changed_status = self
            .replicasets
            .get(&key)
            .is_none_or(|old| old.status != info.status || old.spec_replicas != info.spec_replicas);
        if let Some(old) = self.replicasets.get(&key)
            && old.uid != info.uid
        {
            self.forget_replicaset(&key);
        }
        self.owners
            .insert(info.uid.clone(), (OwnerKind::ReplicaSet, key.clone()));
        if let Some(owner) = &info.owner {
            self.rs_by_owner
                .entry(owner.clone())
                .or_default()
                .insert(key.clone());
            if changed_status {
                let owner = owner.clone();
                self.owner_dirty(&owner);
            }
        }
        self.replicasets.insert(key.clone(), info);
        self.queues.replicasets.push(key);
    }

    fn forget_replicaset(&mut self, key: &Key) {
        let Some(info) = self.replicasets.remove(key) else {
            return;
        };
        self.owners.remove(&info.uid);
        if let Some(owner) = &info.owner {
            if let Some(set) = self.rs_by_owner.get_mut(owner) {
                set.remove(key);
            }
            let owner = owner.clone();
            self.owner_dirty(&owner);
        }
    }

    fn upsert_pod(&mut self, entry: &Entry) {
        let key = self.key(&entry.namespace, &entry.name);
        if let Some(pod) = self.pods.get(&key) {
            if entry.rv <= pod.rv {
                return;
            }
            if *pod.uid != *entry.uid {
                // Deleted and recreated while we were not looking.
                self.forget_pod(&key);
            }
        }
        let Ok(obj) = entry.value() else { return };
        if self.pods.contains_key(&key) {
            self.observe_pod_change(&key, &obj, entry.rv);
        } else {
            self.adopt_pod(key, &obj);
        }
    }

    /// Someone else changed a pod we run: deletion, binding, fault annotations.
    fn observe_pod_change(&mut self, key: &Key, obj: &Value, rv: u64) {
        let faults = PodFaults::of_pod(obj);
        let node_name = text(obj, "/spec/nodeName").to_string();
        let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        pod.rv = rv;
        let owner = pod.owner.clone();
        let newly_bound = pod.node.is_none() && !node_name.is_empty();
        if deleting && !pod.deleting {
            pod.deleting = true;
            self.churnable.remove(key);
        }
        let new_faults = (!faults.is_none()).then(|| Box::new(faults));
        if pod.faults != new_faults {
            self.apply_faults(key, new_faults);
        }
        if newly_bound {
            let node = self.intern(&node_name);
            self.parked.remove(key);
            self.bind_locally(key, node);
            self.start_pod_if_possible(key);
        }
        if let Some(owner) = owner {
            self.owner_dirty(&owner);
        }
    }

    /// Starts simulating a pod we have not seen before (including one we just created).
    pub fn adopt_pod(&mut self, key: Key, obj: &Value) {
        let Some(mut pod) = self.pod_from_object(obj) else {
            return;
        };
        let node_name = text(obj, "/spec/nodeName").to_string();
        pod.node = None;
        let adopted_running = pod.kubelet_started;
        if let Some(owner) = &pod.owner {
            self.pods_by_owner
                .entry(owner.clone())
                .or_default()
                .insert(key.clone());
        }
        let owner = pod.owner.clone();
        let active = pod.is_active();
        let ip = pod.ip;
        self.pods.insert(key.clone(), pod);
        if !node_name.is_empty() {
            let node = self.intern(&node_name);
            self.bind_locally(&key, node.clone());
            if let Some(ip) = ip.filter(|_| active)
                && let Some(n) = self.nodes.get_mut(&node)
            {
                n.ips.mark(ip);
            }
            self.note_claims(&key.0, obj);
        }
        if active {
            if adopted_running {
                self.resume_adopted(&key);
            } else if node_name.is_empty() {
                self.queues.schedule.push(key.clone());
            } else {
                self.start_pod_if_possible(&key);
            }
        }
        if let Some(owner) = owner {
            self.owner_dirty(&owner);
        }
    }

    fn pod_from_object(&mut self, obj: &Value) -> Option<PodState> {
        let uid = obj.pointer("/metadata/uid")?.as_str()?;
        let faults = PodFaults::of_pod(obj);
        let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        let mut containers = Vec::new();
        for c in spec
            .get("containers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let name = self.intern(c.get("name").and_then(Value::as_str).unwrap_or_default());
            let image = self.intern(c.get("image").and_then(Value::as_str).unwrap_or_default());
            let mut sim = ContainerSim::new(name, image, Probe::of_container(c));
            sim.crashes = faults.crash.includes(&sim.name);
            sim.pull_fails = faults.image_pull_error.includes(&sim.name);
            containers.push(sim);
        }
        let init_containers = spec
            .get("initContainers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        (
                            self.intern(c.get("name").and_then(Value::as_str).unwrap_or_default()),
                            self.intern(c.get("image").and_then(Value::as_str).unwrap_or_default()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let revision = label(obj, POD_TEMPLATE_HASH)
            .or_else(|| label(obj, CONTROLLER_REVISION_HASH))
            .map(|r| self.intern(r));
        let ordinal = label(obj, POD_INDEX).and_then(|i| i.parse().ok());
        let created =
            parse_stamp(text(obj, "/metadata/creationTimestamp")).unwrap_or_else(now_stamp);
        let mut pod = PodState {
            uid: Arc::from(uid),
            rv: super::writer::rv_of(obj),
            owner: controller_uid(obj).map(|u| Arc::from(u.as_str())),
            node: None,
            holds_slot: false,
            phase: Phase::parse(text(obj, "/status/phase")),
            restart_policy: RestartPolicy::parse(text(obj, "/spec/restartPolicy")),
            containers,
            init_containers,
            faults: (!faults.is_none()).then(|| Box::new(faults)),
            ip: None,
            host_ip: None,
            times: PodTimes {
                created,
                ready_changed: created,
                containers_ready_changed: created,
                ..Default::default()
            },
            ready: false,
            persisted_ready: false,
            containers_ready: false,
            node_ready: true,
            unschedulable: None,
            deleting: obj.pointer("/metadata/deletionTimestamp").is_some(),
            kubelet_started: false,
            revision,
            ordinal,
            ready_since: None,
            qos: qos_class(&spec),
            created_at: Instant::now(),
            dirty: false,
        };
        adopt_status(&mut pod, obj);
        Some(pod)
    }
}

/// Takes over what a pod's status already says (a pod seeded as Running, or one this
/// controller ran before a restart), so nothing is re-run or rewritten.
fn adopt_status(pod: &mut PodState, obj: &Value) {
    let Some(status) = obj.get("status") else {
        return;
    };
    pod.ip = status
        .get("podIP")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok());
    pod.host_ip = status
        .get("hostIP")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok());
    let statuses = status
        .get("containerStatuses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if pod.phase != Phase::Running || statuses.is_empty() {
        return;
    }
    pod.kubelet_started = true;
    pod.times.started = status
        .get("startTime")
        .and_then(Value::as_str)
        .and_then(parse_stamp);
    for c in pod.containers.iter_mut() {
        let Some(s) = statuses
            .iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some(&*c.name))
        else {
            continue;
        };
        c.restarts = s.get("restartCount").and_then(Value::as_u64).unwrap_or(0) as u32;
        if let Some(started) = s
            .pointer("/state/running/startedAt")
            .and_then(Value::as_str)
        {
            c.state = ContainerState::Running {
                started_at: parse_stamp(started).unwrap_or_else(now_stamp),
            };
            c.instance = super::naming::fnv64a(
                s.get("containerID")
                    .and_then(Value::as_str)
                    .unwrap_or(&c.name)
                    .as_bytes(),
            )
            .max(1);
            c.started = true;
            c.ready = s.get("ready").and_then(Value::as_bool).unwrap_or(false);
        }
    }
    let ready = status
        .get("conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        });
    pod.ready = ready;
    pod.persisted_ready = ready;
    pod.containers_ready = pod.all_containers_ready();
    pod.ready_since = ready.then(Instant::now);
}

fn resource_tag(group: &str, plural: &str) -> &'static str {
    match (group, plural) {
        ("", "pods") => "pods",
        ("apps", "replicasets") => "replicasets",
        ("apps", "deployments") => "deployments",
        ("apps", "statefulsets") => "statefulsets",
        ("apps", "daemonsets") => "daemonsets",
        ("", "nodes") => "nodes",
        ("", "persistentvolumeclaims") => "pvcs",
        ("", "services") => "services",
        _ => "other",
    }
}

/// The slim view of a ReplicaSet.
pub fn rs_info(obj: &Value) -> RsInfo {
    RsInfo {
        uid: Arc::from(text(obj, "/metadata/uid")),
        rv: super::writer::rv_of(obj),
        owner: controller_uid(obj).map(|u| Arc::from(u.as_str())),
        generation: int(obj, "/metadata/generation"),
        spec_replicas: obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1),
        hash: label(obj, POD_TEMPLATE_HASH).map(str::to_string),
        revision: obj
            .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
            .and_then(Value::as_str)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        created: text(obj, "/metadata/creationTimestamp").to_string(),
        min_ready_seconds: int(obj, "/spec/minReadySeconds"),
        deleting: obj.pointer("/metadata/deletionTimestamp").is_some(),
        status: RsStatus {
            replicas: int(obj, "/status/replicas"),
            ready: int(obj, "/status/readyReplicas"),
            available: int(obj, "/status/availableReplicas"),
            observed_generation: int(obj, "/status/observedGeneration"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replicaset_view_reads_labels_annotations_and_status() {
        let rs = json!({"metadata": {"uid": "u", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2024-03-05T07:33:04Z",
            "labels": {"pod-template-hash": "abc"},
            "annotations": {"deployment.kubernetes.io/revision": "4"},
            "ownerReferences": [{"uid": "other"}, {"uid": "d", "controller": true}]},
            "spec": {"replicas": 3, "minReadySeconds": 5},
            "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 1, "observedGeneration": 3}});
        let info = rs_info(&rs);
        assert_eq!(info.rv, 42);
        assert_eq!(info.owner.as_deref(), Some("d"));
        assert_eq!(info.hash.as_deref(), Some("abc"));
        assert_eq!(info.revision, 4);
        assert_eq!(info.min_ready_seconds, 5);
        assert_eq!(
            info.status,
            RsStatus {
                replicas: 3,
                ready: 2,
                available: 1,
                observed_generation: 3
            }
        );
        assert_eq!(rs_info(&json!({})).spec_replicas, 1);
    }

    #[test]
    fn running_status_is_adopted() {
        let obj = json!({"status": {"phase": "Running", "podIP": "10.244.0.9", "startTime": "2024-03-05T07:33:04Z",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "web", "ready": true, "restartCount": 2,
                "containerID": "containerd://x", "state": {"running": {"startedAt": "2024-03-05T07:33:05Z"}}}]}});
        let mut pod = PodState {
            uid: Arc::from("u"),
            rv: 1,
            owner: None,
            node: None,
            holds_slot: false,
            phase: Phase::Running,
            restart_policy: RestartPolicy::Always,
            containers: vec![ContainerSim::new(
                Arc::from("web"),
                Arc::from("nginx"),
                Probe::None,
            )],
            init_containers: vec![],
            faults: None,
            ip: None,
            host_ip: None,
            times: PodTimes::default(),
            ready: false,
            persisted_ready: false,
            containers_ready: false,
            node_ready: true,
            unschedulable: None,
            deleting: false,
            kubelet_started: false,
            revision: None,
            ordinal: None,
            ready_since: None,
            qos: "BestEffort",
            created_at: Instant::now(),
            dirty: false,
        };
        adopt_status(&mut pod, &obj);
        assert!(pod.kubelet_started && pod.ready && pod.containers_ready);
        assert_eq!(pod.containers[0].restarts, 2);
        assert!(pod.containers[0].is_running());
        assert_eq!(pod.ip.map(|i| i.to_string()).as_deref(), Some("10.244.0.9"));
    }
}
