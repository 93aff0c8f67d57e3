//! Turning an action key on an Application into an [`ActionRequest`]: ArgoCD's own checks
//! first (`domain::argocd::ops`: no second operation, nothing to terminate, ...) so a refused
//! action is explained before any confirmation, then the exact patch, the resourceVersion it
//! is sent under, and the warnings the confirmation shows (an ApplicationSet that will revert
//! a spec change).

use chrono::{DateTime, Utc};

use super::action::{ActionKind, ActionRequest, ActionTarget};
use super::component::Cx;
use crate::config::Command;
use crate::domain::argocd::Application;
use crate::domain::argocd::ops::{self, RefreshKind, SyncRequest};
use crate::domain::env::Environment;
use crate::domain::estate::AppSummary;
use crate::live::EstateModel;
use crate::ui::toast::Level;

/// Why an action was not offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an action command.
    NotAnAction,
    /// ArgoCD would refuse it; the message says why.
    Refused(String),
}

/// Builds the request `command` asks for on an Application (`basis` from the model, or the
/// whole Application when a detail view has it).
pub fn build(
    command: Command,
    summary: &AppSummary,
    basis: &Application,
    model: &EstateModel,
    user: &str,
    now: DateTime<Utc>,
) -> Result<ActionRequest, Refusal> {
    let kind =
        ActionKind::from_command(command, summary.auto_sync.enabled).ok_or(Refusal::NotAnAction)?;
    let refused = |error: ops::OpError| Refusal::Refused(error.to_string());
    let user = if user.is_empty() {
        "k8tre-console"
    } else {
        user
    };
    let (patch, spec_change) = match kind {
        ActionKind::Sync { prune } => {
            let request = SyncRequest {
                prune,
                ..SyncRequest::for_app(basis, user)
            };
            (ops::sync(basis, &request).map_err(refused)?, false)
        }
        ActionKind::Refresh { hard } => {
            let kind = if hard {
                RefreshKind::Hard
            } else {
                RefreshKind::Normal
            };
            (ops::refresh_patch(kind, now), false)
        }
        ActionKind::Terminate => (ops::terminate(basis).map_err(refused)?, false),
        ActionKind::AutoSync { enable: false } => (ops::auto_sync_off_patch(), true),
        ActionKind::AutoSync { enable: true } => {
            let automated = basis.automated();
            let prune = automated.and_then(|a| a.prune).unwrap_or(false);
            let self_heal = automated.and_then(|a| a.self_heal).unwrap_or(false);
            (ops::auto_sync_on_patch(prune, self_heal), true)
        }
    };
    if basis.is_deleting() && !matches!(kind, ActionKind::Refresh { .. }) {
        return Err(Refusal::Refused(format!(
            "application {}: application is deleting",
            basis.qualified_name()
        )));
    }
    let target = ActionTarget {
        namespace: summary.namespace.to_string(),
        app: summary.name.to_string(),
        // An Application placed in no environment is confirmed like production.
        environment: summary.environment.clone().unwrap_or(Environment::Prd),
        cluster: summary
            .cluster
            .as_deref()
            .unwrap_or(&summary.destination)
            .to_string(),
        context: model.management_context().to_string(),
    };
    let mut request =
        ActionRequest::new(kind, target, patch, basis.metadata.resource_version.clone());
    if spec_change && let Some(warning) = ops::appset_revert_warning(basis) {
        request = request.with_warning(warning);
    }
    if summary.environment.is_none() {
        request = request
            .with_warning("this Application is in no known environment: confirmed as production");
    }
    Ok(request)
}

/// Runs an action key on an Application from a screen: opens the confirmation, or explains
/// why not. True when `command` was an action (handled either way).
pub fn run(command: Command, namespace: &str, name: &str, cx: &mut Cx<'_>) -> bool {
    if ActionKind::from_command(command, false).is_none() {
        return false;
    }
    let Some(model) = cx.app.estate.as_ref() else {
        cx.toast(Level::Info, format!("{command}: no estate"));
        return true;
    };
    let Some((summary, detail)) = model.app(namespace, name) else {
        cx.toast(
            Level::Warning,
            format!("{namespace}/{name}: no such Application (deleted?)"),
        );
        return true;
    };
    // The whole object, when a detail view holds it, is the freshest basis.
    let basis = model
        .full_app(namespace, name)
        .map_or_else(|| detail.basis.unpack(), |full| full.as_ref().clone());
    match build(command, summary, &basis, model, &cx.app.user, cx.app.wall) {
        Ok(request) => cx.confirm(request),
        Err(Refusal::Refused(why)) => cx.toast(Level::Warning, why),
        Err(Refusal::NotAnAction) => return false,
    }
    true
}
