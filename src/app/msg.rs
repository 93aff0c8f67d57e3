//! Everything that happens to the TUI, as data. One variant per source; a module that brings a
//! new source (the live estate model, a wizard's jobs) adds its own variant.

use std::time::Instant;

use chrono::{DateTime, FixedOffset};
use crossterm::event::Event;

use super::action::ActionResult;
use super::effect::ResourceRef;
use crate::domain::argocd::Application;
use crate::domain::health::ResourceHealth;
use crate::live::LiveEvent;

#[derive(Debug, Clone)]
pub enum Msg {
    /// A terminal event: key, mouse, paste, resize.
    Input(Event),
    /// The slow tick (1 s): clocks, ages, toasts.
    Tick(Tick),
    /// A dry run's or a write's result.
    Action(ActionResult),
    /// Lines (or the end) of a log stream.
    Log(LogChunk),
    /// A watcher's event for the estate model.
    Live(Box<LiveEvent>),
    /// A whole Application fetched for a detail view ([`super::Effect::FetchApp`]).
    Fetched(Result<Box<Application>, String>),
    /// Resources read for a detail view ([`super::Effect::ReadResources`]).
    Read(ResourcesRead),
    /// Who the console acts as on the management cluster (`initiatedBy`, the audit log).
    Identity(String),
}

/// The time at a tick: wall clock (local offset) for display, monotonic for timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub wall: DateTime<FixedOffset>,
    pub mono: Instant,
}

impl Tick {
    pub fn now() -> Tick {
        Tick {
            wall: chrono::Local::now().fixed_offset(),
            mono: Instant::now(),
        }
    }
}

/// Identifies a log stream from [`super::Effect::OpenLogs`] to its chunks.
pub type StreamId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub stream: StreamId,
    pub event: LogEvent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    Lines(Vec<String>),
    /// The stream ended (container exited, stream closed).
    Ended(String),
    Failed(String),
}

/// The answer to a [`super::effect::ReadRequest`]: what each resource's read came to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcesRead {
    pub id: u64,
    pub outcomes: Vec<(ResourceRef, ReadOutcome)>,
}

/// What one read of a resource came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Read and assessed with ArgoCD's rules.
    Assessed(ResourceHealth),
    /// Read; ArgoCD has no health check for it as it stands (e.g. its health check is
    /// switched off by annotation).
    NoCheck,
    /// The cluster says it does not exist.
    NotFound,
    /// It could not be read: why (forbidden, unreachable, unknown kind).
    Failed(String),
}
