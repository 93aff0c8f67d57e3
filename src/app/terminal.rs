//! The terminal's lifecycle: raw mode, the alternate screen, bracketed paste and (optionally)
//! mouse capture on entry; all of it undone on every way out: normal exit (the guard's drop),
//! an error (the same), a panic (the hook restores before the report is printed), and
//! SIGTERM, SIGINT and SIGHUP (they cancel the loop, whose caller then drops the guard).
//!
//! What was switched on is recorded step by step, so a restore after a half-done entry undoes
//! exactly what was done, and a second restore does nothing.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock};

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TerminalOptions {
    /// Capture the mouse (clicks and wheel reach the console, not the terminal's selection).
    pub mouse: bool,
}

/// One thing done to the terminal on entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    RawMode,
    AlternateScreen,
    BracketedPaste,
    MouseCapture,
}

/// What is switched on now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Engaged {
    pub raw: bool,
    pub alternate: bool,
    pub paste: bool,
    pub mouse: bool,
}

impl Engaged {
    fn flag(&mut self, step: Step) -> &mut bool {
        match step {
            Step::RawMode => &mut self.raw,
            Step::AlternateScreen => &mut self.alternate,
            Step::BracketedPaste => &mut self.paste,
            Step::MouseCapture => &mut self.mouse,
        }
    }

    pub fn any(&self) -> bool {
        self.raw || self.alternate || self.paste || self.mouse
    }
}

/// Switches steps on and off: the real terminal, or a recording in tests.
pub trait Console {
    fn set(&mut self, step: Step, on: bool) -> io::Result<()>;
    /// Shows the cursor again (ratatui hides it).
    fn show_cursor(&mut self) -> io::Result<()>;
}

/// The process's terminal through crossterm.
pub struct RealConsole;

impl Console for RealConsole {
    fn set(&mut self, step: Step, on: bool) -> io::Result<()> {
        let mut out = io::stdout();
        match (step, on) {
            (Step::RawMode, true) => enable_raw_mode(),
            (Step::RawMode, false) => disable_raw_mode(),
            (Step::AlternateScreen, true) => execute!(out, EnterAlternateScreen),
            (Step::AlternateScreen, false) => execute!(out, LeaveAlternateScreen),
            (Step::BracketedPaste, true) => execute!(out, EnableBracketedPaste),
            (Step::BracketedPaste, false) => execute!(out, DisableBracketedPaste),
            (Step::MouseCapture, true) => execute!(out, EnableMouseCapture),
            (Step::MouseCapture, false) => execute!(out, DisableMouseCapture),
        }
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        execute!(io::stdout(), Show)
    }
}

/// Switches on the steps `options` ask for, recording each in `engaged` as it succeeds.
pub fn engage(
    console: &mut dyn Console,
    options: TerminalOptions,
    engaged: &mut Engaged,
) -> io::Result<()> {
    let mut steps = vec![Step::RawMode, Step::AlternateScreen, Step::BracketedPaste];
    if options.mouse {
        steps.push(Step::MouseCapture);
    }
    for step in steps {
        console.set(step, true)?;
        *engaged.flag(step) = true;
    }
    Ok(())
}

/// Undoes what `engaged` records, last first, trying every step even when one fails; the
/// first error is returned. Afterwards nothing is recorded, so a second call does nothing.
pub fn disengage(console: &mut dyn Console, engaged: &mut Engaged) -> io::Result<()> {
    if !engaged.any() {
        return Ok(());
    }
    fn undo(console: &mut dyn Console, step: Step, engaged: &mut Engaged) -> io::Result<()> {
        if std::mem::take(engaged.flag(step)) {
            console.set(step, false)?;
        }
        Ok(())
    }
    let was_alternate = engaged.alternate;
    let results = [
        undo(console, Step::MouseCapture, engaged),
        undo(console, Step::BracketedPaste, engaged),
        undo(console, Step::AlternateScreen, engaged),
        if was_alternate {
            console.show_cursor()
        } else {
            Ok(())
        },
        undo(console, Step::RawMode, engaged),
    ];
    let first_error = results.into_iter().find_map(Result::err);
    first_error.map_or(Ok(()), Err)
}

/// What the process's terminal has switched on (shared with the panic hook).
static ENGAGED: Mutex<Engaged> = Mutex::new(Engaged {
    raw: false,
    alternate: false,
    paste: false,
    mouse: false,
});

fn engaged() -> MutexGuard<'static, Engaged> {
    // A panic while the lock was held must not keep the terminal from being restored.
    ENGAGED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Restores the process's terminal; safe to call any number of times, from anywhere.
pub fn restore() -> io::Result<()> {
    disengage(&mut RealConsole, &mut engaged())
}

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Err(error) = restore() {
            tracing::warn!("cannot restore the terminal: {error}");
        }
    }
}

/// Takes over the terminal: raw mode, alternate screen, bracketed paste, mouse if asked. The
/// frames are written to `writer` (stdout, or a wrapper that counts bytes). On failure what
/// was done is undone.
pub fn enter<W: Write>(
    writer: W,
    options: TerminalOptions,
) -> io::Result<(Terminal<CrosstermBackend<W>>, TerminalGuard)> {
    install_panic_hook();
    let result = engage(&mut RealConsole, options, &mut engaged());
    if let Err(error) = result {
        let _ = restore();
        return Err(error);
    }
    let guard = TerminalGuard { _private: () };
    let terminal = Terminal::new(CrosstermBackend::new(writer))?;
    Ok((terminal, guard))
}

/// Takes over the terminal writing frames to stdout.
pub fn enter_stdout(
    options: TerminalOptions,
) -> io::Result<(Terminal<CrosstermBackend<Stdout>>, TerminalGuard)> {
    enter(io::stdout(), options)
}

/// Makes panics restore the terminal first, then report as before (color-eyre's report when
/// it is installed). Installed once.
pub fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}

/// A signal that ends the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitSignal {
    /// SIGHUP: the terminal (an SSH session) went away.
    Hangup,
    Interrupt,
    Terminate,
}

impl ExitSignal {
    /// The shell's convention: 128 + the signal number.
    pub fn exit_code(self) -> i32 {
        128 + match self {
            ExitSignal::Hangup => 1,
            ExitSignal::Interrupt => 2,
            ExitSignal::Terminate => 15,
        }
    }
}

/// Watches SIGTERM, SIGINT and SIGHUP: the first one cancels `cancel` and is remembered.
#[derive(Debug)]
pub struct SignalWatch {
    received: Arc<OnceLock<ExitSignal>>,
    task: tokio::task::JoinHandle<()>,
}

impl SignalWatch {
    /// Must be called inside a tokio runtime.
    pub fn start(cancel: CancellationToken) -> io::Result<SignalWatch> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = signal(SignalKind::hangup())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let received = Arc::new(OnceLock::new());
        let record = received.clone();
        let task = tokio::spawn(async move {
            let signal = tokio::select! {
                _ = hangup.recv() => ExitSignal::Hangup,
                _ = interrupt.recv() => ExitSignal::Interrupt,
                _ = terminate.recv() => ExitSignal::Terminate,
            };
            let _ = record.set(signal);
            cancel.cancel();
        });
        Ok(SignalWatch { received, task })
    }

    pub fn received(&self) -> Option<ExitSignal> {
        self.received.get().copied()
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A writer that counts the bytes passing through, for measuring what reaches the terminal.
#[derive(Debug)]
pub struct CountingWriter<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W> CountingWriter<W> {
    pub fn new(inner: W) -> CountingWriter<W> {
        CountingWriter {
            inner,
            count: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A handle that reads the count while the writer is in use.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.count.clone()
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.count.fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the guard does; fails at a chosen step.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<(Step, bool)>,
        cursor_shown: usize,
        fail_on: Option<(Step, bool)>,
    }

    impl Console for Recorder {
        fn set(&mut self, step: Step, on: bool) -> io::Result<()> {
            if self.fail_on == Some((step, on)) {
                return Err(io::Error::other(format!("{step:?} failed")));
            }
            self.calls.push((step, on));
            Ok(())
        }

        fn show_cursor(&mut self) -> io::Result<()> {
            self.cursor_shown += 1;
            Ok(())
        }
    }

    #[test]
    fn restore_undoes_everything_in_reverse_once() {
        let mut console = Recorder::default();
        let mut engaged = Engaged::default();
        engage(&mut console, TerminalOptions { mouse: true }, &mut engaged).expect("engage");
        assert_eq!(
            engaged,
            Engaged {
                raw: true,
                alternate: true,
                paste: true,
                mouse: true
            }
        );
        disengage(&mut console, &mut engaged).expect("restore");
        assert_eq!(
            console.calls[4..],
            [
                (Step::MouseCapture, false),
                (Step::BracketedPaste, false),
                (Step::AlternateScreen, false),
                (Step::RawMode, false),
            ]
        );
        assert_eq!(console.cursor_shown, 1);
        assert!(!engaged.any());
        disengage(&mut console, &mut engaged).expect("second restore");
        assert_eq!(console.calls.len(), 8, "a second restore does nothing");
    }

    #[test]
    fn a_half_done_entry_is_undone_exactly() {
        let mut console = Recorder {
            fail_on: Some((Step::AlternateScreen, true)),
            ..Recorder::default()
        };
        let mut engaged = Engaged::default();
        assert!(engage(&mut console, TerminalOptions::default(), &mut engaged).is_err());
        assert_eq!(
            engaged,
            Engaged {
                raw: true,
                ..Engaged::default()
            }
        );
        disengage(&mut console, &mut engaged).expect("restore");
        assert_eq!(
            console.calls,
            vec![(Step::RawMode, true), (Step::RawMode, false)]
        );
        assert_eq!(console.cursor_shown, 0);
    }

    #[test]
    fn a_failing_step_does_not_stop_the_others() {
        let mut console = Recorder::default();
        let mut engaged = Engaged::default();
        engage(&mut console, TerminalOptions::default(), &mut engaged).expect("engage");
        console.fail_on = Some((Step::AlternateScreen, false));
        let error = disengage(&mut console, &mut engaged).expect_err("reported");
        assert!(error.to_string().contains("AlternateScreen"));
        assert!(
            console.calls.contains(&(Step::RawMode, false)),
            "raw mode still restored"
        );
        assert!(!engaged.any());
    }

    #[test]
    fn mouse_capture_only_when_asked() {
        let mut console = Recorder::default();
        let mut engaged = Engaged::default();
        engage(&mut console, TerminalOptions { mouse: false }, &mut engaged).expect("engage");
        assert!(!engaged.mouse);
        assert!(!console.calls.contains(&(Step::MouseCapture, true)));
    }

    #[test]
    fn signals_have_shell_exit_codes() {
        assert_eq!(ExitSignal::Hangup.exit_code(), 129);
        assert_eq!(ExitSignal::Terminate.exit_code(), 143);
    }

    #[test]
    fn counting_writer_counts() {
        let mut writer = CountingWriter::new(Vec::new());
        let counter = writer.counter();
        writer.write_all(b"hello").expect("write");
        assert_eq!(writer.count(), 5);
        assert_eq!(counter.load(Ordering::Relaxed), 5);
    }

    #[tokio::test]
    async fn a_signal_cancels_and_is_remembered() {
        let cancel = CancellationToken::new();
        let watch = SignalWatch::start(cancel.clone()).expect("signals");
        // Send SIGHUP to ourselves, as a dropped SSH session would.
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        tokio::time::timeout(std::time::Duration::from_secs(5), cancel.cancelled())
            .await
            .expect("cancelled");
        assert_eq!(watch.received(), Some(ExitSignal::Hangup));
    }
}
