//! Screens that need no estate model: the log viewer of one container.

mod logs;

pub use logs::LogsScreen;
