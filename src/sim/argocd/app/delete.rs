//! Deleting an Application with the resources finalizer (ArgoCD's
//! `finalizeApplicationDeletion`): its managed objects are deleted, and once none is left
//! the finalizer is removed so the Application goes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::domain::appset::RESOURCES_FINALIZER;
use crate::domain::argocd::{Application, ConditionType};
use crate::sim::api::PatchType;

use super::super::clusters::DestinationError;
use super::super::kube::{self, APP_CONTROLLER};
use super::super::settings::NAMESPACE;
use super::super::tracking::TrackingId;
use super::AppController;
use super::apply;
use super::status::{condition, set_conditions, write_status};
use super::tasks::has_sync_option;

/// The resources finalizer and its `/foreground` and `/background` variants.
fn is_resources_finalizer(f: &str) -> bool {
    f == RESOURCES_FINALIZER || f.starts_with(&format!("{RESOURCES_FINALIZER}/"))
}

impl AppController {
    /// One step of deleting an Application; returns when to look again.
    pub(super) async fn finalize(&self, app: &Application) -> Option<Duration> {
        let name = &app.metadata.name;
        if !app
            .metadata
            .finalizers
            .iter()
            .any(|f| is_resources_finalizer(f))
        {
            return None;
        }
        let target = match self
            .rt
            .destinations
            .resolve(&app.spec.destination, &self.rt.known_clusters())
        {
            Ok(target) => target,
            // Nothing can be deleted on a cluster ArgoCD does not know: let the app go.
            Err(DestinationError::Unknown(_)) => {
                self.drop_finalizers(app);
                return None;
            }
            Err(err) => {
                self.deletion_error(app, &err.to_string());
                return Some(self.rt.real(Duration::from_secs(5)));
            }
        };
        let cluster = &target.cluster;
        let mut remaining = 0;
        for live_ref in self.rt.index.objects(&cluster.name, name) {
            let Some(live) = kube::get(
                cluster,
                &live_ref.resource,
                &live_ref.namespace,
                &live_ref.name,
            ) else {
                continue;
            };
            if TrackingId::of(&live).is_none_or(|id| id.app != *name)
                || has_sync_option(&live, "Delete=false")
            {
                continue;
            }
            remaining += 1;
            if let Err(err) = apply::prune(cluster, &live, false) {
                self.deletion_error(app, &err);
            }
        }
        let left = self
            .rt
            .index
            .objects(&cluster.name, name)
            .into_iter()
            .filter(|r| kube::get(cluster, &r.resource, &r.namespace, &r.name).is_some())
            .count();
        if remaining > 0 && left > 0 {
            return Some(self.rt.real(Duration::from_secs(1)));
        }
        self.drop_finalizers(app);
        None
    }

    fn drop_finalizers(&self, app: &Application) {
        let kept: Vec<&String> = app
            .metadata
            .finalizers
            .iter()
            .filter(|f| !is_resources_finalizer(f))
            .collect();
        let patch = json!({"metadata": {"finalizers": kept}});
        if let Err(err) = kube::patch(
            &self.rt.mgmt,
            &kube::applications(),
            NAMESPACE,
            &app.metadata.name,
            PatchType::Merge,
            &patch,
            APP_CONTROLLER,
        ) && err.code != 404
        {
            tracing::warn!(app = %app.metadata.name, %err, "removing the resources finalizer failed");
        }
    }

    fn deletion_error(&self, app: &Application, message: &str) {
        let now = self.rt.clock.timestamp();
        let conditions = set_conditions(
            &app.status.conditions,
            vec![condition(ConditionType::DeletionError, message)],
            &[ConditionType::DeletionError],
            &now,
        );
        let mut status = kube::get_app(&self.rt.mgmt, &app.metadata.name)
            .and_then(|a| a.get("status").cloned())
            .unwrap_or_else(|| json!({}));
        status["conditions"] = serde_json::to_value(conditions).unwrap_or(Value::Null);
        if let Err(err) = write_status(&self.rt.mgmt, &app.metadata.name, &status) {
            tracing::warn!(app = %app.metadata.name, %err, "recording a DeletionError failed");
        }
    }
}
