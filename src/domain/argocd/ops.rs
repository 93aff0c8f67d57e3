//! The only writes the console makes on Applications, as JSON merge patches, and the
//! client-side checks argocd-server would make before them.
//!
//! The console talks to the Kubernetes API directly, bypassing argocd-server, so it repeats the
//! server's preconditions itself (argocd.md §2): one operation at a time, no rollback under
//! auto-sync, no terminate without an operation. Callers send the patch with a resourceVersion
//! precondition so a concurrent writer is a conflict, not a silent overwrite.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::types::{
    ANNOTATION_REFRESH, ANNOTATION_REFRESH_TIMESTAMP, Application, RetryStrategy, RevisionHistory,
    format_time_nano,
};

/// Why an operation cannot be started. Messages carry ArgoCD's own wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("application {app}: another operation is already in progress")]
    OperationInProgress { app: String },
    #[error("application {app}: application is deleting")]
    Deleting { app: String },
    #[error("application {app}: rollback cannot be initiated when auto-sync is enabled")]
    RollbackWithAutoSync { app: String },
    #[error("application {app}: Unable to terminate operation. No operation is in progress")]
    NoOperationInProgress { app: String },
    #[error("application '{app}' does not have deployment id '{id}' in history")]
    HistoryNotFound { app: String, id: i64 },
    #[error(
        "application {app}: history id {id} has no source: cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to revision instead."
    )]
    HistoryWithoutSource { app: String, id: i64 },
    #[error("application '{app}' should have at least two successful deployments")]
    NotEnoughHistory { app: String },
    #[error("application {app}: Cannot sync to {revision}: auto-sync currently set to {target}")]
    RevisionConflictsWithAutoSync {
        app: String,
        revision: String,
        target: String,
    },
    #[error(
        "application {app} has {sources} sources: syncing all of them to one revision is not supported"
    )]
    RevisionForMultiSource { app: String, sources: usize },
}

/// A manual sync request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncRequest {
    /// Recorded as `initiatedBy.username`.
    pub user: String,
    /// `None`: the spec's targetRevision.
    pub revision: Option<String>,
    pub prune: bool,
    /// Written as `sync.syncOptions` when not empty.
    pub sync_options: Vec<String>,
    /// Written as `operation.retry` when set.
    pub retry: Option<RetryStrategy>,
}

impl SyncRequest {
    /// A request carrying the app's spec sync options and retry strategy, as argocd-server
    /// fills them (the controller reads options only from the operation, so a manual sync
    /// without them would, e.g., not create the namespace).
    pub fn for_app(app: &Application, user: &str) -> SyncRequest {
        let policy = app.spec.sync_policy.as_ref();
        SyncRequest {
            user: user.to_string(),
            revision: None,
            prune: false,
            sync_options: app.spec_sync_options().to_vec(),
            retry: policy.and_then(|p| p.retry.clone()),
        }
    }
}

/// The merge patch that starts a sync (argocd.md §0):
/// `{"operation":{"initiatedBy":{"username":..},"sync":{"revision":..,"prune":..,"syncStrategy":{"hook":{}}}},"status":{"operationState":null}}`.
pub fn sync_patch(request: &SyncRequest) -> Value {
    let mut sync = Map::new();
    if let Some(revision) = request.revision.as_ref().filter(|r| !r.is_empty()) {
        sync.insert("revision".into(), json!(revision));
    }
    sync.insert("prune".into(), json!(request.prune));
    sync.insert("syncStrategy".into(), json!({"hook": {}}));
    if !request.sync_options.is_empty() {
        sync.insert("syncOptions".into(), json!(request.sync_options));
    }
    let mut operation = Map::new();
    operation.insert("initiatedBy".into(), json!({"username": request.user}));
    operation.insert("sync".into(), Value::Object(sync));
    if let Some(retry) = &request.retry {
        operation.insert("retry".into(), json!(retry));
    }
    start_operation(operation)
}

/// Sets `.operation` and clears `status.operationState`, as `SetAppOperation` does.
fn start_operation(operation: Map<String, Value>) -> Value {
    json!({"operation": Value::Object(operation), "status": {"operationState": null}})
}

/// The checks argocd-server makes before a sync.
pub fn check_sync(app: &Application, revision: Option<&str>) -> Result<(), OpError> {
    let name = app.qualified_name();
    if app.is_deleting() {
        return Err(OpError::Deleting { app: name });
    }
    if let Some(revision) = revision.filter(|r| !r.is_empty()) {
        if app.has_multiple_sources() {
            return Err(OpError::RevisionForMultiSource {
                app: name,
                sources: app.spec.sources.len(),
            });
        }
        let target = app
            .spec
            .source
            .as_ref()
            .map_or("", |s| s.target_revision.as_str());
        let effective = if target.is_empty() { "HEAD" } else { target };
        if revision != effective && app.is_automated_sync_enabled() {
            return Err(OpError::RevisionConflictsWithAutoSync {
                app: name,
                revision: revision.to_string(),
                target: target.to_string(),
            });
        }
    }
    check_no_operation(app)
}

fn check_no_operation(app: &Application) -> Result<(), OpError> {
    if app.has_pending_operation() {
        return Err(OpError::OperationInProgress {
            app: app.qualified_name(),
        });
    }
    Ok(())
}

/// Checks and builds a sync patch.
pub fn sync(app: &Application, request: &SyncRequest) -> Result<Value, OpError> {
    check_sync(app, request.revision.as_deref())?;
    Ok(sync_patch(request))
}

/// Which deployment to roll back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The history entry with this id.
    Id(i64),
    /// The deployment before the current one (`argocd app rollback APP` without an id).
    Previous,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackRequest {
    pub user: String,
    pub target: RollbackTarget,
    pub prune: bool,
}

/// Finds the history entry a rollback targets, as the CLI does.
pub fn rollback_entry(
    app: &Application,
    target: RollbackTarget,
) -> Result<&RevisionHistory, OpError> {
    match target {
        RollbackTarget::Previous => {
            app.previous_deployment()
                .ok_or_else(|| OpError::NotEnoughHistory {
                    app: app.metadata.name.clone(),
                })
        }
        RollbackTarget::Id(id) => app
            .history_entry(id)
            .ok_or_else(|| OpError::HistoryNotFound {
                app: app.metadata.name.clone(),
                id,
            }),
    }
}

/// The merge patch that rolls back to a history entry: its revision and source, the `apply`
/// strategy (no hooks), no retry (argocd.md §2.2).
pub fn rollback_patch(
    entry: &RevisionHistory,
    user: &str,
    prune: bool,
    sync_options: &[String],
) -> Value {
    let mut sync = Map::new();
    if entry.sources.is_empty() {
        sync.insert("revision".into(), json!(entry.revision));
        sync.insert("source".into(), json!(entry.source));
    } else {
        sync.insert("revisions".into(), json!(entry.revisions));
        sync.insert("sources".into(), json!(entry.sources));
    }
    sync.insert("prune".into(), json!(prune));
    sync.insert("syncStrategy".into(), json!({"apply": {}}));
    if !sync_options.is_empty() {
        sync.insert("syncOptions".into(), json!(sync_options));
    }
    let mut operation = Map::new();
    operation.insert("initiatedBy".into(), json!({"username": user}));
    operation.insert("sync".into(), Value::Object(sync));
    start_operation(operation)
}

/// Checks (in argocd-server's order) and builds a rollback patch.
pub fn rollback(app: &Application, request: &RollbackRequest) -> Result<Value, OpError> {
    let name = app.qualified_name();
    if app.is_deleting() {
        return Err(OpError::Deleting { app: name });
    }
    if app.is_automated_sync_enabled() {
        return Err(OpError::RollbackWithAutoSync { app: name });
    }
    let entry = rollback_entry(app, request.target)?;
    if !entry.has_source() {
        return Err(OpError::HistoryWithoutSource {
            app: name,
            id: entry.id,
        });
    }
    check_no_operation(app)?;
    Ok(rollback_patch(
        entry,
        &request.user,
        request.prune,
        app.spec_sync_options(),
    ))
}

/// A refresh request: normal re-compares with Git, hard also regenerates manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshKind {
    Normal,
    Hard,
}

impl RefreshKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshKind::Normal => "normal",
            RefreshKind::Hard => "hard",
        }
    }
}

/// The merge patch that requests a refresh, stamped like `argocd app get --refresh` does.
pub fn refresh_patch(kind: RefreshKind, now: DateTime<Utc>) -> Value {
    json!({"metadata": {"annotations": {
        ANNOTATION_REFRESH: kind.as_str(),
        ANNOTATION_REFRESH_TIMESTAMP: format_time_nano(now),
    }}})
}

/// The merge patch that asks the controller to terminate the running operation.
pub fn terminate_patch() -> Value {
    json!({"status": {"operationState": {"phase": "Terminating"}}})
}

/// Checks and builds a terminate patch.
pub fn terminate(app: &Application) -> Result<Value, OpError> {
    if app.operation.is_none() || app.status.operation_state.is_none() {
        return Err(OpError::NoOperationInProgress {
            app: app.qualified_name(),
        });
    }
    Ok(terminate_patch())
}

/// Turns auto-sync off (the merge patch deletes `automated`).
pub fn auto_sync_off_patch() -> Value {
    json!({"spec": {"syncPolicy": {"automated": null}}})
}

/// Turns auto-sync on. `enabled: true` overrides an existing `enabled: false`, which a merge
/// patch would otherwise keep.
pub fn auto_sync_on_patch(prune: bool, self_heal: bool) -> Value {
    json!({"spec": {"syncPolicy": {"automated": {
        "prune": prune, "selfHeal": self_heal, "enabled": true
    }}}})
}

/// A warning to show before changing the spec of an ApplicationSet-generated app.
pub fn appset_revert_warning(app: &Application) -> Option<String> {
    app.generating_appset().map(|appset| {
        format!(
            "application {} is generated by ApplicationSet {appset}: its controller reverts spec \
             changes unless the ApplicationSet's ignoreApplicationDifferences covers them \
             (K8TRE's appsets ignore /spec/syncPolicy)",
            app.qualified_name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::types::ApplicationSource;
    use chrono::TimeZone;

    fn app(value: Value) -> Application {
        serde_json::from_value(value).expect("application")
    }

    fn manual_app() -> Application {
        app(json!({
            "metadata": {"name": "web", "namespace": "argocd"},
            "spec": {
                "destination": {"name": "in-cluster"},
                "project": "default",
                "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "path": "apps/web/envs/dev", "targetRevision": "main"},
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"], "retry": {"limit": 2}}
            },
            "status": {"history": [
                {"id": 0, "revision": "aaa", "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "path": "apps/web/envs/dev", "targetRevision": "main"}},
                {"id": 1, "revision": "bbb", "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "path": "apps/web/envs/dev", "targetRevision": "main"}},
                {"id": 2, "revision": "ccc"}
            ]}
        }))
    }

    fn text(value: &Value) -> String {
        serde_json::to_string(value).expect("json")
    }

    #[test]
    fn sync_patch_matches_argocd_md() {
        let request = SyncRequest {
            user: "alice".into(),
            revision: Some("abc123".into()),
            prune: true,
            ..SyncRequest::default()
        };
        assert_eq!(
            text(&sync_patch(&request)),
            r#"{"operation":{"initiatedBy":{"username":"alice"},"sync":{"revision":"abc123","prune":true,"syncStrategy":{"hook":{}}}},"status":{"operationState":null}}"#
        );
        let no_revision = SyncRequest {
            user: "bob".into(),
            ..SyncRequest::default()
        };
        assert_eq!(
            text(&sync_patch(&no_revision)),
            r#"{"operation":{"initiatedBy":{"username":"bob"},"sync":{"prune":false,"syncStrategy":{"hook":{}}}},"status":{"operationState":null}}"#
        );
    }

    #[test]
    fn sync_for_app_copies_spec_options_and_retry() {
        let patch =
            sync(&manual_app(), &SyncRequest::for_app(&manual_app(), "alice")).expect("allowed");
        assert_eq!(
            text(&patch),
            r#"{"operation":{"initiatedBy":{"username":"alice"},"sync":{"prune":false,"syncStrategy":{"hook":{}},"syncOptions":["CreateNamespace=true"]},"retry":{"limit":2}},"status":{"operationState":null}}"#
        );
    }

    #[test]
    fn sync_refuses_while_an_operation_runs() {
        let mut busy = manual_app();
        busy.operation = Some(Default::default());
        let err = sync(&busy, &SyncRequest::default()).expect_err("busy");
        assert_eq!(
            err.to_string(),
            "application argocd/web: another operation is already in progress"
        );
    }

    #[test]
    fn sync_refuses_deleting_apps() {
        let mut deleting = manual_app();
        deleting.metadata.deletion_timestamp = Some("2026-08-22T10:00:00Z".into());
        assert_eq!(
            sync(&deleting, &SyncRequest::default()),
            Err(OpError::Deleting {
                app: "argocd/web".into()
            })
        );
    }

    #[test]
    fn sync_to_other_revision_refused_under_auto_sync() {
        let mut auto = manual_app();
        auto.spec.sync_policy.get_or_insert_default().automated = Some(Default::default());
        let request = SyncRequest {
            revision: Some("deadbeef".into()),
            ..SyncRequest::default()
        };
        let err = sync(&auto, &request).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "application argocd/web: Cannot sync to deadbeef: auto-sync currently set to main"
        );
        let same = SyncRequest {
            revision: Some("main".into()),
            ..SyncRequest::default()
        };
        assert!(sync(&auto, &same).is_ok());
        // Without auto-sync any revision is fine.
        assert!(sync(&manual_app(), &request).is_ok());
    }

    #[test]
    fn revision_for_multi_source_is_refused() {
        let mut multi = manual_app();
        multi.spec.source = None;
        multi.spec.sources = vec![ApplicationSource::default(), ApplicationSource::default()];
        let request = SyncRequest {
            revision: Some("x".into()),
            ..SyncRequest::default()
        };
        assert!(matches!(
            sync(&multi, &request),
            Err(OpError::RevisionForMultiSource { sources: 2, .. })
        ));
    }

    #[test]
    fn rollback_patch_uses_history_source_and_apply() {
        let request = RollbackRequest {
            user: "alice".into(),
            target: RollbackTarget::Id(0),
            prune: false,
        };
        assert_eq!(
            text(&rollback(&manual_app(), &request).expect("allowed")),
            r#"{"operation":{"initiatedBy":{"username":"alice"},"sync":{"revision":"aaa","source":{"repoURL":"https://github.com/k8tre/k8tre.git","path":"apps/web/envs/dev","targetRevision":"main"},"prune":false,"syncStrategy":{"apply":{}},"syncOptions":["CreateNamespace=true"]}},"status":{"operationState":null}}"#
        );
    }

    #[test]
    fn rollback_multi_source_uses_revisions_and_sources() {
        let entry: RevisionHistory = serde_json::from_value(json!({
            "id": 7, "revisions": ["a", "b"],
            "sources": [{"repoURL": "https://one"}, {"repoURL": "https://two"}]
        }))
        .expect("entry");
        assert_eq!(
            text(&rollback_patch(&entry, "u", true, &[])),
            r#"{"operation":{"initiatedBy":{"username":"u"},"sync":{"revisions":["a","b"],"sources":[{"repoURL":"https://one"},{"repoURL":"https://two"}],"prune":true,"syncStrategy":{"apply":{}}}},"status":{"operationState":null}}"#
        );
    }

    #[test]
    fn rollback_previous_picks_second_to_last() {
        let mut two = manual_app();
        two.status.history.truncate(2);
        let entry = rollback_entry(&two, RollbackTarget::Previous).expect("entry");
        assert_eq!(entry.id, 0);
        two.status.history.truncate(1);
        let err = rollback_entry(&two, RollbackTarget::Previous).expect_err("too few");
        assert_eq!(
            err.to_string(),
            "application 'web' should have at least two successful deployments"
        );
    }

    #[test]
    fn rollback_preconditions() {
        let request = |target| RollbackRequest {
            user: "alice".into(),
            target,
            prune: false,
        };
        let mut auto = manual_app();
        auto.spec.sync_policy.get_or_insert_default().automated =
            Some(serde_json::from_value(json!({"prune": true})).expect("automated"));
        assert_eq!(
            rollback(&auto, &request(RollbackTarget::Id(0)))
                .expect_err("auto")
                .to_string(),
            "application argocd/web: rollback cannot be initiated when auto-sync is enabled"
        );
        // automated with enabled:false is OFF: rollback is allowed.
        let mut disabled = auto.clone();
        disabled.spec.sync_policy.get_or_insert_default().automated =
            Some(serde_json::from_value(json!({"enabled": false})).expect("automated"));
        assert!(rollback(&disabled, &request(RollbackTarget::Id(0))).is_ok());

        assert_eq!(
            rollback(&manual_app(), &request(RollbackTarget::Id(9)))
                .expect_err("missing")
                .to_string(),
            "application 'web' does not have deployment id '9' in history"
        );
        assert_eq!(
            rollback(&manual_app(), &request(RollbackTarget::Id(2))),
            Err(OpError::HistoryWithoutSource {
                app: "argocd/web".into(),
                id: 2
            })
        );
        let mut busy = manual_app();
        busy.operation = Some(Default::default());
        assert_eq!(
            rollback(&busy, &request(RollbackTarget::Id(0))),
            Err(OpError::OperationInProgress {
                app: "argocd/web".into()
            })
        );
    }

    #[test]
    fn refresh_patches() {
        let now = Utc
            .with_ymd_and_hms(2026, 8, 22, 10, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(
            text(&refresh_patch(RefreshKind::Normal, now)),
            r#"{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal","argocd.argoproj.io/refresh-timestamp":"2026-08-22T10:00:00.123456789Z"}}}"#
        );
        assert_eq!(
            text(&refresh_patch(RefreshKind::Hard, now)),
            r#"{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"hard","argocd.argoproj.io/refresh-timestamp":"2026-08-22T10:00:00.123456789Z"}}}"#
        );
    }

    #[test]
    fn terminate_needs_operation_and_state() {
        let idle = manual_app();
        assert_eq!(
            terminate(&idle).expect_err("idle").to_string(),
            "application argocd/web: Unable to terminate operation. No operation is in progress"
        );
        let mut requested = manual_app();
        requested.operation = Some(Default::default());
        assert!(terminate(&requested).is_err(), "no operationState yet");
        requested.status.operation_state = Some(Default::default());
        assert_eq!(
            text(&terminate(&requested).expect("running")),
            r#"{"status":{"operationState":{"phase":"Terminating"}}}"#
        );
    }

    #[test]
    fn auto_sync_patches() {
        assert_eq!(
            text(&auto_sync_off_patch()),
            r#"{"spec":{"syncPolicy":{"automated":null}}}"#
        );
        assert_eq!(
            text(&auto_sync_on_patch(true, false)),
            r#"{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":false,"enabled":true}}}}"#
        );
    }

    #[test]
    fn auto_sync_on_overrides_enabled_false_under_merge_patch() {
        let mut target =
            json!({"spec": {"syncPolicy": {"automated": {"enabled": false, "allowEmpty": true}}}});
        json_patch::merge(&mut target, &auto_sync_on_patch(true, true));
        let policy: crate::domain::argocd::SyncPolicy =
            serde_json::from_value(target["spec"]["syncPolicy"].clone()).expect("policy");
        assert!(policy.is_automated_sync_enabled());
        let mut off = target.clone();
        json_patch::merge(&mut off, &auto_sync_off_patch());
        assert_eq!(off, json!({"spec": {"syncPolicy": {}}}));
    }

    #[test]
    fn sync_patch_applied_by_merge_sets_operation_and_clears_state() {
        let mut stored = serde_json::to_value(manual_app()).expect("value");
        stored["status"]["operationState"] = json!({"phase": "Succeeded"});
        json_patch::merge(
            &mut stored,
            &sync_patch(&SyncRequest::for_app(&manual_app(), "a")),
        );
        let after: Application = serde_json::from_value(stored).expect("app");
        assert!(after.status.operation_state.is_none());
        let op = after.operation.expect("operation set");
        assert_eq!(op.initiated_by.map(|i| i.username), Some("a".into()));
        assert_eq!(op.retry.map(|r| r.limit), Some(2));
    }

    #[test]
    fn appset_warning_only_for_generated_apps() {
        assert!(appset_revert_warning(&manual_app()).is_none());
        let mut generated = manual_app();
        generated.metadata.owner_references = vec![
            serde_json::from_value(json!({"kind": "ApplicationSet", "name": "web"})).expect("ref"),
        ];
        let warning = appset_revert_warning(&generated).expect("warns");
        assert!(warning.contains("ApplicationSet web"));
    }
}
