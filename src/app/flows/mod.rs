//! The built-in flows (help, palette, confirmation) and [`Steps`], the step tracker wizards
//! are built on.

mod confirm;
mod help;
mod palette;
mod steps;

pub use confirm::ConfirmFlow;
pub use help::HelpFlow;
pub use palette::{PaletteFlow, palette_candidates};
pub use steps::Steps;
