//! The effect runner against real clusters (or the simulation) through kube-rs: every effect
//! becomes a task that reports back with a [`Msg`]; nothing here waits on the event loop.
//!
//! - [`Effect::Action`]: a JSON merge patch to `applications.argoproj.io` with
//!   `metadata.resourceVersion` as precondition, `dryRun=All` first when asked; a 409 is "changed
//!   since shown, nothing written". Every attempt, dry run or not, is appended to the audit log.
//!   In read-only mode nothing is ever sent.
//! - [`Effect::OpenLogs`] / [`Effect::CloseLogs`]: `pods/log` streamed (follow, tail, previous,
//!   container) in batches, until closed.
//! - [`Effect::FetchApp`]: one GET of an Application for a detail view.
//! - [`Effect::ReadResources`]: one GET of each resource a detail view cannot get from the
//!   watches (kinds resolved by discovery), assessed with ArgoCD's health rules.
//! - [`Effect::Connect`]: the live supervisor starts and stops connections.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, LogParams, Patch, PatchParams, PostParams,
};
use kube::discovery::{ApiCapabilities, Scope};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::action::{ActionError, ActionErrorKind, ActionOutcome, ActionRequest, ActionResult};
use super::effect::{Effect, EffectRunner, LogRequest, MsgSender, ReadRequest, ResourceRef};
use super::msg::{LogChunk, LogEvent, Msg, ReadOutcome, ResourcesRead, StreamId};
use crate::audit::AuditLog;
use crate::domain::health;
use crate::live::discovery::Contexts;
use crate::live::supervisor::{Supervisor, client_for};
use crate::live::watch::error_chain;
use crate::live::wire::ApplicationWire;
use crate::live::wiretap::WireTap;

/// The field manager the console writes as.
pub const FIELD_MANAGER: &str = "k8tre-console";
/// Log lines sent per message at most.
const LOG_BATCH: usize = 256;

/// What the runner's tasks share.
pub struct Shared {
    contexts: Arc<Contexts>,
    clients: Mutex<HashMap<String, Client>>,
    audit: Option<AuditLog>,
    /// The user the cluster sees (audit records); from a SelfSubjectReview when it answers,
    /// else the kubeconfig's user name.
    kube_user: Mutex<String>,
    read_only: bool,
}

impl Shared {
    /// A client for `context`, built once.
    async fn client(&self, context: &str) -> Result<Client, String> {
        if let Some(client) = self.clients.lock().get(context) {
            return Ok(client.clone());
        }
        let client = client_for(&self.contexts, context, &WireTap::default()).await?;
        self.clients
            .lock()
            .insert(context.to_string(), client.clone());
        Ok(client)
    }
}

pub struct KubeRunner {
    shared: Arc<Shared>,
    supervisor: Option<Supervisor>,
    streams: HashMap<StreamId, CancellationToken>,
}

impl KubeRunner {
    /// A runner for the contexts of `contexts`; `audit` receives a record per attempted write;
    /// `supervisor` (from [`crate::live::Session::into_parts`]) is reconciled on
    /// [`Effect::Connect`].
    pub fn new(
        contexts: Arc<Contexts>,
        audit: Option<AuditLog>,
        supervisor: Option<Supervisor>,
        read_only: bool,
    ) -> KubeRunner {
        KubeRunner {
            shared: Arc::new(Shared {
                contexts,
                clients: Mutex::new(HashMap::new()),
                audit,
                kube_user: Mutex::new(String::new()),
                read_only,
            }),
            supervisor,
            streams: HashMap::new(),
        }
    }

    /// Finds out who the console acts as on `context` and reports it ([`Msg::Identity`]).
    pub fn identify(&self, context: &str, tx: &MsgSender) {
        let shared = self.shared.clone();
        let context = context.to_string();
        let tx = tx.clone();
        tokio::spawn(async move {
            let user = match who_am_i(&shared, &context).await {
                Some(user) => user,
                None => kubeconfig_user(&shared.contexts, &context),
            };
            *shared.kube_user.lock() = user.clone();
            let _ = tx.send(Msg::Identity(user)).await;
        });
    }
}

/// The SelfSubjectReview's username, when the server answers one.
async fn who_am_i(shared: &Shared, context: &str) -> Option<String> {
    let client = shared.client(context).await.ok()?;
    let api: Api<SelfSubjectReview> = Api::all(client);
    let review = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        api.create(&PostParams::default(), &SelfSubjectReview::default()),
    )
    .await
    .ok()?
    .ok()?;
    review.status?.user_info?.username.filter(|u| !u.is_empty())
}

/// The kubeconfig's user entry for `context`.
pub fn kubeconfig_user(contexts: &Contexts, context: &str) -> String {
    contexts
        .entries
        .iter()
        .find(|e| e.name == context)
        .map_or_else(|| "unknown".to_string(), |e| e.user.clone())
}

impl EffectRunner for KubeRunner {
    fn run(&mut self, effect: Effect, tx: &MsgSender) {
        match effect {
            Effect::Quit => {}
            Effect::Action { request, dry_run } => {
                let shared = self.shared.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let outcome = act(&shared, &request, dry_run).await;
                    let result = ActionResult::for_request(&request, dry_run, outcome);
                    let _ = tx.send(Msg::Action(result)).await;
                });
            }
            Effect::OpenLogs(request) => {
                let cancel = CancellationToken::new();
                if let Some(old) = self.streams.insert(request.stream, cancel.clone()) {
                    old.cancel();
                }
                let shared = self.shared.clone();
                tokio::spawn(stream_logs(shared, request, tx.clone(), cancel));
            }
            Effect::CloseLogs(stream) => {
                if let Some(cancel) = self.streams.remove(&stream) {
                    cancel.cancel();
                }
            }
            Effect::FetchApp {
                context,
                namespace,
                name,
            } => {
                let shared = self.shared.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let fetched = fetch(&shared, &context, &namespace, &name).await;
                    let _ = tx.send(Msg::Fetched(fetched)).await;
                });
            }
            Effect::ReadResources(request) => {
                let shared = self.shared.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let outcomes = read_resources(&shared, &request).await;
                    let answer = ResourcesRead {
                        id: request.id,
                        outcomes,
                    };
                    let _ = tx.send(Msg::Read(answer)).await;
                });
            }
            Effect::Connect(desired) => {
                if let Some(supervisor) = self.supervisor.as_mut() {
                    supervisor.reconcile(&desired);
                }
            }
        }
    }
}

impl Drop for KubeRunner {
    fn drop(&mut self) {
        for cancel in self.streams.values() {
            cancel.cancel();
        }
    }
}

fn applications(client: Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "applications");
    Api::namespaced_with(client, namespace, &resource)
}

/// Sends the patch (or refuses in read-only mode), audits the attempt, says how it went.
async fn act(shared: &Shared, request: &ActionRequest, dry_run: bool) -> ActionOutcome {
    if shared.read_only {
        // Never sent, so never audited: nothing was attempted.
        return Err(ActionError::new(
            ActionErrorKind::Forbidden,
            "read-only: the console sends no writes (--read-only)",
        ));
    }
    let outcome = send(shared, request, dry_run).await;
    if let Some(audit) = &shared.audit {
        let user = shared.kube_user.lock().clone();
        let record = request.audit_record(&user, dry_run, &outcome, chrono::Utc::now());
        if let Err(error) = audit.append(&record) {
            tracing::error!("{error}");
            // A write that cannot be audited is reported; the dry run may go on.
            if !dry_run {
                return Err(ActionError::new(
                    ActionErrorKind::Other,
                    format!("the change was sent but could not be audited: {error}"),
                ));
            }
        }
    }
    outcome
}

async fn send(shared: &Shared, request: &ActionRequest, dry_run: bool) -> ActionOutcome {
    let target = &request.target;
    let client = shared
        .client(&target.context)
        .await
        .map_err(|e| ActionError::new(ActionErrorKind::Unreachable, e))?;
    let api = applications(client, &target.namespace);
    let params = PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let body = request.body();
    match api.patch(&target.app, &params, &Patch::Merge(&body)).await {
        Ok(object) => {
            let version = object.metadata.resource_version.unwrap_or_default();
            Ok(if dry_run {
                "dry run passed: the API server accepted the patch".to_string()
            } else {
                format!("written, resourceVersion {version}")
            })
        }
        Err(error) => Err(action_error(&error)),
    }
}

/// Names what went wrong, conflicts apart.
pub fn action_error(error: &kube::Error) -> ActionError {
    match error {
        kube::Error::Api(status) => {
            let kind = match status.code {
                409 => ActionErrorKind::Conflict,
                401 | 403 => ActionErrorKind::Forbidden,
                400 | 404 | 422 => ActionErrorKind::Invalid,
                _ => ActionErrorKind::Other,
            };
            let message = if status.message.is_empty() {
                format!("HTTP {}", status.code)
            } else {
                status.message.clone()
            };
            ActionError::new(kind, message)
        }
        other => ActionError::new(ActionErrorKind::Unreachable, error_chain(other)),
    }
}

async fn fetch(
    shared: &Shared,
    context: &str,
    namespace: &str,
    name: &str,
) -> Result<Box<crate::domain::argocd::Application>, String> {
    let client = shared.client(context).await?;
    let api: Api<ApplicationWire> = Api::namespaced(client, namespace);
    let wire = api.get(name).await.map_err(|e| {
        format!(
            "cannot read Application {namespace}/{name}: {}",
            error_chain(&e)
        )
    })?;
    wire.application
        .map_err(|e| format!("Application {namespace}/{name} cannot be read: {e}"))
}

/// Reads at most this many resources at once.
const READS_AT_ONCE: usize = 8;

/// One GET of each resource, assessed; a kind the cluster does not serve, a 403 or an
/// unreachable cluster is said per resource.
async fn read_resources(shared: &Shared, request: &ReadRequest) -> Vec<(ResourceRef, ReadOutcome)> {
    let failed_all = |why: String| {
        request
            .resources
            .iter()
            .map(|r| (r.clone(), ReadOutcome::Failed(why.clone())))
            .collect()
    };
    let client = match shared.client(&request.context).await {
        Ok(client) => client,
        Err(why) => return failed_all(why),
    };
    let mut kinds: HashMap<GroupVersionKind, Result<(ApiResource, ApiCapabilities), String>> =
        HashMap::new();
    for resource in &request.resources {
        let gvk = GroupVersionKind::gvk(&resource.group, &resource.version, &resource.kind);
        if let std::collections::hash_map::Entry::Vacant(entry) = kinds.entry(gvk) {
            let found = kube::discovery::pinned_kind(&client, entry.key())
                .await
                .map_err(|e| {
                    format!(
                        "the cluster does not serve {}: {}",
                        resource.kind,
                        error_chain(&e)
                    )
                });
            entry.insert(found);
        }
    }
    // Owned items: a stream of borrowed ones is not `Send` enough for `tokio::spawn`.
    let reads: Vec<_> = request
        .resources
        .iter()
        .map(|resource| {
            let gvk = GroupVersionKind::gvk(&resource.group, &resource.version, &resource.kind);
            (resource.clone(), kinds.get(&gvk).cloned())
        })
        .collect();
    futures::stream::iter(reads)
        .map(|(resource, kind)| {
            let client = client.clone();
            async move {
                let outcome = match kind {
                    Some(Ok((api_resource, capabilities))) => {
                        read_one(client, &api_resource, &capabilities, &resource).await
                    }
                    Some(Err(why)) => ReadOutcome::Failed(why),
                    None => ReadOutcome::Failed("its kind was not looked up".into()),
                };
                (resource, outcome)
            }
        })
        .buffered(READS_AT_ONCE)
        .collect()
        .await
}

async fn read_one(
    client: Client,
    api_resource: &ApiResource,
    capabilities: &ApiCapabilities,
    resource: &ResourceRef,
) -> ReadOutcome {
    let api: Api<DynamicObject> = match capabilities.scope {
        Scope::Namespaced => Api::namespaced_with(client, &resource.namespace, api_resource),
        Scope::Cluster => Api::all_with(client, api_resource),
    };
    match api.get_opt(&resource.name).await {
        Ok(Some(object)) => match serde_json::to_value(&object) {
            Ok(value) => health::assess(&value).map_or(ReadOutcome::NoCheck, ReadOutcome::Assessed),
            Err(e) => ReadOutcome::Failed(format!("cannot read it: {e}")),
        },
        Ok(None) => ReadOutcome::NotFound,
        Err(e) => ReadOutcome::Failed(error_chain(&e)),
    }
}

async fn stream_logs(
    shared: Arc<Shared>,
    request: LogRequest,
    tx: MsgSender,
    cancel: CancellationToken,
) {
    let chunk = |event| {
        Msg::Log(LogChunk {
            stream: request.stream,
            event,
        })
    };
    let client = match shared.client(&request.context).await {
        Ok(client) => client,
        Err(error) => {
            let _ = tx.send(chunk(LogEvent::Failed(error))).await;
            return;
        }
    };
    let api: Api<Pod> = Api::namespaced(client, &request.namespace);
    let params = LogParams {
        container: request.container.clone(),
        follow: request.follow,
        previous: request.previous,
        tail_lines: request.tail_lines.map(i64::from),
        ..LogParams::default()
    };
    let reader = tokio::select! {
        _ = cancel.cancelled() => return,
        reader = api.log_stream(&request.pod, &params) => reader,
    };
    let reader = match reader {
        Ok(reader) => reader,
        Err(error) => {
            let why = match &error {
                kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
                other => error_chain(other),
            };
            let _ = tx.send(chunk(LogEvent::Failed(why))).await;
            return;
        }
    };
    let mut lines = reader.lines().ready_chunks(LOG_BATCH);
    loop {
        let batch = tokio::select! {
            _ = cancel.cancelled() => return,
            batch = lines.next() => batch,
        };
        let Some(batch) = batch else {
            let _ = tx
                .send(chunk(LogEvent::Ended("the stream ended".into())))
                .await;
            return;
        };
        let mut text = Vec::with_capacity(batch.len());
        let mut failure = None;
        for line in batch {
            match line {
                Ok(line) => text.push(line),
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        if !text.is_empty() && tx.send(chunk(LogEvent::Lines(text))).await.is_err() {
            return;
        }
        if let Some(why) = failure {
            let _ = tx.send(chunk(LogEvent::Failed(why))).await;
            return;
        }
    }
}
