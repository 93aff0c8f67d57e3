//! The console's screens as a user reaches them, as data: each scene starts from the
//! overview and presses the keys that lead to one screen. The `screenshots` command renders
//! them from a seeded simulated estate; the screen tests snapshot them from the same estate
//! fed straight into a model. Effects are not run: where a screen waits for a cluster's
//! answer (the whole Application, a log stream, a dry run) the answer is given from the
//! showcase, as the cluster would give it.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::action::ActionResult;
use super::effect::Effect;
use super::{AppState, LogChunk, LogEvent, Msg, Target, goto_target, update};
use crate::sim::scenario::showcase::{DEGRADED_APP, OUT_OF_SYNC_APP, Showcase};

/// A screen to capture: its file name and the keys that lead there.
pub struct Scene {
    pub name: &'static str,
    pub drive: fn(&mut AppState, &Showcase),
}

/// Every screen, in the order the README shows them.
pub const SCENES: &[Scene] = &[
    Scene {
        name: "overview",
        drive: |_, _| {},
    },
    Scene {
        name: "overview-expanded",
        drive: |state, _| {
            // The Application layer expanded, the list scoped to jupyterhub in prd.
            press(state, &[char('G'), enter()]);
            press(state, &[down(), down(), down(), down(), down()]);
            press(state, &[right(), right(), enter()]);
        },
    },
    Scene {
        name: "app-detail",
        drive: |state, showcase| open_app(state, showcase, DEGRADED_APP),
    },
    Scene {
        name: "app-pods",
        drive: |state, showcase| {
            open_app(state, showcase, DEGRADED_APP);
            press(state, &[tab()]);
        },
    },
    Scene {
        name: "logs",
        drive: |state, showcase| {
            open_app(state, showcase, DEGRADED_APP);
            press(state, &[tab()]);
            state.prepare_frame();
            let effects = update(state, enter());
            feed_logs(state, showcase, effects);
        },
    },
    Scene {
        name: "cluster-detail",
        drive: |state, _| goto(state, Target::Cluster("k8tre-stg".into())),
    },
    Scene {
        name: "triage",
        drive: |state, _| press(state, &[char('t')]),
    },
    Scene {
        name: "confirm-sync",
        drive: |state, showcase| {
            open_app(state, showcase, OUT_OF_SYNC_APP);
            let effects = update(state, key(KeyCode::Char('s')));
            answer_dry_run(state, effects);
        },
    },
    Scene {
        name: "palette",
        drive: |state, _| {
            press(state, &[char(':')]);
            for c in "jupyter".chars() {
                press(state, &[char(c)]);
            }
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

/// Applies keys; effects are not run (screenshots talk to no cluster after the start).
fn press(state: &mut AppState, msgs: &[Msg]) {
    for msg in msgs {
        state.prepare_frame();
        let _ = update(state, msg.clone());
    }
}

fn goto(state: &mut AppState, target: Target) {
    state.prepare_frame();
    let _ = goto_target(state, target);
}

/// Opens an Application's detail, with the whole object answered from the showcase (as the
/// fetch would).
fn open_app(state: &mut AppState, showcase: &Showcase, name: &str) {
    goto(state, Target::App(format!("argocd/{name}")));
    let app = showcase
        .objects
        .iter()
        .find(|(_, o)| o["kind"] == "Application" && o["metadata"]["name"] == name)
        .and_then(|(_, o)| serde_json::from_value(o.clone()).ok());
    if let Some(app) = app {
        let _ = update(state, Msg::Fetched(Ok(Box::new(app))));
    }
}

/// The log lines of the pod whose logs were opened, as the stream would deliver them.
fn feed_logs(state: &mut AppState, showcase: &Showcase, effects: Vec<Effect>) {
    for effect in effects {
        let Effect::OpenLogs(request) = effect else {
            continue;
        };
        let log = showcase
            .logs
            .iter()
            .find(|l| l.pod == request.pod && l.namespace == request.namespace);
        let Some(log) = log else {
            continue;
        };
        let lines = log.lines.iter().map(|(_, line)| line.clone()).collect();
        let chunk = LogChunk {
            stream: request.stream,
            event: LogEvent::Lines(lines),
        };
        let _ = update(state, Msg::Log(chunk));
    }
}

/// Answers a confirmation's dry run as the API server did.
fn answer_dry_run(state: &mut AppState, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::Action {
            request,
            dry_run: true,
        } = effect
        {
            let result = ActionResult::for_request(
                &request,
                true,
                Ok("dry run passed: the API server accepted the patch".into()),
            );
            let _ = update(state, Msg::Action(result));
        }
    }
}
