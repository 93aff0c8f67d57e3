//! The controller of one cluster: a single task that folds the store's watch into slim
//! caches, runs the reconcilers from de-duplicating work queues, and fires delayed
//! transitions from one timer queue. Each round does a bounded number of writes and then
//! yields, so a burst (25,000 new pods) never starves the API server or the watch drain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::WorkloadOptions;
use super::events::{EventLimits, EventRecorder, Involved, Severity, Source};
use super::naming::Rng;
use super::nodes::NodeState;
use super::pod::{Key, PodState};
use super::sets::{SampleSet, WorkQueue};
use super::timers::TimerQueue;
use super::writer::{CONTROLLER_MANAGER, Counters, Writer};
use crate::sim::api::Part;
use crate::sim::clock::SimClock;
use crate::sim::error::ApiError;
use crate::sim::resources::ResourceType;
use crate::sim::store::{Subscription, WatchStart};

/// What the handle can ask of a running controller.
#[derive(Debug)]
pub enum Control {
    Churn(f64),
    LogRate(f64),
    EventRate(f64),
    Stop,
}

/// A step of a container's life, due at a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The image pull finishes (or fails).
    Pull,
    /// ErrImagePull turns into ImagePullBackOff.
    PullBackOff,
    /// The pull back-off ended: pull again.
    PullRetry,
    /// The readiness probe starts passing.
    Ready,
    /// The readiness probe fails again (Unhealthy event).
    Probe,
    /// The container dies.
    Crash,
    /// The dead container waits in CrashLoopBackOff.
    CrashBackOff,
    /// A run-to-completion container exits 0.
    Complete,
    /// The back-off ended: a new instance starts.
    Restart,
    /// A churn readiness flap recovers.
    Recover,
}

/// Delayed transitions, all in one queue.
#[derive(Debug, Clone)]
pub enum Timer {
    Container {
        pod: Key,
        index: usize,
        epoch: u32,
        step: Step,
    },
    /// A ReplicaSet/StatefulSet/DaemonSet has pods reaching minReadySeconds.
    Owner(Arc<str>),
    /// A Deployment's progress deadline may have passed.
    Deadline(Key),
    BindVolume(Key),
    LoadBalancer(Key),
    NodeHeartbeat(Arc<str>),
    Evict {
        node: Arc<str>,
        epoch: u32,
    },
    Reschedule,
    ExpireEvents,
    LogTick,
    ChurnTick,
}

/// Kinds that own pods or ReplicaSets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
}

/// What the reconcilers need of a Deployment, StatefulSet or DaemonSet between passes.
#[derive(Debug, Clone)]
pub struct WorkloadMeta {
    pub uid: Arc<str>,
    pub rv: u64,
    pub deleting: bool,
    /// A Deployment's pending progress-deadline check, so there is at most one.
    pub deadline_check: Option<Instant>,
}

/// What the deployment controller needs of a ReplicaSet.
#[derive(Debug, Clone, Default)]
pub struct RsInfo {
    pub uid: Arc<str>,
    pub rv: u64,
    pub owner: Option<Arc<str>>,
    pub generation: i64,
    pub spec_replicas: i64,
    pub hash: Option<String>,
    pub revision: i64,
    pub created: String,
    pub min_ready_seconds: i64,
    pub deleting: bool,
    pub status: RsStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RsStatus {
    pub replicas: i64,
    pub ready: i64,
    pub available: i64,
    pub observed_generation: i64,
}

#[derive(Debug, Clone)]
pub struct PvcState {
    pub uid: Arc<str>,
    pub rv: u64,
    pub bound: bool,
    pub deleting: bool,
    /// A pod using it was scheduled (WaitForFirstConsumer classes bind then).
    pub consumer: bool,
    pub bind_scheduled: bool,
    /// The last thing we told the user about it, so events are not repeated every pass.
    pub announced: &'static str,
}

#[derive(Debug, Clone)]
pub struct ClassInfo {
    pub provisioner: String,
    pub wait_for_consumer: bool,
    pub default: bool,
}

#[derive(Debug, Clone)]
pub struct ServiceState {
    pub uid: Arc<str>,
    pub rv: u64,
    pub load_balancer: bool,
    pub has_ingress: bool,
    pub pending: bool,
}

#[derive(Default)]
pub struct Queues {
    pub nodes: WorkQueue<Arc<str>>,
    pub deployments: WorkQueue<Key>,
    pub replicasets: WorkQueue<Key>,
    pub statefulsets: WorkQueue<Key>,
    pub daemonsets: WorkQueue<Key>,
    pub schedule: WorkQueue<Key>,
    pub pod_status: WorkQueue<Key>,
    pub volumes: WorkQueue<Key>,
    pub services: WorkQueue<Key>,
}

impl Queues {
    fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.deployments.is_empty()
            && self.replicasets.is_empty()
            && self.statefulsets.is_empty()
            && self.daemonsets.is_empty()
            && self.schedule.is_empty()
            && self.pod_status.is_empty()
            && self.volumes.is_empty()
            && self.services.is_empty()
    }
}

/// Churn knob state.
pub struct Churn {
    pub rate: f64,
    pub carry: f64,
    pub last: Instant,
    pub ticking: bool,
}

/// Periodic log knob state.
pub struct LogPump {
    pub cap: f64,
    pub carry: f64,
    pub last: Instant,
}

/// Everything one cluster's workload simulation knows.
pub struct Controller {
    pub w: Writer,
    pub clock: SimClock,
    pub opts: WorkloadOptions,
    pub rng: Rng,
    pub timers: TimerQueue<Timer>,
    pub queues: Queues,
    /// Writes left in this round.
    pub budget: usize,
    /// When this round must yield.
    pub round_ends: Instant,
    strings: HashMap<Box<str>, Arc<str>>,

    pub pods: HashMap<Key, PodState>,
    pub pods_by_owner: HashMap<Arc<str>, HashSet<Key>>,
    pub pods_on_node: HashMap<Arc<str>, HashSet<Key>>,
    /// Pods with a running container: periodic log targets.
    pub running: SampleSet<Key>,
    /// Ready, fault-free pods: churn targets.
    pub churnable: SampleSet<Key>,
    /// Pods the scheduler could not place, waiting for room.
    pub parked: SampleSet<Key>,

    pub nodes: BTreeMap<Arc<str>, NodeState>,
    pub node_cursor: usize,
    pub next_node_index: u32,

    pub owners: HashMap<Arc<str>, (OwnerKind, Key)>,
    pub deployments: HashMap<Key, WorkloadMeta>,
    pub statefulsets: HashMap<Key, WorkloadMeta>,
    pub daemonsets: HashMap<Key, WorkloadMeta>,
    pub replicasets: HashMap<Key, RsInfo>,
    pub rs_by_owner: HashMap<Arc<str>, HashSet<Key>>,

    pub pvcs: HashMap<Key, PvcState>,
    pub classes: HashMap<Arc<str>, ClassInfo>,
    pub services: HashMap<Key, ServiceState>,
    pub next_lb_ip: u32,

    pub events: EventRecorder,
    pub churn: Churn,
    pub logs: LogPump,
}

/// Where timers that should effectively never fire are parked by `sleep_until`.
const FAR: Duration = Duration::from_secs(86_400 * 365);

impl Controller {
    pub fn new(writer: Writer, clock: SimClock, opts: WorkloadOptions) -> Self {
        let limits = EventLimits {
            rate: opts.event_rate,
            burst: opts.event_burst,
            ttl: clock.scaled(opts.event_ttl),
            per_namespace: opts.events_per_namespace,
        };
        let now = Instant::now();
        // Each cluster draws its own names from the same seed.
        let seed = opts.seed ^ super::naming::fnv64a(writer.cluster.name.as_bytes());
        Self {
            w: writer,
            clock,
            rng: Rng::new(seed),
            timers: TimerQueue::default(),
            queues: Queues::default(),
            budget: opts.writes_per_round,
            round_ends: now,
            strings: HashMap::new(),
            pods: HashMap::new(),
            pods_by_owner: HashMap::new(),
            pods_on_node: HashMap::new(),
            running: SampleSet::default(),
            churnable: SampleSet::default(),
            parked: SampleSet::default(),
            nodes: BTreeMap::new(),
            node_cursor: 0,
            next_node_index: 0,
            owners: HashMap::new(),
            deployments: HashMap::new(),
            statefulsets: HashMap::new(),
            daemonsets: HashMap::new(),
            replicasets: HashMap::new(),
            rs_by_owner: HashMap::new(),
            pvcs: HashMap::new(),
            classes: HashMap::new(),
            services: HashMap::new(),
            next_lb_ip: 0,
            events: EventRecorder::new(limits),
            churn: Churn {
                rate: opts.churn_per_sec,
                carry: 0.0,
                last: now,
                ticking: false,
            },
            logs: LogPump {
                cap: opts.log_lines_per_sec,
                carry: 0.0,
                last: now,
            },
            opts,
        }
    }

    /// A shared copy of a namespace, image or container name.
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(Box::from(s), a.clone());
        a
    }

    pub fn key(&mut self, namespace: &str, name: &str) -> Key {
        (self.intern(namespace), Arc::from(name))
    }

    /// Real time until a simulated delay has passed.
    pub fn after(&self, simulated: Duration) -> Instant {
        Instant::now() + self.clock.scaled(simulated)
    }

    pub fn schedule(&mut self, simulated: Duration, timer: Timer) {
        let at = self.after(simulated);
        self.timers.schedule(at, timer);
    }

    /// Spends one write of this round's budget.
    pub fn spend(&mut self) {
        self.budget = self.budget.saturating_sub(1);
    }

    pub fn has_budget(&self) -> bool {
        self.budget > 0 && Instant::now() < self.round_ends
    }

    pub fn event(
        &mut self,
        involved: &Involved,
        severity: Severity,
        reason: &str,
        message: &str,
        source: Source<'_>,
    ) {
        self.spend();
        self.events
            .record(&self.w, involved, severity, reason, message, source);
    }

    /// A Normal event a controller (`component`) records about an object it manages.
    pub fn controller_event(
        &mut self,
        involved: &Involved,
        component: &'static str,
        reason: &str,
        message: &str,
    ) {
        let source = Source {
            component,
            host: None,
        };
        self.event(involved, Severity::Normal, reason, message, source);
    }

    pub fn status_write(
        &mut self,
        rt: &ResourceType,
        key: &Key,
        status: Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        self.spend();
        self.w.status(rt, &key.0, &key.1, status, manager)
    }

    /// Writes a Deployment's, StatefulSet's or DaemonSet's status as the controller manager
    /// and records the write so its echo is skipped; a failed write (other than the object
    /// being gone) queues the object again. The written object on success.
    pub fn workload_status_write(
        &mut self,
        kind: OwnerKind,
        key: &Key,
        status: Value,
    ) -> Option<Value> {
        let types = &self.w.types;
        let rt = match kind {
            OwnerKind::Deployment => types.deployments.clone(),
            OwnerKind::StatefulSet => types.statefulsets.clone(),
            OwnerKind::DaemonSet => types.daemonsets.clone(),
            OwnerKind::ReplicaSet => types.replicasets.clone(),
        };
        match self.status_write(&rt, key, status, CONTROLLER_MANAGER) {
            Ok(written) => {
                self.saw_workload_write(kind, key, &written);
                Some(written)
            }
            Err(e) if e.code == 404 => None,
            Err(_) => {
                let queue = match kind {
                    OwnerKind::Deployment => &mut self.queues.deployments,
                    OwnerKind::StatefulSet => &mut self.queues.statefulsets,
                    OwnerKind::DaemonSet => &mut self.queues.daemonsets,
                    OwnerKind::ReplicaSet => &mut self.queues.replicasets,
                };
                queue.push(key.clone());
                None
            }
        }
    }

    pub fn merge_write(
        &mut self,
        rt: &ResourceType,
        key: &Key,
        patch: &Value,
        part: Part,
        manager: &str,
    ) -> Result<Value, ApiError> {
        self.spend();
        self.w.merge(rt, &key.0, &key.1, patch, part, manager)
    }

    pub fn create_write(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        obj: Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        self.spend();
        self.w.create(rt, namespace, obj, manager)
    }

    pub fn delete_write(
        &mut self,
        rt: &ResourceType,
        key: &Key,
        manager: &str,
    ) -> Result<(), ApiError> {
        self.spend();
        self.w.delete(rt, &key.0, &key.1, manager)
    }

    /// Queues the reconciler of whatever owns `uid`.
    pub fn owner_dirty(&mut self, uid: &Arc<str>) {
        let Some((kind, key)) = self.owners.get(uid).cloned() else {
            return;
        };
        match kind {
            OwnerKind::Deployment => self.queues.deployments.push(key),
            OwnerKind::ReplicaSet => self.queues.replicasets.push(key),
            OwnerKind::StatefulSet => self.queues.statefulsets.push(key),
            OwnerKind::DaemonSet => self.queues.daemonsets.push(key),
        }
    }

    pub fn all_workloads_dirty(&mut self) {
        let deployments: Vec<Key> = self.deployments.keys().cloned().collect();
        let replicasets: Vec<Key> = self.replicasets.keys().cloned().collect();
        let statefulsets: Vec<Key> = self.statefulsets.keys().cloned().collect();
        let daemonsets: Vec<Key> = self.daemonsets.keys().cloned().collect();
        deployments
            .into_iter()
            .for_each(|k| self.queues.deployments.push(k));
        replicasets
            .into_iter()
            .for_each(|k| self.queues.replicasets.push(k));
        statefulsets
            .into_iter()
            .for_each(|k| self.queues.statefulsets.push(k));
        daemonsets
            .into_iter()
            .for_each(|k| self.queues.daemonsets.push(k));
    }

    fn subscribe(&self) -> Option<Subscription> {
        match self.w.cluster.store.watch(None, WatchStart::CurrentState) {
            Ok(sub) => Some(sub),
            Err(e) => {
                tracing::error!(
                    "{} sim workloads cannot watch the store: {e}",
                    self.w.cluster.name
                );
                None
            }
        }
    }

    /// Runs until stopped or the handle goes away.
    pub async fn run(mut self, mut control: mpsc::UnboundedReceiver<Control>) {
        let Some(mut sub) = self.subscribe() else {
            return;
        };
        let replay = std::mem::take(&mut sub.replay);
        for event in &replay {
            self.on_event(event);
        }
        drop(replay);
        self.bootstrap();
        loop {
            if !self.drain(&mut sub) {
                return;
            }
            while let Ok(msg) = control.try_recv() {
                if !self.on_control(msg) {
                    return;
                }
            }
            self.budget = self.opts.writes_per_round;
            self.round_ends = Instant::now() + self.opts.round_time;
            self.fire_due_timers();
            self.work();
            let now = Instant::now();
            let timers_due = self.timers.next_deadline().is_some_and(|t| t <= now);
            if !self.queues.is_empty() || timers_due {
                tokio::task::yield_now().await;
                continue;
            }
            let wake = self.timers.next_deadline().unwrap_or(now + FAR);
            tokio::select! {
                msg = control.recv() => match msg {
                    Some(msg) => if !self.on_control(msg) { return },
                    None => return,
                },
                event = sub.live.recv() => match event {
                    Ok(event) => self.on_event(&event),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.resync(&mut sub) { return }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// Folds every watch event already delivered into the caches.
    fn drain(&mut self, sub: &mut Subscription) -> bool {
        loop {
            match sub.live.try_recv() {
                Ok(event) => self.on_event(&event),
                Err(broadcast::error::TryRecvError::Empty) => return true,
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    if !self.resync(sub) {
                        return false;
                    }
                }
                Err(broadcast::error::TryRecvError::Closed) => return false,
            }
        }
    }

    /// The watch fell behind: start over from the current state, like an informer relist.
    fn resync(&mut self, sub: &mut Subscription) -> bool {
        Counters::add(&self.w.counters.resyncs, 1);
        let Some(mut fresh) = self.subscribe() else {
            return false;
        };
        let replay = std::mem::take(&mut fresh.replay);
        self.relist(&replay);
        *sub = fresh;
        true
    }

    fn on_control(&mut self, msg: Control) -> bool {
        match msg {
            Control::Stop => return false,
            Control::Churn(rate) => {
                self.churn.rate = rate.max(0.0);
                self.churn.last = Instant::now();
                self.churn.carry = 0.0;
                self.start_churn_ticks();
            }
            Control::LogRate(rate) => self.logs.cap = rate.max(0.0),
            Control::EventRate(rate) => self.events.set_rate(rate),
        }
        true
    }

    /// After the initial replay: nodes for an empty cluster, and the periodic timers.
    fn bootstrap(&mut self) {
        if self.nodes.is_empty() {
            self.create_default_nodes();
        }
        let sweep = (self.opts.event_ttl / 10).max(Duration::from_secs(1));
        self.schedule(sweep, Timer::ExpireEvents);
        self.timers
            .schedule(Instant::now() + Duration::from_secs(1), Timer::LogTick);
        self.schedule(Duration::from_secs(60), Timer::Reschedule);
        self.start_churn_ticks();
    }

    fn fire_due_timers(&mut self) {
        let now = Instant::now();
        while self.has_budget() {
            let Some(timer) = self.timers.pop_due(now) else {
                break;
            };
            self.on_timer(timer);
        }
    }

    fn on_timer(&mut self, timer: Timer) {
        match timer {
            Timer::Container {
                pod,
                index,
                epoch,
                step,
            } => self.container_step(&pod, index, epoch, step),
            Timer::Owner(uid) => self.owner_dirty(&uid),
            Timer::Deadline(key) => {
                if let Some(meta) = self.deployments.get_mut(&key) {
                    meta.deadline_check = None;
                }
                self.queues.deployments.push(key);
            }
            Timer::BindVolume(key) => self.bind_volume(&key),
            Timer::LoadBalancer(key) => self.provision_load_balancer(&key),
            Timer::NodeHeartbeat(node) => self.node_heartbeat(&node),
            Timer::Evict { node, epoch } => self.evict_from_not_ready(&node, epoch),
            Timer::Reschedule => {
                self.unpark(usize::MAX);
                self.schedule(Duration::from_secs(60), Timer::Reschedule);
            }
            Timer::ExpireEvents => {
                self.events.expire(&self.w);
                let sweep = (self.opts.event_ttl / 10).max(Duration::from_secs(1));
                self.schedule(sweep, Timer::ExpireEvents);
            }
            Timer::LogTick => {
                self.log_tick();
                self.timers
                    .schedule(Instant::now() + Duration::from_secs(1), Timer::LogTick);
            }
            Timer::ChurnTick => self.churn_tick(),
        }
    }

    /// Runs the reconcilers while this round's budget lasts.
    fn work(&mut self) {
        while self.has_budget() {
            if let Some(node) = self.queues.nodes.pop() {
                self.write_node_status(&node);
            } else if let Some(key) = self.queues.deployments.pop() {
                self.reconcile_deployment(&key);
            } else if let Some(key) = self.queues.replicasets.pop() {
                self.reconcile_replicaset(&key);
            } else if let Some(key) = self.queues.statefulsets.pop() {
                self.reconcile_statefulset(&key);
            } else if let Some(key) = self.queues.daemonsets.pop() {
                self.reconcile_daemonset(&key);
            } else if let Some(key) = self.queues.schedule.pop() {
                self.schedule_pod(&key);
            } else if let Some(key) = self.queues.pod_status.pop() {
                self.flush_pod_status(&key);
            } else if let Some(key) = self.queues.volumes.pop() {
                self.reconcile_volume(&key);
            } else if let Some(key) = self.queues.services.pop() {
                self.reconcile_service(&key);
            } else {
                break;
            }
        }
        self.w
            .counters
            .pods
            .store(self.pods.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
}
