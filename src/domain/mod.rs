//! The pure model of K8TRE and ArgoCD: no I/O, no tokio, no terminal.

pub mod labels;
