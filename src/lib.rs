//! k8tre-console: a terminal operations console for K8TRE estates, and the simulated estate it
//! is tested and demonstrated on.
//!
//! Module map (see `README.md` and the design notes): `domain` is the pure model and knows
//! nothing of I/O; `sim` is the simulated Kubernetes API server, reached only over HTTP by the
//! rest of the console; `cli` and `cmd` are the command line.

pub mod app;
pub mod audit;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod domain;
pub mod gitops;
pub mod live;
pub mod logging;
pub mod sim;
pub mod theme;
pub mod ui;
