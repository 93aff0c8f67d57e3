//! The pure model of K8TRE and ArgoCD: no I/O, no tokio, no terminal.

pub mod env;
pub mod labels;
pub mod layer;
pub mod patch;
