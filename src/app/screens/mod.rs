//! The console's screens: the overview (home), an Application's and a cluster's detail,
//! triage, the clusters list and a container's logs; and the router that opens them for
//! navigation targets.

mod app_detail;
mod cluster_detail;
mod clusters;
mod logs;
mod overview;
mod reads;
mod router;
mod triage;

pub use app_detail::{AppDetailScreen, DetailTab};
pub use cluster_detail::{ClusterDetailScreen, ClusterTab};
pub use clusters::ClustersScreen;
pub use logs::LogsScreen;
pub use overview::{Areas as OverviewAreas, OverviewScreen, Scope};
pub use router::ConsoleRouter;
pub use triage::TriageScreen;
