//! The small actions on an Application as data: what to change (the exact merge patch), where,
//! under which precondition, and what came of it. Screens build an [`ActionRequest`] from the
//! model with `domain::argocd::ops`; the confirmation flow shows it, asks for it to be run as a
//! server-side dry run and then for real ([`crate::app::Effect::Action`]); the executor answers
//! with an [`ActionResult`].

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::audit::{AuditRecord, AuditResult, ObjectRef};
use crate::config::Command;
use crate::domain::env::Environment;

/// Identifies one request from the confirmation to its results.
pub type ActionId = u64;

/// Which small action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Sync { prune: bool },
    Refresh { hard: bool },
    Terminate,
    AutoSync { enable: bool },
}

impl ActionKind {
    /// The action a command asks for; `auto_sync_on` is the app's current setting, which the
    /// toggle inverts.
    pub fn from_command(command: Command, auto_sync_on: bool) -> Option<ActionKind> {
        Some(match command {
            Command::Sync => ActionKind::Sync { prune: false },
            Command::SyncPrune => ActionKind::Sync { prune: true },
            Command::Refresh => ActionKind::Refresh { hard: false },
            Command::HardRefresh => ActionKind::Refresh { hard: true },
            Command::Terminate => ActionKind::Terminate,
            Command::ToggleAutoSync => ActionKind::AutoSync {
                enable: !auto_sync_on,
            },
            _ => return None,
        })
    }

    /// The name recorded in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Sync { prune: false } => "sync",
            ActionKind::Sync { prune: true } => "sync-prune",
            ActionKind::Refresh { hard: false } => "refresh",
            ActionKind::Refresh { hard: true } => "hard-refresh",
            ActionKind::Terminate => "terminate",
            ActionKind::AutoSync { enable: true } => "auto-sync-on",
            ActionKind::AutoSync { enable: false } => "auto-sync-off",
        }
    }

    /// What the user is asked to confirm: "Sync", "Turn auto-sync off".
    pub fn title(self) -> &'static str {
        match self {
            ActionKind::Sync { prune: false } => "Sync",
            ActionKind::Sync { prune: true } => "Sync with prune",
            ActionKind::Refresh { hard: false } => "Refresh",
            ActionKind::Refresh { hard: true } => "Hard refresh",
            ActionKind::Terminate => "Terminate operation",
            ActionKind::AutoSync { enable: true } => "Turn auto-sync on",
            ActionKind::AutoSync { enable: false } => "Turn auto-sync off",
        }
    }

    /// Past tense for results: "synced".
    pub fn done(self) -> &'static str {
        match self {
            ActionKind::Sync { .. } => "sync started",
            ActionKind::Refresh { .. } => "refresh requested",
            ActionKind::Terminate => "termination requested",
            ActionKind::AutoSync { enable: true } => "auto-sync turned on",
            ActionKind::AutoSync { enable: false } => "auto-sync turned off",
        }
    }
}

/// The Application an action changes and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTarget {
    /// The Application's namespace on the management cluster (usually `argocd`).
    pub namespace: String,
    pub app: String,
    /// The environment the app deploys to: decides the confirmation policy.
    pub environment: Environment,
    /// The cluster the app deploys to, as ArgoCD names it.
    pub cluster: String,
    /// The kubeconfig context the patch is sent through (the management cluster's).
    pub context: String,
}

impl ActionTarget {
    pub fn qualified_app(&self) -> String {
        format!("{}/{}", self.namespace, self.app)
    }
}

/// One action, ready to run: the exact patch and the precondition it is sent under.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// Assigned when the confirmation opens ([`crate::app::AppState::next_action_id`]).
    pub id: ActionId,
    pub kind: ActionKind,
    pub target: ActionTarget,
    /// The JSON merge patch from `domain::argocd::ops`, without the precondition.
    pub patch: Value,
    /// The Application's resourceVersion as shown: the write fails with a conflict if it
    /// changed since.
    pub resource_version: String,
    /// Shown before confirming (e.g. the ApplicationSet revert warning).
    pub warnings: Vec<String>,
}

impl ActionRequest {
    pub fn new(
        kind: ActionKind,
        target: ActionTarget,
        patch: Value,
        resource_version: impl Into<String>,
    ) -> ActionRequest {
        ActionRequest {
            id: 0,
            kind,
            target,
            patch,
            resource_version: resource_version.into(),
            warnings: Vec::new(),
        }
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> ActionRequest {
        self.warnings.push(warning.into());
        self
    }

    /// The body sent: the patch with `metadata.resourceVersion` set, which makes the API
    /// server refuse it (409 Conflict) if the object changed since it was read.
    pub fn body(&self) -> Value {
        let mut body = self.patch.clone();
        if let Value::Object(map) = &mut body {
            let metadata = map.entry("metadata").or_insert_with(|| json!({}));
            if let Value::Object(metadata) = metadata {
                metadata.insert(
                    "resourceVersion".into(),
                    Value::String(self.resource_version.clone()),
                );
            }
        }
        body
    }

    /// The audit record of one attempt (dry run or real) and its result.
    pub fn audit_record(
        &self,
        kube_user: &str,
        dry_run: bool,
        outcome: &ActionOutcome,
        time: DateTime<Utc>,
    ) -> AuditRecord {
        AuditRecord {
            time,
            kube_user: kube_user.to_string(),
            context: self.target.context.clone(),
            cluster: self.target.cluster.clone(),
            object: ObjectRef {
                api_version: "argoproj.io/v1alpha1".into(),
                kind: "Application".into(),
                namespace: Some(self.target.namespace.clone()),
                name: self.target.app.clone(),
            },
            action: self.kind.name().to_string(),
            patch: self.body(),
            dry_run,
            result: match outcome {
                Ok(_) => AuditResult::Ok,
                Err(error) => AuditResult::Error(error.to_string()),
            },
        }
    }
}

/// Why the API server refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionErrorKind {
    /// The precondition failed: someone else changed the Application.
    Conflict,
    /// RBAC said no.
    Forbidden,
    /// Validation failed, or ArgoCD's own checks (an operation already runs...).
    Invalid,
    /// The cluster could not be reached.
    Unreachable,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ActionError {
    pub kind: ActionErrorKind,
    pub message: String,
}

impl ActionError {
    pub fn new(kind: ActionErrorKind, message: impl Into<String>) -> ActionError {
        ActionError {
            kind,
            message: message.into(),
        }
    }

    /// The text shown: conflicts say what to do about them.
    pub fn explained(&self) -> String {
        match self.kind {
            ActionErrorKind::Conflict => format!(
                "conflict: the Application changed since it was shown; nothing was written \
                 (refresh and try again): {}",
                self.message
            ),
            ActionErrorKind::Forbidden => format!("forbidden: {}", self.message),
            ActionErrorKind::Unreachable => format!("cluster unreachable: {}", self.message),
            ActionErrorKind::Invalid | ActionErrorKind::Other => self.message.clone(),
        }
    }
}

/// What a dry run or a write came to: the server's short summary, or the error.
pub type ActionOutcome = Result<String, ActionError>;

/// The answer to [`crate::app::Effect::Action`].
#[derive(Debug, Clone, PartialEq)]
pub struct ActionResult {
    pub id: ActionId,
    pub kind: ActionKind,
    /// `namespace/name` of the Application, for notices.
    pub app: String,
    pub dry_run: bool,
    pub outcome: ActionOutcome,
}

impl ActionResult {
    pub fn for_request(
        request: &ActionRequest,
        dry_run: bool,
        outcome: ActionOutcome,
    ) -> ActionResult {
        ActionResult {
            id: request.id,
            kind: request.kind,
            app: request.target.qualified_app(),
            dry_run,
            outcome,
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::domain::argocd::ops;

    pub fn target(environment: Environment) -> ActionTarget {
        ActionTarget {
            namespace: "argocd".into(),
            app: format!("jupyterhub-{}", environment.as_str()),
            environment: environment.clone(),
            cluster: format!("k8tre-{}", environment.as_str()),
            context: "k8tre-mgmt".into(),
        }
    }

    pub fn sync(environment: Environment) -> ActionRequest {
        let request = ops::SyncRequest {
            user: "alice".into(),
            ..ops::SyncRequest::default()
        };
        ActionRequest::new(
            ActionKind::Sync { prune: false },
            target(environment),
            ops::sync_patch(&request),
            "48213",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn commands_map_to_actions() {
        assert_eq!(
            ActionKind::from_command(Command::SyncPrune, false),
            Some(ActionKind::Sync { prune: true })
        );
        assert_eq!(
            ActionKind::from_command(Command::ToggleAutoSync, true),
            Some(ActionKind::AutoSync { enable: false })
        );
        assert_eq!(ActionKind::from_command(Command::Down, false), None);
        assert_eq!(ActionKind::AutoSync { enable: true }.name(), "auto-sync-on");
    }

    #[test]
    fn the_body_carries_the_resource_version_precondition() {
        let request = fixtures::sync(Environment::Prd);
        let body = request.body();
        assert_eq!(body["metadata"]["resourceVersion"], "48213");
        assert_eq!(body["operation"], request.patch["operation"]);
        // Patches that already touch metadata keep their fields.
        let refresh = ActionRequest::new(
            ActionKind::Refresh { hard: false },
            fixtures::target(Environment::Dev),
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}}),
            "7",
        );
        let body = refresh.body();
        assert_eq!(
            body["metadata"]["annotations"]["argocd.argoproj.io/refresh"],
            "normal"
        );
        assert_eq!(body["metadata"]["resourceVersion"], "7");
    }

    #[test]
    fn audit_records_name_the_object_and_the_exact_body() {
        let request = fixtures::sync(Environment::Dev);
        let time = Utc
            .with_ymd_and_hms(2026, 8, 22, 10, 0, 0)
            .single()
            .expect("time");
        let conflict = Err(ActionError::new(
            ActionErrorKind::Conflict,
            "object was modified",
        ));
        let record = request.audit_record("alice", false, &conflict, time);
        assert_eq!(record.object.kind, "Application");
        assert_eq!(record.object.name, "jupyterhub-dev");
        assert_eq!(record.action, "sync");
        assert_eq!(record.patch, request.body());
        assert_eq!(
            record.result,
            AuditResult::Error("object was modified".into())
        );
        let ok = request.audit_record("alice", true, &Ok("accepted".into()), time);
        assert!(ok.dry_run);
        assert_eq!(ok.result, AuditResult::Ok);
    }

    #[test]
    fn conflicts_are_explained() {
        let error = ActionError::new(ActionErrorKind::Conflict, "the object has been modified");
        assert!(
            error
                .explained()
                .starts_with("conflict: the Application changed")
        );
        assert!(error.explained().contains("nothing was written"));
    }
}
