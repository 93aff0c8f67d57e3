//! The shared state of one simulated cluster: its store, served types, credentials, request
//! log, faults and container logs. The HTTP layer and in-process controllers both use it.

use std::time::Duration;

use parking_lot::RwLock;

use super::auth::Users;
use super::defaults::IpAllocator;
use super::faults::Faults;
use super::podlogs::PodLogs;
use super::requestlog::{RequestLog, SharedLogFile};
use super::resources::Registry;
use super::store::Store;

/// Knobs of one simulated cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// How many changes the store keeps for resuming watches before answering 410 Gone.
    pub history_limit: usize,
    /// Interval between BOOKMARK events on watches that allow them.
    pub bookmark_interval: Duration,
    /// The Kubernetes version reported by `/version` (a `+k8tre-sim` suffix is added).
    pub kubernetes_version: String,
    /// Requests kept in memory by the request log.
    pub request_log_limit: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(10),
            kubernetes_version: "1.32.4".to_string(),
            request_log_limit: 100_000,
        }
    }
}

/// Everything one simulated cluster knows.
pub struct ClusterState {
    pub name: String,
    pub store: Store,
    pub registry: RwLock<Registry>,
    pub users: Users,
    pub requests: RequestLog,
    pub faults: Faults,
    pub logs: PodLogs,
    pub options: ClusterOptions,
    pub(crate) ips: IpAllocator,
}

impl ClusterState {
    pub fn new(
        name: &str,
        options: ClusterOptions,
        users: Users,
        request_file: Option<SharedLogFile>,
    ) -> Self {
        Self {
            name: name.to_string(),
            store: Store::new(options.history_limit),
            registry: RwLock::new(Registry::new()),
            users,
            requests: RequestLog::new(options.request_log_limit, request_file),
            faults: Faults::new(),
            logs: PodLogs::new(),
            options,
            ips: IpAllocator::default(),
        }
    }

    /// `v1.32.4+k8tre-sim`: a version kubectl's dispatcher maps to its 1.32 client, marked simulated.
    pub fn git_version(&self) -> String {
        format!("v{}+k8tre-sim", self.options.kubernetes_version)
    }
}
