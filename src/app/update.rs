//! `update`: the one place the state changes. Pure: messages in, effects out; no I/O, no
//! waiting. Keys become named commands through the keymap, and commands go to the active flow,
//! else the top screen, else the global behaviour (quit, help, palette, back, navigation).

use std::collections::VecDeque;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};
use ratatui::layout::Rect;

use super::action::{ActionKind, ActionResult};
use super::component::{Cx, Flow, Handled, Request, Screen};
use super::effect::Effect;
use super::flows::{ConfirmFlow, HelpFlow, PaletteFlow, palette_candidates};
use super::msg::{Msg, Tick};
use super::nav::{Target, is_navigation};
use super::state::AppState;
use crate::config::Command;
use crate::ui::status::clock_text;
use crate::ui::toast::Level;

/// Requests handled per message at most: a component that keeps asking is cut off.
const REQUEST_BUDGET: usize = 256;

/// Lets the root screen start what it needs; call once before the first frame.
pub fn start(state: &mut AppState) -> Vec<Effect> {
    let mut requests = Vec::new();
    let body = state.layout().body;
    let mut cx = Cx::new(&state.app, body, &mut requests);
    state.root.on_open(&mut cx);
    apply(state, requests)
}

/// Applies one message; returns the effects to run.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut requests = Vec::new();
    match &msg {
        Msg::Input(event) => on_input(state, event, &mut requests),
        Msg::Tick(tick) => on_tick(state, *tick, &mut requests),
        Msg::Action(result) => {
            if !offer(state, &msg, &mut requests) {
                notice_unclaimed(result, &mut requests);
            }
        }
        Msg::Log(_) | Msg::Read(_) => {
            offer(state, &msg, &mut requests);
        }
        Msg::Live(_) => {
            let Msg::Live(event) = msg else {
                return Vec::new();
            };
            return on_live(state, *event);
        }
        Msg::Fetched(Ok(app)) => {
            let taken = state
                .app
                .estate
                .as_mut()
                .is_some_and(|model| model.offer_fetched((**app).clone()));
            if taken {
                state.mark_dirty();
                // The view that asked may now know what else to read.
                offer(state, &msg, &mut requests);
            }
        }
        Msg::Fetched(Err(error)) => {
            requests.push(Request::Toast(Level::Warning, error.clone()));
        }
        Msg::Identity(user) => {
            if state.app.user != *user {
                state.app.user = user.clone();
                state.mark_dirty();
            }
        }
    }
    apply(state, requests)
}

/// A watcher's event: into the model at once (cheap: no rebuild); the derived views catch up
/// before the next frame. Liveness alone asks for no frame.
fn on_live(state: &mut AppState, event: crate::live::LiveEvent) -> Vec<Effect> {
    let Some(model) = state.app.estate.as_mut() else {
        return Vec::new();
    };
    let visible = !matches!(event, crate::live::LiveEvent::Alive { .. });
    model.apply(event);
    let connect = model.take_connections_change().map(Effect::Connect);
    if visible {
        state.mark_dirty();
    }
    connect.into_iter().collect()
}

fn top_screen<'a>(
    root: &'a mut Box<dyn Screen>,
    stack: &'a mut [Box<dyn Screen>],
) -> &'a mut dyn Screen {
    match stack.last_mut() {
        Some(screen) => screen.as_mut(),
        None => root.as_mut(),
    }
}

/// Runs `f` on the top screen with a context for the body area.
fn with_screen(
    state: &mut AppState,
    requests: &mut Vec<Request>,
    f: impl FnOnce(&mut dyn Screen, &mut Cx<'_>) -> Handled,
) -> Handled {
    let body = state.layout().body;
    let AppState {
        app, root, stack, ..
    } = state;
    let mut cx = Cx::new(app, body, requests);
    let handled = f(top_screen(root, stack), &mut cx);
    if handled.is_yes() {
        state.mark_dirty();
    }
    handled
}

/// Runs `f` on the active flow, if there is one.
fn with_flow(
    state: &mut AppState,
    requests: &mut Vec<Request>,
    f: impl FnOnce(&mut dyn Flow, &mut Cx<'_>) -> Handled,
) -> Option<Handled> {
    let body = state.layout().body;
    let AppState { app, flows, .. } = state;
    let flow = flows.last_mut()?;
    let mut cx = Cx::new(app, body, requests);
    let handled = f(flow.as_mut(), &mut cx);
    if handled.is_yes() {
        state.mark_dirty();
    }
    Some(handled)
}

fn on_input(state: &mut AppState, event: &Event, requests: &mut Vec<Request>) {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => on_key(state, *key, requests),
        Event::Mouse(mouse) => on_mouse(state, *mouse, requests),
        Event::Paste(text) if state.mode().takes_text() => on_paste(state, text, requests),
        Event::Resize(width, height) => state.resize(Rect::new(0, 0, *width, *height)),
        _ => {}
    }
}

fn on_key(state: &mut AppState, key: KeyEvent, requests: &mut Vec<Request>) {
    let mode = state.mode();
    match state.app.keymap.lookup(mode, &key) {
        Some(command) => dispatch(state, command, requests),
        None if mode.takes_text() => on_text(state, key, requests),
        None => {}
    }
}

/// Typed text: to the active flow, else the top screen.
fn on_text(state: &mut AppState, key: KeyEvent, requests: &mut Vec<Request>) {
    if with_flow(state, requests, |flow, cx| flow.on_text(key, cx)).is_none() {
        with_screen(state, requests, |screen, cx| screen.on_text(key, cx));
    }
}

fn on_paste(state: &mut AppState, text: &str, requests: &mut Vec<Request>) {
    if with_flow(state, requests, |flow, cx| flow.on_paste(text, cx)).is_none() {
        with_screen(state, requests, |screen, cx| screen.on_paste(text, cx));
    }
}

fn on_mouse(state: &mut AppState, mouse: MouseEvent, requests: &mut Vec<Request>) {
    if with_flow(state, requests, |flow, cx| flow.on_mouse(mouse, cx)).is_none() {
        with_screen(state, requests, |screen, cx| screen.on_mouse(mouse, cx));
    }
}

/// A command: to the active flow, else the top screen, else the global behaviour.
fn dispatch(state: &mut AppState, command: Command, requests: &mut Vec<Request>) {
    if let Some(handled) = with_flow(state, requests, |flow, cx| flow.on_command(command, cx)) {
        if handled == Handled::No {
            match command {
                Command::Quit => requests.push(Request::Effect(Effect::Quit)),
                Command::Back => requests.push(Request::Close),
                Command::Help => {
                    let mode = state.mode();
                    requests.push(Request::Open(Box::new(HelpFlow::new(
                        &state.app.keymap,
                        mode,
                    ))));
                }
                _ => {}
            }
        }
        return;
    }
    if with_screen(state, requests, |screen, cx| screen.on_command(command, cx)).is_yes() {
        return;
    }
    match command {
        Command::Quit => requests.push(Request::Effect(Effect::Quit)),
        Command::Help => {
            let mode = state.mode();
            requests.push(Request::Open(Box::new(HelpFlow::new(
                &state.app.keymap,
                mode,
            ))));
        }
        Command::Palette => {
            let own = state.screen().candidates(&state.app);
            let candidates = palette_candidates(&state.app, own);
            requests.push(Request::Open(Box::new(PaletteFlow::new(candidates))));
        }
        Command::Back => requests.push(Request::Pop),
        command if is_navigation(command) => requests.push(Request::Goto(Target::Command(command))),
        command if ActionKind::from_command(command, false).is_some() => {
            requests.push(Request::Toast(
                Level::Info,
                format!("{command}: select an Application first"),
            ))
        }
        _ => {}
    }
}

fn on_tick(state: &mut AppState, tick: Tick, requests: &mut Vec<Request>) {
    state.app.now = tick.mono;
    state.app.wall = tick.wall.with_timezone(&chrono::Utc);
    let wall = state.app.wall;
    // Staleness is a matter of time: the roll-up is re-judged each tick.
    if let Some(model) = state.app.estate.as_mut()
        && model.refresh(wall)
    {
        state.mark_dirty();
    }
    let clock = clock_text(tick.wall);
    if clock != state.app.clock {
        state.app.clock = clock;
        state.mark_dirty();
    }
    if state.toasts.expire(tick.mono) {
        state.mark_dirty();
    }
    let body = state.layout().body;
    let AppState {
        app,
        root,
        stack,
        flows,
        ..
    } = state;
    let mut cx = Cx::new(app, body, requests);
    let mut changed = top_screen(root, stack).on_tick(&mut cx).is_yes();
    for flow in flows.iter_mut() {
        changed |= flow.on_tick(&mut cx).is_yes();
    }
    if changed {
        state.mark_dirty();
    }
}

/// Offers a background message to every flow and screen; true when one used it.
fn offer(state: &mut AppState, msg: &Msg, requests: &mut Vec<Request>) -> bool {
    let body = state.layout().body;
    let AppState {
        app,
        root,
        stack,
        flows,
        ..
    } = state;
    let mut cx = Cx::new(app, body, requests);
    let mut used = false;
    for flow in flows.iter_mut().rev() {
        used |= flow.on_msg(msg, &mut cx).is_yes();
    }
    for screen in stack.iter_mut().rev() {
        used |= screen.on_msg(msg, &mut cx).is_yes();
    }
    used |= root.on_msg(msg, &mut cx).is_yes();
    if used {
        state.mark_dirty();
    }
    used
}

/// An action result nobody waits for (its dialog was closed): a notice.
fn notice_unclaimed(result: &ActionResult, requests: &mut Vec<Request>) {
    match (&result.outcome, result.dry_run) {
        (Ok(_), true) => {}
        (Ok(summary), false) => requests.push(Request::Toast(
            Level::Success,
            format!("{}: {} ({summary})", result.app, result.kind.done()),
        )),
        (Err(error), dry_run) => requests.push(Request::Toast(
            Level::Error,
            format!(
                "{}: {}{} failed: {}",
                result.app,
                result.kind.name(),
                if dry_run { " dry run" } else { "" },
                error.explained()
            ),
        )),
    }
}

/// Applies the requests components made, in order (and those that follow from them).
fn apply(state: &mut AppState, requests: Vec<Request>) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut queue: VecDeque<Request> = requests.into();
    let mut budget = REQUEST_BUDGET;
    while let Some(request) = queue.pop_front() {
        if budget == 0 {
            tracing::warn!(
                "request budget exhausted; dropping {} requests",
                queue.len() + 1
            );
            break;
        }
        budget -= 1;
        let mut more = Vec::new();
        apply_one(state, request, &mut effects, &mut more);
        for request in more.into_iter().rev() {
            queue.push_front(request);
        }
    }
    effects
}

fn apply_one(
    state: &mut AppState,
    request: Request,
    effects: &mut Vec<Effect>,
    more: &mut Vec<Request>,
) {
    let body = state.layout().body;
    match request {
        Request::Effect(effect) => effects.push(effect),
        Request::Push(mut screen) => {
            screen.on_open(&mut Cx::new(&state.app, body, more));
            screen.prepare(&state.app);
            state.stack.push(screen);
            state.mark_dirty();
        }
        Request::Pop => {
            if let Some(mut screen) = state.stack.pop() {
                screen.on_close(&mut Cx::new(&state.app, body, more));
                shown_again(state);
                state.mark_dirty();
            }
        }
        Request::Home => {
            while let Some(mut screen) = state.stack.pop() {
                screen.on_close(&mut Cx::new(&state.app, body, more));
            }
            shown_again(state);
            state.mark_dirty();
        }
        Request::Pin(key) => {
            if let Some(model) = state.app.estate.as_mut() {
                model.pin(key);
            }
        }
        Request::Unpin(key) => {
            if let Some(model) = state.app.estate.as_mut() {
                model.unpin(&key);
            }
        }
        Request::Replace(screen) => {
            if let Some(mut old) = state.stack.pop() {
                old.on_close(&mut Cx::new(&state.app, body, more));
            }
            more.push(Request::Push(screen));
        }
        Request::Open(mut flow) => {
            flow.on_open(&mut Cx::new(&state.app, body, more));
            state.flows.push(flow);
            state.mark_dirty();
        }
        Request::Close => {
            if let Some(mut flow) = state.flows.pop() {
                flow.on_close(&mut Cx::new(&state.app, body, more));
                state.mark_dirty();
            }
        }
        Request::Toast(level, text) => {
            state.toasts.push(level, text, state.app.now);
            state.mark_dirty();
        }
        Request::Confirm(mut request) => {
            request.id = state.app.next_id();
            let policy = state.app.confirm_policy(&request.target.environment);
            let flow = ConfirmFlow::new(request, policy, state.app.read_only, &state.app.keymap);
            more.push(Request::Open(Box::new(flow)));
        }
        Request::Goto(target) => goto(state, target, more),
        Request::Run(command) => dispatch(state, command, more),
    }
}

/// The screen shown again after those over it closed: its caches catch up.
fn shown_again(state: &mut AppState) {
    let AppState {
        app, root, stack, ..
    } = state;
    top_screen(root, stack).prepare(app);
}

/// Targets the root (the overview) shows itself: from deeper screens they go home first.
fn is_home_target(target: &Target) -> bool {
    matches!(
        target,
        Target::Command(Command::Overview) | Target::Environment(_)
    )
}

fn goto(state: &mut AppState, target: Target, requests: &mut Vec<Request>) {
    if with_screen(state, requests, |screen, cx| screen.goto(&target, cx)).is_yes() {
        return;
    }
    if is_home_target(&target) && !state.stack.is_empty() {
        requests.push(Request::Home);
        requests.push(Request::Goto(target));
        return;
    }
    let routed = state
        .router
        .as_ref()
        .and_then(|router| router.route(&target, &state.app));
    match routed {
        Some(screen) => requests.push(Request::Push(screen)),
        None => requests.push(Request::Toast(
            Level::Info,
            match target {
                Target::Command(command) => format!("{command}: not available here"),
                Target::App(name) | Target::Cluster(name) => format!("{name}: nothing to show"),
                Target::Environment(env) => format!("{env}: nothing to show"),
            },
        )),
    }
}

/// Goes to a target as choosing it in the palette would; returns the effects to run. For
/// programs that drive the console themselves (screenshots, tests).
pub fn goto_target(state: &mut AppState, target: Target) -> Vec<Effect> {
    apply(state, vec![Request::Goto(target)])
}
