//! The simulated kubelet: a pod bound to a Ready node pulls its images, starts its
//! containers, becomes ready after a delay, and (when its annotations say so) crash-loops or
//! fails to pull with Kubernetes' back-off. Also churn and periodic log lines.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::controller::{Controller, Step, Timer};
use super::events::{Involved, Severity, Source};
use super::faults::PodFaults;
use super::logs::{self, Flavor, LogContext};
use super::naming::normalize_image;
use super::pod::{ContainerState, Key, PodState, RestartPolicy, Terminated, now_stamp};
use super::writer::{Counters, KUBELET, rv_of};
use crate::sim::podlogs::ContainerKey;

/// Readiness probes run this often (simulated), the Kubernetes default `periodSeconds`.
const PROBE_PERIOD: Duration = Duration::from_secs(10);
/// How long a dead container shows as terminated before the kubelet reports the back-off.
const TERMINATED_FOR: Duration = Duration::from_secs(1);
/// How long after a failed pull the kubelet reports ImagePullBackOff.
const ERR_IMAGE_PULL_FOR: Duration = Duration::from_secs(2);
/// A kubelet on a NotReady node retries its work this often.
const NODE_DOWN_RETRY: Duration = Duration::from_secs(5);
/// The first crash / pull back-off; it doubles up to `WorkloadOptions::max_backoff`.
const FIRST_BACKOFF: Duration = Duration::from_secs(10);

/// A Go duration as the kubelet prints it: `10s`, `1m20s`, `5m0s`.
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{}h{}m{}s", secs / 3600, (secs % 3600) / 60, secs % 60)
    }
}

/// The `n`th back-off (1-based): 10s, 20s, 40s ... capped.
pub fn backoff(n: u32, cap: Duration) -> Duration {
    let factor = 1u32 << n.saturating_sub(1).min(16);
    (FIRST_BACKOFF * factor).min(cap)
}

/// What a container step needs to know, copied out of the pod so the controller is free.
struct Ctx {
    key: Key,
    index: usize,
    uid: Arc<str>,
    node: Arc<str>,
    container: Arc<str>,
    image: Arc<str>,
    faults: PodFaults,
}

impl Ctx {
    fn involved(&self) -> Involved {
        Involved {
            api_version: "v1",
            kind: "Pod",
            namespace: self.key.0.clone(),
            name: self.key.1.clone(),
            uid: self.uid.clone(),
            field_path: Some(format!("spec.containers{{{}}}", self.container)),
        }
    }

    fn log_key(&self) -> ContainerKey {
        (
            self.key.0.to_string(),
            self.key.1.to_string(),
            self.container.to_string(),
        )
    }

    /// `name_namespace(uid)`, how the kubelet names a pod in messages.
    fn pod_ref(&self) -> String {
        format!("{}_{}({})", self.key.1, self.key.0, self.uid)
    }
}

impl Controller {
    fn kubelet_event(&mut self, ctx: &Ctx, severity: Severity, reason: &str, message: &str) {
        let involved = ctx.involved();
        let node = ctx.node.clone();
        self.event(
            &involved,
            severity,
            reason,
            message,
            Source {
                component: KUBELET,
                host: Some(&node),
            },
        );
    }

    fn append_logs(&mut self, ctx: &Ctx, lines: Vec<String>) {
        let key = ctx.log_key();
        let now = Utc::now();
        let n = lines.len() as u64;
        for line in lines {
            self.w.cluster.logs.append(key.clone(), now, line);
        }
        Counters::add(&self.w.counters.log_lines, n);
    }

    fn ctx(&self, key: &Key, index: usize) -> Option<Ctx> {
        let pod = self.pods.get(key)?;
        let c = pod.containers.get(index)?;
        Some(Ctx {
            key: key.clone(),
            index,
            uid: pod.uid.clone(),
            node: pod.node.clone()?,
            container: c.name.clone(),
            image: c.image.clone(),
            faults: pod.faults(),
        })
    }

    /// Marks a pod's status for writing and keeps the sampling sets up to date.
    pub fn touch_pod(&mut self, key: &Key) {
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        let was_terminal = pod.phase.is_terminal();
        pod.refresh(now_stamp());
        pod.dirty = true;
        let finished = !was_terminal && pod.phase.is_terminal();
        let running = pod.is_active() && pod.containers.iter().any(|c| c.is_running());
        if finished {
            self.release_finished(key);
        }
        self.queues.pod_status.push(key.clone());
        if running {
            self.running.insert(key.clone());
        } else {
            self.running.remove(key);
        }
        self.update_churnable(key);
    }

    /// A pod ran to completion (or failed for good): its address and node slot are free.
    fn release_finished(&mut self, key: &Key) {
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        let owner = pod.owner.clone();
        self.release_slot(key);
        self.running.remove(key);
        self.churnable.remove(key);
        if let Some(owner) = owner {
            self.owner_dirty(&owner);
        }
        self.unpark(1);
    }

    /// Gives back the pod's place on its node (capacity and address), once.
    fn release_slot(&mut self, key: &Key) {
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        if !std::mem::take(&mut pod.holds_slot) {
            return;
        }
        let ip = pod.ip.take();
        if let Some(n) = pod.node.as_ref().and_then(|n| self.nodes.get_mut(n)) {
            n.pods = n.pods.saturating_sub(1);
            if let Some(ip) = ip {
                n.ips.release(ip);
            }
        }
    }

    /// Churn picks among Running, Ready (as stored), fault-free, steady pods.
    fn update_churnable(&mut self, key: &Key) {
        let churnable = self.pods.get(key).is_some_and(|pod| {
            pod.is_active()
                && pod.is_ready()
                && pod.ready
                && pod.faults.is_none()
                && pod.containers.iter().all(|c| !c.flapping)
        });
        if churnable {
            self.churnable.insert(key.clone());
        } else {
            self.churnable.remove(key);
        }
    }

    /// Writes a pod's status if it changed since the last write.
    pub fn flush_pod_status(&mut self, key: &Key) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if !pod.dirty || pod.deleting {
            return;
        }
        let status = pod.render_status();
        let pods = self.w.types.pods.clone();
        match self.status_write(&pods, key, status, KUBELET) {
            Ok(written) => {
                let Some(pod) = self.pods.get_mut(key) else {
                    return;
                };
                pod.rv = pod.rv.max(rv_of(&written));
                pod.dirty = false;
                // Owners act on what is stored, as real controllers do.
                if pod.persisted(Instant::now())
                    && let Some(owner) = pod.owner.clone()
                {
                    self.owner_dirty(&owner);
                }
                self.update_churnable(key);
            }
            Err(e) if e.code == 404 => self.forget_pod(key),
            Err(_) => {}
        }
    }

    /// Records that a pod runs on `node` (from our binding or someone else's).
    pub fn bind_locally(&mut self, key: &Key, node: Arc<str>) {
        let active = self.pods.get(key).is_some_and(PodState::is_active);
        let node_state = self.nodes.get_mut(&node);
        let (node_ready, host_ip) = match node_state {
            Some(n) => {
                if active {
                    n.pods += 1;
                }
                (n.ready, Some(n.internal_ip))
            }
            None => (false, None),
        };
        self.pods_on_node
            .entry(node.clone())
            .or_default()
            .insert(key.clone());
        let known_node = host_ip.is_some();
        if let Some(pod) = self.pods.get_mut(key) {
            pod.node = Some(node);
            pod.holds_slot = active && known_node;
            pod.node_ready = node_ready;
            if pod.host_ip.is_none() {
                pod.host_ip = host_ip;
            }
            if pod.times.scheduled.is_none() {
                pod.times.scheduled = Some(now_stamp());
            }
        }
    }

    /// The kubelet picks up a bound pod once its node is Ready.
    pub fn start_pod_if_possible(&mut self, key: &Key) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if pod.kubelet_started || !pod.is_active() || !pod.node_ready {
            return;
        }
        let Some(node) = pod.node.clone() else {
            return;
        };
        let Some(node_state) = self.nodes.get_mut(&node) else {
            return;
        };
        let host_ip = node_state.internal_ip;
        let ip = match pod.ip {
            Some(ip) => Some(ip),
            None => node_state.ips.alloc(node_state.index),
        };
        let images: Vec<bool> = pod
            .containers
            .iter()
            .map(|c| node_state.images.contains(&c.image) && !c.pull_fails)
            .collect();
        let now = now_stamp();
        if let Some(pod) = self.pods.get_mut(key) {
            pod.kubelet_started = true;
            pod.times.started = Some(now);
            pod.host_ip = Some(host_ip);
            pod.ip = ip;
        }
        for (index, present) in images.into_iter().enumerate() {
            let Some(ctx) = self.ctx(key, index) else {
                continue;
            };
            let delay = if present {
                self.opts.pull_delay / 5
            } else {
                self.kubelet_event(
                    &ctx,
                    Severity::Normal,
                    "Pulling",
                    &format!("Pulling image \"{}\"", ctx.image),
                );
                self.opts.pull_delay
            };
            self.container_timer(key, index, Step::Pull, delay, 0.3);
        }
        self.touch_pod(key);
    }

    /// Schedules a step of a container at its current epoch after a jittered delay.
    fn container_timer(
        &mut self,
        key: &Key,
        index: usize,
        step: Step,
        delay: Duration,
        jitter: f64,
    ) {
        let Some(epoch) = self
            .pods
            .get(key)
            .and_then(|p| p.containers.get(index))
            .map(|c| c.epoch)
        else {
            return;
        };
        let delay = self.rng.jitter(delay, jitter);
        self.schedule(
            delay,
            Timer::Container {
                pod: key.clone(),
                index,
                epoch,
                step,
            },
        );
    }

    /// A pod we found already running: carry on from where its status says it is.
    pub fn resume_adopted(&mut self, key: &Key) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        let faults = pod.faults();
        let steps: Vec<(usize, bool, bool)> = pod
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.is_running(), c.ready))
            .collect();
        for (index, running, ready) in steps {
            if !running {
                self.container_timer(key, index, Step::Pull, self.opts.pull_delay, 0.3);
                continue;
            }
            self.schedule_running_steps(key, index, &faults, ready);
        }
        self.touch_pod(key);
        if let Some(pod) = self.pods.get_mut(key) {
            // Nothing changed yet: no need to rewrite what is already stored.
            pod.dirty = false;
        }
    }

    /// What happens to a running container later: readiness, failing probes, a crash, or
    /// (for run-to-completion pods) its exit.
    fn schedule_running_steps(&mut self, key: &Key, index: usize, faults: &PodFaults, ready: bool) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        let runs_to_completion = pod.restart_policy != RestartPolicy::Always;
        let Some(c) = pod.containers.get(index) else {
            return;
        };
        let crashes = c.crashes;
        let crash_after = faults.crash_after.unwrap_or(self.opts.crash_after);
        let ready_in = faults.ready_after.unwrap_or(self.opts.ready_delay);
        // A crash-looping app fails before its readiness probe ever passes, unless told otherwise.
        let becomes_ready = !faults.never_ready
            && (!crashes || (faults.ready_after.is_some() && ready_in < crash_after));
        if !ready && becomes_ready {
            self.container_timer(key, index, Step::Ready, ready_in, 0.2);
        }
        if !ready && (faults.never_ready || ready_in > PROBE_PERIOD) {
            self.container_timer(key, index, Step::Probe, PROBE_PERIOD, 0.1);
        }
        if crashes {
            self.container_timer(key, index, Step::Crash, crash_after, 0.2);
        } else if runs_to_completion {
            let run_for = faults.run_for.unwrap_or(self.opts.run_to_completion);
            self.container_timer(key, index, Step::Complete, run_for, 0.2);
        }
    }

    /// A container timer fired.
    pub fn container_step(&mut self, key: &Key, index: usize, epoch: u32, step: Step) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if !pod.is_active() || pod.containers.get(index).is_none_or(|c| c.epoch != epoch) {
            return;
        }
        if !pod.node_ready {
            // The kubelet is down; it carries on when the node is back.
            self.schedule(
                NODE_DOWN_RETRY,
                Timer::Container {
                    pod: key.clone(),
                    index,
                    epoch,
                    step,
                },
            );
            return;
        }
        let Some(ctx) = self.ctx(key, index) else {
            return;
        };
        match step {
            Step::Pull => self.pull_done(&ctx),
            Step::PullBackOff => self.pull_back_off(&ctx),
            Step::PullRetry => {
                let message = format!("Pulling image \"{}\"", ctx.image);
                self.kubelet_event(&ctx, Severity::Normal, "Pulling", &message);
                self.container_timer(key, index, Step::Pull, self.opts.pull_delay, 0.3);
            }
            Step::Ready => self.probe_passes(&ctx),
            Step::Probe => self.probe_fails(&ctx),
            Step::Crash => self.crash(&ctx),
            Step::CrashBackOff => self.crash_back_off(&ctx),
            Step::Restart => {
                let message = format!(
                    "Container image \"{}\" already present on machine",
                    ctx.image
                );
                self.kubelet_event(&ctx, Severity::Normal, "Pulled", &message);
                self.created_and_started(&ctx);
            }
            Step::Recover => self.recover(&ctx),
            Step::Complete => self.complete(&ctx),
        }
    }

    fn container_mut(&mut self, ctx: &Ctx) -> Option<&mut super::pod::ContainerSim> {
        self.pods.get_mut(&ctx.key)?.containers.get_mut(ctx.index)
    }

    fn pull_done(&mut self, ctx: &Ctx) {
        let fails = self.container_mut(ctx).is_some_and(|c| c.pull_fails);
        if fails {
            let full = normalize_image(&ctx.image);
            let message = format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
            );
            if let Some(c) = self.container_mut(ctx) {
                c.state = ContainerState::Waiting {
                    reason: "ErrImagePull",
                    message: Some(message.clone()),
                };
                c.epoch += 1;
            }
            let failed = format!("Failed to pull image \"{}\": {message}", ctx.image);
            self.kubelet_event(ctx, Severity::Warning, "Failed", &failed);
            self.kubelet_event(ctx, Severity::Warning, "Failed", "Error: ErrImagePull");
            self.container_timer(
                &ctx.key,
                ctx.index,
                Step::PullBackOff,
                ERR_IMAGE_PULL_FOR,
                0.2,
            );
            self.touch_pod(&ctx.key);
            return;
        }
        let present = self
            .nodes
            .get_mut(&ctx.node)
            .is_some_and(|n| !n.images.insert(ctx.image.clone()));
        let message = if present {
            format!(
                "Container image \"{}\" already present on machine",
                ctx.image
            )
        } else {
            let secs = self.opts.pull_delay.as_secs_f64() * (0.8 + 0.4 * self.rng.unit());
            format!(
                "Successfully pulled image \"{}\" in {secs:.3}s ({secs:.3}s including waiting). Image size: {} bytes.",
                ctx.image,
                5_000_000 + self.rng.below(250_000_000)
            )
        };
        self.kubelet_event(ctx, Severity::Normal, "Pulled", &message);
        self.created_and_started(ctx);
    }

    fn created_and_started(&mut self, ctx: &Ctx) {
        self.kubelet_event(
            ctx,
            Severity::Normal,
            "Created",
            &format!("Created container: {}", ctx.container),
        );
        self.kubelet_event(
            ctx,
            Severity::Normal,
            "Started",
            &format!("Started container {}", ctx.container),
        );
        self.start_instance(ctx);
    }

    /// A new container instance runs (first start or restart).
    fn start_instance(&mut self, ctx: &Ctx) {
        let instance = self.rng.next_u64().max(1);
        let now = now_stamp();
        let Some(pod) = self.pods.get_mut(&ctx.key) else {
            return;
        };
        let ip = pod.ip;
        let Some(c) = pod.containers.get_mut(ctx.index) else {
            return;
        };
        let restarted = c.has_run();
        c.instance = instance;
        c.state = ContainerState::Running { started_at: now };
        c.started = true;
        c.ready = false;
        c.flapping = false;
        c.epoch += 1;
        if restarted {
            self.w.cluster.logs.restart(&ctx.log_key());
        }
        let lines = logs::startup(
            Flavor::of_image(&ctx.image),
            &LogContext {
                pod: &ctx.key.1,
                container: &ctx.container,
                image: &ctx.image,
                ip,
            },
        );
        self.append_logs(ctx, lines);
        self.schedule_running_steps(&ctx.key, ctx.index, &ctx.faults, false);
        self.touch_pod(&ctx.key);
    }

    fn probe_passes(&mut self, ctx: &Ctx) {
        if let Some(c) = self.container_mut(ctx)
            && c.is_running()
            && !c.flapping
        {
            c.ready = true;
        }
        self.touch_pod(&ctx.key);
    }

    fn probe_fails(&mut self, ctx: &Ctx) {
        let Some(pod) = self.pods.get(&ctx.key) else {
            return;
        };
        let ip = pod.ip;
        let Some(c) = pod.containers.get(ctx.index) else {
            return;
        };
        if !c.is_running() || c.ready {
            return;
        }
        let message = c.probe.failure_message(ip);
        self.kubelet_event(ctx, Severity::Warning, "Unhealthy", &message);
        self.container_timer(&ctx.key, ctx.index, Step::Probe, PROBE_PERIOD, 0.1);
    }

    fn crash(&mut self, ctx: &Ctx) {
        let now = now_stamp();
        let exit_code = ctx.faults.exit_code;
        let ip = self.pods.get(&ctx.key).and_then(|p| p.ip);
        let Some(c) = self.container_mut(ctx) else {
            return;
        };
        let ContainerState::Running { started_at } = c.state else {
            return;
        };
        c.state = ContainerState::Terminated(Terminated {
            exit_code,
            reason: if exit_code == 137 {
                "OOMKilled"
            } else {
                "Error"
            },
            started_at,
            finished_at: now,
            container_id: c.instance,
        });
        c.ready = false;
        c.epoch += 1;
        let tail = logs::crash(
            Flavor::of_image(&ctx.image),
            &LogContext {
                pod: &ctx.key.1,
                container: &ctx.container,
                image: &ctx.image,
                ip,
            },
            exit_code,
        );
        self.append_logs(ctx, tail);
        let restarts = self
            .pods
            .get(&ctx.key)
            .is_some_and(|p| p.restart_policy.restarts(exit_code));
        if restarts {
            self.container_timer(&ctx.key, ctx.index, Step::CrashBackOff, TERMINATED_FOR, 0.2);
        }
        self.touch_pod(&ctx.key);
    }

    /// A run-to-completion container finishes its work and exits 0.
    fn complete(&mut self, ctx: &Ctx) {
        let now = now_stamp();
        let Some(c) = self.container_mut(ctx) else {
            return;
        };
        let ContainerState::Running { started_at } = c.state else {
            return;
        };
        c.state = ContainerState::Terminated(Terminated {
            exit_code: 0,
            reason: "Completed",
            started_at,
            finished_at: now,
            container_id: c.instance,
        });
        c.ready = false;
        c.epoch += 1;
        self.append_logs(
            ctx,
            vec![format!("{} finished successfully", ctx.container)],
        );
        self.touch_pod(&ctx.key);
    }

    fn crash_back_off(&mut self, ctx: &Ctx) {
        let cap = self.opts.max_backoff;
        let pod_ref = ctx.pod_ref();
        let Some(c) = self.container_mut(ctx) else {
            return;
        };
        let ContainerState::Terminated(dead) = &c.state else {
            return;
        };
        c.last = Some(dead.clone());
        c.restarts += 1;
        c.backoff += 1;
        let delay = backoff(c.backoff, cap);
        c.state = ContainerState::Waiting {
            reason: "CrashLoopBackOff",
            message: Some(format!(
                "back-off {} restarting failed container={} pod={pod_ref}",
                go_duration(delay),
                ctx.container
            )),
        };
        let message = format!(
            "Back-off restarting failed container {} in pod {pod_ref}",
            ctx.container
        );
        self.kubelet_event(ctx, Severity::Warning, "BackOff", &message);
        self.container_timer(&ctx.key, ctx.index, Step::Restart, delay, 0.0);
        self.touch_pod(&ctx.key);
    }

    fn pull_back_off(&mut self, ctx: &Ctx) {
        let cap = self.opts.max_backoff;
        let Some(c) = self.container_mut(ctx) else {
            return;
        };
        c.backoff += 1;
        let delay = backoff(c.backoff, cap);
        let message = format!("Back-off pulling image \"{}\"", ctx.image);
        c.state = ContainerState::Waiting {
            reason: "ImagePullBackOff",
            message: Some(message.clone()),
        };
        self.kubelet_event(ctx, Severity::Normal, "BackOff", &message);
        self.kubelet_event(ctx, Severity::Warning, "Failed", "Error: ImagePullBackOff");
        self.container_timer(&ctx.key, ctx.index, Step::PullRetry, delay, 0.0);
        self.touch_pod(&ctx.key);
    }

    fn recover(&mut self, ctx: &Ctx) {
        if let Some(c) = self.container_mut(ctx)
            && c.flapping
        {
            c.flapping = false;
            c.ready = c.is_running();
            Counters::add(&self.w.counters.churn_changes, 1);
        }
        self.touch_pod(&ctx.key);
    }

    /// New fault annotations on a pod that is already running.
    pub fn apply_faults(&mut self, key: &Key, faults: Option<Box<PodFaults>>) {
        let effective = faults.as_deref().cloned().unwrap_or_default();
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        pod.faults = faults;
        let mut reschedule = Vec::new();
        for (i, c) in pod.containers.iter_mut().enumerate() {
            let crashes = effective.crash.includes(&c.name);
            c.pull_fails = effective.image_pull_error.includes(&c.name);
            let started_crashing = crashes && !c.crashes;
            c.crashes = crashes;
            if c.is_running() && (started_crashing || (effective.never_ready && c.ready)) {
                c.epoch += 1;
                if effective.never_ready {
                    c.ready = false;
                }
                reschedule.push((i, c.ready));
            }
        }
        for (i, ready) in reschedule {
            self.schedule_running_steps(key, i, &effective, ready);
        }
        self.touch_pod(key);
    }

    /// Drops a pod from every index (it was deleted).
    pub fn forget_pod(&mut self, key: &Key) {
        self.release_slot(key);
        let Some(pod) = self.pods.remove(key) else {
            return;
        };
        if let Some(node) = &pod.node
            && let Some(set) = self.pods_on_node.get_mut(node)
        {
            set.remove(key);
        }
        if let Some(owner) = &pod.owner {
            if let Some(set) = self.pods_by_owner.get_mut(owner) {
                set.remove(key);
                if set.is_empty() {
                    self.pods_by_owner.remove(owner);
                }
            }
            self.owner_dirty(owner);
        }
        self.running.remove(key);
        self.churnable.remove(key);
        self.parked.remove(key);
        self.unpark(1);
    }

    /// Deletes a pod through the API (its owner scaled down, its node went away...).
    pub fn delete_pod(&mut self, key: &Key, manager: &str) -> bool {
        let pods = self.w.types.pods.clone();
        match self.delete_write(&pods, key, manager) {
            Ok(()) => {
                self.forget_pod(key);
                true
            }
            Err(e) if e.code == 404 => {
                self.forget_pod(key);
                true
            }
            Err(_) => false,
        }
    }

    pub fn start_churn_ticks(&mut self) {
        if self.churn.rate > 0.0 && !self.churn.ticking {
            self.churn.ticking = true;
            self.churn.last = Instant::now();
            self.timers
                .schedule(Instant::now() + Duration::from_millis(50), Timer::ChurnTick);
        }
    }

    /// About `rate` pod status changes a second: restarts (one change) and readiness flaps
    /// (one change now, one when they recover).
    pub fn churn_tick(&mut self) {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.churn.last).as_secs_f64();
        self.churn.last = now;
        if self.churn.rate <= 0.0 {
            self.churn.ticking = false;
            return;
        }
        self.churn.carry = (self.churn.carry + self.churn.rate * elapsed).min(self.churn.rate);
        while self.churn.carry >= 1.0 && self.has_budget() && !self.churnable.is_empty() {
            let i = self.rng.below(self.churnable.len());
            let Some(key) = self.churnable.get(i).cloned() else {
                break;
            };
            // Two restart bumps for every readiness flap: a flap also moves its owners' status.
            if self.rng.below(3) > 0 {
                self.churn_restart(&key);
                self.churn.carry -= 1.0;
            } else {
                self.churn_flap(&key);
                self.churn.carry -= 2.0;
            }
        }
        self.timers
            .schedule(now + Duration::from_millis(50), Timer::ChurnTick);
    }

    fn churn_restart(&mut self, key: &Key) {
        let Some(ctx) = self.ctx(key, 0) else {
            self.churnable.remove(key);
            return;
        };
        let now = now_stamp();
        let instance = self.rng.next_u64().max(1);
        let ip = self.pods.get(key).and_then(|p| p.ip);
        let Some(c) = self.container_mut(&ctx) else {
            return;
        };
        let ContainerState::Running { started_at } = c.state else {
            return;
        };
        c.last = Some(Terminated {
            exit_code: 2,
            reason: "Error",
            started_at,
            finished_at: now,
            container_id: c.instance,
        });
        c.restarts += 1;
        c.instance = instance;
        c.state = ContainerState::Running { started_at: now };
        c.epoch += 1;
        self.w.cluster.logs.restart(&ctx.log_key());
        let lines = logs::startup(
            Flavor::of_image(&ctx.image),
            &LogContext {
                pod: &key.1,
                container: &ctx.container,
                image: &ctx.image,
                ip,
            },
        );
        self.append_logs(&ctx, lines);
        Counters::add(&self.w.counters.churn_changes, 1);
        self.touch_pod(key);
    }

    fn churn_flap(&mut self, key: &Key) {
        let Some(ctx) = self.ctx(key, 0) else {
            self.churnable.remove(key);
            return;
        };
        let Some(c) = self.container_mut(&ctx) else {
            return;
        };
        c.ready = false;
        c.flapping = true;
        Counters::add(&self.w.counters.churn_changes, 1);
        self.touch_pod(key);
        self.container_timer(key, 0, Step::Recover, Duration::from_secs(2), 0.5);
    }

    /// Periodic log lines, spread round-robin over running containers.
    pub fn log_tick(&mut self) {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.logs.last).as_secs_f64();
        self.logs.last = now;
        let per_container = self.clock.scaled(self.opts.log_interval).as_secs_f64();
        let rate = logs::periodic_rate(self.running.len(), per_container, self.logs.cap);
        self.logs.carry = (self.logs.carry + rate * elapsed).min(rate.max(1.0) * 2.0);
        let mut lines = 0u64;
        while self.logs.carry >= 1.0 {
            self.logs.carry -= 1.0;
            let Some(key) = self.running.next_round_robin().cloned() else {
                break;
            };
            let Some(pod) = self.pods.get(&key) else {
                continue;
            };
            let running: Vec<usize> = (0..pod.containers.len())
                .filter(|&i| pod.containers[i].is_running())
                .collect();
            if running.is_empty() {
                continue;
            }
            let c = &pod.containers[running[self.rng.below(running.len())]];
            let line = logs::periodic(
                Flavor::of_image(&c.image),
                &LogContext {
                    pod: &key.1,
                    container: &c.name,
                    image: &c.image,
                    ip: pod.ip,
                },
                &mut self.rng,
            );
            let log_key = (key.0.to_string(), key.1.to_string(), c.name.to_string());
            self.w.cluster.logs.append(log_key, Utc::now(), line);
            lines += 1;
        }
        Counters::add(&self.w.counters.log_lines, lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_caps() {
        let cap = Duration::from_secs(300);
        let delays: Vec<u64> = (1..=7).map(|n| backoff(n, cap).as_secs()).collect();
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff(100, cap).as_secs(), 300);
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration(Duration::from_secs(80)), "1m20s");
        assert_eq!(go_duration(Duration::from_secs(300)), "5m0s");
        assert_eq!(go_duration(Duration::from_secs(3700)), "1h1m40s");
    }
}
