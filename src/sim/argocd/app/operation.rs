//! Sync operations (ArgoCD's `processRequestedAppOperation` + gitops-engine's sync context):
//! a requested `.operation` becomes `status.operationState` Running, then each pass applies
//! one wave (or waits for the previous one to be healthy), until Succeeded, Failed or Error;
//! failures are retried with backoff when the operation says so; Terminating ends it.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::domain::argocd::{
    Application, OperationPhase, OperationState, ResultCode, SyncOperation, SyncOperationResult,
};
use crate::domain::health;
use crate::sim::api::PatchType;
use crate::sim::error::ApiError;

use super::super::clusters::Target;
use super::super::events::{EventType, REASON_OPERATION_COMPLETED, REASON_OPERATION_STARTED};
use super::super::kube::{self, APP_CONTROLLER};
use super::super::settings::NAMESPACE;
use super::apply::{self, FAIL_SYNC_ANNOTATION, namespace_manifest, unknown_kind_message};
use super::desired;
use super::history;
use super::retry;
use super::status::write_operation_state;
use super::tasks::{self, Outcome, Phase, Step, Task, has_sync_option, wave_of};
use super::{AppController, Level};

/// What one pass decided.
struct Pass {
    outcome: Outcome,
    /// When to look again if the operation is still running (real time).
    wake: Option<Duration>,
}

impl Pass {
    fn done(phase: OperationPhase, message: impl Into<String>) -> Self {
        Self {
            outcome: Outcome {
                phase,
                message: message.into(),
            },
            wake: None,
        }
    }
}

fn read(rt_mgmt: &crate::sim::cluster::ClusterState, name: &str) -> Option<(Value, Application)> {
    let raw = kube::get_app(rt_mgmt, name)?;
    let app = serde_json::from_value(raw.clone()).ok()?;
    Some((raw, app))
}

fn phase_name(state: &OperationState) -> Option<String> {
    state.phase.as_ref().map(|p| p.as_str().to_string())
}

/// The sync options in force: the operation's, else the spec's.
fn sync_options(app: &Application, sync: &SyncOperation) -> Vec<String> {
    if sync.sync_options.is_empty() {
        app.spec_sync_options().to_vec()
    } else {
        sync.sync_options.clone()
    }
}

impl AppController {
    /// Drives the Application's operation one step; returns when to look again.
    pub(super) async fn operate(&self, name: &str) -> Result<Option<Duration>, ApiError> {
        let Some((raw, app)) = read(&self.rt.mgmt, name) else {
            return Ok(None);
        };
        // Like ArgoCD, only an Application with `.operation` has its operation processed: a
        // `Terminating` phase written when nothing runs changes nothing.
        let Some(requested) = app.operation.clone() else {
            return Ok(None);
        };
        let in_progress = app
            .status
            .operation_state
            .as_ref()
            .and_then(|s| s.phase.as_ref())
            .is_some_and(|p| !p.is_completed());
        let mut state = match (&app.status.operation_state, in_progress) {
            (Some(state), true) => state.clone(),
            _ => {
                let state = OperationState {
                    operation: *requested,
                    phase: Some(OperationPhase::Running),
                    started_at: Some(self.rt.clock.timestamp()),
                    ..Default::default()
                };
                let expected = app.status.operation_state.as_deref().and_then(phase_name);
                if let Err(err) =
                    write_operation_state(&self.rt.mgmt, &raw, expected.as_deref(), &state, false)
                {
                    return self.conflicted(err);
                }
                self.operation_started(&raw, &state);
                Box::new(state)
            }
        };
        let Some((raw, app)) = read(&self.rt.mgmt, name) else {
            return Ok(None);
        };
        let expected = phase_name(&state);
        if state.phase == Some(OperationPhase::Terminating) {
            return self.terminate(&raw, &app, *state).await;
        }
        if let Some(finished) = state.finished_at.as_deref() {
            // A failed attempt waiting for its retry.
            let retry = state.operation.retry.clone().unwrap_or_default();
            let wait =
                retry::backoff(&retry, state.retry_count).unwrap_or(retry::DEFAULT_MAX_DURATION);
            let due = crate::domain::argocd::parse_time(finished)
                .map(|f| f + chrono::Duration::from_std(self.rt.real(wait)).unwrap_or_default());
            let now = self.rt.clock.now();
            if let Some(due) = due
                && due > now
            {
                return Ok(Some((due - now).to_std().unwrap_or(Duration::ZERO)));
            }
            state.finished_at = None;
            state.sync_result = None;
            state.message = format!("Retrying operation. Attempt #{}", state.retry_count);
            if let Err(err) =
                write_operation_state(&self.rt.mgmt, &raw, expected.as_deref(), &state, false)
            {
                return self.conflicted(err);
            }
        }
        let Some((raw, app)) = read(&self.rt.mgmt, name) else {
            return Ok(None);
        };
        let pass = self.sync_pass(&app, &mut state).await;
        self.conclude(&raw, &app, *state, expected.as_deref(), pass)
    }

    /// A guarded write lost to a concurrent change (terminate): look again at once.
    fn conflicted(&self, err: ApiError) -> Result<Option<Duration>, ApiError> {
        if matches!(err.code, 409 | 422) {
            Ok(Some(Duration::ZERO))
        } else {
            Err(err)
        }
    }

    fn operation_started(&self, raw: &Value, state: &OperationState) {
        let initiator = state.operation.initiated_by.as_ref();
        if initiator.is_some_and(|i| i.automated) {
            return; // announced when auto-sync requested it
        }
        let user = initiator
            .map(|i| i.username.as_str())
            .filter(|u| !u.is_empty());
        let revision = state
            .operation
            .sync
            .as_ref()
            .map(|s| s.revision.as_str())
            .filter(|r| !r.is_empty())
            .unwrap_or("HEAD");
        let message = match user {
            Some(user) => format!("{user} initiated sync to {revision}"),
            None => format!("initiated sync to {revision}"),
        };
        self.rt
            .events
            .record(raw, EventType::Normal, REASON_OPERATION_STARTED, &message);
    }

    /// Applies retry rules to a pass's outcome and writes the operation state.
    fn conclude(
        &self,
        raw: &Value,
        app: &Application,
        mut state: OperationState,
        expected: Option<&str>,
        pass: Pass,
    ) -> Result<Option<Duration>, ApiError> {
        let Outcome { phase, message } = pass.outcome;
        let mut wake = pass.wake;
        state.phase = Some(phase.clone());
        state.message = message.clone();
        let now = self.rt.clock.now();
        if phase.is_failed() {
            let retry = state.operation.retry.clone();
            if retry::may_retry(retry.as_ref(), state.retry_count) {
                let retry = retry.unwrap_or_default();
                match retry::backoff(&retry, state.retry_count) {
                    Ok(shown) => {
                        state.phase = Some(OperationPhase::Running);
                        state.finished_at = Some(self.rt.clock.timestamp());
                        let at = now
                            + chrono::Duration::from_std(self.rt.real(shown)).unwrap_or_default();
                        state.retry_count += 1;
                        state.message = retry::retrying_message(&message, state.retry_count, at);
                        let gate = retry::backoff(&retry, state.retry_count).unwrap_or(shown);
                        wake = Some(self.rt.real(gate));
                    }
                    Err(err) => {
                        state.message = format!("{message} (failed to retry: {err})");
                    }
                }
            } else if state.retry_count > 0 {
                state.message = retry::final_message(&message, state.retry_count);
            }
        }
        let completed = state.phase.as_ref().is_some_and(|p| p.is_completed());
        if completed {
            state.finished_at = Some(self.rt.clock.timestamp());
        }
        if let Err(err) = write_operation_state(&self.rt.mgmt, raw, expected, &state, completed) {
            return self.conflicted(err);
        }
        if completed {
            self.completed(app, &state)?;
            return Ok(None);
        }
        Ok(wake.or_else(|| Some(self.rt.real(*self.rt.knobs.operation_poll.read()))))
    }

    /// After the final write: history, the event, and a refresh.
    fn completed(&self, app: &Application, state: &OperationState) -> Result<(), ApiError> {
        let name = &app.metadata.name;
        let written = if history::records_history(state) {
            let entries = history::appended(app, state, &self.rt.clock.timestamp());
            let patch = json!({"status": {"history": entries}});
            Some(kube::patch(
                &self.rt.mgmt,
                &kube::applications(),
                NAMESPACE,
                name,
                PatchType::Merge,
                &patch,
                APP_CONTROLLER,
            )?)
        } else {
            kube::get_app(&self.rt.mgmt, name)
        };
        let partial = state
            .operation
            .sync
            .as_ref()
            .is_some_and(|s| !s.resources.is_empty());
        let mut words = vec![
            if partial {
                "Partial sync operation"
            } else {
                "Sync operation"
            }
            .to_string(),
        ];
        if let Some(result) = &state.sync_result {
            words.push(format!("to {}", result.revision));
        }
        let successful = state.phase.as_ref().is_some_and(|p| p.is_successful());
        if successful {
            words.push("succeeded".into());
        } else {
            words.push(format!("failed: {}", state.message));
        }
        if let Some(app_now) = written {
            let kind = if successful {
                EventType::Normal
            } else {
                EventType::Warning
            };
            self.rt
                .events
                .record(&app_now, kind, REASON_OPERATION_COMPLETED, &words.join(" "));
        }
        self.set_wave_gate(name, None);
        self.request(name, Level::ForceResolve);
        Ok(())
    }

    /// Ends a Terminating operation: running hooks are deleted, then Failed "Operation
    /// terminated" with `.operation` cleared; never retried.
    async fn terminate(
        &self,
        raw: &Value,
        app: &Application,
        mut state: OperationState,
    ) -> Result<Option<Duration>, ApiError> {
        let mut errors = false;
        if let Ok(target) = self
            .rt
            .destinations
            .resolve(&app.spec.destination, &self.rt.known_clusters())
            && let Some(result) = state.sync_result.as_mut()
        {
            for resource in result.resources.iter_mut() {
                let running = resource.hook_phase == Some(OperationPhase::Running)
                    && resource.hook_type.is_some();
                if !running {
                    continue;
                }
                let obj = json!({
                    "apiVersion": if resource.group.is_empty() { resource.version.clone() } else { format!("{}/{}", resource.group, resource.version) },
                    "kind": resource.kind, "metadata": {"name": resource.name, "namespace": resource.namespace}});
                match apply::prune(&target.cluster, &obj, false) {
                    Ok(_) => {
                        resource.hook_phase = Some(OperationPhase::Succeeded);
                        resource.message = "Deleted".into();
                    }
                    Err(err) => {
                        errors = true;
                        resource.hook_phase = Some(OperationPhase::Failed);
                        resource.message = format!("Failed to delete: {err}");
                    }
                }
            }
        }
        let (phase, message) = if errors {
            (OperationPhase::Error, "Operation termination had errors")
        } else {
            (OperationPhase::Failed, "Operation terminated")
        };
        state.phase = Some(phase);
        state.message = message.into();
        state.finished_at = Some(self.rt.clock.timestamp());
        if let Err(err) =
            write_operation_state(&self.rt.mgmt, raw, Some("Terminating"), &state, true)
        {
            return self.conflicted(err);
        }
        self.completed(app, &state)?;
        Ok(None)
    }

    /// One pass of the sync: plan tasks, update running ones, apply the next wave or wait.
    async fn sync_pass(&self, app: &Application, state: &mut OperationState) -> Pass {
        let Some(sync) = state.operation.sync.clone() else {
            return Pass::done(OperationPhase::Failed, "operation has no sync section");
        };
        let project = app.project();
        if self.rt.project(project).is_none() {
            return Pass::done(
                OperationPhase::Error,
                format!(
                    "Failed to load application project: appprojects.argoproj.io \"{project}\" not found"
                ),
            );
        }
        let target = match self
            .rt
            .destinations
            .resolve(&app.spec.destination, &self.rt.known_clusters())
        {
            Ok(target) => target,
            Err(err) => return Pass::done(OperationPhase::Failed, err.to_string()),
        };
        let Some(source) = sync
            .source
            .clone()
            .or_else(|| app.spec.source.as_deref().cloned())
        else {
            return Pass::done(
                OperationPhase::Failed,
                "spec.source or spec.sources must be specified",
            );
        };
        let comparison_error = |m: String| {
            Pass::done(
                OperationPhase::Error,
                format!(
                    "ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: {m}"
                ),
            )
        };
        if !self.rt.repo.serves(&source.repo_url) {
            let err = super::super::repo::RepoError::UnknownRepository {
                url: source.repo_url.clone(),
            };
            return comparison_error(err.to_string());
        }
        let known = state
            .sync_result
            .as_ref()
            .map(|r| r.revision.clone())
            .filter(|r| !r.is_empty());
        let revision = match known {
            Some(r) => r,
            None => {
                let wanted = if sync.revision.is_empty() {
                    &source.target_revision
                } else {
                    &sync.revision
                };
                match self.rt.repo.resolve(wanted, false).await {
                    Ok(sha) => sha,
                    Err(err) => return comparison_error(err.to_string()),
                }
            }
        };
        let tree = match self.rt.repo.tree(&revision).await {
            Ok(tree) => tree,
            Err(err) => return comparison_error(err.to_string()),
        };
        let rendered = self
            .rt
            .renders
            .render(tree, &source, &self.rt.settings(), false)
            .await;
        let manifests = match rendered.as_ref() {
            Ok(m) => m,
            Err(m) => {
                return comparison_error(format!(
                    "rpc error: code = Unknown desc = Manifest generation error: {m}"
                ));
            }
        };
        let desired = desired::prepare(
            &manifests.objects,
            &app.metadata.name,
            &app.spec.destination.namespace,
            &target.cluster,
        );
        let options = sync_options(app, &sync);
        let first_pass = state.sync_result.is_none();
        let mut tasks = self.plan(app, &sync, &options, &desired, &target, state);
        let mut results = state
            .sync_result
            .as_ref()
            .map(|r| r.resources.clone())
            .unwrap_or_default();
        let pass = if first_pass && !self.validate(&mut tasks, &desired, &target) {
            Pass::done(
                OperationPhase::Failed,
                "one or more synchronization tasks are not valid",
            )
        } else {
            self.step(app, &sync, &options, &mut tasks, &target).await
        };
        for task in &tasks {
            let Some(result) = &task.result else { continue };
            match results.iter_mut().find(|r| task.matches_result(r)) {
                Some(slot) => *slot = result.clone(),
                None => results.push(result.clone()),
            }
        }
        state.sync_result = Some(Box::new(SyncOperationResult {
            resources: results,
            revision,
            source: Some(source),
            ..Default::default()
        }));
        pass
    }

    /// The tasks of this sync, with their recorded results.
    fn plan(
        &self,
        app: &Application,
        sync: &SyncOperation,
        options: &[String],
        desired: &[Value],
        target: &Target,
        state: &OperationState,
    ) -> Vec<Task> {
        let skip_hooks = sync.is_apply_strategy() || !sync.resources.is_empty();
        let mut out = Vec::new();
        let mut wanted = std::collections::HashSet::new();
        for obj in desired {
            let live = desired::live_of(&target.cluster, obj);
            let base = task_for(obj, live.clone());
            wanted.insert((
                base.group.clone(),
                base.kind.clone(),
                base.namespace.clone(),
                base.name.clone(),
            ));
            if health::is_hook(obj) {
                if skip_hooks {
                    continue;
                }
                for hook in health::hook_types(obj) {
                    if let Some(phase) = Phase::of_hook(&hook) {
                        out.push(Task {
                            phase,
                            hook: Some(hook),
                            ..base.clone()
                        });
                    }
                }
            } else {
                out.push(base);
            }
        }
        for live_ref in self
            .rt
            .index
            .objects(&target.cluster.name, &app.metadata.name)
        {
            let Some(live) = kube::get(
                &target.cluster,
                &live_ref.resource,
                &live_ref.namespace,
                &live_ref.name,
            ) else {
                continue;
            };
            let task = Task {
                target: None,
                ..task_for(&live, Some(live.clone()))
            };
            let key = (
                task.group.clone(),
                task.kind.clone(),
                task.namespace.clone(),
                task.name.clone(),
            );
            let tracked = super::super::tracking::TrackingId::of(&live)
                .is_some_and(|id| id.app == app.metadata.name);
            if tracked && !wanted.contains(&key) && !health::is_hook(&live) {
                out.push(task);
            }
        }
        if !sync.resources.is_empty() {
            out.retain(|t| {
                sync.resources.iter().any(|r| {
                    r.group == t.group
                        && r.kind == t.kind
                        && r.name == t.name
                        && (r.namespace.is_empty() || r.namespace == t.namespace)
                })
            });
        }
        let namespace = &app.spec.destination.namespace;
        let creates_namespace = options.iter().any(|o| o == "CreateNamespace=true");
        let ns_in_git = out
            .iter()
            .any(|t| t.kind == "Namespace" && t.group.is_empty() && t.name == *namespace);
        if creates_namespace && !namespace.is_empty() && !ns_in_git {
            let manifest = namespace_manifest(
                namespace,
                app.spec
                    .sync_policy
                    .as_ref()
                    .and_then(|p| p.managed_namespace_metadata.as_ref()),
            );
            let live = desired::live_of(&target.cluster, &manifest);
            let recorded = state.sync_result.as_ref().is_some_and(|r| {
                r.resources
                    .iter()
                    .any(|x| x.kind == "Namespace" && x.name == *namespace)
            });
            if live.is_none() || recorded {
                out.push(Task {
                    phase: Phase::PreSync,
                    ..task_for(&manifest, live)
                });
            }
        }
        if options.iter().any(|o| o == "ApplyOutOfSyncOnly=true") {
            out.retain(|t| match (&t.target, &t.live) {
                (Some(want), Some(live)) if !t.is_hook() => {
                    !super::super::diff::live_matches_desired(want, live, &[])
                        || recorded_result(state, t)
                }
                _ => true,
            });
        }
        for task in out.iter_mut() {
            task.result = state
                .sync_result
                .as_ref()
                .and_then(|r| r.resources.iter().find(|x| task.matches_result(x)).cloned());
        }
        tasks::reverse_prune_waves(&mut out);
        tasks::sort_tasks(&mut out);
        out
    }

    /// Kinds the target does not serve (and no CRD in this sync defines) fail up front.
    fn validate(&self, tasks: &mut [Task], desired: &[Value], target: &Target) -> bool {
        let mut valid = true;
        for task in tasks.iter_mut() {
            let Some(obj) = task.target.clone() else {
                continue;
            };
            let served =
                kube::served_kind(&target.cluster, kube::text(&obj, "/apiVersion"), &task.kind)
                    .is_some();
            let crd_in_sync = desired.iter().any(|d| {
                kube::text(d, "/kind") == "CustomResourceDefinition"
                    && kube::text(d, "/spec/group") == task.group
                    && kube::text(d, "/spec/names/kind") == task.kind
            });
            if !served && !crd_in_sync && !has_sync_option(&obj, "SkipDryRunOnMissingResource=true")
            {
                task.set_result(
                    Some(ResultCode::SyncFailed),
                    OperationPhase::Failed,
                    &unknown_kind_message(&obj),
                );
                valid = false;
            }
        }
        valid
    }

    /// Updates running tasks from live health, then applies the next wave or waits.
    async fn step(
        &self,
        app: &Application,
        sync: &SyncOperation,
        options: &[String],
        tasks: &mut [Task],
        target: &Target,
    ) -> Pass {
        for task in tasks.iter_mut().filter(|t| t.running()) {
            task.live = match &task.target {
                Some(obj) => desired::live_of(&target.cluster, obj),
                None => task.live.clone(),
            };
            let h = task.live.as_ref().and_then(health::assess);
            task.observe_health(h.as_ref());
        }
        match tasks::next_step(tasks) {
            Step::Wait(outcome) => Pass {
                outcome,
                wake: Some(self.rt.real(*self.rt.knobs.operation_poll.read())),
            },
            Step::Done(outcome) => Pass {
                outcome,
                wake: None,
            },
            Step::Run { batch, remaining } => {
                let name = &app.metadata.name;
                if let Some(gate) = self.wave_gate(name)
                    && gate > Instant::now()
                {
                    let rest: Vec<&Task> =
                        batch.iter().chain(&remaining).map(|&i| &tasks[i]).collect();
                    return Pass {
                        outcome: Outcome {
                            phase: OperationPhase::Running,
                            message: tasks::running_message(&rest, false),
                        },
                        wake: Some(gate - Instant::now()),
                    };
                }
                self.run_batch(app, sync, options, tasks, &batch, target);
                let outcome = tasks::after_batch(tasks, &batch, &remaining);
                let wake = if outcome.phase == OperationPhase::Running {
                    let delay = self.rt.real(*self.rt.knobs.wave_delay.read());
                    self.set_wave_gate(name, Some(Instant::now() + delay));
                    Some(delay)
                } else {
                    None
                };
                Pass { outcome, wake }
            }
        }
    }

    /// Prunes, then applies, the tasks of one wave.
    fn run_batch(
        &self,
        app: &Application,
        sync: &SyncOperation,
        options: &[String],
        tasks: &mut [Task],
        batch: &[usize],
        target: &Target,
    ) {
        let cluster = &target.cluster;
        let refused_by_app = app.metadata.annotations.get(FAIL_SYNC_ANNOTATION);
        let (prunes, applies): (Vec<usize>, Vec<usize>) =
            batch.iter().partition(|&&i| tasks[i].is_prune());
        for i in prunes {
            let task = &mut tasks[i];
            let live = task.live.clone().unwrap_or(Value::Null);
            if !sync.prune {
                task.set_result(
                    Some(ResultCode::PruneSkipped),
                    OperationPhase::Succeeded,
                    "ignored (requires pruning)",
                );
            } else if has_sync_option(&live, "Prune=false") {
                task.set_result(
                    Some(ResultCode::PruneSkipped),
                    OperationPhase::Succeeded,
                    "ignored (no prune)",
                );
            } else {
                match apply::prune(cluster, &live, sync.dry_run) {
                    Ok(message) => task.set_result(
                        Some(ResultCode::Pruned),
                        OperationPhase::Succeeded,
                        &message,
                    ),
                    Err(message) => task.set_result(
                        Some(ResultCode::SyncFailed),
                        OperationPhase::Failed,
                        &message,
                    ),
                }
                task.live = desired::live_of(cluster, &live);
            }
        }
        let ssa_everywhere = options.iter().any(|o| o == "ServerSideApply=true");
        for i in applies {
            let task = &mut tasks[i];
            let Some(obj) = task.target.clone() else {
                continue;
            };
            if let Some(message) = apply::rejection(cluster, refused_by_app, &obj) {
                task.set_result(
                    Some(ResultCode::SyncFailed),
                    OperationPhase::Failed,
                    &message,
                );
                continue;
            }
            if task.is_hook()
                && let Some(live) = task.live.take()
            {
                // BeforeHookCreation: the previous run of the hook goes first.
                let _ = apply::prune(cluster, &live, sync.dry_run);
            }
            let ssa = (ssa_everywhere || has_sync_option(&obj, "ServerSideApply=true"))
                && !has_sync_option(&obj, "ServerSideApply=false");
            let status = if task.is_hook() {
                None
            } else {
                Some(ResultCode::Synced)
            };
            match apply::apply(cluster, &obj, ssa, sync.dry_run) {
                Ok(message) => {
                    let phase = if sync.dry_run {
                        OperationPhase::Succeeded
                    } else {
                        OperationPhase::Running
                    };
                    task.set_result(status, phase, &message);
                }
                Err(message) => task.set_result(
                    Some(ResultCode::SyncFailed),
                    OperationPhase::Failed,
                    &message,
                ),
            }
            task.live = desired::live_of(cluster, &obj);
        }
    }
}

/// A task whose result was recorded in an earlier pass stays planned.
fn recorded_result(state: &OperationState, task: &Task) -> bool {
    state
        .sync_result
        .as_ref()
        .is_some_and(|r| r.resources.iter().any(|x| task.matches_result(x)))
}

/// A Sync-phase task for an object (`live` is its live state, if any).
fn task_for(obj: &Value, live: Option<Value>) -> Task {
    let (group, version) =
        super::super::tracking::split_api_version(kube::text(obj, "/apiVersion"));
    Task {
        phase: Phase::Sync,
        wave: wave_of(obj),
        group: group.to_string(),
        version: version.to_string(),
        kind: kube::text(obj, "/kind").to_string(),
        namespace: kube::text(obj, "/metadata/namespace").to_string(),
        name: kube::text(obj, "/metadata/name").to_string(),
        target: Some(obj.clone()),
        live,
        hook: None,
        result: None,
    }
}
