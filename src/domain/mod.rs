//! The pure model of K8TRE and ArgoCD: no I/O, no tokio, no terminal.

pub mod appset;
pub mod catalog;
pub mod env;
pub mod gotemplate;
pub mod labels;
pub mod layer;
