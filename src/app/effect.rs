//! What [`super::update`] asks the outside world to do. The event loop hands each effect to an
//! [`EffectRunner`], which runs it as a task and reports back with [`super::Msg`]s.

use tokio::sync::mpsc;

use super::action::ActionRequest;
use super::msg::{Msg, StreamId};

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
