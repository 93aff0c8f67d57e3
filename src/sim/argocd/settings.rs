//! What the controllers read from ArgoCD's own configuration in the management cluster
//! (`argocd-cm`, `argocd-cmd-params-cm`, the `cmp-plugin` ConfigMap and the repo server's
//! sidecars), plus the knobs of the simulation itself.

use std::time::Duration;

use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::watch;

use crate::sim::cluster::ClusterState;
use crate::sim::resources::ResourceKey;

pub const NAMESPACE: &str = "argocd";
pub const CMD_PARAMS_CM: &str = "argocd-cmd-params-cm";
pub const ARGOCD_CM: &str = "argocd-cm";
pub const CMP_PLUGIN_CM: &str = "cmp-plugin";
pub const REPO_SERVER: &str = "argocd-repo-server";
pub const HEALTH_PERSIST_KEY: &str = "controller.resource.health.persist";
/// The sidecar entrypoint of a Config Management Plugin.
pub const CMP_SERVER: &str = "/var/run/argocd/argocd-cmp-server";

/// ArgoCD's configuration as read from the management cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `controller.resource.health.persist` (default false since ArgoCD 3.0).
    pub health_persist: bool,
    /// Plugin names usable in `spec.source.plugin.name` (`<name>-<version>` and `<name>`),
    /// present when the `cmp-plugin` ConfigMap defines them and the repo server runs a
    /// CMP sidecar.
    pub plugins: Vec<String>,
    /// `kustomize.buildOptions` of `argocd-cm`.
    pub kustomize_build_options: String,
}

fn get(cluster: &ClusterState, group: &str, plural: &str, name: &str) -> Option<Value> {
    cluster
        .store
        .get(&ResourceKey::new(group, plural), NAMESPACE, name)?
        .value()
        .ok()
}

fn data<'a>(cm: Option<&'a Value>, key: &str) -> Option<&'a str> {
    cm?.pointer("/data")?.get(key)?.as_str()
}

impl Settings {
    pub fn load(mgmt: &ClusterState) -> Settings {
        let params = get(mgmt, "", "configmaps", CMD_PARAMS_CM);
        let argocd_cm = get(mgmt, "", "configmaps", ARGOCD_CM);
        let plugin_cm = get(mgmt, "", "configmaps", CMP_PLUGIN_CM);
        let repo_server = get(mgmt, "apps", "deployments", REPO_SERVER);
        let has_sidecar = repo_server
            .as_ref()
            .and_then(|d| d.pointer("/spec/template/spec/containers"))
            .and_then(Value::as_array)
            .is_some_and(|containers| {
                containers.iter().any(|c| {
                    c.get("command")
                        .and_then(Value::as_array)
                        .is_some_and(|cmd| cmd.iter().any(|a| a.as_str() == Some(CMP_SERVER)))
                })
            });
        let plugins = if has_sidecar {
            data(plugin_cm.as_ref(), "plugin.yaml")
                .map(plugin_names)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Settings {
            health_persist: data(params.as_ref(), HEALTH_PERSIST_KEY)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            plugins,
            kustomize_build_options: data(argocd_cm.as_ref(), "kustomize.buildOptions")
                .unwrap_or_default()
                .to_string(),
        }
    }

    pub fn has_plugin(&self, name: &str) -> bool {
        self.plugins.iter().any(|p| p == name)
    }
}

/// The names a `ConfigManagementPlugin` answers to: `<name>` and, when versioned,
/// `<name>-<version>`.
fn plugin_names(plugin_yaml: &str) -> Vec<String> {
    let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(plugin_yaml) else {
        return Vec::new();
    };
    let Some(name) = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_str())
    else {
        return Vec::new();
    };
    let mut names = vec![name.to_string()];
    if let Some(version) = doc
        .get("spec")
        .and_then(|s| s.get("version"))
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
    {
        names.insert(0, format!("{name}-{version}"));
    }
    names
}

/// The knobs of the simulation, changeable while it runs.
pub struct Knobs {
    /// Simulated seconds between full reconciliations of an Application (ArgoCD's
    /// `timeout.reconciliation`, default 120 s) ...
    pub reconcile_period: RwLock<Duration>,
    /// ... plus up to this much random jitter (default 60 s).
    pub reconcile_jitter: RwLock<Duration>,
    /// Simulated time between polls of the repository for new commits.
    pub repo_poll: RwLock<Duration>,
    /// Pause between sync waves (`ARGOCD_SYNC_WAVE_DELAY`, 2 s).
    pub wave_delay: RwLock<Duration>,
    /// How often a running operation is looked at without any event (simulated).
    pub operation_poll: RwLock<Duration>,
    /// Minimum simulated time between a successful sync and a self-heal of the same revision.
    pub self_heal_timeout: RwLock<Duration>,
    pub paused: watch::Sender<bool>,
}

impl Knobs {
    pub fn new(reconcile_period: Duration, repo_poll: Duration) -> Self {
        Self {
            reconcile_period: RwLock::new(reconcile_period),
            reconcile_jitter: RwLock::new(reconcile_period / 2),
            repo_poll: RwLock::new(repo_poll),
            wave_delay: RwLock::new(Duration::from_secs(2)),
            operation_poll: RwLock::new(Duration::from_secs(3)),
            self_heal_timeout: RwLock::new(Duration::from_secs(5)),
            paused: watch::channel(false).0,
        }
    }

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// Waits while the simulation is paused.
    pub async fn wait_running(&self) {
        let mut paused = self.paused.subscribe();
        // The sender lives as long as the knobs; an error only means shutdown.
        let _ = paused.wait_for(|p| !*p).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_include_the_versioned_form() {
        let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: kustomize-with-envsubst\nspec:\n  version: v1.0\n";
        assert_eq!(
            plugin_names(yaml),
            vec!["kustomize-with-envsubst-v1.0", "kustomize-with-envsubst"]
        );
        assert_eq!(plugin_names("metadata:\n  name: p\n"), vec!["p"]);
        assert!(plugin_names(":::").is_empty());
    }
}
