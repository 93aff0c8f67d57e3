//! The pure model of K8TRE and ArgoCD: no I/O, no tokio, no terminal.

pub mod appset;
pub mod argocd;
pub mod catalog;
pub mod env;
pub mod estate;
pub mod gotemplate;
pub mod health;
pub mod kustomize;
pub mod labels;
pub mod layer;
pub mod patch;
pub mod preflight;
