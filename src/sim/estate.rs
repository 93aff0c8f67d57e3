//! A running simulated estate: N clusters, each with its own API server on 127.0.0.1, and the
//! kubeconfig that reaches them. The entry point for `sim serve`, the demo, tests and benches.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::api::{Part, WriteContext};
use super::auth::Users;
use super::cluster::{ClusterOptions, ClusterState};
use super::error::ApiError;
use super::kubeconfig::{self, KubeconfigCluster};
use super::requestlog::{RequestRecord, open_log_file};
use super::server::ClusterServer;
use super::tls::{EstateTls, TlsError};

/// How to start an estate.
#[derive(Debug, Clone)]
pub struct EstateOptions {
    /// Cluster names, e.g. mgmt, dev, stg, prd.
    pub clusters: Vec<String>,
    /// First port; cluster N listens on `base_port + N`. None: ephemeral ports.
    pub base_port: Option<u16>,
    /// Where to write the kubeconfig; None: a file in a temporary directory the estate owns.
    pub kubeconfig_path: Option<PathBuf>,
    /// Append every request of every cluster to this JSONL file.
    pub request_log: Option<PathBuf>,
    pub cluster: ClusterOptions,
}

impl Default for EstateOptions {
    fn default() -> Self {
        Self {
            clusters: ["mgmt", "dev", "stg", "prd"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            base_port: None,
            kubeconfig_path: None,
            request_log: None,
            cluster: ClusterOptions::default(),
        }
    }
}

impl EstateOptions {
    pub fn with_clusters(names: &[&str]) -> Self {
        Self {
            clusters: names.iter().map(|s| s.to_string()).collect(),
            ..Self::default()
        }
    }
}

/// Why an estate could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid cluster name {name:?}: {reason}")]
    ClusterName { name: String, reason: String },
    #[error("cannot listen on 127.0.0.1:{port} for cluster {cluster}: {source}")]
    Listen {
        cluster: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("cannot write kubeconfig {path}: {source}")]
    Kubeconfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot open request log {path}: {source}")]
    RequestLog {
        path: PathBuf,
        source: std::io::Error,
    },
}

struct RunningCluster {
    state: Arc<ClusterState>,
    server: ClusterServer,
}

/// A running simulated estate. Dropping it without [`Estate::stop`] also stops the servers
/// (their tasks end with the runtime), but `stop` waits for them.
pub struct Estate {
    clusters: Vec<RunningCluster>,
    kubeconfig_path: PathBuf,
    kubeconfig_text: String,
    ca_pem: String,
    _tempdir: Option<tempfile::TempDir>,
}

fn validate_names(names: &[String]) -> Result<(), SimError> {
    for (i, name) in names.iter().enumerate() {
        let bad = |reason: &str| SimError::ClusterName {
            name: name.clone(),
            reason: reason.to_string(),
        };
        let problems = crate::sim::validate::dns1123_label(name);
        if !problems.is_empty() {
            return Err(bad(&problems.join("; ")));
        }
        if names[..i].contains(name) {
            return Err(bad("listed twice"));
        }
    }
    if names.is_empty() {
        return Err(SimError::ClusterName {
            name: String::new(),
            reason: "at least one cluster is needed".into(),
        });
    }
    Ok(())
}

impl Estate {
    /// Starts one API server per cluster and writes the kubeconfig.
    pub async fn start(options: EstateOptions) -> Result<Self, SimError> {
        validate_names(&options.clusters)?;
        let request_file = match &options.request_log {
            Some(path) => Some(open_log_file(path).map_err(|source| SimError::RequestLog {
                path: path.clone(),
                source,
            })?),
            None => None,
        };
        let tls = EstateTls::generate()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config.clone());
        let mut clusters = Vec::new();
        for (i, name) in options.clusters.iter().enumerate() {
            let state = Arc::new(ClusterState::new(
                name,
                options.cluster.clone(),
                Users::generate(name),
                request_file.clone(),
            ));
            let port = options.base_port.map_or(0, |p| p.saturating_add(i as u16));
            let server = ClusterServer::start(state.clone(), port, acceptor.clone())
                .await
                .map_err(|source| SimError::Listen {
                    cluster: name.clone(),
                    port,
                    source,
                })?;
            clusters.push(RunningCluster { state, server });
        }
        let (kubeconfig_path, tempdir) = match &options.kubeconfig_path {
            Some(path) => (path.clone(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("k8tre-sim-")
                    .tempdir()
                    .map_err(|source| SimError::Kubeconfig {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (dir.path().join("kubeconfig"), Some(dir))
            }
        };
        let entries: Vec<KubeconfigCluster<'_>> = clusters
            .iter()
            .map(|c| KubeconfigCluster {
                name: &c.state.name,
                server: c.server.url(),
                admin_token: &c.state.users.admin_token,
                viewer_token: &c.state.users.viewer_token,
            })
            .collect();
        let kubeconfig_text = kubeconfig::render(&entries, &tls.ca_pem);
        kubeconfig::write(&kubeconfig_path, &kubeconfig_text).map_err(|source| {
            SimError::Kubeconfig {
                path: kubeconfig_path.clone(),
                source,
            }
        })?;
        let estate = Self {
            clusters,
            kubeconfig_path,
            kubeconfig_text,
            ca_pem: tls.ca_pem,
            _tempdir: tempdir,
        };
        for c in &estate.clusters {
            estate.seed_baseline(&c.state);
        }
        Ok(estate)
    }

    /// Every cluster starts with the namespaces and the node a fresh cluster has.
    fn seed_baseline(&self, cluster: &ClusterState) {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            if let Err(e) = seed_into(cluster, obj) {
                tracing::warn!("seeding namespace {ns} in {} failed: {e}", cluster.name);
            }
        }
    }

    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig_text
    }

    /// PEM of the estate's throwaway CA (also in the kubeconfig).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn cluster_names(&self) -> Vec<&str> {
        self.clusters
            .iter()
            .map(|c| c.state.name.as_str())
            .collect()
    }

    /// The shared state of a cluster (store, faults, logs, request log).
    pub fn cluster(&self, name: &str) -> Option<&Arc<ClusterState>> {
        self.clusters
            .iter()
            .find(|c| c.state.name == name)
            .map(|c| &c.state)
    }

    /// `http://127.0.0.1:<port>` of a cluster.
    pub fn url(&self, name: &str) -> Option<String> {
        self.clusters
            .iter()
            .find(|c| c.state.name == name)
            .map(|c| c.server.url())
    }

    /// Every request any cluster answered, in each cluster's order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.clusters
            .iter()
            .flat_map(|c| c.state.requests.snapshot())
            .collect()
    }

    /// Creates an object directly (as the admin), creating its namespace if needed, and
    /// storing its `status` too. Returns the stored object.
    pub fn seed(&self, cluster: &str, obj: Value) -> Result<Value, ApiError> {
        let state = self.cluster(cluster).ok_or_else(|| {
            ApiError::bad_request(format!("no simulated cluster named {cluster:?}"))
        })?;
        seed_into(state, obj)
    }

    /// Stops every server and waits for them.
    pub async fn stop(self) {
        for c in self.clusters {
            c.server.stop().await;
        }
    }
}

/// Creates (or replaces) an object in a cluster as an admin, with its namespace and status.
pub fn seed_into(cluster: &ClusterState, obj: Value) -> Result<Value, ApiError> {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let rt = cluster
        .registry
        .read()
        .by_kind(&api_version, &kind)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{kind} ({api_version}) is not served by cluster {}",
                cluster.name
            ))
        })?;
    let ctx = WriteContext::controller("k8tre-sim-seed");
    let namespace = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let namespace = if rt.namespaced {
        namespace
    } else {
        String::new()
    };
    if rt.namespaced
        && cluster
            .store
            .get(
                &super::resources::ResourceKey::new("", "namespaces"),
                "",
                &namespace,
            )
            .is_none()
    {
        let ns_rt = cluster.registry.read().by_kind("v1", "Namespace");
        if let Some(ns_rt) = ns_rt {
            cluster.create(
                &ns_rt,
                "",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
                &ctx,
            )?;
        }
    }
    let status = obj.get("status").cloned();
    let stored = match cluster.get(&rt, &namespace, &name) {
        Ok(_) => cluster.replace(&rt, &namespace, &name, obj, Part::Main, &ctx)?,
        Err(_) => cluster.create(&rt, &namespace, obj, &ctx)?,
    };
    match status {
        Some(status) if rt.status_subresource => {
            let mut with_status = stored;
            with_status["status"] = status;
            if let Some(meta) = with_status
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
            {
                meta.remove("resourceVersion");
            }
            cluster.replace(&rt, &namespace, &name, with_status, Part::Status, &ctx)
        }
        _ => Ok(stored),
    }
}
