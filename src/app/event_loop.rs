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
    // The first tick is applied before the first frame, so that frame has the clock.
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + options.tick_interval,
        options.tick_interval,
    );
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    if let Ok(size) = terminal.size() {
        state.resize(Rect::new(0, 0, size.width, size.height));
    }
    let mut effects = start(state);
    effects.extend(update(state, Msg::Tick(Tick::now())));
    if run_effects(effects, runner, tx) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::{ClearType, TestBackend, WindowSize};
    use ratatui::buffer::Cell;
    use ratatui::layout::{Position, Size};

    use super::*;
    use crate::app::context::AppContext;
    use crate::app::effect::LogRequest;
    use crate::app::msg::{LogChunk, LogEvent};
    use crate::app::screens::LogsScreen;
    use crate::config::{Config, Keymap};

    /// A test backend that counts frames (one flush per draw).
    struct Counting {
        inner: TestBackend,
        frames: Arc<AtomicUsize>,
    }

    impl Backend for Counting {
        type Error = std::convert::Infallible;

        fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
        where
            I: Iterator<Item = (u16, u16, &'a Cell)>,
        {
            self.inner.draw(content)
        }
        fn hide_cursor(&mut self) -> Result<(), Self::Error> {
            self.inner.hide_cursor()
        }
        fn show_cursor(&mut self) -> Result<(), Self::Error> {
            self.inner.show_cursor()
        }
        fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
            self.inner.get_cursor_position()
        }
        fn set_cursor_position<P: Into<Position>>(
            &mut self,
            position: P,
        ) -> Result<(), Self::Error> {
            self.inner.set_cursor_position(position)
        }
        fn clear(&mut self) -> Result<(), Self::Error> {
            self.inner.clear()
        }
        fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
            self.inner.clear_region(clear_type)
        }
        fn size(&self) -> Result<Size, Self::Error> {
            self.inner.size()
        }
        fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
            self.inner.window_size()
        }
        fn flush(&mut self) -> Result<(), Self::Error> {
            self.frames.fetch_add(1, Ordering::Relaxed);
            self.inner.flush()
        }
    }

    /// Opens no stream anywhere; records nothing.
    struct NoRunner;

    impl EffectRunner for NoRunner {
        fn run(&mut self, _effect: Effect, _tx: &MsgSender) {}
    }

    fn logs_state() -> AppState {
        let config = Config::default();
        let keymap = Keymap::with_overrides(&config);
        let app = AppContext::new(config, keymap);
        let screen = LogsScreen::new(LogRequest {
            stream: 1,
            context: "dev".into(),
            namespace: "ns".into(),
            pod: "pod".into(),
            container: None,
            tail_lines: None,
            follow: true,
            previous: false,
        });
        AppState::new(app, Box::new(screen), Rect::new(0, 0, 80, 24))
    }

    fn terminal() -> (Terminal<Counting>, Arc<AtomicUsize>) {
        let frames = Arc::new(AtomicUsize::new(0));
        let backend = Counting {
            inner: TestBackend::new(80, 24),
            frames: frames.clone(),
        };
        (Terminal::new(backend).expect("terminal"), frames)
    }

    fn options() -> LoopOptions {
        LoopOptions {
            frame_interval: Duration::from_millis(50),
            // No tick during the tests: the clock must not add frames.
            tick_interval: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn quits_on_the_quit_key_after_drawing() {
        let (mut terminal, frames) = terminal();
        let mut state = logs_state();
        let (tx, mut rx) = channel();
        let key = Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
        let input = futures::stream::iter(vec![Ok(key)]).chain(futures::stream::pending());
        let cancel = CancellationToken::new();
        let io = LoopIo {
            input: Box::pin(input),
            rx: &mut rx,
            tx: &tx,
            runner: &mut NoRunner,
            cancel: &cancel,
        };
        let theme = crate::ui::testing::theme();
        let exit = run(&mut terminal, &mut state, &theme, io, options())
            .await
            .expect("runs");
        assert_eq!(exit, Exit::Quit);
        assert!(frames.load(Ordering::Relaxed) >= 1);
        assert!(terminal.backend().inner.to_string().contains("ns/pod"));
    }

    #[tokio::test]
    async fn idle_draws_nothing_and_churn_is_coalesced() {
        let (mut terminal, frames) = terminal();
        let mut state = logs_state();
        let (tx, mut rx) = channel();
        let cancel = CancellationToken::new();
        let producer = {
            let tx = tx.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                // Idle for a while: only the first frame.
                tokio::time::sleep(Duration::from_millis(400)).await;
                // Then a line every millisecond or so.
                let churn = Instant::now();
                for n in 0..1000 {
                    let chunk = LogChunk {
                        stream: 1,
                        event: LogEvent::Lines(vec![format!("line {n}")]),
                    };
                    let _ = tx.send(Msg::Log(chunk)).await;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let churned = churn.elapsed();
                tokio::time::sleep(Duration::from_millis(200)).await;
                cancel.cancel();
                churned
            })
        };
        let idle_frames = {
            let frames = frames.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(350)).await;
                frames.load(Ordering::Relaxed)
            })
        };
        let io = LoopIo {
            input: Box::pin(futures::stream::pending()),
            rx: &mut rx,
            tx: &tx,
            runner: &mut NoRunner,
            cancel: &cancel,
        };
        let theme = crate::ui::testing::theme();
        let exit = run(&mut terminal, &mut state, &theme, io, options())
            .await
            .expect("runs");
        let churned = producer.await.expect("producer");
        assert_eq!(exit, Exit::Cancelled);
        assert_eq!(
            idle_frames.await.expect("idle"),
            1,
            "one frame, then nothing while idle"
        );
        let total = frames.load(Ordering::Relaxed);
        // 1,000 changes at one frame per 50 ms at most: bounded by the time, never 1,000.
        let most = 3 + (churned.as_millis() / 50) as usize;
        assert!((2..=most).contains(&total), "{total} frames in {churned:?}");
        assert!(
            terminal.backend().inner.to_string().contains("line 999"),
            "the last change is drawn"
        );
    }
}
