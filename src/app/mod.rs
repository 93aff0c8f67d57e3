//! The TUI's state and behaviour: [`AppState`] (everything shown), [`Msg`] (everything that
//! happens), [`update`] (the one place state changes, pure) and [`Effect`] (what update asks the
//! outside world to do); the [`Screen`] and [`Flow`] traits screens, popups and wizards
//! implement; the event loop and the terminal's lifecycle.

pub mod action;
pub mod component;
pub mod context;
pub mod effect;
pub mod event_loop;
pub mod flows;
pub mod msg;
pub mod nav;
pub mod pacer;
pub mod screens;
pub mod state;
pub mod terminal;
pub mod update;

pub use action::{
    ActionError, ActionErrorKind, ActionKind, ActionRequest, ActionResult, ActionTarget,
};
pub use component::{Component, Cx, Flow, Handled, Request, Screen, ViewCx};
pub use context::AppContext;
pub use effect::{Effect, EffectRunner, LogRequest, MsgSender};
pub use msg::{LogChunk, LogEvent, Msg, StreamId, Tick};
pub use nav::{Router, Target};
pub use state::AppState;
pub use update::{start, update};

#[cfg(test)]
mod tests;
