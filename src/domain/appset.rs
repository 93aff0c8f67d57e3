//! ApplicationSets: their YAML shape, and the pure evaluation of their generators and template
//! into the Applications the ArgoCD ApplicationSet controller would create.
//!
//! Supported generators: `git` (directories), `clusters`, `list`, and `matrix` of two of those
//! (nested matrices too), each with an optional post-`selector`. Everything else (`merge`,
//! `scmProvider`, git `files`, ...) is reported as unsupported rather than guessed at.
//! Only `goTemplate: true` ApplicationSets are evaluated; every K8TRE ApplicationSet is one.
//!
//! Faithful to ArgoCD 3.x (applicationset/generators, utils, controllers/template):
//! - git directories use Go `path.Match`; `exclude: true` wins; hidden directories are skipped;
//! - clusters params are `name`, `nameNormalized`, `server`, `project`, `metadata.labels`,
//!   `metadata.annotations` (each only when non-empty), `values`; the implicit `in-cluster`
//!   (no `metadata`) is added only without a selector and when no secret has its server;
//! - matrix: the second child's strings are rendered with each of the first child's params
//!   (its `values` keep templates that need the child's own params), the first child's params
//!   win on conflicts;
//! - every string of the template (keys too) is rendered; the Application's namespace is the
//!   ApplicationSet's; `resources-finalizer.argocd.argoproj.io` is added when the template has
//!   no finalizers and `preserveResourcesOnDeletion` is not set;
//! - any generation or rendering error fails the whole ApplicationSet (ArgoCD then leaves its
//!   Applications alone); duplicate and empty names only drop the offending Application.

/// The name ArgoCD gives the cluster it runs in.
pub const IN_CLUSTER_NAME: &str = "in-cluster";
/// The server address of the cluster ArgoCD runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// Where Applications go when their ApplicationSet names no namespace.
pub const DEFAULT_NAMESPACE: &str = "argocd";
/// The annotation that orders Applications within a parent's sync.
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
/// The finalizer that makes deleting an Application delete its resources.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

mod compare;
mod directories;
mod eval;
mod inputs;
mod output;
mod parse;
mod shape;
mod types;

pub use compare::*;
pub use directories::*;
pub use eval::*;
pub use inputs::*;
pub use output::*;
pub use parse::*;
pub use shape::*;
pub use types::*;

#[cfg(test)]
pub(crate) mod test_fixtures;

#[cfg(test)]
mod tests;
