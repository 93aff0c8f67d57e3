//! Comparing what git says with what runs (ArgoCD's `CompareAppState`), as a pure function:
//! per-resource sync status and health, the app's sync status and health, the images it
//! runs, and whether it is an app of apps.

use serde_json::Value;

use crate::domain::argocd::{
    HealthInfo, HealthStatus, ResourceIgnoreDifferences, ResourceStatus, SyncStatus,
};
use crate::domain::health::{self, ResourceHealth, ResourceRef};

use super::super::diff::{ignored_paths, live_matches_desired};
use super::tasks::{images_of, wave_of};

/// Annotation with per-resource comparison options (`IgnoreExtraneous`).
pub const COMPARE_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/compare-options";

/// One resource of an Application: in git, live, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Managed {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub desired: Option<Value>,
    pub live: Option<Value>,
}

impl Managed {
    fn reference(&self) -> ResourceRef {
        ResourceRef::new(&self.group, &self.kind, &self.namespace, &self.name)
    }

    fn any(&self) -> Option<&Value> {
        self.desired.as_ref().or(self.live.as_ref())
    }

    fn is_hook(&self) -> bool {
        self.any().is_some_and(health::excluded_from_app_health)
    }

    fn ignores_extraneous(&self) -> bool {
        self.live
            .as_ref()
            .and_then(|l| l.pointer("/metadata/annotations"))
            .and_then(|a| a.get(COMPARE_OPTIONS_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|o| o.split(',').any(|x| x.trim() == "IgnoreExtraneous"))
    }

    /// Synced, or OutOfSync (missing, different, or extraneous).
    pub fn sync_status(&self, ignores: &[ResourceIgnoreDifferences]) -> SyncStatus {
        match (&self.desired, &self.live) {
            (Some(desired), Some(live)) => {
                let paths = ignored_paths(
                    ignores,
                    &self.group,
                    &self.kind,
                    &self.namespace,
                    &self.name,
                );
                if live_matches_desired(desired, live, &paths) {
                    SyncStatus::Synced
                } else {
                    SyncStatus::OutOfSync
                }
            }
            (None, Some(_)) if self.ignores_extraneous() => SyncStatus::Synced,
            _ => SyncStatus::OutOfSync,
        }
    }

    /// Health of the live object (`None`: no health check); Missing when not live.
    pub fn health(&self) -> Option<ResourceHealth> {
        match &self.live {
            Some(live) => health::assess(live),
            None => Some(ResourceHealth::missing()),
        }
    }
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Sorted by group/kind/namespace/name, as ArgoCD sorts them.
    pub resources: Vec<ResourceStatus>,
    pub sync: SyncStatus,
    pub health: ResourceHealth,
    pub images: Vec<String>,
    pub is_app_of_apps: bool,
}

/// Compares every managed resource. Hooks are compared but do not make the app OutOfSync
/// and do not count for its health. With `persist_health` resource health is inline in
/// `resources[]`, otherwise it is left out (ArgoCD ≥ 3.0 keeps it in its app tree).
pub fn compare(
    items: &[Managed],
    ignores: &[ResourceIgnoreDifferences],
    persist_health: bool,
) -> Comparison {
    let mut resources = Vec::new();
    let mut healths = Vec::new();
    let mut sync = SyncStatus::Synced;
    let mut images = Vec::new();
    let mut is_app_of_apps = false;
    for item in items {
        let hook = item.is_hook();
        if hook && item.live.is_none() {
            continue;
        }
        let status = item.sync_status(ignores);
        if status == SyncStatus::OutOfSync && !hook {
            sync = SyncStatus::OutOfSync;
        }
        let resource_health = item.health();
        healths.push((item.reference(), resource_health.clone(), hook));
        if let Some(live) = &item.live {
            images.extend(images_of(live));
        }
        if item.group == "argoproj.io" && item.kind == "Application" {
            is_app_of_apps = true;
        }
        resources.push(ResourceStatus {
            group: item.group.clone(),
            version: item.version.clone(),
            kind: item.kind.clone(),
            namespace: item.namespace.clone(),
            name: item.name.clone(),
            status: Some(status),
            health: persist_health
                .then(|| resource_health.as_ref().map(health_info))
                .flatten(),
            hook,
            requires_pruning: item.desired.is_none() && !item.ignores_extraneous(),
            sync_wave: item.any().map(wave_of).unwrap_or(0),
            ..Default::default()
        });
    }
    resources.sort_by(|a, b| {
        (&a.group, &a.kind, &a.namespace, &a.name).cmp(&(&b.group, &b.kind, &b.namespace, &b.name))
    });
    images.sort();
    images.dedup();
    Comparison {
        resources,
        sync,
        health: health::aggregate(healths),
        images,
        is_app_of_apps,
    }
}

/// A resource's health as `status.resources[].health`.
pub fn health_info(h: &ResourceHealth) -> HealthInfo {
    HealthInfo {
        status: Some(h.status),
        message: h.message.clone(),
        ..Default::default()
    }
}

/// An app's health with `lastTransitionTime` kept unless the status changed.
pub fn app_health(h: &ResourceHealth, previous: Option<&HealthInfo>, now: &str) -> HealthInfo {
    let unchanged = previous.is_some_and(|p| p.status == Some(h.status));
    HealthInfo {
        status: Some(h.status),
        message: h.message.clone(),
        last_transition_time: if unchanged {
            previous
                .and_then(|p| p.last_transition_time.clone())
                .or_else(|| Some(now.to_string()))
        } else {
            Some(now.to_string())
        },
        ..Default::default()
    }
}

/// `Unknown` health, for apps ArgoCD cannot compare.
pub fn unknown_health(previous: Option<&HealthInfo>, now: &str) -> HealthInfo {
    app_health(
        &ResourceHealth::new(HealthStatus::Unknown, ""),
        previous,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(name: &str, ready: bool) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "ns", "generation": 1,
                         "annotations": {"argocd.argoproj.io/sync-wave": "-2"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": format!("{name}:1")}]}}},
            "status": if ready {
                json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1})
            } else {
                json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 0})
            }
        })
    }

    fn managed(desired: Option<Value>, live: Option<Value>) -> Managed {
        let any = desired.clone().or(live.clone()).expect("one of them");
        Managed {
            group: "apps".into(),
            version: "v1".into(),
            kind: any["kind"].as_str().expect("kind").into(),
            namespace: "ns".into(),
            name: any["metadata"]["name"].as_str().expect("name").into(),
            desired,
            live,
        }
    }

    fn strip_status(mut v: Value) -> Value {
        if let Some(m) = v.as_object_mut() {
            m.remove("status");
        }
        v
    }

    #[test]
    fn everything_live_and_equal_is_synced_and_healthy() {
        let live = deployment("web", true);
        let items = [managed(Some(strip_status(live.clone())), Some(live))];
        let c = compare(&items, &[], false);
        assert_eq!(c.sync, SyncStatus::Synced);
        assert_eq!(c.health.status, HealthStatus::Healthy);
        assert_eq!(c.resources.len(), 1);
        assert_eq!(c.resources[0].health, None);
        assert_eq!(c.resources[0].sync_wave, -2);
        assert_eq!(c.images, vec!["web:1"]);
        assert!(!c.is_app_of_apps);
        let persisted = compare(&items, &[], true);
        assert_eq!(
            persisted.resources[0]
                .health
                .as_ref()
                .and_then(|h| h.status),
            Some(HealthStatus::Healthy)
        );
    }

    #[test]
    fn missing_extra_and_changed_resources_are_out_of_sync() {
        let desired = strip_status(deployment("web", true));
        let c = compare(&[managed(Some(desired.clone()), None)], &[], false);
        assert_eq!(c.sync, SyncStatus::OutOfSync);
        assert_eq!(c.health.status, HealthStatus::Missing);

        let c = compare(&[managed(None, Some(deployment("old", true)))], &[], false);
        assert_eq!(c.sync, SyncStatus::OutOfSync);
        assert!(c.resources[0].requires_pruning);

        let mut changed = deployment("web", false);
        changed["spec"]["replicas"] = json!(4);
        let c = compare(&[managed(Some(desired), Some(changed))], &[], true);
        assert_eq!(c.sync, SyncStatus::OutOfSync);
        assert_eq!(c.health.status, HealthStatus::Progressing);
        assert_eq!(c.resources[0].status, Some(SyncStatus::OutOfSync));
    }

    #[test]
    fn hooks_do_not_decide_sync_or_health() {
        let mut hook = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "migrate", "namespace": "ns",
                         "annotations": {"argocd.argoproj.io/hook": "PreSync"}}});
        let c = compare(&[managed(Some(hook.clone()), None)], &[], false);
        assert_eq!(c.sync, SyncStatus::Synced);
        assert!(c.resources.is_empty());
        hook["spec"] = json!({"replicas": 1});
        let live = deployment("web", true);
        let items = [
            managed(Some(hook), Some(deployment("migrate", false))),
            managed(Some(strip_status(live.clone())), Some(live)),
        ];
        let c = compare(&items, &[], false);
        assert_eq!(c.sync, SyncStatus::Synced);
        assert_eq!(c.health.status, HealthStatus::Healthy);
        assert!(c.resources.iter().any(|r| r.hook));
    }

    #[test]
    fn child_applications_make_an_app_of_apps() {
        let child = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "child", "namespace": "argocd"}, "spec": {"project": "default"}});
        let item = Managed {
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            kind: "Application".into(),
            namespace: "argocd".into(),
            name: "child".into(),
            desired: Some(child.clone()),
            live: Some(child),
        };
        let c = compare(&[item], &[], false);
        assert!(c.is_app_of_apps);
        assert_eq!(c.health.status, HealthStatus::Healthy);
    }

    #[test]
    fn health_transition_times_only_move_on_change() {
        let previous = HealthInfo {
            status: Some(HealthStatus::Healthy),
            last_transition_time: Some("t0".into()),
            ..Default::default()
        };
        let same = app_health(&ResourceHealth::healthy(), Some(&previous), "t1");
        assert_eq!(same.last_transition_time.as_deref(), Some("t0"));
        let changed = app_health(
            &ResourceHealth::new(HealthStatus::Degraded, "x"),
            Some(&previous),
            "t1",
        );
        assert_eq!(changed.last_transition_time.as_deref(), Some("t1"));
    }
}
