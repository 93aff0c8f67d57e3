//! The simulated Kubernetes estate: API servers on loopback that kubectl and kube-rs use
//! unchanged. Nothing outside `sim` reaches into it except through HTTP or the [`Estate`] handle.

pub mod apply;
pub mod schema;
pub mod table;
pub mod validate;
