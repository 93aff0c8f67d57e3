//! The workload controllers of a simulated cluster — what kube-controller-manager, the
//! scheduler, the kubelets and the cloud/storage controllers do — so that Deployments,
//! StatefulSets, DaemonSets, Services and PVCs created through the API progress like real ones.
//!
//! - **Deployment → ReplicaSet → Pods**: ReplicaSets named `<deployment>-<pod-template-hash>`,
//!   rolling updates within maxSurge/maxUnavailable (or Recreate), revision annotations and
//!   history cleanup, status and conditions (Available; Progressing with NewReplicaSetCreated,
//!   ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded) exactly as the
//!   deployment controller writes them, so `health::assess` and `kubectl rollout status` agree.
//! - **StatefulSet** (ordered `<name>-N` pods, claims, partitioned rolling updates),
//!   **DaemonSet** (a pod per eligible node), **ReplicaSet** status.
//! - **Pods**: scheduled round-robin onto Ready nodes with room, then Pending
//!   (ContainerCreating) → Running → Ready after a simulated delay, with the kubelet's
//!   conditions, containerStatuses, IPs and events; `restartPolicy: Never/OnFailure` pods
//!   (hooks, one-off tasks) run to completion and end Succeeded (or Failed).
//! - **Faults** through annotations on the pod template (see [`faults`]): crash loops with
//!   back-off, image pull errors, late or never ready; NotReady nodes (their pods lose
//!   readiness, new pods avoid them, and after the not-ready toleration their non-daemon pods
//!   are evicted).
//! - **Nodes** (`<cluster>-node-N` when a cluster has none; a Ready status for nodes given
//!   without one; a heartbeat; NotReady), **PVCs** (bound by a provisioner once a
//!   StorageClass exists), **LoadBalancer Services** (an ingress address after a delay).
//! - **Events** with correlation (`count`), a rate budget, a TTL and a per-namespace cap.
//! - **Logs** per container (see [`logs`] for how their cost stays bounded).
//! - **Churn**: [`WorkloadsHandle::set_churn`] for benchmarks.
//!
//! # How it runs
//! One tokio task per cluster. It watches the whole store (`Store::watch(None, ..)`: a replay,
//! then every change), keeps slim caches (about a kilobyte per pod), and reconciles from
//! de-duplicating work queues. Every delayed transition — a pull finishing, a probe passing, a
//! crash, a back-off ending, a load balancer appearing — is an entry in one timer queue, not a
//! task or sleep per pod. A round does at most `writes_per_round` writes or runs `round_time`
//! (2 ms) and then yields, so 25,000 new pods are created in steady slices while the API
//! server's requests interleave; when idle, the task sleeps until the next timer (about one
//! wakeup a second for periodic logs, and one node heartbeat per node every 5 minutes). If the
//! watch falls behind (broadcast lag) the caches are rebuilt from the store, like an
//! informer's relist. All writes go through `ClusterState` with the real components' field
//! managers (`kubelet`, `kube-controller-manager`, `default-scheduler`...), so watchers see
//! ordinary MODIFIED events on `/status`.
//!
//! Simulated delays are divided by the [`SimClock`] speed; timestamps stay wall-clock.
//! Nodes seeded by a scenario should exist before [`Workloads::spawn`] (or set
//! `default_nodes: 0`), since a cluster without nodes gets default ones at start.
//!
//! # Scale notes
//! Nodes take at most `max_pods_per_node` (110, like a kubelet) pods: a 25,000-pod cluster
//! needs at least 228 nodes (create them, or set `default_nodes`). Event writes are limited by
//! a token bucket (`event_rate`, `event_burst`; Normal events are dropped before Warnings), so
//! a burst of pod creations records a sample of the Normal events rather than six per pod.
//! The simulation keeps roughly 1 KiB per pod (plus its few log lines); the API store and its
//! watch history hold the objects themselves.

pub mod faults;
pub mod logs;
pub mod naming;
pub mod rollout;

mod cache;
mod controller;
mod daemonset;
mod deployment;
mod events;
mod kubelet;
mod nodes;
mod pod;
mod replicaset;
mod scheduler;
mod services;
mod sets;
mod statefulset;
mod storage;
#[cfg(test)]
mod tests;
mod timers;
mod writer;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::sim::clock::SimClock;
use crate::sim::cluster::ClusterState;
use controller::{Control, Controller};
use writer::{Counters, Types, Writer};

pub use faults::{
    CRASH_AFTER, CRASH_LOOP, EXIT_CODE, IMAGE_PULL_ERROR, NEVER_READY, NODE_NOT_READY, READY_AFTER,
    RUN_FOR,
};

/// Knobs of one cluster's workload simulation. Durations are simulated time unless noted.
#[derive(Debug, Clone)]
pub struct WorkloadOptions {
    /// Nodes `<cluster>-node-N` created when the cluster has none when the controllers start.
    pub default_nodes: usize,
    /// Pod capacity of nodes that do not report one.
    pub max_pods_per_node: u32,
    /// Pulling an image not yet on the node.
    pub pull_delay: Duration,
    /// From container start to passing readiness (unless `sim.k8tre.io/ready-after`).
    pub ready_delay: Duration,
    /// How long a crash-looping container runs (unless `sim.k8tre.io/crash-after`).
    pub crash_after: Duration,
    /// How long containers of `restartPolicy: Never/OnFailure` pods (hooks, one-off tasks)
    /// run before exiting 0 (unless `sim.k8tre.io/run-for`).
    pub run_to_completion: Duration,
    /// Cap of the crash and image pull back-off (the kubelet's is 5 minutes).
    pub max_backoff: Duration,
    pub load_balancer_delay: Duration,
    pub volume_bind_delay: Duration,
    /// How often each kubelet re-reports its node status (real time, like the
    /// `lastHeartbeatTime` ages a client computes against the wall clock).
    pub node_status_interval: Duration,
    /// How long pods stay on a NotReady node before eviction (the default toleration).
    pub not_ready_eviction: Duration,
    /// Event writes per real second, sustained, per cluster.
    pub event_rate: f64,
    /// Event writes allowed in a burst.
    pub event_burst: f64,
    /// How long an event lives after its last occurrence (the API server's `--event-ttl`).
    pub event_ttl: Duration,
    /// Most events kept per namespace.
    pub events_per_namespace: usize,
    /// Periodic log lines per real second for the whole cluster, at most.
    pub log_lines_per_sec: f64,
    /// A running container logs a periodic line about this often, when the cap allows.
    pub log_interval: Duration,
    /// Pod status changes per real second for benchmarks (0: none).
    pub churn_per_sec: f64,
    /// Seed of the simulation's random choices (names, jitter, churn targets).
    pub seed: u64,
    /// Writes per controller round before yielding to the runtime.
    pub writes_per_round: usize,
    /// Longest a controller round runs (real time) before yielding, so the API server's
    /// requests interleave with a burst of controller work.
    pub round_time: Duration,
}

impl Default for WorkloadOptions {
    fn default() -> Self {
        Self {
            default_nodes: 3,
            max_pods_per_node: 110,
            pull_delay: Duration::from_secs(1),
            ready_delay: Duration::from_secs(2),
            crash_after: Duration::from_secs(3),
            run_to_completion: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
            load_balancer_delay: Duration::from_secs(3),
            volume_bind_delay: Duration::from_secs(2),
            node_status_interval: Duration::from_secs(300),
            not_ready_eviction: Duration::from_secs(300),
            event_rate: 100.0,
            event_burst: 1000.0,
            event_ttl: Duration::from_secs(3600),
            events_per_namespace: 250,
            log_lines_per_sec: 20.0,
            log_interval: Duration::from_secs(15),
            churn_per_sec: 0.0,
            seed: 0x6b38_7472_6500_0001,
            writes_per_round: 256,
            round_time: Duration::from_millis(2),
        }
    }
}

/// Why the controllers could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadsError {
    #[error("cluster {cluster} does not serve {kind}, which the workload controllers need")]
    MissingType { cluster: String, kind: String },
}

/// What the controllers have done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadStats {
    /// Successful writes (creates, status updates, patches, deletes, events).
    pub writes: u64,
    /// Writes the API refused (conflicts, objects deleted meanwhile...).
    pub write_errors: u64,
    pub events_recorded: u64,
    /// Events dropped by the rate budget.
    pub events_dropped: u64,
    /// Events removed by TTL or the per-namespace cap.
    pub events_expired: u64,
    pub log_lines: u64,
    pub churn_changes: u64,
    /// Times the watch fell behind and the caches were rebuilt.
    pub resyncs: u64,
    /// Pods currently simulated.
    pub pods: u64,
}

/// Entry point: [`Workloads::spawn`].
pub struct Workloads;

impl Workloads {
    /// Starts the workload controllers of one cluster on the current tokio runtime.
    pub fn spawn(
        cluster: Arc<ClusterState>,
        clock: SimClock,
        options: WorkloadOptions,
    ) -> Result<WorkloadsHandle, WorkloadsError> {
        let types = Types::of(&cluster).map_err(|kind| WorkloadsError::MissingType {
            cluster: cluster.name.clone(),
            kind,
        })?;
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            cluster,
            types,
            counters: counters.clone(),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let controller = Controller::new(writer, clock, options);
        let task = tokio::spawn(controller.run(rx));
        Ok(WorkloadsHandle {
            control: tx,
            task: Some(task),
            counters,
        })
    }
}

/// A running set of controllers. Dropping it stops them; [`WorkloadsHandle::stop`] also
/// waits for the task to end.
pub struct WorkloadsHandle {
    control: mpsc::UnboundedSender<Control>,
    task: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl WorkloadsHandle {
    /// About `changes_per_sec` pod status changes a second across the cluster (restart
    /// bumps and readiness flaps that recover); 0 stops churn.
    pub fn set_churn(&self, changes_per_sec: f64) {
        self.send(Control::Churn(changes_per_sec));
    }

    /// Caps periodic log lines per real second for the cluster.
    pub fn set_log_rate(&self, lines_per_sec: f64) {
        self.send(Control::LogRate(lines_per_sec));
    }

    /// Changes the sustained event write budget (events per real second).
    pub fn set_event_rate(&self, events_per_sec: f64) {
        self.send(Control::EventRate(events_per_sec));
    }

    fn send(&self, msg: Control) {
        // The task only ends through stop() or drop, which consume or own the handle.
        if self.control.send(msg).is_err() {
            tracing::warn!("sim workloads: the controller task has already ended");
        }
    }

    pub fn stats(&self) -> WorkloadStats {
        let c = &self.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        WorkloadStats {
            writes: get(&c.writes),
            write_errors: get(&c.write_errors),
            events_recorded: get(&c.events_recorded),
            events_dropped: get(&c.events_dropped),
            events_expired: get(&c.events_expired),
            log_lines: get(&c.log_lines),
            churn_changes: get(&c.churn_changes),
            resyncs: get(&c.resyncs),
            pods: get(&c.pods),
        }
    }

    /// Stops the controllers and waits for their task.
    pub async fn stop(mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
            && !e.is_cancelled()
        {
            tracing::warn!("sim workloads task ended badly: {e}");
        }
    }
}

impl Drop for WorkloadsHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
