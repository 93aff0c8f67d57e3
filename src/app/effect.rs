//! What [`super::update`] asks the outside world to do. The event loop hands each effect to an
//! [`EffectRunner`], which runs it as a task and reports back with [`super::Msg`]s.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use super::action::ActionRequest;
use super::msg::{Msg, StreamId};
use crate::domain::estate::ClusterRole;
use crate::live::ContextName;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Leave the event loop (the terminal is restored by its guard).
    Quit,
    /// Send `request.body()` as a merge patch to the Application, with `dryRun=All` when
    /// `dry_run`; append an audit record; answer with [`Msg::Action`].
    Action {
        request: ActionRequest,
        dry_run: bool,
    },
    /// Start streaming a container's log; answer with [`Msg::Log`] chunks.
    OpenLogs(LogRequest),
    /// Stop a log stream (its screen closed).
    CloseLogs(StreamId),
    /// ArgoCD's clusters changed: start and stop connections to match (context → roles).
    Connect(BTreeMap<ContextName, ClusterRole>),
    /// Read a whole Application (for a detail view, until its next watch event); answer with
    /// [`Msg::Fetched`].
    FetchApp {
        context: String,
        namespace: String,
        name: String,
    },
    /// Read, once, resources of an Application that the model does not watch (Services,
    /// PVCs, custom resources) so a detail view can assess their health with ArgoCD's rules;
    /// answer with [`Msg::Read`].
    ReadResources(ReadRequest),
}

/// Which resources to read, on which cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    /// Matches the answer to the view that asked ([`crate::app::AppContext::next_id`]).
    pub id: u64,
    /// Kubeconfig context of the cluster the resources live on.
    pub context: String,
    pub resources: Vec<ResourceRef>,
}

/// One resource by group, version, kind and name, as an Application's `status.resources[]`
/// names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceRef {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Empty for cluster-scoped resources.
    pub namespace: String,
    pub name: String,
}

impl ResourceRef {
    /// `Kind/namespace/name`: how the detail view keys its resource rows.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// Which log to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub stream: StreamId,
    /// Kubeconfig context of the cluster the pod runs on.
    pub context: String,
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    /// Lines of history to start with.
    pub tail_lines: Option<u32>,
    pub follow: bool,
    /// The previous container instance's log (after a restart).
    pub previous: bool,
}

impl LogRequest {
    /// What the log viewer's title shows: `namespace/pod · container`.
    pub fn title(&self) -> String {
        match &self.container {
            Some(container) => format!("{}/{} · {container}", self.namespace, self.pod),
            None => format!("{}/{}", self.namespace, self.pod),
        }
    }
}

/// Where background messages go.
pub type MsgSender = mpsc::Sender<Msg>;

/// Runs effects for the event loop. Must not block: spawn a task for anything that waits.
pub trait EffectRunner {
    fn run(&mut self, effect: Effect, tx: &MsgSender);
}
