//! The simulated kube-scheduler: pending pods go round-robin onto Ready nodes with room
//! (and matching `nodeSelector`); pods that fit nowhere stay Pending with the scheduler's
//! Unschedulable message until a node or some room appears.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::controller::Controller;
use super::events::{Involved, Severity, Source};
use super::nodes::{NOT_READY_TAINT, NodeState};
use super::pod::Key;
use super::writer::{SCHEDULER, rv_of};
use crate::sim::api::Part;

/// Why each node was rejected, counted like the scheduler's FailedScheduling message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    pub not_ready: usize,
    pub unschedulable: usize,
    pub full: usize,
    pub selector: usize,
}

impl Rejections {
    /// `0/3 nodes are available: 1 node(s) had untolerated taint {...}, 2 Too many pods. ...`
    pub fn message(&self, total: usize) -> String {
        let mut parts = Vec::new();
        if self.selector > 0 {
            parts.push(format!(
                "{} node(s) didn't match Pod's node affinity/selector",
                self.selector
            ));
        }
        if self.not_ready > 0 {
            parts.push(format!(
                "{} node(s) had untolerated taint {{{NOT_READY_TAINT}: }}",
                self.not_ready
            ));
        }
        if self.unschedulable > 0 {
            parts.push(format!("{} node(s) were unschedulable", self.unschedulable));
        }
        if self.full > 0 {
            parts.push(format!("{} Too many pods", self.full));
        }
        let reasons = if parts.is_empty() {
            String::new()
        } else {
            format!(" {}.", parts.join(", "))
        };
        format!(
            "0/{total} nodes are available:{reasons} preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling."
        )
    }
}

fn selector_matches(selector: &BTreeMap<String, String>, node: &NodeState) -> bool {
    selector
        .iter()
        .all(|(k, v)| node.labels.get(k).is_some_and(|nv| nv == v))
}

/// Picks the next node round-robin after `cursor`, or says why none fits.
pub fn pick_node(
    nodes: &BTreeMap<Arc<str>, NodeState>,
    cursor: usize,
    selector: &BTreeMap<String, String>,
) -> Result<(Arc<str>, usize), Rejections> {
    let n = nodes.len();
    let mut rejections = Rejections::default();
    let names: Vec<&Arc<str>> = nodes.keys().collect();
    for step in 0..n {
        let i = (cursor + step) % n;
        let name = names[i];
        let node = &nodes[name];
        if !selector_matches(selector, node) {
            rejections.selector += 1;
        } else if !node.ready {
            rejections.not_ready += 1;
        } else if node.unschedulable {
            rejections.unschedulable += 1;
        } else if node.pods >= node.capacity {
            rejections.full += 1;
        } else {
            return Ok((name.clone(), i + 1));
        }
    }
    Err(rejections)
}

impl Controller {
    /// Tries to place one pending pod.
    pub fn schedule_pod(&mut self, key: &Key) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if pod.node.is_some() || !pod.is_active() {
            return;
        }
        let uid = pod.uid.clone();
        let pods = self.w.types.pods.clone();
        let Some(obj) = self.w.get(&pods, &key.0, &key.1) else {
            return;
        };
        let selector: BTreeMap<String, String> = obj
            .pointer("/spec/nodeSelector")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or_default();
        let involved = Involved::object("v1", "Pod", key, &uid);
        let source = Source {
            component: SCHEDULER,
            host: None,
        };
        match pick_node(&self.nodes, self.node_cursor, &selector) {
            Ok((node, cursor)) => {
                self.node_cursor = cursor;
                let patch = json!({"spec": {"nodeName": &*node}});
                match self.merge_write(&pods, key, &patch, Part::Main, SCHEDULER) {
                    Ok(written) => {
                        if let Some(pod) = self.pods.get_mut(key) {
                            pod.rv = pod.rv.max(rv_of(&written));
                            pod.unschedulable = None;
                        }
                        self.parked.remove(key);
                        self.bind_locally(key, node.clone());
                        let message =
                            format!("Successfully assigned {}/{} to {node}", key.0, key.1);
                        self.event(&involved, Severity::Normal, "Scheduled", &message, source);
                        self.note_claims(&key.0, &obj);
                        self.start_pod_if_possible(key);
                        self.touch_pod(key);
                    }
                    Err(e) if e.code == 404 => self.forget_pod(key),
                    Err(_) => self.queues.schedule.push(key.clone()),
                }
            }
            Err(rejections) => {
                let message = rejections.message(self.nodes.len());
                self.parked.insert(key.clone());
                let changed = self
                    .pods
                    .get(key)
                    .is_some_and(|p| p.unschedulable.as_deref() != Some(message.as_str()));
                if changed {
                    if let Some(pod) = self.pods.get_mut(key) {
                        pod.unschedulable = Some(message.clone());
                    }
                    self.event(
                        &involved,
                        Severity::Warning,
                        "FailedScheduling",
                        &message,
                        source,
                    );
                    self.touch_pod(key);
                }
            }
        }
    }

    /// Room appeared: gives up to `n` parked pods another try (all of them for a new node).
    pub fn unpark(&mut self, n: usize) {
        if self.parked.is_empty() {
            return;
        }
        let room: usize = self
            .nodes
            .values()
            .filter(|node| node.fits_more())
            .map(|node| (node.capacity - node.pods) as usize)
            .sum();
        let take = n.min(room.max(1)).min(self.parked.len());
        for _ in 0..take {
            let Some(key) = self.parked.get(0).cloned() else {
                break;
            };
            self.parked.remove(&key);
            self.queues.schedule.push(key);
        }
    }
}

/// Claims a pod mounts, by name.
pub fn claim_names(pod: &Value) -> Vec<String> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName"))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::workloads::nodes::IpPool;
    use std::collections::HashSet;
    use std::net::Ipv4Addr;

    fn node(ready: bool, pods: u32, zone: &str) -> NodeState {
        NodeState {
            uid: Arc::from("u"),
            rv: 1,
            index: 0,
            ready,
            not_ready_message: None,
            ready_changed: 0,
            first_seen: 0,
            unschedulable: false,
            labels: [("zone".to_string(), zone.to_string())].into(),
            capacity: 2,
            pods,
            ips: IpPool::default(),
            images: HashSet::new(),
            internal_ip: Ipv4Addr::LOCALHOST,
            needs_full_status: false,
            status_stale: false,
            epoch: 0,
        }
    }

    #[test]
    fn round_robin_over_ready_nodes_with_room() {
        let nodes: BTreeMap<Arc<str>, NodeState> = [
            (Arc::from("a"), node(true, 0, "x")),
            (Arc::from("b"), node(false, 0, "x")),
            (Arc::from("c"), node(true, 2, "x")),
            (Arc::from("d"), node(true, 1, "y")),
        ]
        .into();
        let any = BTreeMap::new();
        let (first, cursor) = pick_node(&nodes, 0, &any).expect("fits");
        assert_eq!(&*first, "a");
        let (second, _) = pick_node(&nodes, cursor, &any).expect("fits");
        assert_eq!(&*second, "d");
        let zone_x: BTreeMap<String, String> = [("zone".to_string(), "x".to_string())].into();
        let (only, _) = pick_node(&nodes, 1, &zone_x).expect("fits");
        assert_eq!(&*only, "a");
    }

    #[test]
    fn unschedulable_message_counts_reasons() {
        let nodes: BTreeMap<Arc<str>, NodeState> = [
            (Arc::from("a"), node(false, 0, "x")),
            (Arc::from("b"), node(true, 2, "x")),
            (Arc::from("c"), node(true, 2, "x")),
        ]
        .into();
        let rejections = pick_node(&nodes, 0, &BTreeMap::new()).expect_err("full");
        assert_eq!(
            rejections.message(3),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Too many pods. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        assert!(
            pick_node(&BTreeMap::new(), 0, &BTreeMap::new())
                .expect_err("no nodes")
                .message(0)
                .starts_with("0/0 nodes are available: preemption")
        );
    }

    #[test]
    fn claims_are_read_from_volumes() {
        let pod = serde_json::json!({"spec": {"volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}},
            {"name": "tmp", "emptyDir": {}}]}});
        assert_eq!(claim_names(&pod), vec!["data-db-0".to_string()]);
    }
}
