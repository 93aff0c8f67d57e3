//! The estate as the console renders it: clusters with their connection state and
//! infrastructure facts, slim Application rows, and roll-ups per layer × environment.
//!
//! Times are passed in (`now`); nothing here reads the clock. Unknown facts are `None`, never
//! `false`: the console shows what it does not know.

mod app;
mod cluster;
mod rollup;

pub use app::{
    AppSummary, AutoSync, ConditionCounts, Interner, OperationSummary, path_component,
    path_environment,
};
pub use cluster::{
    ArgoCdFacts, CiliumFacts, Cluster, ClusterFacts, ClusterRole, ConnectionState, DataState,
    Freshness, Readiness, StorageClassFact, Unavailable, Vendor, Workload,
};
pub use rollup::{
    CellState, CheckCounts, ComponentRow, HealthCounts, ManagementRow, Matrix, Rollup, SyncCounts,
    Verdict, app_order, corroboration, rollup,
};
