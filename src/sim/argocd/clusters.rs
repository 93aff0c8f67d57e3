//! The clusters ArgoCD knows: its cluster Secrets (plus the implicit in-cluster), and how an
//! Application's destination resolves to one of the simulated clusters.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use serde_json::Value;

use crate::domain::appset::ClusterInfo;
use crate::domain::argocd::{ApplicationDestination, IN_CLUSTER_NAME, IN_CLUSTER_SERVER};
use crate::sim::cluster::ClusterState;
use crate::sim::resources::ResourceKey;

use super::install::SECRET_TYPE_LABEL;
use super::settings::NAMESPACE;

/// A cluster Secret as the controllers read it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownCluster {
    pub name: String,
    pub server: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl KnownCluster {
    /// As the ApplicationSet clusters generator sees it.
    pub fn info(&self) -> ClusterInfo {
        ClusterInfo {
            name: self.name.clone(),
            server: self.server.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
        }
    }
}

fn decoded(secret: &Value, key: &str) -> Option<String> {
    let raw = secret.pointer("/data")?.get(key)?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
    String::from_utf8(bytes).ok()
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads one cluster Secret; `None` when it lacks `server`.
pub fn from_secret(secret: &Value) -> Option<KnownCluster> {
    let server = decoded(secret, "server")?;
    let name = decoded(secret, "name").unwrap_or_else(|| server.clone());
    Some(KnownCluster {
        name,
        server: server.trim_end_matches('/').to_string(),
        labels: string_map(secret.pointer("/metadata/labels")),
        annotations: string_map(secret.pointer("/metadata/annotations")),
    })
}

/// Every cluster Secret in ArgoCD's namespace.
pub fn cluster_secrets(mgmt: &ClusterState) -> Vec<KnownCluster> {
    let key = ResourceKey::new("", "secrets");
    let page = mgmt
        .store
        .list(&key, Some(NAMESPACE), None, None, &|entry| {
            entry.labels.get(SECRET_TYPE_LABEL).map(String::as_str) == Some("cluster")
        });
    page.items
        .iter()
        .filter_map(|e| e.value().ok())
        .filter_map(|secret| from_secret(&secret))
        .collect()
}

/// Why a destination does not lead to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// ArgoCD does not know the cluster: an `InvalidSpecError`.
    #[error("application destination spec is invalid: unable to find destination server: {0}")]
    Unknown(String),
    /// ArgoCD knows it but cannot talk to it: a `ComparisonError`.
    #[error(
        "failed to sync cluster {server}: failed to load initial state of resource: Get \"{server}/version\": {reason}"
    )]
    Unreachable { server: String, reason: String },
}

/// A resolved destination.
#[derive(Clone)]
pub struct Target {
    pub name: String,
    pub server: String,
    pub cluster: Arc<ClusterState>,
}

/// Where Applications can go: the in-cluster (the management cluster) and the simulated
/// clusters by API server URL.
pub struct Destinations {
    mgmt: Arc<ClusterState>,
    by_server: HashMap<String, Arc<ClusterState>>,
}

impl Destinations {
    pub fn new(mgmt: Arc<ClusterState>, targets: Vec<(String, Arc<ClusterState>)>) -> Self {
        Self {
            mgmt,
            by_server: targets
                .into_iter()
                .map(|(url, c)| (url.trim_end_matches('/').to_string(), c))
                .collect(),
        }
    }

    /// Every reachable cluster, the management cluster first.
    pub fn clusters(&self) -> Vec<Arc<ClusterState>> {
        std::iter::once(self.mgmt.clone())
            .chain(self.by_server.values().cloned())
            .collect()
    }

    /// Resolves `destination` against the known clusters (ArgoCD's `ValidateDestination`
    /// plus the connection the controller then makes).
    pub fn resolve(
        &self,
        destination: &ApplicationDestination,
        known: &[KnownCluster],
    ) -> Result<Target, DestinationError> {
        let server = if !destination.server.is_empty() {
            destination.server.trim_end_matches('/').to_string()
        } else if !destination.name.is_empty() {
            let named: Vec<&KnownCluster> = known
                .iter()
                .filter(|c| c.name == destination.name)
                .collect();
            match named.as_slice() {
                [one] => one.server.clone(),
                [] if destination.name == IN_CLUSTER_NAME => IN_CLUSTER_SERVER.to_string(),
                [] => {
                    return Err(DestinationError::Unknown(format!(
                        "there are no clusters with this name: {}",
                        destination.name
                    )));
                }
                many => {
                    let servers: Vec<&str> = many.iter().map(|c| c.server.as_str()).collect();
                    return Err(DestinationError::Unknown(format!(
                        "there are {} clusters with the same name: [{}]",
                        many.len(),
                        servers.join(" ")
                    )));
                }
            }
        } else {
            return Err(DestinationError::Unknown(
                "destination server or name is required".to_string(),
            ));
        };
        let name = known
            .iter()
            .find(|c| c.server == server)
            .map(|c| c.name.clone());
        if server == IN_CLUSTER_SERVER {
            return Ok(Target {
                name: name.unwrap_or_else(|| IN_CLUSTER_NAME.to_string()),
                server,
                cluster: self.mgmt.clone(),
            });
        }
        let Some(name) = name else {
            return Err(DestinationError::Unknown(format!(
                "there are no clusters with this server: {server}"
            )));
        };
        let Some(cluster) = self.by_server.get(&server) else {
            return Err(DestinationError::Unreachable {
                server,
                reason: "dial tcp: lookup failed: no such host".to_string(),
            });
        };
        if cluster.faults.refusing() {
            return Err(DestinationError::Unreachable {
                reason: "dial tcp: connect: connection refused".to_string(),
                server,
            });
        }
        Ok(Target {
            name,
            server,
            cluster: cluster.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::Users;
    use crate::sim::cluster::ClusterOptions;
    use serde_json::json;

    fn cluster(name: &str) -> Arc<ClusterState> {
        Arc::new(ClusterState::new(
            name,
            ClusterOptions::default(),
            Users::generate(name),
            None,
        ))
    }

    fn known(name: &str, server: &str) -> KnownCluster {
        KnownCluster {
            name: name.into(),
            server: server.into(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }

    fn dest(server: &str, name: &str) -> ApplicationDestination {
        ApplicationDestination {
            server: server.into(),
            name: name.into(),
            namespace: "ns".into(),
            ..Default::default()
        }
    }

    #[test]
    fn destinations_resolve_by_server_or_name() {
        let dev = cluster("dev");
        let destinations = Destinations::new(
            cluster("mgmt"),
            vec![("https://127.0.0.1:1/".into(), dev.clone())],
        );
        let clusters = vec![
            known("k8tre-dev", "https://127.0.0.1:1"),
            known("k8tre-gone", "https://10.0.0.1"),
        ];
        let by_server = destinations
            .resolve(&dest("https://127.0.0.1:1", ""), &clusters)
            .map_err(|e| e.to_string())
            .expect("resolves");
        assert_eq!(by_server.name, "k8tre-dev");
        assert_eq!(by_server.cluster.name, "dev");
        let by_name = destinations
            .resolve(&dest("", "k8tre-dev"), &clusters)
            .map_err(|e| e.to_string())
            .expect("resolves");
        assert_eq!(by_name.server, "https://127.0.0.1:1");
        let in_cluster = destinations
            .resolve(&dest(IN_CLUSTER_SERVER, ""), &clusters)
            .map_err(|e| e.to_string())
            .expect("resolves");
        assert_eq!(in_cluster.cluster.name, "mgmt");
        assert_eq!(in_cluster.name, IN_CLUSTER_NAME);

        let unknown = destinations.resolve(&dest("", "nope"), &clusters).err();
        assert_eq!(
            unknown.map(|e| e.to_string()),
            Some("application destination spec is invalid: unable to find destination server: there are no clusters with this name: nope".to_string())
        );
        assert!(matches!(
            destinations.resolve(&dest("https://9.9.9.9", ""), &clusters),
            Err(DestinationError::Unknown(_))
        ));
        assert!(matches!(
            destinations.resolve(&dest("https://10.0.0.1", ""), &clusters),
            Err(DestinationError::Unreachable { .. })
        ));
        dev.faults.set_refuse(true);
        assert!(matches!(
            destinations.resolve(&dest("https://127.0.0.1:1", ""), &clusters),
            Err(DestinationError::Unreachable { .. })
        ));
    }

    #[test]
    fn secrets_are_read_with_decoded_data_and_labels() {
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let secret = json!({"metadata": {"labels": {"environment": "dev", SECRET_TYPE_LABEL: "cluster"}},
            "data": {"name": encode("k8tre-dev"), "server": encode("https://x/")}});
        let known = from_secret(&secret).expect("cluster");
        assert_eq!(known.name, "k8tre-dev");
        assert_eq!(known.server, "https://x");
        assert_eq!(
            known.labels.get("environment").map(String::as_str),
            Some("dev")
        );
        assert!(from_secret(&json!({"data": {}})).is_none());
    }
}
