//! What every controller task of the simulated ArgoCD shares: the clusters, the repository
//! and its render cache, the live-object index, ArgoCD's settings, the knobs and the clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::watch;

use crate::sim::cluster::ClusterState;
use crate::sim::resources::ResourceKey;

use super::clock::Clock;
use super::clusters::{Destinations, KnownCluster, cluster_secrets};
use super::events::EventRecorder;
use super::kube;
use super::queue::WorkQueue;
use super::render::RenderCache;
use super::repo::Repo;
use super::settings::{Knobs, NAMESPACE, Settings};
use super::tracking::LiveIndex;

pub struct Runtime {
    pub mgmt: Arc<ClusterState>,
    pub destinations: Destinations,
    pub repo: Repo,
    pub renders: RenderCache,
    pub index: LiveIndex,
    pub settings: RwLock<Settings>,
    pub knobs: Knobs,
    pub clock: Clock,
    pub events: EventRecorder,
}

impl Runtime {
    /// A controller's worker loop: while the simulation runs, takes keys off `queue`,
    /// reconciles each and queues it again after the delay the reconcile asks for; a key
    /// taken while paused goes back for when the simulation resumes. Returns when `stop`
    /// changes or the queue closes.
    pub async fn work<F, Fut>(
        &self,
        queue: &WorkQueue<String>,
        mut stop: watch::Receiver<bool>,
        mut reconcile: F,
    ) where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Option<Duration>>,
    {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = self.knobs.wait_running() => {}
            }
            let key = tokio::select! {
                _ = stop.changed() => return,
                key = queue.next() => key,
            };
            let Some(name) = key else { return };
            if self.knobs.is_paused() {
                queue.done(&name);
                queue.add_after(name, Duration::from_millis(50));
                continue;
            }
            let wake = reconcile(name.clone()).await;
            queue.done(&name);
            if let Some(delay) = wake {
                queue.add_after(name, delay);
            }
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().clone()
    }

    /// Re-reads ArgoCD's settings; returns whether they changed.
    pub fn reload_settings(&self) -> bool {
        let fresh = Settings::load(&self.mgmt);
        let mut current = self.settings.write();
        if *current == fresh {
            return false;
        }
        *current = fresh;
        true
    }

    pub fn known_clusters(&self) -> Vec<KnownCluster> {
        cluster_secrets(&self.mgmt)
    }

    /// An AppProject in ArgoCD's namespace.
    pub fn project(&self, name: &str) -> Option<Value> {
        kube::get(
            &self.mgmt,
            &ResourceKey::new("argoproj.io", "appprojects"),
            NAMESPACE,
            name,
        )
    }

    /// Names of every Application.
    pub fn application_names(&self) -> Vec<String> {
        kube::names(&self.mgmt, &kube::applications(), NAMESPACE)
    }

    /// A simulated duration as real time at the current speed.
    pub fn real(&self, simulated: Duration) -> Duration {
        self.clock.scaled(simulated)
    }

    /// The real time until the next periodic reconciliation: the period plus a random share
    /// of the jitter, so thousands of Applications do not all refresh at once.
    pub fn periodic_delay(&self, spread_from_zero: bool) -> Duration {
        let period = *self.knobs.reconcile_period.read();
        let jitter = *self.knobs.reconcile_jitter.read();
        let fraction = random_fraction();
        let simulated = if spread_from_zero {
            (period + jitter).mul_f64(fraction)
        } else {
            period + jitter.mul_f64(fraction)
        };
        self.real(simulated)
    }
}

/// A number in [0, 1) from a random UUID (no extra dependency needed for this).
pub fn random_fraction() -> f64 {
    // The low 53 bits hold no version or variant bits.
    let bits = uuid::Uuid::new_v4().as_u128() & ((1u128 << 53) - 1);
    (bits as f64) / ((1u128 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_fractions_stay_in_range() {
        for _ in 0..1000 {
            let f = random_fraction();
            assert!((0.0..1.0).contains(&f), "{f}");
        }
    }
}
