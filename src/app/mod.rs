//! The TUI's state and behaviour: [`AppState`] (everything shown), [`Msg`] (everything that
//! happens), [`update`] (the one place state changes, pure) and [`Effect`] (what update asks the
//! outside world to do), plus the event loop and the terminal's lifecycle.

pub mod action;
