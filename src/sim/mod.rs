//! The simulated Kubernetes estate: API servers on loopback that kubectl and kube-rs use
//! unchanged. Nothing outside `sim` reaches into it except through HTTP or the [`Estate`] handle.

pub mod api;
pub mod apply;
pub mod argocd;
pub mod auth;
pub mod clock;
pub mod cluster;
pub mod defaults;
pub mod demo_repo;
pub mod error;
pub mod faults;
pub mod kubeconfig;
pub mod podlogs;
pub mod requestlog;
pub mod resources;
pub mod scenario;
pub mod schema;
pub mod server;
pub mod store;
pub mod table;
pub mod tls;
pub mod validate;
pub mod workloads;

mod estate;

pub use estate::{Estate, EstateOptions, SimError, seed_into};
