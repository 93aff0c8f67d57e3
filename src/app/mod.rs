//! The TUI's state and behaviour: [`AppState`] (everything shown, the live estate model
//! included), [`Msg`] (everything that happens: keys, watch events, results), [`update`] (the
//! one place state changes, pure) and [`Effect`] (what update asks the outside world to do);
//! the [`Screen`] and [`Flow`] traits screens, popups and wizards implement; the event loop and
//! the terminal's lifecycle.
//!
//! The console on top of it: [`screens`] (overview, Application and cluster detail, triage,
//! clusters, logs, and the router), [`views`] (what they show, derived from the model at one
//! revision), [`actions`] (action keys → requests through `domain::argocd::ops`), [`runner`]
//! (effects against clusters through kube-rs), [`scenes`] (the screens as a user reaches them,
//! for screenshots and tests).

pub mod action;
pub mod actions;
pub mod component;
pub mod context;
pub mod effect;
pub mod event_loop;
pub mod flows;
pub mod msg;
pub mod nav;
pub mod pacer;
pub mod runner;
pub mod scenes;
pub mod screens;
pub mod state;
pub mod terminal;
pub mod update;
pub mod views;

pub use action::{
    ActionError, ActionErrorKind, ActionKind, ActionRequest, ActionResult, ActionTarget,
};
pub use component::{Component, Cx, Flow, Handled, Request, Screen, ViewCx};
pub use context::AppContext;
pub use effect::{Effect, EffectRunner, LogRequest, MsgSender, ReadRequest, ResourceRef};
pub use msg::{LogChunk, LogEvent, Msg, ReadOutcome, ResourcesRead, StreamId, Tick};
pub use nav::{Router, Target};
pub use state::AppState;
pub use update::{goto_target, start, update};

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod screen_tests;
