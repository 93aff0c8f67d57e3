//! Nodes as the kubelet and the node lifecycle controller keep them: a Ready status with
//! capacity and nodeInfo, a heartbeat, and NotReady (with its taint, events, pods losing
//! readiness and, after the toleration, eviction) when annotated `sim.k8tre.io/not-ready`.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::controller::{Controller, Timer};
use super::events::{Involved, Severity, Source};
use super::faults::node_not_ready;
use super::pod::{Key, Stamp, now_stamp, render_stamp};
use super::writer::{KUBELET, rv_of};
use crate::sim::api::Part;
use crate::sim::store::Entry;

/// The taint the node lifecycle controller puts on a NotReady node.
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// Free pod addresses of one node's /24 (hosts .2 to .254).
#[derive(Debug, Clone, Default)]
pub struct IpPool {
    used: [u64; 4],
}

impl IpPool {
    /// The node's pod CIDR base: node `index` gets `10.(244 + index/256).(index%256).0/24`.
    pub fn subnet(index: u32) -> (u8, u8) {
        ((244 + index / 256).min(255) as u8, (index % 256) as u8)
    }

    pub fn alloc(&mut self, index: u32) -> Option<Ipv4Addr> {
        let (a, b) = Self::subnet(index);
        for host in 2u8..=254 {
            let (word, bit) = (host as usize / 64, host as u64 % 64);
            if self.used[word] & (1 << bit) == 0 {
                self.used[word] |= 1 << bit;
                return Some(Ipv4Addr::new(10, a, b, host));
            }
        }
        None
    }

    pub fn mark(&mut self, ip: Ipv4Addr) {
        let host = ip.octets()[3];
        self.used[host as usize / 64] |= 1 << (host as u64 % 64);
    }

    pub fn release(&mut self, ip: Ipv4Addr) {
        let host = ip.octets()[3];
        self.used[host as usize / 64] &= !(1 << (host as u64 % 64));
    }
}

/// What the simulation knows about one node.
#[derive(Debug, Clone)]
pub struct NodeState {
    pub uid: Arc<str>,
    pub rv: u64,
    pub index: u32,
    pub ready: bool,
    pub not_ready_message: Option<String>,
    pub ready_changed: Stamp,
    pub first_seen: Stamp,
    pub unschedulable: bool,
    pub labels: BTreeMap<String, String>,
    pub capacity: u32,
    /// Pods bound to it (not terminal).
    pub pods: u32,
    pub ips: IpPool,
    pub images: HashSet<Arc<str>>,
    pub internal_ip: Ipv4Addr,
    /// The stored status lacks what the kubelet reports (capacity, nodeInfo...).
    pub needs_full_status: bool,
    /// The stored Ready condition disagrees with what the node should report.
    pub status_stale: bool,
    /// Bumped on every readiness change: an eviction timer from an older epoch is stale.
    pub epoch: u32,
}

impl NodeState {
    pub fn fits_more(&self) -> bool {
        self.ready && !self.unschedulable && self.pods < self.capacity
    }
}

fn internal_ip(index: u32) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, (index / 250) as u8, (index % 250 + 10) as u8)
}

fn ready_condition_of(node: &Value) -> Option<bool> {
    node.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .map(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

/// The `status.conditions` the kubelet reports.
pub fn node_conditions(state: &NodeState, now: Stamp) -> Value {
    let at = render_stamp(now);
    let since = render_stamp(state.first_seen);
    let pressure = |type_: &str, reason: &str, message: &str| {
        json!({"type": type_, "status": "False", "lastHeartbeatTime": at, "lastTransitionTime": since,
               "reason": reason, "message": message})
    };
    let ready = match &state.not_ready_message {
        None => json!({"type": "Ready", "status": "True", "lastHeartbeatTime": at,
            "lastTransitionTime": render_stamp(state.ready_changed),
            "reason": "KubeletReady", "message": "kubelet is posting ready status"}),
        Some(message) => json!({"type": "Ready", "status": "False", "lastHeartbeatTime": at,
            "lastTransitionTime": render_stamp(state.ready_changed),
            "reason": "KubeletNotReady", "message": message}),
    };
    json!([
        pressure(
            "MemoryPressure",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        pressure(
            "DiskPressure",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        pressure(
            "PIDPressure",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        ready,
    ])
}

/// Everything else the kubelet reports about its node.
pub fn node_static_status(name: &str, state: &NodeState, kubelet_version: &str) -> Value {
    let pods = state.capacity.to_string();
    let boot = super::naming::hex64(&format!("{name}/boot"));
    json!({
        "addresses": [
            {"type": "InternalIP", "address": state.internal_ip.to_string()},
            {"type": "Hostname", "address": name},
        ],
        "capacity": {"cpu": "8", "ephemeral-storage": "203070420Ki", "hugepages-1Gi": "0",
                     "hugepages-2Mi": "0", "memory": "32858980Ki", "pods": pods},
        "allocatable": {"cpu": "7910m", "ephemeral-storage": "187149781241", "hugepages-1Gi": "0",
                        "hugepages-2Mi": "0", "memory": "31707108Ki", "pods": pods},
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": format!("{}-{}-{}-{}-{}", &boot[0..8], &boot[8..12], &boot[12..16], &boot[16..20], &boot[20..32]),
            "containerRuntimeVersion": "containerd://1.7.27",
            "kernelVersion": "6.8.0-1024-aws",
            "kubeProxyVersion": kubelet_version,
            "kubeletVersion": kubelet_version,
            "machineID": &boot[32..64],
            "operatingSystem": "linux",
            "osImage": "Ubuntu 24.04.2 LTS",
            "systemUUID": format!("ec2{}-{}-{}-{}-{}", &boot[40..45], &boot[45..49], &boot[49..53], &boot[53..57], &boot[20..32]),
        },
    })
}

impl Controller {
    fn kubelet_version(&self) -> String {
        format!("v{}", self.w.cluster.options.kubernetes_version)
    }

    fn node_involved(&self, name: &Arc<str>) -> Option<Involved> {
        let node = self.nodes.get(name)?;
        Some(Involved {
            api_version: "v1",
            kind: "Node",
            namespace: Arc::from(""),
            name: name.clone(),
            uid: node.uid.clone(),
            field_path: None,
        })
    }

    /// Nodes for a cluster that has none: `<cluster>-node-1` ... with a Ready status.
    pub fn create_default_nodes(&mut self) {
        let cluster = self.w.cluster.name.clone();
        let zones = ["a", "b", "c"];
        for i in 0..self.opts.default_nodes {
            let name = format!("{cluster}-node-{}", i + 1);
            let index = self.next_node_index + i as u32;
            let (a, b) = IpPool::subnet(index);
            let cidr = format!("10.{a}.{b}.0/24");
            let zone = format!("eu-west-2{}", zones[i % zones.len()]);
            let node = json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": "m6i.2xlarge",
                    "topology.kubernetes.io/region": "eu-west-2",
                    "topology.kubernetes.io/zone": zone,
                }},
                "spec": {"podCIDR": cidr, "podCIDRs": [cidr], "providerID": format!("k8tre-sim://{cluster}/{name}")},
            });
            let nodes = self.w.types.nodes.clone();
            match self.create_write(&nodes, "", node, KUBELET) {
                Ok(stored) => {
                    if let Some(entry) = self.w.cluster.store.get(&nodes.key(), "", &name) {
                        self.upsert_node(&entry);
                    } else {
                        tracing::debug!("node {name} vanished after creation ({})", rv_of(&stored));
                    }
                }
                Err(e) => tracing::warn!("cannot create simulated node {name}: {e}"),
            }
        }
    }

    pub fn upsert_node(&mut self, entry: &Entry) {
        let name = self.intern(&entry.name);
        if self.nodes.get(&name).is_some_and(|n| n.rv >= entry.rv) {
            return;
        }
        let Ok(obj) = entry.value() else { return };
        let message = node_not_ready(&obj);
        let unschedulable = obj
            .pointer("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let labels: BTreeMap<String, String> = obj
            .pointer("/metadata/labels")
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        let stored_ready = ready_condition_of(&obj);
        let has_kubelet_fields = obj.pointer("/status/nodeInfo/kubeletVersion").is_some()
            && obj.pointer("/status/capacity/pods").is_some();
        let capacity = obj
            .pointer("/status/capacity/pods")
            .and_then(Value::as_str)
            .and_then(|p| p.parse().ok())
            .unwrap_or(self.opts.max_pods_per_node);
        let now = now_stamp();
        let existed = self.nodes.contains_key(&name);
        if !existed {
            let index = self.next_node_index;
            self.next_node_index += 1;
            self.nodes.insert(
                name.clone(),
                NodeState {
                    uid: Arc::from(entry.uid.as_str()),
                    rv: entry.rv,
                    index,
                    ready: stored_ready.unwrap_or(true) && message.is_none(),
                    not_ready_message: None,
                    ready_changed: now,
                    first_seen: now,
                    unschedulable,
                    labels: labels.clone(),
                    capacity,
                    pods: 0,
                    ips: IpPool::default(),
                    images: HashSet::new(),
                    internal_ip: internal_ip(index),
                    needs_full_status: !has_kubelet_fields,
                    status_stale: false,
                    epoch: 0,
                },
            );
            // Real time: heartbeats keep `lastHeartbeatTime` fresh against the wall clock.
            let heartbeat = self.rng.jitter(self.opts.node_status_interval, 0.5);
            self.timers.schedule(
                tokio::time::Instant::now() + heartbeat,
                Timer::NodeHeartbeat(name.clone()),
            );
        }
        let Some(node) = self.nodes.get_mut(&name) else {
            return;
        };
        node.rv = entry.rv;
        node.unschedulable = unschedulable;
        node.labels = labels;
        node.capacity = capacity;
        node.needs_full_status |= !has_kubelet_fields;
        let should_be_ready = message.is_none();
        let changed = node.ready != should_be_ready || (!existed && message.is_some());
        node.not_ready_message = message;
        node.status_stale |= stored_ready != Some(should_be_ready);
        if node.needs_full_status || node.status_stale {
            self.queues.nodes.push(name.clone());
        }
        if changed {
            self.node_readiness_changed(&name, should_be_ready);
        }
        if !existed || changed {
            self.unpark(usize::MAX);
            let daemonsets: Vec<Key> = self.daemonsets.keys().cloned().collect();
            daemonsets
                .into_iter()
                .for_each(|k| self.queues.daemonsets.push(k));
        }
    }

    /// The node went Ready or NotReady: its pods follow, and so does scheduling.
    fn node_readiness_changed(&mut self, name: &Arc<str>, ready: bool) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        node.ready = ready;
        node.ready_changed = now_stamp();
        node.epoch += 1;
        node.status_stale = true;
        let epoch = node.epoch;
        self.queues.nodes.push(name.clone());
        self.set_not_ready_taint(name, !ready);
        if let Some(involved) = self.node_involved(name) {
            let (reason, source) = if ready {
                ("NodeReady", KUBELET)
            } else {
                ("NodeNotReady", "node-controller")
            };
            let message = format!("Node {name} status is now: {reason}");
            let host = name.clone();
            self.event(
                &involved,
                Severity::Normal,
                reason,
                &message,
                Source {
                    component: source,
                    host: (source == KUBELET).then_some(&*host),
                },
            );
        }
        let pods: Vec<Key> = self
            .pods_on_node
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for key in &pods {
            let Some(pod) = self.pods.get_mut(key) else {
                continue;
            };
            pod.node_ready = ready;
            if !ready && pod.kubelet_started {
                let involved = Involved {
                    api_version: "v1",
                    kind: "Pod",
                    namespace: key.0.clone(),
                    name: key.1.clone(),
                    uid: pod.uid.clone(),
                    field_path: None,
                };
                self.event(
                    &involved,
                    Severity::Warning,
                    "NodeNotReady",
                    "Node is not ready",
                    Source {
                        component: "node-controller",
                        host: None,
                    },
                );
            }
            if ready {
                self.start_pod_if_possible(key);
            }
            self.touch_pod(key);
        }
        if !ready {
            self.schedule(
                self.opts.not_ready_eviction,
                Timer::Evict {
                    node: name.clone(),
                    epoch,
                },
            );
        }
    }

    /// Adds or removes the `node.kubernetes.io/not-ready:NoSchedule` taint.
    fn set_not_ready_taint(&mut self, name: &Arc<str>, tainted: bool) {
        let nodes = self.w.types.nodes.clone();
        let Some(obj) = self.w.get(&nodes, "", name) else {
            return;
        };
        let mut taints: Vec<Value> = obj
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let had = taints
            .iter()
            .any(|t| t.get("key").and_then(Value::as_str) == Some(NOT_READY_TAINT));
        if had == tainted {
            return;
        }
        taints.retain(|t| t.get("key").and_then(Value::as_str) != Some(NOT_READY_TAINT));
        if tainted {
            taints.push(json!({"key": NOT_READY_TAINT, "effect": "NoSchedule", "timeAdded": render_stamp(now_stamp())}));
        }
        let patch = if taints.is_empty() {
            json!({"spec": {"taints": null}})
        } else {
            json!({"spec": {"taints": taints}})
        };
        let key: Key = (Arc::from(""), name.clone());
        if let Ok(written) = self.merge_write(&nodes, &key, &patch, Part::Main, "node-controller")
            && let Some(node) = self.nodes.get_mut(name)
        {
            node.rv = node.rv.max(rv_of(&written));
        }
    }

    /// Writes what the kubelet reports: the conditions, and the rest when it is missing.
    pub fn write_node_status(&mut self, name: &Arc<str>) {
        let version = self.kubelet_version();
        let Some(node) = self.nodes.get(name) else {
            return;
        };
        let mut status = if node.needs_full_status {
            node_static_status(name, node, &version)
        } else {
            json!({})
        };
        status["conditions"] = node_conditions(node, now_stamp());
        let nodes = self.w.types.nodes.clone();
        let key: Key = (Arc::from(""), name.clone());
        let patch = json!({"status": status});
        match self.merge_write(&nodes, &key, &patch, Part::Status, KUBELET) {
            Ok(written) => {
                if let Some(node) = self.nodes.get_mut(name) {
                    node.rv = node.rv.max(rv_of(&written));
                    node.needs_full_status = false;
                    node.status_stale = false;
                }
            }
            Err(e) if e.code == 404 => self.forget_node(name),
            Err(_) => {}
        }
    }

    /// The kubelet's periodic status report (`nodeStatusReportFrequency`).
    pub fn node_heartbeat(&mut self, name: &Arc<str>) {
        if !self.nodes.contains_key(name) {
            return;
        }
        self.queues.nodes.push(name.clone());
        let at = tokio::time::Instant::now() + self.opts.node_status_interval;
        self.timers.schedule(at, Timer::NodeHeartbeat(name.clone()));
    }

    /// After the not-ready toleration (300 s by default) pods leave the node, except
    /// DaemonSet pods, which tolerate it.
    pub fn evict_from_not_ready(&mut self, name: &Arc<str>, epoch: u32) {
        let Some(node) = self.nodes.get(name) else {
            return;
        };
        if node.ready || node.epoch != epoch {
            return;
        }
        let pods: Vec<Key> = self
            .pods_on_node
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for key in pods {
            if !self.has_budget() {
                // Finish in the next round.
                self.timers.schedule(
                    tokio::time::Instant::now() + Duration::from_millis(10),
                    Timer::Evict {
                        node: name.clone(),
                        epoch,
                    },
                );
                return;
            }
            let Some(pod) = self.pods.get(&key) else {
                continue;
            };
            let daemon = pod.owner.as_ref().is_some_and(|o| {
                self.owners
                    .get(o)
                    .is_some_and(|(kind, _)| *kind == super::controller::OwnerKind::DaemonSet)
            });
            if daemon || !pod.is_active() {
                continue;
            }
            let involved = Involved {
                api_version: "v1",
                kind: "Pod",
                namespace: key.0.clone(),
                name: key.1.clone(),
                uid: pod.uid.clone(),
                field_path: None,
            };
            let message = format!("Marking for deletion Pod {}/{}", key.0, key.1);
            self.event(
                &involved,
                Severity::Normal,
                "TaintManagerEviction",
                &message,
                Source {
                    component: "taint-eviction-controller",
                    host: None,
                },
            );
            self.delete_pod(&key, "node-controller");
        }
    }

    /// A node was deleted: its pods are garbage-collected (pod GC).
    pub fn forget_node(&mut self, name: &str) {
        let name = self.intern(name);
        if self.nodes.remove(&name).is_none() {
            return;
        }
        let pods: Vec<Key> = self
            .pods_on_node
            .remove(&name)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for key in pods {
            self.delete_pod(&key, "pod-garbage-collector");
        }
        let daemonsets: Vec<Key> = self.daemonsets.keys().cloned().collect();
        daemonsets
            .into_iter()
            .for_each(|k| self.queues.daemonsets.push(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> NodeState {
        NodeState {
            uid: Arc::from("n"),
            rv: 1,
            index: 0,
            ready: true,
            not_ready_message: None,
            ready_changed: 1_700_000_000,
            first_seen: 1_700_000_000,
            unschedulable: false,
            labels: BTreeMap::new(),
            capacity: 110,
            pods: 0,
            ips: IpPool::default(),
            images: HashSet::new(),
            internal_ip: internal_ip(0),
            needs_full_status: true,
            status_stale: false,
            epoch: 0,
        }
    }

    #[test]
    fn ip_pool_allocates_reuses_and_runs_out() {
        let mut pool = IpPool::default();
        let first = pool.alloc(3).expect("ip");
        assert_eq!(first, Ipv4Addr::new(10, 244, 3, 2));
        let second = pool.alloc(3).expect("ip");
        pool.release(first);
        assert_eq!(pool.alloc(3), Some(first));
        assert_ne!(first, second);
        let mut count = 2;
        while pool.alloc(3).is_some() {
            count += 1;
        }
        assert_eq!(count, 253);
        assert_eq!(IpPool::subnet(300), (245, 44));
    }

    #[test]
    fn conditions_report_ready_and_not_ready() {
        let mut node = state();
        let conditions = node_conditions(&node, 1_700_000_100);
        assert_eq!(conditions[3]["type"], "Ready");
        assert_eq!(conditions[3]["status"], "True");
        assert_eq!(conditions[3]["reason"], "KubeletReady");
        node.not_ready_message = Some("PLEG is not healthy".into());
        let conditions = node_conditions(&node, 1_700_000_100);
        assert_eq!(conditions[3]["status"], "False");
        assert_eq!(conditions[3]["message"], "PLEG is not healthy");
        let status = node_static_status("n1", &node, "v1.32.4");
        assert_eq!(status["nodeInfo"]["kubeletVersion"], "v1.32.4");
        assert_eq!(status["capacity"]["pods"], "110");
    }
}
