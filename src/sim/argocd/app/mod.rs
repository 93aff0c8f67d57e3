//! The application controller: reconciles Applications lazily (on their own changes, on
//! changes of the objects they manage, on new commits, on refresh requests, and on a
//! jittered periodic timer), compares git with the destination, writes status, starts
//! automated syncs, drives sync operations wave by wave, and cascades deletions.

pub mod apply;
pub mod autosync;
pub mod compare;
pub mod desired;
pub mod history;
pub mod retry;
pub mod status;
pub mod tasks;

mod delete;
mod operation;
mod refresh;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::domain::argocd::Application;

use super::kube;
use super::queue::WorkQueue;
use super::runtime::Runtime;

/// Annotation that stops ArgoCD from reconciling an Application.
pub const SKIP_RECONCILE_ANNOTATION: &str = "argocd.argoproj.io/skip-reconcile";

/// How thoroughly to look at an Application (ArgoCD's `CompareWith`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    /// Only handle operations.
    #[default]
    Nothing,
    /// Compare again at the revision last compared (a managed object changed).
    Recent,
    /// Compare against the latest commit of the target revision.
    Latest,
    /// Latest, resolving the revision again (refresh requested, source changed).
    ForceResolve,
}

/// What the controller remembers about one Application between reconciliations.
#[derive(Debug, Default)]
struct Memo {
    requested: Level,
    /// When the next periodic full reconciliation is due.
    next_full: Option<Instant>,
    /// Sync waves: the next batch may not start before this.
    wave_gate: Option<Instant>,
    /// (auto-sync enabled, selfHeal) when last seen, to notice them being switched on.
    automated: Option<(bool, bool)>,
}

pub struct AppController {
    rt: Arc<Runtime>,
    queue: WorkQueue<String>,
    memo: Mutex<HashMap<String, Memo>>,
}

impl AppController {
    pub fn new(rt: Arc<Runtime>) -> Self {
        Self {
            rt,
            queue: WorkQueue::new(),
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// Asks for a reconciliation of `name` at least as thorough as `level`.
    pub fn request(&self, name: &str, level: Level) {
        {
            let mut memo = self.memo.lock();
            let entry = memo.entry(name.to_string()).or_default();
            entry.requested = entry.requested.max(level);
        }
        self.queue.add(name.to_string());
    }

    /// [`AppController::request`] for every Application.
    pub fn request_all(&self, level: Level) {
        for name in self.rt.application_names() {
            self.request(&name, level);
        }
    }

    /// Forgets a deleted Application.
    pub fn forget(&self, name: &str) {
        self.memo.lock().remove(name);
    }

    /// Keys waiting or being worked on.
    pub fn busy(&self) -> usize {
        self.queue.busy()
    }

    pub fn close(&self) {
        self.queue.close();
    }

    /// One worker: takes Applications off the queue until stopped.
    pub async fn worker(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let this = &*self;
        this.rt
            .work(&this.queue, stop, |name| async move {
                this.reconcile(&name).await
            })
            .await;
    }

    /// Reconciles one Application; returns when it wants to be looked at again.
    async fn reconcile(&self, name: &str) -> Option<Duration> {
        let raw = match kube::get_app(&self.rt.mgmt, name) {
            Some(raw) => raw,
            None => {
                self.forget(name);
                return None;
            }
        };
        let app: Application = match serde_json::from_value(raw.clone()) {
            Ok(app) => app,
            Err(err) => {
                tracing::warn!(app = name, %err, "simulated ArgoCD cannot read Application");
                return None;
            }
        };
        if kube::text(
            &raw,
            &format!(
                "/metadata/annotations/{}",
                SKIP_RECONCILE_ANNOTATION.replace('/', "~1")
            ),
        ) == "true"
        {
            return None;
        }
        if app.is_deleting() {
            return self.finalize(&app).await;
        }
        let (requested, periodic_due, toggled) = self.take_request(&app);
        let mut wake: Vec<Duration> = Vec::new();
        if let Some(need) = refresh::need(&app, requested, periodic_due, toggled) {
            match self.refresh(&app, &raw, &need).await {
                Ok(later) => wake.extend(later),
                Err(err) => {
                    tracing::warn!(app = name, %err, "simulated ArgoCD refresh failed");
                    wake.push(self.rt.real(Duration::from_secs(5)));
                }
            }
            if need.level >= Level::Latest {
                let next = Instant::now() + self.rt.periodic_delay(false);
                if let Some(m) = self.memo.lock().get_mut(name) {
                    m.next_full = Some(next);
                }
            }
        }
        match self.operate(name).await {
            Ok(later) => wake.extend(later),
            Err(err) => {
                tracing::warn!(app = name, %err, "simulated ArgoCD operation step failed");
                wake.push(self.rt.real(Duration::from_secs(1)));
            }
        }
        let until_periodic = self
            .memo
            .lock()
            .get(name)
            .and_then(|m| m.next_full)
            .map(|t| t.saturating_duration_since(Instant::now()));
        wake.extend(until_periodic);
        wake.into_iter().min()
    }

    /// Takes the requested level; says whether the periodic refresh is due and whether
    /// auto-sync or self-heal was just switched on.
    fn take_request(&self, app: &Application) -> (Level, bool, bool) {
        let now = Instant::now();
        let automated = (
            app.is_automated_sync_enabled(),
            app.automated().and_then(|a| a.self_heal).unwrap_or(false),
        );
        let mut memo = self.memo.lock();
        let entry = memo.entry(app.metadata.name.clone()).or_default();
        let requested = std::mem::take(&mut entry.requested);
        if entry.next_full.is_none() {
            // First sight: a fresh status is not compared again at once; spread the first
            // periodic refresh of many Applications over a whole period.
            let delay = if app.status.reconciled_at.is_some() {
                self.rt.periodic_delay(true)
            } else {
                Duration::ZERO
            };
            entry.next_full = Some(now + delay);
        }
        let periodic_due = entry.next_full.is_some_and(|t| t <= now);
        let toggled = match entry.automated {
            Some((was_on, was_heal)) => (!was_on && automated.0) || (!was_heal && automated.1),
            None => false,
        };
        entry.automated = Some(automated);
        (requested, periodic_due, toggled)
    }

    fn wave_gate(&self, name: &str) -> Option<Instant> {
        self.memo.lock().get(name).and_then(|m| m.wave_gate)
    }

    fn set_wave_gate(&self, name: &str, gate: Option<Instant>) {
        if let Some(m) = self.memo.lock().get_mut(name) {
            m.wave_gate = gate;
        }
    }
}
