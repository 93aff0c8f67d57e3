//! The event loop: one `tokio::select!` over terminal input, background messages, a 1 s tick
//! and cancellation. It owns the state, applies every message with [`update`], hands effects to
//! the runner, and draws only when something changed, at most one frame per
//! [`MIN_FRAME_INTERVAL`](super::pacer::MIN_FRAME_INTERVAL): changes arriving faster are
//! coalesced into the next frame. Nothing in it waits on anything but the `select!`.

use std::fmt::Display;
use std::io;
use std::time::{Duration, Instant};

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::effect::{Effect, EffectRunner, MsgSender};
use super::msg::{Msg, Tick};
use super::pacer::{FramePacer, MIN_FRAME_INTERVAL};
use super::state::AppState;
use super::update::{start, update};
use crate::theme::Theme;

/// Messages waiting for the loop at most; senders wait beyond that.
pub const CHANNEL_CAPACITY: usize = 4096;

/// The channel background tasks report on.
pub fn channel() -> (MsgSender, mpsc::Receiver<Msg>) {
    mpsc::channel(CHANNEL_CAPACITY)
}

#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    pub frame_interval: Duration,
    pub tick_interval: Duration,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            frame_interval: MIN_FRAME_INTERVAL,
            tick_interval: Duration::from_secs(1),
        }
    }
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// The cancellation token fired (a signal, the caller).
    Cancelled,
    /// The terminal's input ended (the session went away).
    InputClosed,
}

#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error("cannot draw to the terminal: {0}")]
    Draw(String),
    #[error("cannot read terminal input: {0}")]
    Input(#[source] io::Error),
}

/// What the loop works with besides the state.
pub struct LoopIo<'a, S, R> {
    /// Terminal events (crossterm's `EventStream`, or a test's stream).
    pub input: S,
    pub rx: &'a mut mpsc::Receiver<Msg>,
    /// Handed to the runner so its tasks can report.
    pub tx: &'a MsgSender,
    pub runner: &'a mut R,
    pub cancel: &'a CancellationToken,
}

/// Runs until the user quits, `cancel` fires or the input ends.
pub async fn run<B, S, R>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    theme: &Theme,
    io: LoopIo<'_, S, R>,
    options: LoopOptions,
) -> Result<Exit, LoopError>
where
    B: Backend,
    B::Error: Display,
    S: Stream<Item = io::Result<Event>> + Unpin,
    R: EffectRunner,
{
    let LoopIo {
        mut input,
        rx,
        tx,
        runner,
        cancel,
    } = io;
    let mut pacer = FramePacer::new(options.frame_interval);
    let mut tick = tokio::time::interval(options.tick_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    if let Ok(size) = terminal.size() {
        state.resize(Rect::new(0, 0, size.width, size.height));
    }
    if run_effects(start(state), runner, tx) {
        return Ok(Exit::Quit);
    }
    loop {
        let now = Instant::now();
        if state.is_dirty() && pacer.ready(now) {
            draw(terminal, state, theme)?;
            pacer.drawn(now);
        }
        let frame_due = state.is_dirty().then(|| pacer.next_allowed()).flatten();
        let deadline = tokio::time::Instant::from_std(frame_due.unwrap_or(now));
        let msg = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Ok(Exit::Cancelled),
            event = input.next() => match event {
                Some(Ok(event)) => Some(Msg::Input(event)),
                Some(Err(error)) => return Err(LoopError::Input(error)),
                None => return Ok(Exit::InputClosed),
            },
            Some(msg) = rx.recv() => Some(msg),
            _ = tick.tick() => Some(Msg::Tick(Tick::now())),
            _ = tokio::time::sleep_until(deadline), if frame_due.is_some() => None,
        };
        if let Some(msg) = msg
            && run_effects(update(state, msg), runner, tx)
        {
            return Ok(Exit::Quit);
        }
    }
}

/// Draws a frame and marks the state drawn.
pub fn draw<B>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    theme: &Theme,
) -> Result<(), LoopError>
where
    B: Backend,
    B::Error: Display,
{
    terminal
        .draw(|frame| crate::ui::root::render(frame, state, theme))
        .map_err(|error| LoopError::Draw(error.to_string()))?;
    state.mark_drawn();
    Ok(())
}

/// Hands effects to the runner; true when one of them is [`Effect::Quit`].
fn run_effects<R: EffectRunner>(effects: Vec<Effect>, runner: &mut R, tx: &MsgSender) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Quit => quit = true,
            effect => runner.run(effect, tx),
        }
    }
    quit
}
