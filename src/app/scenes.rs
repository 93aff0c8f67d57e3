//! The console's screens as a user reaches them, as data: each scene starts from the
//! overview and presses the keys that lead to one screen, and returns the effects those keys
//! asked for (a fetch, a log stream, a dry run). The `screenshots` command runs them against
//! the simulated estate and renders the result; the screen tests answer them from the
//! showcase and snapshot the same screens.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::effect::Effect;
use super::{AppState, Msg, Target, goto_target, update};

/// Who plays which part in an estate: the Applications and cluster the scenes open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cast {
    /// An unhealthy Application (its detail, pods and logs are shown).
    pub degraded_app: String,
    /// An OutOfSync Application (a sync is asked for, up to its confirmation).
    pub out_of_sync_app: String,
    /// A cluster with something to show in its detail.
    pub cluster: String,
    /// What is typed in the palette.
    pub search: String,
}

/// A screen to capture: its file name and the keys that lead there.
pub struct Scene {
    pub name: &'static str,
    /// Presses the keys; returns the effects they asked for, to be run and answered.
    pub drive: fn(&mut AppState, &Cast) -> Vec<Effect>,
}

/// Every screen, in the order the README shows them.
pub const SCENES: &[Scene] = &[
    Scene {
        name: "overview",
        drive: |_, _| Vec::new(),
    },
    Scene {
        name: "overview-expanded",
        drive: |state, _| {
            // The Application layer expanded, the list scoped to its first component in prd.
            press(
                state,
                &[char('G'), enter(), down(), right(), right(), enter()],
            )
        },
    },
    Scene {
        name: "app-detail",
        drive: |state, cast| open_app(state, &cast.degraded_app),
    },
    Scene {
        name: "app-pods",
        drive: |state, cast| {
            let mut effects = open_app(state, &cast.degraded_app);
            effects.extend(press(state, &[tab()]));
            effects
        },
    },
    Scene {
        name: "logs",
        drive: |state, cast| {
            let mut effects = open_app(state, &cast.degraded_app);
            effects.extend(press(state, &[tab(), enter()]));
            effects
        },
    },
    Scene {
        name: "cluster-detail",
        drive: |state, cast| goto(state, Target::Cluster(cast.cluster.clone())),
    },
    Scene {
        name: "triage",
        drive: |state, _| press(state, &[char('t')]),
    },
    Scene {
        name: "confirm-sync",
        drive: |state, cast| {
            let mut effects = open_app(state, &cast.out_of_sync_app);
            effects.extend(press(state, &[char('s')]));
            effects
        },
    },
    Scene {
        name: "palette",
        drive: |state, cast| {
            let mut effects = press(state, &[char(':')]);
            for c in cast.search.chars() {
                effects.extend(press(state, &[char(c)]));
            }
            effects
        },
    },
    Scene {
        name: "help",
        drive: |state, _| press(state, &[tab(), tab(), char('?')]),
    },
];

fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn char(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn down() -> Msg {
    key(KeyCode::Down)
}

fn right() -> Msg {
    key(KeyCode::Right)
}

fn enter() -> Msg {
    key(KeyCode::Enter)
}

fn tab() -> Msg {
    key(KeyCode::Tab)
}

/// Applies keys as the event loop would (a frame's preparation before each).
pub fn press(state: &mut AppState, msgs: &[Msg]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for msg in msgs {
        state.prepare_frame();
        effects.extend(update(state, msg.clone()));
    }
    effects
}

fn goto(state: &mut AppState, target: Target) -> Vec<Effect> {
    state.prepare_frame();
    goto_target(state, target)
}

fn open_app(state: &mut AppState, name: &str) -> Vec<Effect> {
    goto(state, Target::App(format!("argocd/{name}")))
}
