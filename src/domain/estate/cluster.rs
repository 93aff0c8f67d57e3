//! Clusters: identity, ArgoCD labels, connection state and freshness, infrastructure facts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::argocd::{IN_CLUSTER_NAME, IN_CLUSTER_SERVER};
use crate::domain::env::Environment;

/// How the console's connection to a cluster stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// First list not yet complete.
    Connecting,
    /// Watches are running.
    Live,
    /// A watch failed and is being retried; earlier data is kept.
    Reconnecting { error: String, since: DateTime<Utc> },
    /// Retries keep failing.
    Unreachable { error: String, since: DateTime<Utc> },
    /// RBAC refused a request the console needs.
    Forbidden { verb: String, resource: String },
    /// Known only from ArgoCD's cluster Secret: no usable kubeconfig context.
    NoContext,
}

/// When the last watch event (or bookmark) arrived, and how old is too old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub last_event_at: Option<DateTime<Utc>>,
    pub stale_after: Duration,
}

impl Freshness {
    pub fn new(stale_after: Duration) -> Freshness {
        Freshness {
            last_event_at: None,
            stale_after,
        }
    }

    pub fn record_event(&mut self, at: DateTime<Utc>) {
        self.last_event_at = Some(self.last_event_at.map_or(at, |last| last.max(at)));
    }

    /// Stale when nothing has arrived yet or the last event is older than `stale_after`.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.last_event_at
            .is_none_or(|last| now.signed_duration_since(last) > self.stale_after)
    }

    pub fn age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.last_event_at
            .map(|last| now.signed_duration_since(last))
    }
}

/// Why there is no trustworthy data from a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unavailable {
    Connecting,
    NoContext,
    Forbidden,
    Unreachable,
    /// Data names a cluster the model does not know.
    UnknownCluster,
}

impl Unavailable {
    pub fn describe(self) -> &'static str {
        match self {
            Unavailable::Connecting => "connecting",
            Unavailable::NoContext => "no kubeconfig context",
            Unavailable::Forbidden => "forbidden",
            Unavailable::Unreachable => "unreachable",
            Unavailable::UnknownCluster => "unknown cluster",
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Whether a cluster's data can be shown as current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataState {
    Live,
    /// Data exists but is not current (watch broken or quiet for too long).
    Stale {
        since: Option<DateTime<Utc>>,
    },
    /// No data worth showing.
    Unavailable(Unavailable),
}

impl DataState {
    /// 0 live, 1 stale, 2 unavailable: higher is worse.
    pub fn rank(self) -> u8 {
        match self {
            DataState::Live => 0,
            DataState::Stale { .. } => 1,
            DataState::Unavailable(_) => 2,
        }
    }

    /// The worse of two states.
    pub fn worst(self, other: DataState) -> DataState {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// A K8TRE vendor (`vendor` cluster label; k8tre.md §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vendor {
    K3s,
    Azure,
    Aws,
    Other(String),
}

impl Vendor {
    pub fn parse(text: &str) -> Vendor {
        match text.trim().to_ascii_lowercase().as_str() {
            "k3s" => Vendor::K3s,
            "azure" => Vendor::Azure,
            "aws" => Vendor::Aws,
            _ => Vendor::Other(text.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Vendor::K3s => "k3s",
            Vendor::Azure => "azure",
            Vendor::Aws => "aws",
            Vendor::Other(text) => text,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Vendor::Other(_))
    }

    /// Infers the vendor from the server version (`v1.35.3+k3s1`, `v1.31.2-eks-7f9249a`) or a
    /// node's `spec.providerID` (`aws://`, `azure://`, `k3s://`).
    pub fn detect(kubernetes_version: Option<&str>, provider_id: Option<&str>) -> Option<Vendor> {
        let provider = provider_id.unwrap_or("");
        let version = kubernetes_version.unwrap_or("");
        if provider.starts_with("k3s://") || version.contains("+k3s") {
            Some(Vendor::K3s)
        } else if provider.starts_with("aws://") || version.contains("-eks-") {
            Some(Vendor::Aws)
        } else if provider.starts_with("azure://") {
            Some(Vendor::Azure)
        } else {
            None
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Vendor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Vendor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vendor::parse(&String::deserialize(deserializer)?))
    }
}

/// Ready / desired replicas of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: u32,
    pub desired: u32,
}

impl Readiness {
    pub fn is_ready(self) -> bool {
        self.desired > 0 && self.ready >= self.desired
    }
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ready, self.desired)
    }
}

/// A workload that was looked for: absent, or present with its readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Absent,
    Present(Readiness),
}

impl Workload {
    pub fn is_ready(self) -> bool {
        matches!(self, Workload::Present(r) if r.is_ready())
    }
}

/// Cilium as read from `kube-system/cilium-config` and its workloads (k8tre.md §6).
/// Setting values are the raw config strings; `None` means not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiliumFacts {
    /// Whether `cilium-config` exists.
    pub present: Option<bool>,
    /// `enable-l7-proxy`
    pub l7_proxy: Option<String>,
    /// `enable-gateway-api`
    pub gateway_api: Option<String>,
    /// `kube-proxy-replacement`
    pub kube_proxy_replacement: Option<String>,
    /// `ipam`
    pub ipam_mode: Option<String>,
    /// The `cilium` DaemonSet.
    pub daemonset: Option<Workload>,
    /// The `cilium-operator` Deployment.
    pub operator: Option<Workload>,
}

impl CiliumFacts {
    /// Reads `cilium-config` data, filling Cilium's own defaults for absent keys (the agent
    /// runs with them): L7 proxy on, Gateway API off, kube-proxy replacement off, cluster-pool.
    pub fn from_config(data: &BTreeMap<String, String>) -> CiliumFacts {
        let setting = |key: &str, default: &str| {
            Some(data.get(key).map_or(default, |v| v.trim()).to_string())
        };
        CiliumFacts {
            present: Some(true),
            l7_proxy: setting("enable-l7-proxy", "true"),
            gateway_api: setting("enable-gateway-api", "false"),
            kube_proxy_replacement: setting("kube-proxy-replacement", "false"),
            ipam_mode: setting("ipam", "cluster-pool"),
            daemonset: None,
            operator: None,
        }
    }

    /// No `cilium-config`: Cilium is not installed.
    pub fn absent() -> CiliumFacts {
        CiliumFacts {
            present: Some(false),
            daemonset: Some(Workload::Absent),
            operator: Some(Workload::Absent),
            ..CiliumFacts::default()
        }
    }
}

/// A StorageClass as the preflight needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageClassFact {
    pub name: String,
    pub provisioner: String,
    /// Annotated `storageclass.kubernetes.io/is-default-class: "true"`.
    pub is_default: bool,
}

/// ArgoCD's install on the management cluster (argocd.md §7, k8tre.md §5 steps 8-9).
/// Gathered as a whole: inside it, absence means absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgoCdFacts {
    pub namespace: String,
    /// Deployments and StatefulSets in the namespace, by name.
    pub workloads: BTreeMap<String, Readiness>,
    /// `argocd-cm` data; `None` when the ConfigMap does not exist.
    pub argocd_cm: Option<BTreeMap<String, String>>,
    /// The `plugin.yaml` key of ConfigMap `cmp-plugin`; `None` when the ConfigMap does not exist.
    pub cmp_plugin_yaml: Option<String>,
    /// Container names of the `argocd-repo-server` pod template (sidecars included).
    pub repo_server_containers: Vec<String>,
}

/// What the console knows about a cluster's infrastructure. `None` = not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFacts {
    /// `gitVersion` from `/version`, e.g. `v1.35.3+k3s1`.
    pub kubernetes_version: Option<String>,
    /// Vendor inferred from the cluster itself ([`Vendor::detect`]).
    pub vendor: Option<Vendor>,
    pub nodes_ready: Option<u32>,
    pub nodes_total: Option<u32>,
    pub cilium: CiliumFacts,
    /// Whether a `kube-system/kube-proxy` DaemonSet exists.
    pub kube_proxy_daemonset_present: Option<bool>,
    /// CRD names present in group `gateway.networking.k8s.io`.
    pub gateway_api_crds: Option<Vec<String>>,
    pub storage_classes: Option<Vec<StorageClassFact>>,
    /// Management clusters only.
    pub argocd: Option<ArgoCdFacts>,
}

impl ClusterFacts {
    pub fn default_storage_class(&self) -> Option<&StorageClassFact> {
        self.storage_classes.as_ref()?.iter().find(|s| s.is_default)
    }
}

/// What a cluster is in the estate. The single-cluster install is both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClusterRole {
    /// Runs the ArgoCD the console reads Applications from.
    pub management: bool,
    /// Registered in ArgoCD as a deployment destination.
    pub target: bool,
}

/// One cluster of the estate.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// ArgoCD's cluster name (`in-cluster`, `k8tre-dev-cluster`), or the context name of a
    /// management cluster that is not registered as a destination.
    pub name: Arc<str>,
    /// API server URL as ArgoCD knows it.
    pub server: String,
    /// The kubeconfig context the console uses, if any.
    pub context: Option<String>,
    /// Labels of ArgoCD's cluster Secret; `None` when there is no Secret.
    pub labels: Option<BTreeMap<String, String>>,
    pub role: ClusterRole,
    pub connection: ConnectionState,
    pub freshness: Freshness,
    pub facts: ClusterFacts,
}

impl Cluster {
    /// A cluster not yet connected, with no labels and no facts.
    pub fn new(name: &str, server: &str, role: ClusterRole, stale_after: Duration) -> Cluster {
        Cluster {
            name: Arc::from(name),
            server: server.to_string(),
            context: None,
            labels: None,
            role,
            connection: ConnectionState::Connecting,
            freshness: Freshness::new(stale_after),
            facts: ClusterFacts::default(),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// The `environment` label, read leniently (`prod` is prd).
    pub fn environment(&self) -> Option<Environment> {
        self.label("environment")
            .filter(|v| !v.trim().is_empty())
            .map(|v| Environment::parse(v).environment)
    }

    /// The `vendor` label, else the vendor detected from the cluster.
    pub fn vendor(&self) -> Option<Vendor> {
        self.label("vendor")
            .filter(|v| !v.trim().is_empty())
            .map(Vendor::parse)
            .or_else(|| self.facts.vendor.clone())
    }

    /// Whether an Application destination (`name` or `server`) points here.
    pub fn is_destination(&self, name: &str, server: &str) -> bool {
        if !name.is_empty() {
            return *self.name == *name;
        }
        let server = server.trim_end_matches('/');
        server == self.server.trim_end_matches('/')
            || (server == IN_CLUSTER_SERVER && *self.name == *IN_CLUSTER_NAME)
    }

    /// Whether this cluster's data may be shown as current.
    pub fn data_state(&self, now: DateTime<Utc>) -> DataState {
        let had_data = self.freshness.last_event_at.is_some();
        let stale = DataState::Stale {
            since: self.freshness.last_event_at,
        };
        match &self.connection {
            ConnectionState::NoContext => DataState::Unavailable(Unavailable::NoContext),
            ConnectionState::Forbidden { .. } => DataState::Unavailable(Unavailable::Forbidden),
            ConnectionState::Connecting if had_data => stale,
            ConnectionState::Connecting => DataState::Unavailable(Unavailable::Connecting),
            ConnectionState::Reconnecting { .. } | ConnectionState::Unreachable { .. }
                if had_data =>
            {
                stale
            }
            ConnectionState::Reconnecting { .. } | ConnectionState::Unreachable { .. } => {
                DataState::Unavailable(Unavailable::Unreachable)
            }
            ConnectionState::Live if self.freshness.is_stale(now) => stale,
            ConnectionState::Live => DataState::Live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_780_000_000 + seconds, 0)
            .single()
            .expect("valid time")
    }

    fn cluster(connection: ConnectionState, last_event: Option<i64>) -> Cluster {
        let mut c = Cluster::new(
            "dev",
            "https://dev:6443",
            ClusterRole {
                management: false,
                target: true,
            },
            Duration::seconds(90),
        );
        c.connection = connection;
        c.freshness.last_event_at = last_event.map(t);
        c
    }

    #[test]
    fn freshness() {
        let mut f = Freshness::new(Duration::seconds(60));
        assert!(f.is_stale(t(0)), "nothing heard yet");
        f.record_event(t(10));
        f.record_event(t(5));
        assert_eq!(f.last_event_at, Some(t(10)), "never goes back");
        assert!(!f.is_stale(t(70)));
        assert!(f.is_stale(t(71)));
        assert_eq!(f.age(t(40)), Some(Duration::seconds(30)));
    }

    #[test]
    fn data_state_per_connection() {
        let now = t(100);
        assert_eq!(
            cluster(ConnectionState::Live, Some(90)).data_state(now),
            DataState::Live
        );
        assert_eq!(
            cluster(ConnectionState::Live, Some(0)).data_state(now),
            DataState::Stale { since: Some(t(0)) }
        );
        let err = || ConnectionState::Reconnecting {
            error: "connection refused".into(),
            since: t(95),
        };
        assert_eq!(
            cluster(err(), Some(90)).data_state(now),
            DataState::Stale { since: Some(t(90)) }
        );
        assert_eq!(
            cluster(err(), None).data_state(now),
            DataState::Unavailable(Unavailable::Unreachable)
        );
        assert_eq!(
            cluster(ConnectionState::NoContext, None).data_state(now),
            DataState::Unavailable(Unavailable::NoContext)
        );
        assert_eq!(
            cluster(
                ConnectionState::Forbidden {
                    verb: "watch".into(),
                    resource: "applications".into()
                },
                Some(99)
            )
            .data_state(now),
            DataState::Unavailable(Unavailable::Forbidden)
        );
        assert_eq!(
            cluster(ConnectionState::Connecting, None).data_state(now),
            DataState::Unavailable(Unavailable::Connecting)
        );
    }

    #[test]
    fn labels_give_environment_and_vendor() {
        let mut c = cluster(ConnectionState::Live, None);
        assert_eq!(c.environment(), None);
        c.labels = Some(BTreeMap::from([
            ("environment".to_string(), "prod".to_string()),
            ("vendor".to_string(), "azure".to_string()),
        ]));
        assert_eq!(c.environment(), Some(Environment::Prd));
        assert_eq!(c.vendor(), Some(Vendor::Azure));
        c.labels = Some(BTreeMap::new());
        c.facts.vendor = Some(Vendor::K3s);
        assert_eq!(c.vendor(), Some(Vendor::K3s), "detected vendor as fallback");
    }

    #[test]
    fn vendor_detection() {
        assert_eq!(
            Vendor::detect(Some("v1.35.3+k3s1"), None),
            Some(Vendor::K3s)
        );
        assert_eq!(
            Vendor::detect(Some("v1.31.2-eks-7f9249a"), None),
            Some(Vendor::Aws)
        );
        assert_eq!(
            Vendor::detect(Some("v1.31.2"), Some("azure:///subscriptions/x")),
            Some(Vendor::Azure)
        );
        assert_eq!(Vendor::detect(Some("v1.31.2"), None), None);
        assert_eq!(Vendor::parse("GCP"), Vendor::Other("GCP".into()));
    }

    #[test]
    fn destinations_match_by_name_or_server() {
        let mut c = cluster(ConnectionState::Live, None);
        assert!(c.is_destination("dev", ""));
        assert!(!c.is_destination("prd", "https://dev:6443"), "name wins");
        assert!(c.is_destination("", "https://dev:6443/"));
        c.name = Arc::from(IN_CLUSTER_NAME);
        c.server = IN_CLUSTER_SERVER.to_string();
        assert!(c.is_destination("", IN_CLUSTER_SERVER));
    }

    #[test]
    fn cilium_config_defaults() {
        let facts = CiliumFacts::from_config(&BTreeMap::from([(
            "enable-gateway-api".to_string(),
            "true".to_string(),
        )]));
        assert_eq!(facts.present, Some(true));
        assert_eq!(facts.l7_proxy.as_deref(), Some("true"));
        assert_eq!(facts.gateway_api.as_deref(), Some("true"));
        assert_eq!(facts.kube_proxy_replacement.as_deref(), Some("false"));
        assert_eq!(facts.ipam_mode.as_deref(), Some("cluster-pool"));
        assert_eq!(facts.daemonset, None, "readiness is a separate fact");
        assert_eq!(CiliumFacts::absent().present, Some(false));
    }

    #[test]
    fn readiness() {
        assert!(
            Readiness {
                ready: 3,
                desired: 3
            }
            .is_ready()
        );
        assert!(
            !Readiness {
                ready: 2,
                desired: 3
            }
            .is_ready()
        );
        assert!(
            !Readiness {
                ready: 0,
                desired: 0
            }
            .is_ready()
        );
        assert!(!Workload::Absent.is_ready());
    }
}
