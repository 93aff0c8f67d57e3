//! Sync tasks and their order: what gitops-engine's `sync_context` decides on each pass of a
//! sync operation, as pure functions over tasks whose state is their recorded result
//! (`syncResult.resources[]`). Applying is done elsewhere; this says what to apply next,
//! what to wait for, and when the operation is over.

use serde_json::Value;

use crate::domain::argocd::HealthStatus;
use crate::domain::argocd::{HookType, OperationPhase, ResourceResult, ResultCode, SyncPhase};
use crate::domain::health::ResourceHealth;

/// Annotation ordering resources within a phase.
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
/// Annotation with per-resource sync options (`Prune=false`, `Delete=false`, ...).
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// gitops-engine's kind order within a wave; unknown kinds (custom resources) come last.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

pub fn kind_order(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// The phase a task runs in, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    PreSync,
    Sync,
    PostSync,
}

impl Phase {
    pub fn sync_phase(self) -> SyncPhase {
        match self {
            Phase::PreSync => SyncPhase::PreSync,
            Phase::Sync => SyncPhase::Sync,
            Phase::PostSync => SyncPhase::PostSync,
        }
    }

    /// The phase of a hook type; `None` for hooks that do not run in a sync (SyncFail, Skip).
    pub fn of_hook(hook: &HookType) -> Option<Phase> {
        match hook {
            HookType::PreSync => Some(Phase::PreSync),
            HookType::Sync => Some(Phase::Sync),
            HookType::PostSync => Some(Phase::PostSync),
            _ => None,
        }
    }
}

/// One thing a sync does to one resource: apply a manifest (create/update), run a hook, or
/// prune a live object git no longer has.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub phase: Phase,
    pub wave: i64,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The manifest to apply; `None` for a prune.
    pub target: Option<Value>,
    pub live: Option<Value>,
    pub hook: Option<HookType>,
    /// The recorded result: none yet means pending.
    pub result: Option<ResourceResult>,
}

/// The sync wave an object declares (0 when absent or not a number).
pub fn wave_of(obj: &Value) -> i64 {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(SYNC_WAVE_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0)
}

/// Whether an object's `argocd.argoproj.io/sync-options` contains `option` (e.g. `Prune=false`).
pub fn has_sync_option(obj: &Value, option: &str) -> bool {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(SYNC_OPTIONS_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|opts| opts.split(',').any(|o| o.trim() == option))
}

impl Task {
    pub fn is_prune(&self) -> bool {
        self.target.is_none()
    }

    pub fn is_hook(&self) -> bool {
        self.hook.is_some()
    }

    pub fn pending(&self) -> bool {
        self.result.is_none()
    }

    pub fn running(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r.hook_phase == Some(OperationPhase::Running))
    }

    pub fn completed(&self) -> bool {
        self.result.is_some() && !self.running()
    }

    pub fn successful(&self) -> bool {
        self.result.as_ref().is_some_and(|r| {
            r.status != Some(ResultCode::SyncFailed)
                && !matches!(
                    r.hook_phase,
                    Some(OperationPhase::Failed | OperationPhase::Error)
                )
        })
    }

    pub fn pruned(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r.status == Some(ResultCode::Pruned))
    }

    /// Whether this task's recorded result is this `ResourceResult`.
    pub fn matches_result(&self, result: &ResourceResult) -> bool {
        result.group == self.group
            && result.kind == self.kind
            && result.namespace == self.namespace
            && result.name == self.name
            && result.sync_phase.as_ref() == Some(&self.phase.sync_phase())
    }

    /// Records a result, keeping the previous message when the new one is empty (as
    /// gitops-engine's `setResourceResult` does).
    pub fn set_result(&mut self, status: Option<ResultCode>, phase: OperationPhase, message: &str) {
        let previous = self
            .result
            .as_ref()
            .map(|r| r.message.clone())
            .unwrap_or_default();
        let images = self
            .target
            .as_ref()
            .or(self.live.as_ref())
            .map(images_of)
            .unwrap_or_default();
        self.result = Some(ResourceResult {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            status,
            message: if message.is_empty() {
                previous
            } else {
                message.to_string()
            },
            hook_type: self.hook.clone(),
            hook_phase: Some(phase),
            sync_phase: Some(self.phase.sync_phase()),
            images,
            ..Default::default()
        });
    }

    /// Updates a running task from the health of its live object (gitops-engine's pass over
    /// running tasks): no health check or Healthy → Succeeded, Degraded → Failed; hooks also
    /// fail on Unknown and count as running while Progressing or Suspended.
    pub fn observe_health(&mut self, health: Option<&ResourceHealth>) {
        if !self.running() || self.live.is_none() {
            return;
        }
        let status = self.result.as_ref().and_then(|r| r.status.clone());
        if self.is_hook() {
            let (phase, message) = match health {
                None => (OperationPhase::Succeeded, format!("{} created", self.name)),
                Some(h) => match h.status {
                    HealthStatus::Unknown | HealthStatus::Degraded => {
                        (OperationPhase::Failed, h.message.clone())
                    }
                    HealthStatus::Progressing | HealthStatus::Suspended => {
                        (OperationPhase::Running, h.message.clone())
                    }
                    _ => (OperationPhase::Succeeded, h.message.clone()),
                },
            };
            self.set_result(None, phase, &message);
            return;
        }
        match health {
            None => self.set_result(status, OperationPhase::Succeeded, ""),
            Some(h) if h.status == HealthStatus::Healthy => {
                self.set_result(status, OperationPhase::Succeeded, &h.message)
            }
            Some(h) if h.status == HealthStatus::Degraded => {
                self.set_result(status, OperationPhase::Failed, &h.message)
            }
            Some(_) => {}
        }
    }
}

/// Images of every container an object runs (pod templates and pods).
pub fn images_of(obj: &Value) -> Vec<String> {
    let spec = obj
        .pointer("/spec/template/spec")
        .or_else(|| obj.pointer("/spec/jobTemplate/spec/template/spec"))
        .or_else(|| {
            (obj.get("kind").and_then(Value::as_str) == Some("Pod"))
                .then(|| obj.get("spec"))
                .flatten()
        });
    let Some(spec) = spec else {
        return Vec::new();
    };
    ["initContainers", "containers"]
        .iter()
        .filter_map(|key| spec.get(key).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// gitops-engine's task order: phase, wave, kind, name.
pub fn sort_tasks(tasks: &mut [Task]) {
    tasks.sort_by(|a, b| {
        (a.phase, a.wave, kind_order(&a.kind), &a.name).cmp(&(
            b.phase,
            b.wave,
            kind_order(&b.kind),
            &b.name,
        ))
    });
}

/// Prunes run in reverse creation order: the waves of prune tasks are swapped symmetrically
/// (lowest with highest), as gitops-engine does.
pub fn reverse_prune_waves(tasks: &mut [Task]) {
    let mut waves: Vec<i64> = tasks
        .iter()
        .filter(|t| t.is_prune())
        .map(|t| t.wave)
        .collect();
    waves.sort_unstable();
    waves.dedup();
    let n = waves.len();
    for task in tasks.iter_mut().filter(|t| t.is_prune()) {
        if let Some(i) = waves.iter().position(|w| *w == task.wave) {
            task.wave = waves[n - 1 - i];
        }
    }
}

/// Whether the tasks span more than one phase/wave (then every wave waits for health).
pub fn multi_step(tasks: &[Task]) -> bool {
    match (tasks.first(), tasks.last()) {
        (Some(first), Some(last)) => {
            (first.phase, first.wave) != (last.phase, last.wave) || tasks.iter().any(Task::is_hook)
        }
        _ => false,
    }
}

/// The operation phase and message a pass ends with.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub phase: OperationPhase,
    pub message: String,
}

impl Outcome {
    fn new(phase: OperationPhase, message: impl Into<String>) -> Self {
        Self {
            phase,
            message: message.into(),
        }
    }
}

/// What the next pass of a sync should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Nothing to apply yet: stay Running with this message.
    Wait(Outcome),
    /// Apply (or prune) these tasks (indices, in order); the others are still to come.
    Run {
        batch: Vec<usize>,
        remaining: Vec<usize>,
    },
    /// The operation is over.
    Done(Outcome),
}

/// `waiting for healthy state of apps/Deployment/web and 2 more resources`.
pub fn running_message(tasks: &[&Task], pending_deletion: bool) -> String {
    let Some(first) = tasks.first() else {
        return "one or more tasks are running".to_string();
    };
    let (waiting_for, and_more) = if pending_deletion {
        ("deletion of", "resources")
    } else if first.is_hook() {
        ("completion of hook", "hooks")
    } else {
        ("healthy state of", "resources")
    };
    let mut message = format!(
        "waiting for {waiting_for} {}/{}/{}",
        first.group, first.kind, first.name
    );
    if tasks.len() > 1 {
        message.push_str(&format!(" and {} more {and_more}", tasks.len() - 1));
    }
    message
}

/// Decides a pass over sorted tasks whose running states are up to date.
pub fn next_step(tasks: &[Task]) -> Step {
    let multi = multi_step(tasks);
    let running: Vec<&Task> = tasks
        .iter()
        .filter(|t| (multi || t.is_hook()) && t.running())
        .collect();
    if !running.is_empty() {
        return Step::Wait(Outcome::new(
            OperationPhase::Running,
            running_message(&running, false),
        ));
    }
    let deleting: Vec<&Task> = tasks
        .iter()
        .filter(|t| {
            t.pruned()
                && t.live
                    .as_ref()
                    .is_some_and(|l| l.pointer("/metadata/deletionTimestamp").is_some())
        })
        .collect();
    if !deleting.is_empty() {
        return Step::Wait(Outcome::new(
            OperationPhase::Running,
            running_message(&deleting, true),
        ));
    }
    if tasks.iter().any(|t| t.completed() && !t.successful()) {
        return Step::Done(Outcome::new(
            OperationPhase::Failed,
            "one or more synchronization tasks completed unsuccessfully",
        ));
    }
    let pending: Vec<usize> = (0..tasks.len()).filter(|&i| tasks[i].pending()).collect();
    let Some(&first) = pending.first() else {
        return Step::Done(Outcome::new(
            OperationPhase::Succeeded,
            "successfully synced (no more tasks)",
        ));
    };
    let (phase, wave) = (tasks[first].phase, tasks[first].wave);
    let (batch, remaining): (Vec<usize>, Vec<usize>) = pending
        .into_iter()
        .partition(|&i| tasks[i].phase == phase && tasks[i].wave == wave);
    // Hooks of this wave must also complete before the operation can succeed.
    let remaining = remaining
        .into_iter()
        .chain(batch.iter().copied().filter(|&i| tasks[i].is_hook()))
        .collect();
    Step::Run { batch, remaining }
}

/// The outcome once a batch has been applied.
pub fn after_batch(tasks: &[Task], batch: &[usize], remaining: &[usize]) -> Outcome {
    let failed = batch.iter().any(|&i| {
        tasks[i]
            .result
            .as_ref()
            .is_some_and(|r| r.status == Some(ResultCode::SyncFailed))
    });
    if failed {
        return Outcome::new(
            OperationPhase::Failed,
            "one or more objects failed to apply",
        );
    }
    if remaining.is_empty() {
        return Outcome::new(
            OperationPhase::Succeeded,
            "successfully synced (all tasks run)",
        );
    }
    let rest: Vec<&Task> = remaining.iter().map(|&i| &tasks[i]).collect();
    Outcome::new(OperationPhase::Running, running_message(&rest, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(kind: &str, name: &str, wave: i64) -> Task {
        let group = if kind == "Deployment" { "apps" } else { "" };
        Task {
            phase: Phase::Sync,
            wave,
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: name.into(),
            target: Some(json!({"kind": kind, "metadata": {"name": name}})),
            live: None,
            hook: None,
            result: None,
        }
    }

    fn prune(kind: &str, name: &str, wave: i64) -> Task {
        Task {
            target: None,
            live: Some(json!({"kind": kind, "metadata": {"name": name}})),
            ..task(kind, name, wave)
        }
    }

    fn apply_batch(tasks: &mut [Task], batch: &[usize]) {
        for &i in batch {
            if tasks[i].is_prune() {
                tasks[i].set_result(
                    Some(ResultCode::Pruned),
                    OperationPhase::Succeeded,
                    "pruned",
                );
            } else {
                tasks[i].live = tasks[i].target.clone();
                let message = format!("{}/{} created", tasks[i].kind.to_lowercase(), tasks[i].name);
                tasks[i].set_result(Some(ResultCode::Synced), OperationPhase::Running, &message);
            }
        }
    }

    fn names(tasks: &[Task], indices: &[usize]) -> Vec<String> {
        indices.iter().map(|&i| tasks[i].name.clone()).collect()
    }

    #[test]
    fn tasks_sort_by_phase_wave_kind_then_name() {
        let mut tasks = vec![
            task("Deployment", "b", 0),
            task("ConfigMap", "z", 0),
            task("Deployment", "a", 0),
            task("Widget", "w", 0),
            task("Service", "s", -1),
            Task {
                phase: Phase::PreSync,
                hook: Some(HookType::PreSync),
                ..task("Job", "migrate", 5)
            },
            task("Namespace", "n", 0),
        ];
        sort_tasks(&mut tasks);
        let order: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(order, vec!["migrate", "s", "n", "z", "a", "b", "w"]);
    }

    #[test]
    fn prune_waves_are_reversed_symmetrically() {
        let mut tasks = vec![
            prune("ConfigMap", "a", -5),
            prune("ConfigMap", "b", 0),
            prune("ConfigMap", "c", 3),
            task("ConfigMap", "keep", 0),
        ];
        reverse_prune_waves(&mut tasks);
        let waves: Vec<i64> = tasks.iter().map(|t| t.wave).collect();
        assert_eq!(waves, vec![3, 0, -5, 0]);
    }

    #[test]
    fn a_single_wave_succeeds_as_soon_as_it_is_applied() {
        let mut tasks = vec![task("ConfigMap", "c", 0), task("Deployment", "web", 0)];
        sort_tasks(&mut tasks);
        assert!(!multi_step(&tasks));
        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("should run");
        };
        assert_eq!(names(&tasks, &batch), vec!["c", "web"]);
        assert!(remaining.is_empty());
        apply_batch(&mut tasks, &batch);
        let outcome = after_batch(&tasks, &batch, &remaining);
        assert_eq!(outcome.phase, OperationPhase::Succeeded);
        assert_eq!(outcome.message, "successfully synced (all tasks run)");
        // Results keep hookPhase Running: nothing waits for health in a single step.
        assert!(tasks.iter().all(Task::running));
    }

    #[test]
    fn waves_run_one_batch_at_a_time_and_wait_for_health() {
        let mut tasks = vec![
            task("Deployment", "db", -1),
            task("ConfigMap", "cfg", -1),
            task("Deployment", "web", 0),
            task("Service", "web", 2),
        ];
        sort_tasks(&mut tasks);
        assert!(multi_step(&tasks));

        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("wave -1 runs first");
        };
        assert_eq!(names(&tasks, &batch), vec!["cfg", "db"]);
        apply_batch(&mut tasks, &batch);
        let outcome = after_batch(&tasks, &batch, &remaining);
        assert_eq!(outcome.phase, OperationPhase::Running);
        assert_eq!(
            outcome.message,
            "waiting for healthy state of apps/Deployment/web and 1 more resources"
        );

        // The Deployment is still progressing: the pass waits.
        let progressing = ResourceHealth::new(HealthStatus::Progressing, "Waiting for rollout");
        for t in tasks.iter_mut() {
            let health = (t.kind == "Deployment").then_some(&progressing);
            t.observe_health(health);
        }
        assert_eq!(
            next_step(&tasks),
            Step::Wait(Outcome::new(
                OperationPhase::Running,
                "waiting for healthy state of apps/Deployment/db"
            ))
        );

        let healthy = ResourceHealth::healthy();
        for t in tasks.iter_mut() {
            t.observe_health(Some(&healthy));
        }
        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("wave 0 runs");
        };
        assert_eq!(names(&tasks, &batch), vec!["web"]);
        apply_batch(&mut tasks, &batch);
        assert_eq!(
            after_batch(&tasks, &batch, &remaining).phase,
            OperationPhase::Running
        );
        for t in tasks.iter_mut() {
            t.observe_health(Some(&healthy));
        }
        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("wave 2 runs");
        };
        assert_eq!(names(&tasks, &batch), vec!["web"]);
        assert_eq!(tasks[batch[0]].kind, "Service");
        apply_batch(&mut tasks, &batch);
        let done = after_batch(&tasks, &batch, &remaining);
        assert_eq!(done.phase, OperationPhase::Succeeded);
    }

    #[test]
    fn a_degraded_resource_fails_the_operation() {
        let mut tasks = vec![task("Deployment", "db", -1), task("Deployment", "web", 0)];
        sort_tasks(&mut tasks);
        let Step::Run { batch, .. } = next_step(&tasks) else {
            panic!("runs");
        };
        apply_batch(&mut tasks, &batch);
        let degraded =
            ResourceHealth::new(HealthStatus::Degraded, "exceeded its progress deadline");
        tasks[0].observe_health(Some(&degraded));
        assert_eq!(
            next_step(&tasks),
            Step::Done(Outcome::new(
                OperationPhase::Failed,
                "one or more synchronization tasks completed unsuccessfully"
            ))
        );
        assert_eq!(
            tasks[0].result.as_ref().map(|r| r.message.as_str()),
            Some("exceeded its progress deadline")
        );
    }

    #[test]
    fn a_failed_apply_fails_the_operation() {
        let mut tasks = vec![task("ConfigMap", "a", 0), task("Widget", "w", 0)];
        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("runs");
        };
        apply_batch(&mut tasks, &batch[..1]);
        tasks[1].set_result(
            Some(ResultCode::SyncFailed),
            OperationPhase::Failed,
            "no kind Widget",
        );
        let outcome = after_batch(&tasks, &batch, &remaining);
        assert_eq!(outcome.phase, OperationPhase::Failed);
        assert_eq!(outcome.message, "one or more objects failed to apply");
    }

    #[test]
    fn prunes_wait_for_deletion_and_nothing_left_means_success() {
        let mut tasks = vec![prune("ConfigMap", "old", 0)];
        let Step::Run { batch, .. } = next_step(&tasks) else {
            panic!("runs");
        };
        apply_batch(&mut tasks, &batch);
        if let Some(live) = tasks[0].live.as_mut() {
            live["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        assert_eq!(
            next_step(&tasks),
            Step::Wait(Outcome::new(
                OperationPhase::Running,
                "waiting for deletion of /ConfigMap/old"
            ))
        );
        tasks[0].live = None;
        assert_eq!(
            next_step(&tasks),
            Step::Done(Outcome::new(
                OperationPhase::Succeeded,
                "successfully synced (no more tasks)"
            ))
        );
    }

    #[test]
    fn hooks_wait_for_completion() {
        let mut tasks = vec![
            Task {
                phase: Phase::PreSync,
                hook: Some(HookType::PreSync),
                ..task("Job", "migrate", 0)
            },
            task("Deployment", "web", 0),
        ];
        sort_tasks(&mut tasks);
        let Step::Run { batch, remaining } = next_step(&tasks) else {
            panic!("runs");
        };
        assert_eq!(names(&tasks, &batch), vec!["migrate"]);
        assert_eq!(names(&tasks, &remaining), vec!["web", "migrate"]);
        apply_batch(&mut tasks, &batch);
        tasks[0].set_result(None, OperationPhase::Running, "");
        let progressing = ResourceHealth::new(HealthStatus::Progressing, "running");
        tasks[0].observe_health(Some(&progressing));
        assert_eq!(
            next_step(&tasks),
            Step::Wait(Outcome::new(
                OperationPhase::Running,
                "waiting for completion of hook /Job/migrate"
            ))
        );
        tasks[0].observe_health(None);
        assert_eq!(
            tasks[0].result.as_ref().map(|r| r.message.as_str()),
            Some("migrate created")
        );
        let Step::Run { batch, .. } = next_step(&tasks) else {
            panic!("sync phase runs");
        };
        assert_eq!(names(&tasks, &batch), vec!["web"]);
    }

    #[test]
    fn waves_and_options_are_read_from_annotations() {
        let obj = json!({"metadata": {"annotations": {SYNC_WAVE_ANNOTATION: "-10", SYNC_OPTIONS_ANNOTATION: "Prune=false, ServerSideApply=true"}}});
        assert_eq!(wave_of(&obj), -10);
        assert!(has_sync_option(&obj, "Prune=false"));
        assert!(has_sync_option(&obj, "ServerSideApply=true"));
        assert!(!has_sync_option(&obj, "Delete=false"));
        assert_eq!(wave_of(&json!({"metadata": {}})), 0);
        let deploy = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "a:1"}], "initContainers": [{"image": "b:2"}]}}}});
        assert_eq!(images_of(&deploy), vec!["b:2", "a:1"]);
    }
}
