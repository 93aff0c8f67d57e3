//! Automated sync (ArgoCD's `autoSync` and `alreadyAttemptedSync`), as a pure decision made
//! in each full reconciliation.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::argocd::{
    Application, ApplicationSource, Operation, OperationInitiator, ResourceStatus, RetryStrategy,
    SyncOperation, SyncOperationResource, SyncStatus, parse_time,
};

/// What auto-sync does this time.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoSync {
    /// Nothing (off, in sync, busy, or already done); any SyncError condition is cleared.
    Skip,
    /// Nothing, and say why with a `SyncError` condition.
    Refuse(String),
    /// A self-heal is due later.
    Later(Duration),
    /// Start this operation.
    Start(Box<Operation>),
}

/// The retry automated syncs get when the spec sets none.
pub fn default_retry() -> RetryStrategy {
    RetryStrategy {
        limit: 5,
        ..Default::default()
    }
}

fn without_revision(source: Option<&ApplicationSource>) -> Option<ApplicationSource> {
    source.map(|s| ApplicationSource {
        target_revision: String::new(),
        ..s.clone()
    })
}

/// Whether the last operation already synced (or tried to sync) this revision of this source;
/// with its outcome.
fn already_attempted(app: &Application, revision: &str) -> Option<bool> {
    let state = app.status.operation_state.as_ref()?;
    state.operation.sync.as_ref()?;
    let result = state.sync_result.as_ref()?;
    if result.revision != revision {
        return None;
    }
    let same_source =
        without_revision(app.spec.source.as_deref()) == without_revision(result.source.as_ref());
    same_source.then(|| state.phase.as_ref().is_some_and(|p| p.is_successful()))
}

/// Decides auto-sync for an app whose comparison gave `sync` at `revision`.
pub fn decide(
    app: &Application,
    sync: SyncStatus,
    revision: &str,
    resources: &[ResourceStatus],
    now: DateTime<Utc>,
    self_heal_wait: Duration,
) -> AutoSync {
    let Some(automated) = app.automated().filter(|_| app.is_automated_sync_enabled()) else {
        return AutoSync::Skip;
    };
    if app.operation.is_some() || app.is_deleting() || sync != SyncStatus::OutOfSync {
        return AutoSync::Skip;
    }
    let prune = automated.prune.unwrap_or(false);
    let self_heal = automated.self_heal.unwrap_or(false);
    if !prune
        && resources
            .iter()
            .all(|r| r.status == Some(SyncStatus::Synced) || r.requires_pruning)
    {
        return AutoSync::Skip;
    }
    let mut operation = Operation {
        sync: Some(Box::new(SyncOperation {
            revision: revision.to_string(),
            prune,
            sync_options: app.spec_sync_options().to_vec(),
            ..Default::default()
        })),
        initiated_by: Some(OperationInitiator {
            automated: true,
            ..Default::default()
        }),
        retry: Some(
            app.spec
                .sync_policy
                .as_ref()
                .and_then(|p| p.retry.clone())
                .unwrap_or_else(default_retry),
        ),
        ..Default::default()
    };
    match already_attempted(app, revision) {
        Some(false) => {
            let message = app
                .status
                .operation_state
                .as_ref()
                .map(|s| s.message.clone())
                .unwrap_or_default();
            return AutoSync::Refuse(format!(
                "Failed last sync attempt to [{revision}]: {message}"
            ));
        }
        Some(true) if !self_heal => return AutoSync::Skip,
        Some(true) => {
            let finished = app
                .status
                .operation_state
                .as_ref()
                .and_then(|s| s.finished_at.as_deref())
                .and_then(parse_time);
            let waited = finished.map(|f| (now - f).to_std().unwrap_or(Duration::ZERO));
            let remaining = match waited {
                Some(w) => self_heal_wait.saturating_sub(w),
                None => self_heal_wait,
            };
            if !remaining.is_zero() {
                return AutoSync::Later(remaining);
            }
            if let Some(sync) = operation.sync.as_mut() {
                sync.resources = resources
                    .iter()
                    .filter(|r| r.status != Some(SyncStatus::Synced))
                    .map(|r| SyncOperationResource {
                        group: r.group.clone(),
                        kind: r.kind.clone(),
                        name: r.name.clone(),
                        ..Default::default()
                    })
                    .collect();
            }
        }
        None => {}
    }
    if prune
        && !automated.allow_empty.unwrap_or(false)
        && resources.iter().all(|r| r.requires_pruning)
    {
        return AutoSync::Refuse(format!(
            "Skipping sync attempt to {revision}: auto-sync will wipe out all resources"
        ));
    }
    AutoSync::Start(Box::new(operation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::{
        OperationPhase, OperationState, SyncOperationResult, SyncPolicy, SyncPolicyAutomated,
    };

    fn app(prune: bool, self_heal: bool) -> Application {
        let mut app = Application::default();
        app.spec.source = Some(Box::new(ApplicationSource {
            repo_url: "file:///r".into(),
            path: "apps/web".into(),
            target_revision: "main".into(),
            ..Default::default()
        }));
        app.spec.sync_policy = Some(Box::new(SyncPolicy {
            automated: Some(SyncPolicyAutomated {
                prune: Some(prune),
                self_heal: Some(self_heal),
                ..Default::default()
            }),
            sync_options: vec!["CreateNamespace=true".into()],
            ..Default::default()
        }));
        app
    }

    fn out_of_sync(name: &str) -> ResourceStatus {
        ResourceStatus {
            kind: "Deployment".into(),
            group: "apps".into(),
            name: name.into(),
            status: Some(SyncStatus::OutOfSync),
            ..Default::default()
        }
    }

    fn with_last_operation(
        mut app: Application,
        revision: &str,
        phase: OperationPhase,
    ) -> Application {
        app.status.operation_state = Some(Box::new(OperationState {
            operation: Operation {
                sync: Some(Box::new(SyncOperation::default())),
                ..Default::default()
            },
            phase: Some(phase),
            message: "one or more objects failed to apply".into(),
            sync_result: Some(Box::new(SyncOperationResult {
                revision: revision.into(),
                source: app.spec.source.as_deref().cloned(),
                ..Default::default()
            })),
            finished_at: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        }));
        app
    }

    fn now() -> DateTime<Utc> {
        parse_time("2026-01-01T00:01:00Z").expect("time")
    }

    #[test]
    fn out_of_sync_apps_start_an_automated_operation() {
        let decision = decide(
            &app(true, false),
            SyncStatus::OutOfSync,
            "abc",
            &[out_of_sync("web")],
            now(),
            Duration::ZERO,
        );
        let AutoSync::Start(op) = decision else {
            panic!("starts: {decision:?}");
        };
        let sync = op.sync.expect("sync");
        assert_eq!(sync.revision, "abc");
        assert!(sync.prune);
        assert_eq!(sync.sync_options, vec!["CreateNamespace=true"]);
        assert!(op.initiated_by.expect("initiator").automated);
        assert_eq!(op.retry.map(|r| r.limit), Some(5));
    }

    #[test]
    fn nothing_happens_when_off_disabled_busy_or_synced() {
        let res = [out_of_sync("web")];
        let mut off = app(true, true);
        off.spec.sync_policy = None;
        assert_eq!(
            decide(
                &off,
                SyncStatus::OutOfSync,
                "a",
                &res,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
        let mut disabled = app(true, true);
        if let Some(a) = disabled
            .spec
            .sync_policy
            .as_mut()
            .and_then(|p| p.automated.as_mut())
        {
            a.enabled = Some(false);
        }
        assert_eq!(
            decide(
                &disabled,
                SyncStatus::OutOfSync,
                "a",
                &res,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
        let mut busy = app(true, true);
        busy.operation = Some(Box::new(Operation::default()));
        assert_eq!(
            decide(
                &busy,
                SyncStatus::OutOfSync,
                "a",
                &res,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
        assert_eq!(
            decide(
                &app(true, true),
                SyncStatus::Synced,
                "a",
                &res,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
        let prune_only = [ResourceStatus {
            requires_pruning: true,
            ..out_of_sync("old")
        }];
        assert_eq!(
            decide(
                &app(false, true),
                SyncStatus::OutOfSync,
                "a",
                &prune_only,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
        assert!(matches!(
            decide(&app(true, false), SyncStatus::OutOfSync, "a", &prune_only, now(), Duration::ZERO),
            AutoSync::Refuse(m) if m.contains("auto-sync will wipe out all resources")
        ));
    }

    #[test]
    fn a_failed_revision_is_never_retried_automatically() {
        let failed = with_last_operation(app(true, true), "abc", OperationPhase::Failed);
        assert_eq!(
            decide(
                &failed,
                SyncStatus::OutOfSync,
                "abc",
                &[out_of_sync("web")],
                now(),
                Duration::ZERO
            ),
            AutoSync::Refuse(
                "Failed last sync attempt to [abc]: one or more objects failed to apply".into()
            )
        );
        // A new commit is a new attempt.
        assert!(matches!(
            decide(
                &failed,
                SyncStatus::OutOfSync,
                "def",
                &[out_of_sync("web")],
                now(),
                Duration::ZERO
            ),
            AutoSync::Start(_)
        ));
    }

    #[test]
    fn self_heal_resyncs_only_drifted_resources_after_a_pause() {
        let done = with_last_operation(app(true, true), "abc", OperationPhase::Succeeded);
        let res = [
            out_of_sync("web"),
            ResourceStatus {
                status: Some(SyncStatus::Synced),
                ..out_of_sync("db")
            },
        ];
        assert_eq!(
            decide(
                &done,
                SyncStatus::OutOfSync,
                "abc",
                &res,
                now(),
                Duration::from_secs(90)
            ),
            AutoSync::Later(Duration::from_secs(30))
        );
        let AutoSync::Start(op) = decide(
            &done,
            SyncStatus::OutOfSync,
            "abc",
            &res,
            now(),
            Duration::from_secs(5),
        ) else {
            panic!("heals");
        };
        let resources = op.sync.expect("sync").resources;
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].name, "web");
        let no_heal = with_last_operation(app(true, false), "abc", OperationPhase::Succeeded);
        assert_eq!(
            decide(
                &no_heal,
                SyncStatus::OutOfSync,
                "abc",
                &res,
                now(),
                Duration::ZERO
            ),
            AutoSync::Skip
        );
    }
}
