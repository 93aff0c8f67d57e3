//! Scenarios: named, believable states of a simulated K8TRE estate, and what it takes to
//! build one (target baselines, faults at start, scale knobs).

pub mod baseline;
mod build;
pub mod faults;
pub mod scale;
pub mod showcase;

pub use build::{CLUSTERS, ScenarioError, ScenarioOptions, SimulatedEstate};

use std::fmt;

/// A named estate state, chosen with `--scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Everything synced and healthy in dev, stg and prd.
    Healthy,
    /// Mostly healthy; one app Degraded in prd (a crash-looping pod and its events), one
    /// OutOfSync in stg, promotions waiting in the repository.
    Demo,
    /// stg unreachable, a failing sync with a SyncError condition, a degraded agnostic
    /// component, a NotReady node.
    Incident,
    /// Target clusters with no K8TRE yet (one with Cilium lacking L7 proxy and Gateway API),
    /// and a management cluster without the app-of-apps: for the install wizard.
    Fresh,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Healthy,
        Scenario::Demo,
        Scenario::Incident,
        Scenario::Fresh,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Demo => "demo",
            Scenario::Incident => "incident",
            Scenario::Fresh => "fresh",
        }
    }

    /// One line for `sim scenarios`.
    pub fn summary(self) -> &'static str {
        match self {
            Scenario::Healthy => "every Application Synced and Healthy in dev, stg and prd",
            Scenario::Demo => {
                "mostly healthy; one app Degraded in prd (CrashLoopBackOff), one OutOfSync in stg, promotions waiting"
            }
            Scenario::Incident => {
                "stg unreachable, a failing sync (SyncError), a degraded agnostic component, a NotReady node"
            }
            Scenario::Fresh => {
                "no K8TRE yet: bare targets (one with Cilium lacking L7 proxy and Gateway API), no app-of-apps"
            }
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
