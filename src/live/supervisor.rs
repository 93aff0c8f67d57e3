//! Connections: one kube client per kubeconfig context, its watch tasks, and the one-off
//! probes (`/version`, write permissions). The supervisor starts and stops them to match what
//! the model says the estate needs ([`EstateModel::desired_connections`]).
//!
//! [`EstateModel::desired_connections`]: super::model::EstateModel::desired_connections

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Client;
use kube::api::{Api, PostParams};
use kube::client::ClientBuilder;
use kube::config::KubeConfigOptions;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::discovery::Contexts;
use super::event::{AccessCheck, ContextName, LiveEvent, WatchKind};
use super::strings::SharedStrings;
use super::watch::{WatchContext, error_chain, run_watch};
use super::wiretap::WireTap;
use crate::domain::estate::ClusterRole;

/// Retry interval of the one-off probes while a cluster does not answer.
const PROBE_RETRY: Duration = Duration::from_secs(5);

/// The watches a connection needs for its roles.
pub fn watches_for(role: ClusterRole) -> BTreeSet<WatchKind> {
    let mut watches: BTreeSet<WatchKind> = WatchKind::INFRASTRUCTURE.into_iter().collect();
    if role.management {
        watches.extend(WatchKind::MANAGEMENT);
    }
    if role.target {
        watches.extend(WatchKind::TARGET);
    }
    watches
}

/// Builds a client for a context, with the wire tap in its stack.
pub async fn client_for(
    contexts: &Contexts,
    context: &str,
    tap: &WireTap,
) -> Result<Client, String> {
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(contexts.kubeconfig.clone(), &options)
        .await
        .map_err(|e| format!("kubeconfig context {context:?}: {}", error_chain(&e)))?;
    let builder = ClientBuilder::try_from(config)
        .map_err(|e| format!("kubeconfig context {context:?}: {}", error_chain(&e)))?;
    Ok(builder.with_layer(tap).build())
}

/// Settings every connection shares.
#[derive(Clone)]
pub struct SupervisorSettings {
    pub contexts: Arc<Contexts>,
    pub argocd_namespace: Arc<str>,
    pub strings: SharedStrings,
    pub tx: mpsc::Sender<LiveEvent>,
}

struct Connection {
    watches: BTreeSet<WatchKind>,
    add: mpsc::UnboundedSender<WatchKind>,
    task: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Owns every connection's tasks; dropping it stops them all.
pub struct Supervisor {
    settings: SupervisorSettings,
    connections: BTreeMap<ContextName, Connection>,
}

impl Supervisor {
    pub fn new(settings: SupervisorSettings) -> Supervisor {
        Supervisor {
            settings,
            connections: BTreeMap::new(),
        }
    }

    /// Starts, extends and stops connections to match `desired` (context → roles). Watches
    /// are only ever added to a running connection; a context no longer wanted is stopped.
    pub fn reconcile(&mut self, desired: &BTreeMap<ContextName, ClusterRole>) {
        self.connections
            .retain(|context, _| desired.contains_key(context));
        for (context, role) in desired {
            let wanted = watches_for(*role);
            match self.connections.get_mut(context) {
                Some(connection) => {
                    for watch in wanted.difference(&connection.watches.clone()) {
                        if connection.add.send(*watch).is_ok() {
                            connection.watches.insert(*watch);
                        }
                    }
                }
                None => {
                    let connection = self.start(context.clone(), *role, wanted);
                    self.connections.insert(context.clone(), connection);
                }
            }
        }
    }

    /// The contexts with a running connection and their watches.
    pub fn running(&self) -> BTreeMap<ContextName, BTreeSet<WatchKind>> {
        self.connections
            .iter()
            .map(|(c, conn)| (c.clone(), conn.watches.clone()))
            .collect()
    }

    fn start(
        &self,
        context: ContextName,
        role: ClusterRole,
        watches: BTreeSet<WatchKind>,
    ) -> Connection {
        let (add, added) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_connection(
            self.settings.clone(),
            context,
            role,
            watches.clone(),
            added,
        ));
        Connection { watches, add, task }
    }
}

/// One connection: builds the client, runs the watches (and any added later) and the probes.
async fn run_connection(
    settings: SupervisorSettings,
    context: ContextName,
    role: ClusterRole,
    watches: BTreeSet<WatchKind>,
    mut added: mpsc::UnboundedReceiver<WatchKind>,
) {
    let tap = WireTap::default();
    let client = match client_for(&settings.contexts, &context, &tap).await {
        Ok(client) => client,
        Err(error) => {
            let _ = settings
                .tx
                .send(LiveEvent::ConnectionFailed {
                    context,
                    at: Utc::now(),
                    error,
                })
                .await;
            return;
        }
    };
    let ctx = WatchContext {
        context: context.clone(),
        client: client.clone(),
        tap,
        tx: settings.tx.clone(),
        strings: settings.strings.clone(),
        argocd_namespace: settings.argocd_namespace.clone(),
    };
    // Dropped (and so aborted) with this task.
    let mut tasks = JoinSet::new();
    for watch in watches {
        tasks.spawn(run_watch(ctx.clone(), watch));
    }
    let checks: &[AccessCheck] = if role.management {
        &AccessCheck::MANAGEMENT
    } else {
        &[]
    };
    tasks.spawn(probe(ctx.clone(), checks));
    while let Some(watch) = added.recv().await {
        tasks.spawn(run_watch(ctx.clone(), watch));
    }
    // The supervisor dropped the sender: keep the watches until this task is aborted.
    while tasks.join_next().await.is_some() {}
}

/// Asks `/version` and the write permissions once each, retrying while the cluster does not
/// answer.
async fn probe(ctx: WatchContext, checks: &'static [AccessCheck]) {
    let mut version_known = false;
    let mut pending: Vec<AccessCheck> = checks.to_vec();
    loop {
        if !version_known && let Ok(info) = ctx.client.apiserver_version().await {
            version_known = true;
            let event = LiveEvent::ServerVersion {
                context: ctx.context.clone(),
                git_version: info.git_version,
            };
            if ctx.tx.send(event).await.is_err() {
                return;
            }
        }
        let mut still = Vec::new();
        for check in pending {
            match access_review(&ctx, check).await {
                Review::Answered(allowed) => {
                    let event = LiveEvent::Access {
                        context: ctx.context.clone(),
                        check,
                        allowed,
                    };
                    if ctx.tx.send(event).await.is_err() {
                        return;
                    }
                }
                Review::Retry => still.push(check),
            }
        }
        pending = still;
        if version_known && pending.is_empty() {
            return;
        }
        tokio::time::sleep(PROBE_RETRY).await;
    }
}

enum Review {
    /// `Some(allowed)`, or `None` when the server refused to review (no answer will come).
    Answered(Option<bool>),
    /// The cluster did not answer: ask again later.
    Retry,
}

async fn access_review(ctx: &WatchContext, check: AccessCheck) -> Review {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ctx.argocd_namespace.to_string()),
                verb: Some(check.verb.to_string()),
                group: Some(check.group.to_string()),
                resource: Some(check.resource.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(ctx.client.clone());
    match api.create(&PostParams::default(), &review).await {
        Ok(answer) => Review::Answered(Some(answer.status.is_some_and(|s| s.allowed))),
        Err(kube::Error::Api(status)) if status.code != 429 && status.code < 500 => {
            tracing::debug!(context = %ctx.context, %check, code = status.code, "access review refused");
            Review::Answered(None)
        }
        Err(error) => {
            tracing::debug!(context = %ctx.context, %check, error = %error_chain(&error), "access review failed");
            Review::Retry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_follow_roles() {
        let target = watches_for(ClusterRole {
            management: false,
            target: true,
        });
        assert!(target.contains(&WatchKind::Pods));
        assert!(!target.contains(&WatchKind::Applications));
        let mgmt = watches_for(ClusterRole {
            management: true,
            target: false,
        });
        assert!(mgmt.contains(&WatchKind::Applications));
        assert!(mgmt.contains(&WatchKind::Nodes));
        assert!(!mgmt.contains(&WatchKind::Pods));
        let both = watches_for(ClusterRole {
            management: true,
            target: true,
        });
        assert_eq!(
            both.len(),
            WatchKind::MANAGEMENT.len() + WatchKind::INFRASTRUCTURE.len() + WatchKind::TARGET.len()
        );
    }
}
