//! View code: reusable components (table, palette, help, confirmation, log viewer, status line,
//! toasts), their text helpers, and the SVG export of rendered buffers.
//!
//! Components are split into props (borrowed data to show), state (owned by the screen or flow
//! that embeds them, changed only through methods taking [`crate::config::Command`]s) and a
//! `render` that reads both and never mutates. They know nothing of [`crate::app`]; the app
//! wires them into screens and flows.

pub mod confirm;
pub mod fuzzy;
pub mod help;
pub mod json;
pub mod layout;
pub mod logview;
pub mod palette;
pub mod prompt;
pub mod root;
pub mod status;
pub mod svg;
pub mod table;
pub mod text;
pub mod toast;

#[cfg(test)]
pub(crate) mod testing;
