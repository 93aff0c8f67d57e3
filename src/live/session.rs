//! A running live estate: discovery, the supervisor, the event channel and the model, wired
//! together. The TUI drives it in its own loop; `status` waits for it to settle and prints.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, ListParams};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::discovery::{ContextMappings, Contexts, DiscoveryError, KubeconfigSource};
use super::event::LiveEvent;
use super::model::{EstateModel, ModelSettings};
use super::strings::SharedStrings;
use super::supervisor::{Supervisor, SupervisorSettings, client_for};
use super::watch::{error_chain, from_client};
use super::wire::ApplicationWire;
use super::wiretap::WireTap;
use crate::config::Config;
use crate::gitops::scan::{RepoScan, ScanError};

/// Everything a session needs to start.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub kubeconfig: KubeconfigSource,
    /// `--context`: tried first when probing for the management cluster.
    pub context: Option<String>,
    /// `--mgmt-context` or config `management_context`: no probing.
    pub management_context: Option<String>,
    pub argocd_namespace: String,
    pub stale_after: chrono::Duration,
    pub mappings: ContextMappings,
    /// A checkout of the GitOps repository: the catalog and expected Applications.
    pub repo: Option<PathBuf>,
    /// Warning events kept per cluster.
    pub event_limit: usize,
    /// How long a context may take to answer the management probe.
    pub probe_timeout: Duration,
    pub channel_capacity: usize,
}

impl LiveOptions {
    pub fn new(kubeconfig: KubeconfigSource) -> LiveOptions {
        LiveOptions {
            kubeconfig,
            context: None,
            management_context: None,
            argocd_namespace: "argocd".into(),
            stale_after: chrono::Duration::seconds(90),
            mappings: ContextMappings::default(),
            repo: None,
            event_limit: 1000,
            probe_timeout: Duration::from_secs(3),
            channel_capacity: 4096,
        }
    }

    /// Takes the management context, namespace, staleness, context mappings and repo from the
    /// config file.
    pub fn with_config(mut self, config: &Config) -> LiveOptions {
        self.management_context = self
            .management_context
            .or(config.management_context.clone());
        self.argocd_namespace = config.argocd_namespace.clone();
        self.stale_after =
            chrono::Duration::seconds(i64::try_from(config.staleness.watch_seconds).unwrap_or(90));
        self.mappings = ContextMappings {
            clusters: config.clusters.clone(),
            environments: config.environments.clone(),
        };
        self.repo = self.repo.or(config.repo.clone());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Repo(#[from] ScanError),
}

/// How the management context was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagementChoice {
    /// Named by `--mgmt-context` / config.
    Named,
    /// Found by probing contexts for Applications in ArgoCD's namespace.
    Probed { applications: bool },
}

impl ManagementChoice {
    pub fn describe(&self) -> &'static str {
        match self {
            ManagementChoice::Named => "named (--mgmt-context or config)",
            ManagementChoice::Probed { applications: true } => "probed: serves Applications",
            ManagementChoice::Probed {
                applications: false,
            } => "probed: serves the Application CRD but holds no Applications",
        }
    }
}

pub struct Session {
    model: EstateModel,
    supervisor: Supervisor,
    events: mpsc::Receiver<LiveEvent>,
    management: ManagementChoice,
    contexts: Arc<Contexts>,
}

impl Session {
    /// Reads the kubeconfig, picks the management context, scans the repo (if any) and
    /// starts the management cluster's watches.
    pub async fn start(options: LiveOptions) -> Result<Session, SessionError> {
        let source = options.kubeconfig.clone();
        let contexts = tokio::task::spawn_blocking(move || Contexts::load(source))
            .await
            .map_err(|e| DiscoveryError::Kubeconfig {
                path: options.kubeconfig.describe(),
                reason: e.to_string(),
            })??;
        let contexts = Arc::new(contexts);
        if let Some(context) = &options.context {
            contexts.require("--context", context)?;
        }
        let repo = match options.repo.clone() {
            Some(path) => Some(
                tokio::task::spawn_blocking(move || RepoScan::checkout(&path))
                    .await
                    .map_err(|e| ScanError::Unreadable {
                        path: options.repo.clone().unwrap_or_default(),
                        source: std::io::Error::other(e.to_string()),
                    })??,
            ),
            None => None,
        };
        let (management, choice) = choose_management(&contexts, &options).await?;
        let strings = SharedStrings::default();
        let (tx, events) = mpsc::channel(options.channel_capacity.max(16));
        let settings = ModelSettings {
            management: Arc::from(management.as_str()),
            argocd_namespace: Arc::from(options.argocd_namespace.as_str()),
            stale_after: options.stale_after,
            event_limit: options.event_limit,
            mappings: options.mappings.clone(),
        };
        let mut model = EstateModel::new(settings, contexts.clone(), strings.clone());
        if let Some(repo) = repo {
            model.set_repo(Arc::new(repo));
        }
        let mut supervisor = Supervisor::new(SupervisorSettings {
            contexts: contexts.clone(),
            argocd_namespace: Arc::from(options.argocd_namespace.as_str()),
            strings,
            tx,
        });
        if let Some(desired) = model.take_connections_change() {
            supervisor.reconcile(&desired);
        }
        Ok(Session {
            model,
            supervisor,
            events,
            management: choice,
            contexts,
        })
    }

    /// The next event from any watcher (`None` only when every task is gone).
    pub async fn recv(&mut self) -> Option<LiveEvent> {
        self.events.recv().await
    }

    /// Applies an event, and starts or stops connections when ArgoCD's clusters changed.
    pub fn apply(&mut self, event: LiveEvent) {
        self.model.apply(event);
        if let Some(desired) = self.model.take_connections_change() {
            self.supervisor.reconcile(&desired);
        }
    }

    /// Applies every event already waiting, without blocking.
    pub fn drain(&mut self) -> usize {
        let mut applied = 0;
        while let Ok(event) = self.events.try_recv() {
            self.apply(event);
            applied += 1;
        }
        applied
    }

    /// Applies events until every needed watch has listed once (or been refused, or failed
    /// repeatedly), or `timeout` passes; returns whether it settled. The model is refreshed.
    pub async fn settle(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let settled = loop {
            if self.model.is_settled() {
                break true;
            }
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.apply(event),
                Ok(None) | Err(_) => break false,
            }
        };
        self.drain();
        self.model.refresh(chrono::Utc::now());
        settled
    }

    pub fn model(&self) -> &EstateModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut EstateModel {
        &mut self.model
    }

    pub fn management_choice(&self) -> &ManagementChoice {
        &self.management
    }

    pub fn contexts(&self) -> &Contexts {
        &self.contexts
    }

    /// The running connections and their watches (for diagnostics and tests).
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }
}

/// The management context: named, else the first context (preferred one first) that holds
/// Applications in ArgoCD's namespace, else the first that serves the Application CRD.
async fn choose_management(
    contexts: &Contexts,
    options: &LiveOptions,
) -> Result<(String, ManagementChoice), DiscoveryError> {
    if let Some(named) = &options.management_context {
        contexts.require("management", named)?;
        return Ok((named.clone(), ManagementChoice::Named));
    }
    let preferred = options.context.clone().or(contexts.current.clone());
    let mut order: Vec<String> = preferred
        .iter()
        .filter(|p| contexts.get(p).is_some())
        .cloned()
        .collect();
    order.extend(
        contexts
            .names()
            .into_iter()
            .filter(|n| Some(n) != preferred.as_ref()),
    );
    let ns = options.argocd_namespace.as_str();
    let timeout = options.probe_timeout;
    // The preferred context alone first: usually it is the one.
    if let Some(first) = order.first()
        && let Probe::Applications = probe(contexts, first, ns, timeout).await
    {
        return Ok((
            first.clone(),
            ManagementChoice::Probed { applications: true },
        ));
    }
    let results =
        futures::future::join_all(order.iter().map(|c| probe(contexts, c, ns, timeout))).await;
    let pick = |wanted: fn(&Probe) -> bool| {
        order
            .iter()
            .zip(&results)
            .find(|(_, p)| wanted(p))
            .map(|(c, _)| c.clone())
    };
    if let Some(found) = pick(|p| matches!(p, Probe::Applications)) {
        return Ok((found, ManagementChoice::Probed { applications: true }));
    }
    if let Some(found) = pick(|p| matches!(p, Probe::EmptyArgoCd)) {
        return Ok((
            found,
            ManagementChoice::Probed {
                applications: false,
            },
        ));
    }
    Err(DiscoveryError::NoManagement {
        namespace: ns.to_string(),
        probed: order
            .into_iter()
            .zip(results)
            .map(|(c, p)| (c, p.describe()))
            .collect(),
    })
}

enum Probe {
    Applications,
    EmptyArgoCd,
    No(String),
}

impl Probe {
    fn describe(&self) -> String {
        match self {
            Probe::Applications => "holds Applications".into(),
            Probe::EmptyArgoCd => "no Applications".into(),
            Probe::No(why) => why.clone(),
        }
    }
}

async fn probe(contexts: &Contexts, context: &str, namespace: &str, timeout: Duration) -> Probe {
    let client = match client_for(contexts, context, &WireTap::default()).await {
        Ok(client) => client,
        Err(error) => return Probe::No(error),
    };
    let api: Api<ApplicationWire> = Api::namespaced(client, namespace);
    match tokio::time::timeout(timeout, api.list(&ListParams::default().limit(1))).await {
        Ok(Ok(list)) if list.items.is_empty() => Probe::EmptyArgoCd,
        Ok(Ok(_)) => Probe::Applications,
        Ok(Err(kube::Error::Api(status))) if status.code == 404 => {
            Probe::No("does not serve applications.argoproj.io".into())
        }
        Ok(Err(error)) => Probe::No(match from_client(&error, "list") {
            super::event::WatchFailure::Transport { .. } => error_chain(&error),
            failure => failure.to_string(),
        }),
        Err(_) => Probe::No(format!("no answer within {}s", timeout.as_secs())),
    }
}
