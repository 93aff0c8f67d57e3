//! What the simulated kubelet knows about one pod (kept slim: tens of thousands of them live
//! in memory), and the `status` it reports, rendered exactly as the kubelet writes it.

use std::net::Ipv4Addr;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::faults::PodFaults;
use super::naming::{hex64, image_id, normalize_image};

/// (namespace, name); the namespace is empty for cluster-scoped objects.
pub type Key = (Arc<str>, Arc<str>);

/// Seconds since the Unix epoch, rendered as RFC 3339 when written.
pub type Stamp = i64;

pub fn now_stamp() -> Stamp {
    Utc::now().timestamp()
}

pub fn render_stamp(stamp: Stamp) -> String {
    DateTime::<Utc>::from_timestamp(stamp, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 timestamp into a [`Stamp`].
pub fn parse_stamp(text: &str) -> Option<Stamp> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// `spec.restartPolicy`: whether a pod runs until deleted or to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn parse(text: &str) -> RestartPolicy {
        match text {
            "OnFailure" => RestartPolicy::OnFailure,
            "Never" => RestartPolicy::Never,
            _ => RestartPolicy::Always,
        }
    }

    /// Does a container that exited with `exit_code` start again?
    pub fn restarts(self, exit_code: i32) -> bool {
        match self {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => exit_code != 0,
            RestartPolicy::Never => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }

    pub fn parse(text: &str) -> Phase {
        match text {
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Failed" => Phase::Failed,
            _ => Phase::Pending,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// A finished container instance (`state.terminated` / `lastState.terminated`).
#[derive(Debug, Clone, PartialEq)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: &'static str,
    pub started_at: Stamp,
    pub finished_at: Stamp,
    pub container_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContainerState {
    /// `ContainerCreating`, `ErrImagePull`, `ImagePullBackOff`, `CrashLoopBackOff`.
    Waiting {
        reason: &'static str,
        message: Option<String>,
    },
    Running {
        started_at: Stamp,
    },
    Terminated(Terminated),
}

/// How a container's readiness probe fails, for the Unhealthy event's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Http { path: String, port: String },
    Tcp { port: String },
    Exec { command: String },
    None,
}

impl Probe {
    pub fn of_container(container: &Value) -> Probe {
        let Some(probe) = container.get("readinessProbe") else {
            return Probe::None;
        };
        let port_of = |v: Option<&Value>| match v {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => "8080".to_string(),
        };
        if let Some(http) = probe.get("httpGet") {
            Probe::Http {
                path: http
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("/")
                    .to_string(),
                port: port_of(http.get("port")),
            }
        } else if let Some(tcp) = probe.get("tcpSocket") {
            Probe::Tcp {
                port: port_of(tcp.get("port")),
            }
        } else if let Some(exec) = probe.get("exec") {
            let command = exec
                .get("command")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            Probe::Exec { command }
        } else {
            Probe::None
        }
    }

    /// The kubelet's message for a failed readiness probe against `ip`.
    pub fn failure_message(&self, ip: Option<Ipv4Addr>) -> String {
        let ip = ip.map_or_else(|| "10.244.0.1".to_string(), |ip| ip.to_string());
        match self {
            Probe::Http { path, port } => format!(
                "Readiness probe failed: Get \"http://{ip}:{port}{path}\": dial tcp {ip}:{port}: connect: connection refused"
            ),
            Probe::Tcp { port } => {
                format!("Readiness probe failed: dial tcp {ip}:{port}: connect: connection refused")
            }
            Probe::Exec { command } => {
                format!("Readiness probe failed: command \"{command}\" exited with 1")
            }
            Probe::None => {
                "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()
            }
        }
    }
}

/// One container of a simulated pod.
#[derive(Debug, Clone)]
pub struct ContainerSim {
    pub name: Arc<str>,
    pub image: Arc<str>,
    pub state: ContainerState,
    pub last: Option<Terminated>,
    pub restarts: u32,
    pub ready: bool,
    pub started: bool,
    /// Seed of the current instance's container ID; 0 before the first start.
    pub instance: u64,
    pub crashes: bool,
    pub pull_fails: bool,
    /// Consecutive back-offs (crash or pull), for the doubling delay.
    pub backoff: u32,
    /// Bumped on every state change: timers carrying an older epoch are stale.
    pub epoch: u32,
    /// Not ready because churn flapped it; recovers by itself.
    pub flapping: bool,
    pub probe: Probe,
}

impl ContainerSim {
    pub fn new(name: Arc<str>, image: Arc<str>, probe: Probe) -> Self {
        Self {
            name,
            image,
            state: ContainerState::Waiting {
                reason: "ContainerCreating",
                message: None,
            },
            last: None,
            restarts: 0,
            ready: false,
            started: false,
            instance: 0,
            crashes: false,
            pull_fails: false,
            backoff: 0,
            epoch: 0,
            flapping: false,
            probe,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, ContainerState::Running { .. })
    }

    /// Has this container ever run (so the pod counts as Running)?
    pub fn has_run(&self) -> bool {
        self.instance != 0
    }

    fn render(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(&*self.name));
        out.insert("state".into(), render_state(&self.state));
        out.insert(
            "lastState".into(),
            self.last.as_ref().map_or_else(
                || json!({}),
                |t| json!({"terminated": render_terminated(t)}),
            ),
        );
        out.insert("ready".into(), json!(self.ready));
        out.insert("restartCount".into(), json!(self.restarts));
        out.insert("image".into(), json!(normalize_image(&self.image)));
        let pulled = self.has_run();
        out.insert(
            "imageID".into(),
            json!(if pulled {
                image_id(&self.image)
            } else {
                String::new()
            }),
        );
        if pulled {
            out.insert("containerID".into(), json!(container_id(self.instance)));
        }
        out.insert("started".into(), json!(self.is_running()));
        Value::Object(out)
    }
}

pub fn container_id(instance: u64) -> String {
    format!("containerd://{}", hex64(&instance.to_string()))
}

fn render_terminated(t: &Terminated) -> Value {
    json!({
        "exitCode": t.exit_code,
        "reason": t.reason,
        "startedAt": render_stamp(t.started_at),
        "finishedAt": render_stamp(t.finished_at),
        "containerID": container_id(t.container_id),
    })
}

fn render_state(state: &ContainerState) -> Value {
    match state {
        ContainerState::Waiting { reason, message } => {
            let mut waiting = json!({"reason": reason});
            if let Some(message) = message {
                waiting["message"] = json!(message);
            }
            json!({"waiting": waiting})
        }
        ContainerState::Running { started_at } => {
            json!({"running": {"startedAt": render_stamp(*started_at)}})
        }
        ContainerState::Terminated(t) => json!({"terminated": render_terminated(t)}),
    }
}

/// When the pod's conditions last changed.
#[derive(Debug, Clone, Default)]
pub struct PodTimes {
    pub created: Stamp,
    pub scheduled: Option<Stamp>,
    pub started: Option<Stamp>,
    pub ready_changed: Stamp,
    pub containers_ready_changed: Stamp,
}

/// Everything the simulation tracks about one pod.
#[derive(Debug, Clone)]
pub struct PodState {
    pub uid: Arc<str>,
    /// resourceVersion of the newest version seen (echoes of our own writes are skipped).
    pub rv: u64,
    /// UID of the controlling owner (ReplicaSet, StatefulSet, DaemonSet).
    pub owner: Option<Arc<str>>,
    pub node: Option<Arc<str>>,
    /// Counts against its node's pod capacity and holds an address there.
    pub holds_slot: bool,
    pub phase: Phase,
    pub restart_policy: RestartPolicy,
    pub containers: Vec<ContainerSim>,
    pub init_containers: Vec<(Arc<str>, Arc<str>)>,
    pub faults: Option<Box<PodFaults>>,
    pub ip: Option<Ipv4Addr>,
    pub host_ip: Option<Ipv4Addr>,
    pub times: PodTimes,
    /// The Ready condition as the kubelet sees it now.
    pub ready: bool,
    /// The Ready condition as last written: what other controllers may act on.
    pub persisted_ready: bool,
    pub containers_ready: bool,
    /// The node's kubelet is reachable and Ready.
    pub node_ready: bool,
    /// Why the scheduler could not place the pod, as last written.
    pub unschedulable: Option<String>,
    pub deleting: bool,
    /// The kubelet has started working on this pod (sandbox created).
    pub kubelet_started: bool,
    /// `pod-template-hash` or `controller-revision-hash` label.
    pub revision: Option<Arc<str>>,
    /// StatefulSet ordinal.
    pub ordinal: Option<u32>,
    /// When the pod last became Ready (for minReadySeconds).
    pub ready_since: Option<Instant>,
    pub qos: &'static str,
    pub created_at: Instant,
    /// The status needs writing.
    pub dirty: bool,
}

impl PodState {
    pub fn faults(&self) -> PodFaults {
        self.faults.as_deref().cloned().unwrap_or_default()
    }

    pub fn all_containers_ready(&self) -> bool {
        self.containers.iter().all(|c| c.ready)
    }

    /// Running and Ready as stored, the state owners count and churn picks from.
    pub fn is_ready(&self) -> bool {
        self.persisted_ready && self.phase == Phase::Running
    }

    /// The status was written: what it says about readiness is now public. Returns true
    /// if the stored Ready condition changed.
    pub fn persisted(&mut self, at: Instant) -> bool {
        if self.persisted_ready == self.ready {
            return false;
        }
        self.persisted_ready = self.ready;
        self.ready_since = self.ready.then_some(at);
        true
    }

    pub fn is_active(&self) -> bool {
        !self.deleting && !self.phase.is_terminal()
    }

    /// Recomputes phase and readiness from the containers; returns true if the Ready
    /// condition changed.
    pub fn refresh(&mut self, now: Stamp) -> bool {
        if !self.phase.is_terminal() && self.kubelet_started {
            self.phase = self.phase_from_containers();
        }
        let containers_ready = self.kubelet_started && self.all_containers_ready();
        if containers_ready != self.containers_ready {
            self.containers_ready = containers_ready;
            self.times.containers_ready_changed = now;
        }
        let ready = containers_ready && self.node_ready;
        let changed = ready != self.ready;
        if changed {
            self.ready = ready;
            self.times.ready_changed = now;
        }
        changed
    }

    fn phase_from_containers(&self) -> Phase {
        let exits: Vec<i32> = self
            .containers
            .iter()
            .filter_map(|c| match &c.state {
                ContainerState::Terminated(t) if !self.restart_policy.restarts(t.exit_code) => {
                    Some(t.exit_code)
                }
                _ => None,
            })
            .collect();
        if !self.containers.is_empty() && exits.len() == self.containers.len() {
            if exits.iter().all(|e| *e == 0) {
                Phase::Succeeded
            } else {
                Phase::Failed
            }
        } else if self.containers.iter().all(ContainerSim::has_run) {
            Phase::Running
        } else {
            Phase::Pending
        }
    }

    fn unready_message(&self) -> String {
        let names: Vec<&str> = self
            .containers
            .iter()
            .filter(|c| !c.ready)
            .map(|c| &*c.name)
            .collect();
        format!("containers with unready status: [{}]", names.join(" "))
    }

    /// The pod's `status`, as the kubelet (and scheduler) would have written it.
    pub fn render_status(&self) -> Value {
        let mut status = Map::new();
        let mut conditions = Vec::new();
        let condition =
            |type_: &str, ok: bool, at: Stamp, reason: Option<&str>, message: Option<String>| {
                let mut c = json!({
                    "type": type_,
                    "status": if ok { "True" } else { "False" },
                    "lastProbeTime": null,
                    "lastTransitionTime": render_stamp(at),
                });
                if let Some(reason) = reason {
                    c["reason"] = json!(reason);
                }
                if let Some(message) = message {
                    c["message"] = json!(message);
                }
                c
            };
        if self.kubelet_started {
            let started = self.times.started.unwrap_or(self.times.created);
            conditions.push(condition(
                "PodReadyToStartContainers",
                true,
                started,
                None,
                None,
            ));
            conditions.push(condition("Initialized", true, started, None, None));
            let finished = match self.phase {
                Phase::Succeeded => Some("PodCompleted"),
                Phase::Failed => Some("PodFailed"),
                _ => None,
            };
            let unready =
                (!self.containers_ready && finished.is_none()).then(|| self.unready_message());
            let (ready_reason, ready_message) = if let Some(reason) = finished {
                (Some(reason), None)
            } else if self.containers_ready && !self.node_ready {
                (Some("NodeNotReady"), None)
            } else if self.ready {
                (None, None)
            } else {
                (Some("ContainersNotReady"), unready.clone())
            };
            conditions.push(condition(
                "Ready",
                self.ready,
                self.times.ready_changed,
                ready_reason,
                ready_message,
            ));
            conditions.push(condition(
                "ContainersReady",
                self.containers_ready,
                self.times.containers_ready_changed,
                finished.or((!self.containers_ready).then_some("ContainersNotReady")),
                unready,
            ));
        }
        match (&self.node, &self.unschedulable) {
            (Some(_), _) => conditions.push(condition(
                "PodScheduled",
                true,
                self.times.scheduled.unwrap_or(self.times.created),
                None,
                None,
            )),
            (None, Some(message)) => conditions.push(condition(
                "PodScheduled",
                false,
                self.times.created,
                Some("Unschedulable"),
                Some(message.clone()),
            )),
            (None, None) => {}
        }
        if !conditions.is_empty() {
            status.insert("conditions".into(), Value::Array(conditions));
        }
        if let Some(host_ip) = self.host_ip.filter(|_| self.node.is_some()) {
            status.insert("hostIP".into(), json!(host_ip.to_string()));
            status.insert("hostIPs".into(), json!([{"ip": host_ip.to_string()}]));
        }
        if !self.init_containers.is_empty() && self.kubelet_started {
            let started = self.times.started.unwrap_or(self.times.created);
            let statuses: Vec<Value> = self
                .init_containers
                .iter()
                .enumerate()
                .map(|(i, (name, image))| {
                    let instance = init_instance(&self.uid, i);
                    json!({
                        "name": &**name,
                        "state": {"terminated": render_terminated(&Terminated {
                            exit_code: 0, reason: "Completed", started_at: started,
                            finished_at: started, container_id: instance,
                        })},
                        "lastState": {},
                        "ready": true,
                        "restartCount": 0,
                        "image": normalize_image(image),
                        "imageID": image_id(image),
                        "containerID": container_id(instance),
                        "started": false,
                    })
                })
                .collect();
            status.insert("initContainerStatuses".into(), Value::Array(statuses));
        }
        if self.kubelet_started {
            status.insert(
                "containerStatuses".into(),
                Value::Array(self.containers.iter().map(ContainerSim::render).collect()),
            );
        }
        status.insert("phase".into(), json!(self.phase.as_str()));
        if let Some(ip) = self.ip.filter(|_| self.phase == Phase::Running) {
            status.insert("podIP".into(), json!(ip.to_string()));
            status.insert("podIPs".into(), json!([{"ip": ip.to_string()}]));
        }
        status.insert("qosClass".into(), json!(self.qos));
        if let Some(started) = self.times.started.filter(|_| self.kubelet_started) {
            status.insert("startTime".into(), json!(render_stamp(started)));
        }
        Value::Object(status)
    }
}

fn init_instance(uid: &str, index: usize) -> u64 {
    super::naming::fnv64a(format!("{uid}/init/{index}").as_bytes())
}

/// The QoS class the API server assigns from the containers' resources.
pub fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let requests = c.pointer("/resources/requests").and_then(Value::as_object);
        let limits = c.pointer("/resources/limits").and_then(Value::as_object);
        if requests.is_some_and(|r| !r.is_empty()) || limits.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        let complete = ["cpu", "memory"].iter().all(|r| {
            let limit = limits.and_then(|l| l.get(*r));
            let request = requests.and_then(|q| q.get(*r)).or(limit);
            limit.is_some() && request == limit
        });
        guaranteed &= complete;
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::HealthStatus;
    use crate::domain::health;

    fn pod_state() -> PodState {
        PodState {
            uid: Arc::from("u-1"),
            rv: 1,
            owner: None,
            node: None,
            holds_slot: false,
            phase: Phase::Pending,
            restart_policy: RestartPolicy::Always,
            containers: vec![ContainerSim::new(
                Arc::from("web"),
                Arc::from("nginx:1.27"),
                Probe::None,
            )],
            init_containers: vec![],
            faults: None,
            ip: None,
            host_ip: None,
            times: PodTimes {
                created: 1_700_000_000,
                ..Default::default()
            },
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
        }
    }

    fn as_pod(state: &PodState) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "ns"},
               "spec": {"restartPolicy": "Always", "containers": [{"name": "web", "image": "nginx:1.27"}]},
               "status": state.render_status()})
    }

    fn health_of(state: &PodState) -> HealthStatus {
        health::assess(&as_pod(state))
            .expect("pods have health")
            .status
    }

    #[test]
    fn a_pod_goes_pending_running_ready_and_argo_agrees() {
        let mut pod = pod_state();
        pod.unschedulable = Some("0/3 nodes are available: 3 Too many pods.".into());
        let status = pod.render_status();
        assert_eq!(status["phase"], "Pending");
        assert_eq!(status["conditions"][0]["reason"], "Unschedulable");
        assert_eq!(health_of(&pod), HealthStatus::Progressing);

        pod.unschedulable = None;
        pod.node = Some(Arc::from("n1"));
        pod.host_ip = Some(Ipv4Addr::new(10, 0, 0, 10));
        pod.kubelet_started = true;
        pod.times.started = Some(1_700_000_001);
        pod.refresh(1_700_000_001);
        let status = pod.render_status();
        assert_eq!(status["phase"], "Pending");
        assert_eq!(
            status["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
        assert_eq!(status["containerStatuses"][0]["imageID"], "");

        pod.containers[0].state = ContainerState::Running {
            started_at: 1_700_000_002,
        };
        pod.containers[0].instance = 7;
        pod.ip = Some(Ipv4Addr::new(10, 244, 0, 5));
        assert!(!pod.refresh(1_700_000_002));
        let status = pod.render_status();
        assert_eq!(status["phase"], "Running");
        assert_eq!(status["podIP"], "10.244.0.5");
        assert_eq!(status["conditions"][2]["type"], "Ready");
        assert_eq!(status["conditions"][2]["status"], "False");
        assert_eq!(
            status["conditions"][2]["message"],
            "containers with unready status: [web]"
        );
        assert_eq!(health_of(&pod), HealthStatus::Progressing);

        pod.containers[0].ready = true;
        assert!(pod.refresh(1_700_000_004));
        let status = pod.render_status();
        assert_eq!(status["conditions"][2]["status"], "True");
        assert_eq!(status["containerStatuses"][0]["started"], true);
        assert!(
            status["containerStatuses"][0]["containerID"]
                .as_str()
                .expect("id")
                .starts_with("containerd://")
        );
        assert_eq!(health_of(&pod), HealthStatus::Healthy);

        pod.node_ready = false;
        assert!(pod.refresh(1_700_000_009));
        assert_eq!(
            pod.render_status()["conditions"][2]["reason"],
            "NodeNotReady"
        );
    }

    #[test]
    fn crash_loop_and_image_pull_back_off_are_degraded() {
        let mut pod = pod_state();
        pod.node = Some(Arc::from("n1"));
        pod.kubelet_started = true;
        pod.containers[0].instance = 3;
        pod.containers[0].restarts = 2;
        pod.containers[0].last = Some(Terminated {
            exit_code: 1,
            reason: "Error",
            started_at: 1_700_000_000,
            finished_at: 1_700_000_003,
            container_id: 3,
        });
        pod.containers[0].state = ContainerState::Waiting {
            reason: "CrashLoopBackOff",
            message: Some("back-off 20s restarting failed container=web pod=web-1_ns(u-1)".into()),
        };
        pod.refresh(1_700_000_003);
        let status = pod.render_status();
        assert_eq!(status["phase"], "Running");
        assert_eq!(
            status["containerStatuses"][0]["lastState"]["terminated"]["exitCode"],
            1
        );
        assert_eq!(health_of(&pod), HealthStatus::Degraded);

        let mut pull = pod_state();
        pull.node = Some(Arc::from("n1"));
        pull.kubelet_started = true;
        pull.containers[0].state = ContainerState::Waiting {
            reason: "ImagePullBackOff",
            message: Some("Back-off pulling image \"nginx:nope\"".into()),
        };
        pull.refresh(1_700_000_003);
        assert_eq!(pull.render_status()["phase"], "Pending");
        assert_eq!(health_of(&pull), HealthStatus::Degraded);
    }

    #[test]
    fn restart_policies_decide_when_a_pod_is_done() {
        assert!(RestartPolicy::Always.restarts(0));
        assert!(RestartPolicy::OnFailure.restarts(1) && !RestartPolicy::OnFailure.restarts(0));
        assert!(!RestartPolicy::Never.restarts(1));
        let mut pod = pod_state();
        pod.restart_policy = RestartPolicy::Never;
        pod.kubelet_started = true;
        pod.containers[0].instance = 1;
        pod.containers[0].state = ContainerState::Terminated(Terminated {
            exit_code: 0,
            reason: "Completed",
            started_at: 1,
            finished_at: 2,
            container_id: 1,
        });
        pod.refresh(3);
        assert_eq!(pod.phase, Phase::Succeeded);
        assert_eq!(
            pod.render_status()["conditions"][2]["reason"],
            "PodCompleted"
        );
        assert_eq!(health_of(&pod), HealthStatus::Healthy);
    }

    #[test]
    fn qos_classes() {
        assert_eq!(
            qos_class(&json!({"containers": [{"name": "a"}]})),
            "BestEffort"
        );
        assert_eq!(
            qos_class(&json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]})),
            "Burstable"
        );
        assert_eq!(
            qos_class(
                &json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]})
            ),
            "Guaranteed"
        );
    }

    #[test]
    fn probe_messages_name_the_endpoint() {
        let probe = Probe::of_container(
            &json!({"readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}}),
        );
        assert_eq!(
            probe.failure_message(Some(Ipv4Addr::new(10, 244, 1, 2))),
            "Readiness probe failed: Get \"http://10.244.1.2:8080/healthz\": dial tcp 10.244.1.2:8080: connect: connection refused"
        );
        assert_eq!(Probe::of_container(&json!({})), Probe::None);
    }
}
