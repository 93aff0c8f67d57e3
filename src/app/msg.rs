//! Everything that happens to the TUI, as data. One variant per source; a module that brings a
//! new source (the live estate model, a wizard's jobs) adds its own variant.

use std::time::Instant;

use chrono::{DateTime, FixedOffset};
use crossterm::event::Event;

use super::action::ActionResult;

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A terminal event: key, mouse, paste, resize.
    Input(Event),
    /// The slow tick (1 s): clocks, ages, toasts.
    Tick(Tick),
    /// A dry run's or a write's result.
    Action(ActionResult),
    /// Lines (or the end) of a log stream.
    Log(LogChunk),
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
