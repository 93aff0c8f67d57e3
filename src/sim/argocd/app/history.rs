//! `status.history[]`: one entry per full, non-dry-run, successful sync (controller/sync.go
//! `persistRevisionHistory`), oldest first, trimmed to `revisionHistoryLimit`.

use crate::domain::argocd::{Application, OperationState, RevisionHistory};

/// ArgoCD's default `spec.revisionHistoryLimit`.
pub const DEFAULT_HISTORY_LIMIT: i64 = 10;

/// The id the next entry gets: one more than the last, 0 for the first.
pub fn next_id(history: &[RevisionHistory]) -> i64 {
    history.last().map_or(0, |h| h.id + 1)
}

/// Whether a finished operation earns a history entry.
pub fn records_history(state: &OperationState) -> bool {
    let Some(sync) = &state.operation.sync else {
        return false;
    };
    state.phase.as_ref().is_some_and(|p| p.is_successful())
        && !sync.dry_run
        && sync.resources.is_empty()
}

/// The history after appending the entry for a successful operation (`deployedAt` = now).
pub fn appended(app: &Application, state: &OperationState, now: &str) -> Vec<RevisionHistory> {
    let mut history = app.status.history.clone();
    let result = state.sync_result.as_ref();
    history.push(RevisionHistory {
        id: next_id(&history),
        revision: result.map(|r| r.revision.clone()).unwrap_or_default(),
        source: result.and_then(|r| r.source.clone()),
        deploy_started_at: state.started_at.clone(),
        deployed_at: Some(now.to_string()),
        initiated_by: state.operation.initiated_by.clone(),
        ..Default::default()
    });
    let limit = app
        .spec
        .revision_history_limit
        .unwrap_or(DEFAULT_HISTORY_LIMIT)
        .max(0);
    trim(&mut history, usize::try_from(limit).unwrap_or(usize::MAX));
    history
}

/// Keeps the newest `limit` entries.
pub fn trim(history: &mut Vec<RevisionHistory>, limit: usize) {
    if history.len() > limit {
        history.drain(..history.len() - limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::{
        ApplicationSource, Operation, OperationInitiator, OperationPhase, SyncOperation,
        SyncOperationResource, SyncOperationResult,
    };

    fn succeeded(revision: &str) -> OperationState {
        OperationState {
            operation: Operation {
                sync: Some(Box::new(SyncOperation::default())),
                initiated_by: Some(OperationInitiator {
                    username: "alice".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            phase: Some(OperationPhase::Succeeded),
            sync_result: Some(Box::new(SyncOperationResult {
                revision: revision.into(),
                source: Some(ApplicationSource {
                    repo_url: "file:///repo".into(),
                    path: "apps/x".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            started_at: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        }
    }

    #[test]
    fn ids_count_up_from_zero() {
        let mut app = Application::default();
        for (i, rev) in ["a", "b", "c"].iter().enumerate() {
            app.status.history = appended(&app, &succeeded(rev), "2026-01-01T00:01:00Z");
            assert_eq!(app.status.history.last().map(|h| h.id), Some(i as i64));
        }
        let last = app.status.history.last().expect("entry");
        assert_eq!(last.revision, "c");
        assert_eq!(
            last.deploy_started_at.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(last.deployed_at.as_deref(), Some("2026-01-01T00:01:00Z"));
        assert_eq!(
            last.initiated_by.as_ref().map(|i| i.username.as_str()),
            Some("alice")
        );
        assert!(last.has_source());
    }

    #[test]
    fn history_is_trimmed_to_the_limit_keeping_the_newest() {
        let mut app = Application::default();
        for i in 0..15 {
            app.status.history = appended(&app, &succeeded(&format!("r{i}")), "now");
        }
        assert_eq!(app.status.history.len(), 10);
        assert_eq!(app.status.history[0].id, 5);
        assert_eq!(app.status.history[9].id, 14);
        app.spec.revision_history_limit = Some(2);
        app.status.history = appended(&app, &succeeded("x"), "now");
        let ids: Vec<i64> = app.status.history.iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![14, 15]);
    }

    #[test]
    fn only_full_real_successes_are_recorded() {
        assert!(records_history(&succeeded("a")));
        let mut failed = succeeded("a");
        failed.phase = Some(OperationPhase::Failed);
        assert!(!records_history(&failed));
        let mut dry = succeeded("a");
        if let Some(sync) = dry.operation.sync.as_mut() {
            sync.dry_run = true;
        }
        assert!(!records_history(&dry));
        let mut partial = succeeded("a");
        if let Some(sync) = partial.operation.sync.as_mut() {
            sync.resources.push(SyncOperationResource {
                kind: "Deployment".into(),
                name: "web".into(),
                ..Default::default()
            });
        }
        assert!(!records_history(&partial));
    }
}
