//! ArgoCD's Application model: wire codes, the CRD as serde structs, and the console's writes.
//!
//! - [`codes`]: sync / health / phase / hook / condition enums with ArgoCD's strings.
//! - [`types`]: `Application` and its spec, status and operation, round-trip safe.
//! - [`ops`]: the only mutations the console makes (sync, rollback, refresh, terminate,
//!   auto-sync toggle) as JSON merge patches, with argocd-server's preconditions.

pub mod codes;
pub mod ops;
pub mod types;

pub use codes::{
    ConditionSeverity, ConditionType, HealthStatus, HookType, OperationPhase, ResultCode,
    SourceType, SyncPhase, SyncStatus,
};
pub use types::*;
