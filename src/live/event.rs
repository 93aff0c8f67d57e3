//! What watchers tell the model: typed events over one mpsc channel.
//!
//! Every event names the kubeconfig context it came from (a connection). The model maps
//! contexts to estate clusters; watchers never need to know which cluster they serve.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::objects::{
    AppRecord, AppSetRecord, ClusterSecretRecord, ConfigMapRecord, SlimEvent, SlimNode, SlimPod,
    SlimWorkload,
};
use crate::domain::estate::StorageClassFact;

/// A kubeconfig context name: the identity of one connection.
pub type ContextName = Arc<str>;

/// Namespace (empty for cluster-scoped objects) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjKey {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
}

impl ObjKey {
    pub fn new(namespace: Arc<str>, name: Arc<str>) -> ObjKey {
        ObjKey { namespace, name }
    }

    pub fn cluster_scoped(name: Arc<str>) -> ObjKey {
        ObjKey {
            namespace: Arc::from(""),
            name,
        }
    }
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// One watch of one connection. Each has its own watcher, backoff and connection truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchKind {
    // Management cluster: ArgoCD.
    Applications,
    ApplicationSets,
    AppProjects,
    ClusterSecrets,
    ArgoCdConfigMaps,
    // Every connected cluster: infrastructure facts.
    Nodes,
    Deployments,
    StatefulSets,
    DaemonSets,
    CiliumConfig,
    GatewayCrds,
    StorageClasses,
    // Target clusters: workloads' detail.
    Pods,
    WarningEvents,
}

impl WatchKind {
    pub const MANAGEMENT: [WatchKind; 5] = [
        WatchKind::Applications,
        WatchKind::ApplicationSets,
        WatchKind::AppProjects,
        WatchKind::ClusterSecrets,
        WatchKind::ArgoCdConfigMaps,
    ];
    pub const INFRASTRUCTURE: [WatchKind; 7] = [
        WatchKind::Nodes,
        WatchKind::Deployments,
        WatchKind::StatefulSets,
        WatchKind::DaemonSets,
        WatchKind::CiliumConfig,
        WatchKind::GatewayCrds,
        WatchKind::StorageClasses,
    ];
    pub const TARGET: [WatchKind; 2] = [WatchKind::Pods, WatchKind::WarningEvents];

    /// The resource as RBAC names it (`applications.argoproj.io`, `pods`).
    pub fn resource(self) -> &'static str {
        match self {
            WatchKind::Applications => "applications.argoproj.io",
            WatchKind::ApplicationSets => "applicationsets.argoproj.io",
            WatchKind::AppProjects => "appprojects.argoproj.io",
            WatchKind::ClusterSecrets => "secrets",
            WatchKind::ArgoCdConfigMaps | WatchKind::CiliumConfig => "configmaps",
            WatchKind::Nodes => "nodes",
            WatchKind::Deployments => "deployments.apps",
            WatchKind::StatefulSets => "statefulsets.apps",
            WatchKind::DaemonSets => "daemonsets.apps",
            WatchKind::GatewayCrds => "customresourcedefinitions.apiextensions.k8s.io",
            WatchKind::StorageClasses => "storageclasses.storage.k8s.io",
            WatchKind::Pods => "pods",
            WatchKind::WarningEvents => "events",
        }
    }

    /// A short stable name for output (`applications`, `cilium-config`).
    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::Applications => "applications",
            WatchKind::ApplicationSets => "applicationsets",
            WatchKind::AppProjects => "appprojects",
            WatchKind::ClusterSecrets => "cluster-secrets",
            WatchKind::ArgoCdConfigMaps => "argocd-configmaps",
            WatchKind::Nodes => "nodes",
            WatchKind::Deployments => "deployments",
            WatchKind::StatefulSets => "statefulsets",
            WatchKind::DaemonSets => "daemonsets",
            WatchKind::CiliumConfig => "cilium-config",
            WatchKind::GatewayCrds => "gateway-api-crds",
            WatchKind::StorageClasses => "storageclasses",
            WatchKind::Pods => "pods",
            WatchKind::WarningEvents => "warning-events",
        }
    }

    /// Watches whose loss makes the whole connection's data untrustworthy: without
    /// Applications or cluster Secrets the estate view would look empty rather than unknown.
    pub fn is_essential(self) -> bool {
        matches!(self, WatchKind::Applications | WatchKind::ClusterSecrets)
    }
}

impl fmt::Display for WatchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a watch request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchFailure {
    /// RBAC refused (HTTP 403).
    Forbidden { verb: &'static str, message: String },
    /// The credentials were rejected (HTTP 401).
    Unauthorized { message: String },
    /// The resourceVersion expired (HTTP 410): the watcher lists again. Not a connection problem.
    Gone,
    /// The resource is not served (HTTP 404): e.g. a CRD that is not installed.
    NotFound { message: String },
    /// Any other answer from the API server.
    Api { code: u16, message: String },
    /// The server could not be reached, or the stream broke.
    Transport { message: String },
    /// The answer could not be read.
    Decode { message: String },
}

impl fmt::Display for WatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchFailure::Forbidden { verb, message } => write!(f, "forbidden ({verb}): {message}"),
            WatchFailure::Unauthorized { message } => write!(f, "unauthorized: {message}"),
            WatchFailure::Gone => f.write_str("resourceVersion expired (410 Gone); listing again"),
            WatchFailure::NotFound { message } => write!(f, "not served: {message}"),
            WatchFailure::Api { code, message } => write!(f, "HTTP {code}: {message}"),
            WatchFailure::Transport { message } => f.write_str(message),
            WatchFailure::Decode { message } => write!(f, "cannot read the answer: {message}"),
        }
    }
}

/// An object as the model keeps it, with its key.
#[derive(Debug, Clone)]
pub enum LiveObject {
    Application(Box<AppRecord>),
    ApplicationSet(ObjKey, AppSetRecord),
    AppProject(ObjKey),
    ClusterSecret(ObjKey, ClusterSecretRecord),
    ConfigMap(ObjKey, ConfigMapRecord),
    Node(ObjKey, SlimNode),
    Workload(ObjKey, SlimWorkload),
    Pod(ObjKey, SlimPod),
    Event(ObjKey, SlimEvent),
    Crd(ObjKey),
    StorageClass(ObjKey, StorageClassFact),
}

/// What a watcher (or the supervisor) reports.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A watch (re)starts listing: objects not seen again before `ListDone` are gone.
    ListStarted {
        context: ContextName,
        watch: WatchKind,
    },
    /// The list is complete; the watch is live.
    ListDone {
        context: ContextName,
        watch: WatchKind,
        at: DateTime<Utc>,
    },
    /// An object was added or changed (during a list or after it).
    Applied {
        context: ContextName,
        watch: WatchKind,
        at: DateTime<Utc>,
        object: LiveObject,
    },
    Deleted {
        context: ContextName,
        watch: WatchKind,
        at: DateTime<Utc>,
        key: ObjKey,
    },
    /// Bytes arrived on the watch (an event or a bookmark) or a watch request was answered:
    /// proof the watch is alive, from the HTTP layer.
    Alive {
        context: ContextName,
        watch: WatchKind,
        at: DateTime<Utc>,
    },
    Failed {
        context: ContextName,
        watch: WatchKind,
        at: DateTime<Utc>,
        failure: WatchFailure,
    },
    /// The connection cannot even be set up (bad kubeconfig entry, TLS material).
    ConnectionFailed {
        context: ContextName,
        at: DateTime<Utc>,
        error: String,
    },
    /// `/version` of the API server.
    ServerVersion {
        context: ContextName,
        git_version: String,
    },
    /// The answer of a SelfSubjectAccessReview for a write the console may make.
    Access {
        context: ContextName,
        check: AccessCheck,
        allowed: Option<bool>,
    },
}

impl LiveEvent {
    pub fn context(&self) -> &ContextName {
        match self {
            LiveEvent::ListStarted { context, .. }
            | LiveEvent::ListDone { context, .. }
            | LiveEvent::Applied { context, .. }
            | LiveEvent::Deleted { context, .. }
            | LiveEvent::Alive { context, .. }
            | LiveEvent::Failed { context, .. }
            | LiveEvent::ConnectionFailed { context, .. }
            | LiveEvent::ServerVersion { context, .. }
            | LiveEvent::Access { context, .. } => context,
        }
    }
}

/// A write the console may need, checked with a SelfSubjectAccessReview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessCheck {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
}

impl AccessCheck {
    /// Every ArgoCD action the console takes is a patch of an Application.
    pub const PATCH_APPLICATIONS: AccessCheck = AccessCheck {
        verb: "patch",
        group: "argoproj.io",
        resource: "applications",
    };
    /// The install wizard creates Applications.
    pub const CREATE_APPLICATIONS: AccessCheck = AccessCheck {
        verb: "create",
        group: "argoproj.io",
        resource: "applications",
    };
    pub const MANAGEMENT: [AccessCheck; 2] = [
        AccessCheck::PATCH_APPLICATIONS,
        AccessCheck::CREATE_APPLICATIONS,
    ];

    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

impl fmt::Display for AccessCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.qualified_resource())
    }
}
