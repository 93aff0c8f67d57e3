//! The `applications.argoproj.io` resource as serde structs, faithful to ArgoCD's JSON.
//!
//! Serialization mirrors ArgoCD's Go types so a round trip does not invent or drop fields:
//! - Go `omitempty` scalars are skipped when empty; Go fields without `omitempty` (e.g. a sync
//!   result's `group: ""`, a history entry's `id: 0`) are always written.
//! - Nested objects are `Option`s, so `{}` written by someone stays `{}` and an absent object
//!   stays absent. `status` is the exception: an empty status is the same as none.
//! - Every struct keeps the fields this build does not model in `extra`, so a read-modify-write
//!   never loses data (e.g. `sourceHydrator`, helm parameters).
//! - Timestamps are kept as the RFC 3339 text ArgoCD wrote (`Option<String>`), so they
//!   round-trip byte for byte; [`parse_time`] reads one as `DateTime<Utc>`.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::codes::{
    ConditionSeverity, ConditionType, HealthStatus, HookType, OperationPhase, ResultCode,
    SourceType, SyncPhase, SyncStatus,
};

/// Fields of an object that this build does not model, kept verbatim.
pub type Extra = Map<String, Value>;

/// Reads an RFC 3339 timestamp as written by Kubernetes / ArgoCD.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats a time the way Kubernetes writes `metav1.Time`: RFC 3339 UTC, whole seconds.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Formats a time like Go's `time.RFC3339Nano`: nanoseconds with trailing zeros trimmed.
pub fn format_time_nano(time: DateTime<Utc>) -> String {
    let seconds = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        return format!("{seconds}Z");
    }
    let fraction = format!("{nanos:09}");
    format!("{seconds}.{}Z", fraction.trim_end_matches('0'))
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// An Application as stored in Kubernetes. `operation` is a top-level key beside spec/status.
///
/// The large optional parts are boxed: an Application without an operation costs about a
/// kilobyte rather than seven, which the live model's per-Application budget depends on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Application {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub metadata: AppMeta,
    pub spec: ApplicationSpec,
    #[serde(skip_serializing_if = "ApplicationStatus::is_empty")]
    pub status: ApplicationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<Box<Operation>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Object metadata without a dependency on kube's `ObjectMeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub generation: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Box<ApplicationSource>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    pub destination: ApplicationDestination,
    /// Required by the CRD; empty means `default`.
    pub project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<Box<SyncPolicy>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<ResourceIgnoreDifferences>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Info>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where manifests come from. Helm / kustomize / directory settings are kept opaque.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSource {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target_revision: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chart: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<SourcePlugin>,
    #[serde(rename = "ref", skip_serializing_if = "String::is_empty")]
    pub reference: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ApplicationSource {
    /// ArgoCD's `IsZero`: a history entry with such a source predates v0.12 and cannot be
    /// rolled back to.
    pub fn is_zero(&self) -> bool {
        self.repo_url.is_empty()
            && self.path.is_empty()
            && self.target_revision.is_empty()
            && self.chart.is_empty()
            && self.helm.is_none()
            && self.kustomize.is_none()
            && self.directory.is_none()
            && self.plugin.is_none()
    }

    /// The value of a plugin env entry (`plugin.env[].name == name`).
    pub fn plugin_env(&self, name: &str) -> Option<&str> {
        self.plugin
            .as_ref()?
            .env
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value.as_str())
    }
}

/// Config Management Plugin selection (`spec.source.plugin`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SourcePlugin {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One plugin env entry, exposed to the plugin as `ARGOCD_ENV_<NAME>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvEntry {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationDestination {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<SyncPolicyAutomated>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_namespace_metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl SyncPolicy {
    /// ArgoCD's `IsAutomatedSyncEnabled`: `automated` present and `enabled` absent or true.
    pub fn is_automated_sync_enabled(&self) -> bool {
        self.automated
            .as_ref()
            .is_some_and(|a| a.enabled.unwrap_or(true))
    }
}

/// `spec.syncPolicy.automated`; every field is a pointer in Go, so absence is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncPolicyAutomated {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_heal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_empty: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RetryStrategy {
    /// 0 = no retry, -1 = unlimited.
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    #[serde(skip_serializing_if = "is_false")]
    pub refresh: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Backoff {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub duration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub max_duration: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceIgnoreDifferences {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jq_path_expressions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_fields_managers: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Info {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationStatus {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<Box<SyncInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthInfo>,
    /// Oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<RevisionHistory>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ApplicationCondition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_state: Option<Box<OperationState>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_type: Option<SourceType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_types: Vec<SourceType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<ApplicationSummary>,
    /// Empty: resource health is inline in `resources[]`; `appTree`: it is not (ArgoCD ≥ 3.0).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_health_source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub controller_namespace: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ApplicationStatus {
    pub fn is_empty(&self) -> bool {
        *self == ApplicationStatus::default()
    }
}

/// `status.sync`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SyncStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_to: Option<Box<ComparedTo>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub revision: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ComparedTo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    pub destination: ApplicationDestination,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<ResourceIgnoreDifferences>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `status.health` of an app, and `health` of a resource in `status.resources[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HealthInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<HealthStatus>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One managed resource in `status.resources[]`. `health` is absent when ArgoCD keeps resource
/// health in its app tree (`resourceHealthSource: appTree`, the default since 3.0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceStatus {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SyncStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthInfo>,
    #[serde(skip_serializing_if = "is_false")]
    pub hook: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub requires_pruning: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub sync_wave: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub requires_deletion_confirmation: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationCondition {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ConditionType>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ApplicationCondition {
    pub fn severity(&self) -> ConditionSeverity {
        self.kind
            .as_ref()
            .map_or(ConditionSeverity::Info, ConditionType::severity)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSummary {
    #[serde(rename = "externalURLs", skip_serializing_if = "Vec::is_empty")]
    pub external_urls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_app_of_apps: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `status.history[]` entry: one successful, non-partial, non-dry-run sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RevisionHistory {
    pub id: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub revision: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy_started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<OperationInitiator>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl RevisionHistory {
    /// Whether the entry records what was deployed (entries from Argo CD ≤ 0.11 do not).
    pub fn has_source(&self) -> bool {
        self.source.as_ref().is_some_and(|s| !s.is_zero())
            || self.sources.iter().any(|s| !s.is_zero())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationInitiator {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "is_false")]
    pub automated: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The top-level `operation` key: a request for the controller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Operation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<Box<SyncOperation>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<OperationInitiator>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Info>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStrategy>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncOperation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub revision: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub prune: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_strategy: Option<SyncStrategy>,
    /// Partial sync: only these resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<SyncOperationResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub auto_heal_attempts_count: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

impl SyncOperation {
    /// `syncStrategy.apply`: hooks do not run (used by rollback).
    pub fn is_apply_strategy(&self) -> bool {
        self.sync_strategy
            .as_ref()
            .is_some_and(|s| s.apply.is_some())
    }
}

/// `{apply: {force}}` or `{hook: {force}}` (hook is the default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncStrategy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<StrategyForce>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<StrategyForce>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StrategyForce {
    #[serde(skip_serializing_if = "is_false")]
    pub force: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncOperationResource {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `status.operationState`: the controller's record of the current or last operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationState {
    pub operation: Operation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<OperationPhase>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_result: Option<Box<SyncOperationResult>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub retry_count: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncOperationResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceResult>,
    pub revision: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_namespace_metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One resource's result in `syncResult.resources[]`. Group, version, kind, namespace and name
/// are always written (ArgoCD does: `group: ""` for core kinds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceResult {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ResultCode>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_type: Option<HookType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_phase: Option<OperationPhase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_phase: Option<SyncPhase>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Annotation that asks the controller for a refresh (`normal` or `hard`).
pub const ANNOTATION_REFRESH: &str = "argocd.argoproj.io/refresh";
/// Annotation identifying one refresh request; removed with [`ANNOTATION_REFRESH`].
pub const ANNOTATION_REFRESH_TIMESTAMP: &str = "argocd.argoproj.io/refresh-timestamp";
/// The in-cluster destination server.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// The in-cluster destination name.
pub const IN_CLUSTER_NAME: &str = "in-cluster";

impl Application {
    /// `namespace/name`, for messages.
    pub fn qualified_name(&self) -> String {
        if self.metadata.namespace.is_empty() {
            self.metadata.name.clone()
        } else {
            format!("{}/{}", self.metadata.namespace, self.metadata.name)
        }
    }

    /// The single source, or the first of several.
    pub fn primary_source(&self) -> Option<&ApplicationSource> {
        self.spec.source.as_deref().or(self.spec.sources.first())
    }

    pub fn has_multiple_sources(&self) -> bool {
        !self.spec.sources.is_empty()
    }

    /// The project; empty means `default`.
    pub fn project(&self) -> &str {
        if self.spec.project.is_empty() {
            "default"
        } else {
            &self.spec.project
        }
    }

    pub fn is_automated_sync_enabled(&self) -> bool {
        self.spec
            .sync_policy
            .as_ref()
            .is_some_and(|policy| policy.is_automated_sync_enabled())
    }

    pub fn automated(&self) -> Option<&SyncPolicyAutomated> {
        self.spec.sync_policy.as_ref()?.automated.as_ref()
    }

    /// Sync options from the spec (copied into manual operations, as argocd-server does).
    pub fn spec_sync_options(&self) -> &[String] {
        self.spec
            .sync_policy
            .as_ref()
            .map_or(&[], |p| p.sync_options.as_slice())
    }

    pub fn is_deleting(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }

    /// The ApplicationSet that generated this app (ownerReference of kind ApplicationSet).
    pub fn generating_appset(&self) -> Option<&str> {
        self.metadata
            .owner_references
            .iter()
            .find(|r| r.kind == "ApplicationSet")
            .map(|r| r.name.as_str())
    }

    pub fn is_generated_by_appset(&self) -> bool {
        self.generating_appset().is_some()
    }

    pub fn sync_status(&self) -> SyncStatus {
        self.status
            .sync
            .as_ref()
            .and_then(|s| s.status)
            .unwrap_or(SyncStatus::Unknown)
    }

    /// App health; `Unknown` until the controller has assessed it.
    pub fn health_status(&self) -> HealthStatus {
        self.status
            .health
            .as_ref()
            .and_then(|h| h.status)
            .unwrap_or(HealthStatus::Unknown)
    }

    pub fn health_message(&self) -> Option<&str> {
        self.status
            .health
            .as_ref()
            .map(|h| h.message.as_str())
            .filter(|m| !m.is_empty())
    }

    /// The revision last compared against (first of several for multi-source apps).
    pub fn sync_revision(&self) -> Option<&str> {
        let sync = self.status.sync.as_ref()?;
        std::iter::once(sync.revision.as_str())
            .chain(sync.revisions.iter().map(String::as_str))
            .find(|r| !r.is_empty())
    }

    pub fn operation_phase(&self) -> Option<&OperationPhase> {
        self.status.operation_state.as_ref()?.phase.as_ref()
    }

    /// An operation is requested or running: `.operation` is set.
    pub fn has_pending_operation(&self) -> bool {
        self.operation.is_some()
    }

    /// The history entry with this id.
    pub fn history_entry(&self, id: i64) -> Option<&RevisionHistory> {
        self.status.history.iter().find(|h| h.id == id)
    }

    /// The most recent deployment (last history entry).
    pub fn last_deployment(&self) -> Option<&RevisionHistory> {
        self.status.history.last()
    }

    /// The deployment before the most recent one (`argocd app rollback` without an id).
    pub fn previous_deployment(&self) -> Option<&RevisionHistory> {
        let history = &self.status.history;
        history.len().checked_sub(2).and_then(|i| history.get(i))
    }

    /// Conditions counted by severity: (errors, warnings, infos).
    pub fn condition_counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for condition in &self.status.conditions {
            match condition.severity() {
                ConditionSeverity::Error => counts.0 += 1,
                ConditionSeverity::Warning => counts.1 += 1,
                ConditionSeverity::Info => counts.2 += 1,
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Modelled on a real controller-written Application (argo-cd
    /// `controller/testdata/diff-cache.yaml`) in K8TRE's shape: AppSet-generated, CMP plugin
    /// with env, retry, operationState with hook results, history, resources without health
    /// (`resourceHealthSource: appTree`), plus fields this build does not model.
    pub(crate) fn realistic_application() -> Value {
        let source = json!({
            "path": "apps/jupyterhub/envs/dev",
            "plugin": {
                "env": [
                    {"name": "ENVIRONMENT", "value": "dev"},
                    {"name": "DOMAIN", "value": "dev.k8tre.org"}
                ],
                "name": "kustomize-with-envsubst-v1.0"
            },
            "repoURL": "https://github.com/k8tre/k8tre.git",
            "targetRevision": "main"
        });
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "annotations": {
                    "argocd.argoproj.io/instance": "jupyterhub-dev",
                    "argocd.argoproj.io/sync-wave": "0"
                },
                "creationTimestamp": "2026-08-01T09:12:40Z",
                "finalizers": ["resources-finalizer.argocd.argoproj.io"],
                "generation": 263,
                "labels": {"app.kubernetes.io/part-of": "k8tre"},
                "managedFields": [{"manager": "argocd-application-controller", "operation": "Update"}],
                "name": "jupyterhub-in-cluster",
                "namespace": "argocd",
                "ownerReferences": [{
                    "apiVersion": "argoproj.io/v1alpha1",
                    "blockOwnerDeletion": true,
                    "controller": true,
                    "kind": "ApplicationSet",
                    "name": "jupyterhub",
                    "uid": "86cdfba4-8697-47b3-8489-71fab7f4a805"
                }],
                "resourceVersion": "722811357",
                "uid": "94978696-4fd4-40b3-a1de-38d9df9e9316"
            },
            "spec": {
                "destination": {"namespace": "jupyterhub", "server": "https://kubernetes.default.svc"},
                "project": "default",
                "source": source,
                "syncPolicy": {
                    "automated": {"prune": true, "selfHeal": true},
                    "retry": {"backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}, "limit": 5},
                    "syncOptions": ["CreateNamespace=true"]
                },
                "ignoreDifferences": [{"group": "postgresql.cnpg.io", "kind": "Cluster", "jsonPointers": ["/spec/instances"]}]
            },
            "status": {
                "controllerNamespace": "argocd",
                "health": {"lastTransitionTime": "2026-08-22T10:01:10Z", "status": "Healthy"},
                "history": [
                    {
                        "deployStartedAt": "2026-08-21T08:00:05Z",
                        "deployedAt": "2026-08-21T08:00:06Z",
                        "id": 0,
                        "initiatedBy": {"automated": true},
                        "revision": "ea8759964626a583667a2bfd08f334ec2070040a",
                        "source": source
                    },
                    {
                        "deployStartedAt": "2026-08-22T10:00:03Z",
                        "deployedAt": "2026-08-22T10:00:04Z",
                        "id": 1,
                        "initiatedBy": {"username": "alice"},
                        "revision": "0b1c9f0e6a9d4d7b8e2f3a4b5c6d7e8f90a1b2c3",
                        "source": source
                    }
                ],
                "operationState": {
                    "finishedAt": "2026-08-22T10:00:04Z",
                    "message": "successfully synced (all tasks run)",
                    "operation": {
                        "initiatedBy": {"username": "alice"},
                        "retry": {"backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}, "limit": 5},
                        "sync": {
                            "revision": "0b1c9f0e6a9d4d7b8e2f3a4b5c6d7e8f90a1b2c3",
                            "syncOptions": ["CreateNamespace=true"],
                            "syncStrategy": {"hook": {}}
                        }
                    },
                    "phase": "Succeeded",
                    "startedAt": "2026-08-22T10:00:03Z",
                    "syncResult": {
                        "resources": [
                            {
                                "group": "", "hookPhase": "Running", "kind": "Service",
                                "message": "service/proxy-public serverside-applied", "name": "proxy-public",
                                "namespace": "jupyterhub", "status": "Synced", "syncPhase": "Sync", "version": "v1"
                            },
                            {
                                "group": "batch", "hookPhase": "Succeeded", "hookType": "PreSync", "kind": "Job",
                                "message": "job.batch/db-migrate created", "name": "db-migrate",
                                "namespace": "jupyterhub", "syncPhase": "PreSync", "version": "v1"
                            }
                        ],
                        "revision": "0b1c9f0e6a9d4d7b8e2f3a4b5c6d7e8f90a1b2c3",
                        "source": source
                    }
                },
                "reconciledAt": "2026-08-22T10:05:00Z",
                "resourceHealthSource": "appTree",
                "resources": [
                    {"kind": "Service", "name": "proxy-public", "namespace": "jupyterhub", "status": "Synced", "version": "v1"},
                    {"group": "apps", "kind": "Deployment", "name": "hub", "namespace": "jupyterhub", "status": "Synced", "syncWave": -1, "version": "v1"},
                    {"group": "batch", "hook": true, "kind": "Job", "name": "db-migrate", "namespace": "jupyterhub", "version": "v1"}
                ],
                "sourceHydrator": {},
                "sourceType": "Plugin",
                "summary": {"images": ["quay.io/jupyterhub/k8s-hub:4.2.0"]},
                "sync": {
                    "comparedTo": {
                        "destination": {"namespace": "jupyterhub", "server": "https://kubernetes.default.svc"},
                        "source": source
                    },
                    "revision": "0b1c9f0e6a9d4d7b8e2f3a4b5c6d7e8f90a1b2c3",
                    "status": "Synced"
                },
                "conditions": [
                    {"lastTransitionTime": "2026-08-22T10:02:00Z", "message": "Resource /Secret hub-secret is orphaned", "type": "OrphanedResourceWarning"}
                ]
            }
        })
    }

    #[test]
    fn realistic_application_round_trips_exactly() {
        let original = realistic_application();
        let app: Application = serde_json::from_value(original.clone()).expect("parses");
        let back = serde_json::to_value(&app).expect("serializes");
        assert_eq!(back, original);
    }

    #[test]
    fn realistic_application_reads_typed() {
        let app: Application = serde_json::from_value(realistic_application()).expect("parses");
        assert_eq!(app.metadata.name, "jupyterhub-in-cluster");
        assert_eq!(app.metadata.generation, 263);
        assert_eq!(app.generating_appset(), Some("jupyterhub"));
        assert!(app.is_automated_sync_enabled());
        assert_eq!(app.sync_status(), SyncStatus::Synced);
        assert_eq!(app.health_status(), HealthStatus::Healthy);
        assert_eq!(
            app.sync_revision(),
            Some("0b1c9f0e6a9d4d7b8e2f3a4b5c6d7e8f90a1b2c3")
        );
        assert_eq!(app.operation_phase(), Some(&OperationPhase::Succeeded));
        assert_eq!(app.status.history.len(), 2);
        assert_eq!(app.history_entry(0).map(|h| h.id), Some(0));
        assert_eq!(app.previous_deployment().map(|h| h.id), Some(0));
        assert_eq!(app.last_deployment().map(|h| h.id), Some(1));
        assert!(app.status.resources.iter().all(|r| r.health.is_none()));
        assert_eq!(app.status.resource_health_source, "appTree");
        assert_eq!(
            app.primary_source().and_then(|s| s.plugin_env("DOMAIN")),
            Some("dev.k8tre.org")
        );
        assert_eq!(app.condition_counts(), (0, 1, 0));
        assert!(app.status.extra.contains_key("sourceHydrator"));
        assert!(app.metadata.extra.contains_key("managedFields"));
        let result = app
            .status
            .operation_state
            .as_ref()
            .and_then(|o| o.sync_result.as_ref())
            .expect("sync result");
        assert_eq!(result.resources[0].group, "");
        assert_eq!(result.resources[1].hook_type, Some(HookType::PreSync));
        assert_eq!(result.resources[1].status, None);
    }

    #[test]
    fn minimal_objects_gain_no_fields() {
        // As written by `kubectl patch` from the ArgoCD docs, and a brand-new app.
        for original in [
            json!({
                "metadata": {"name": "a"}, "spec": {"destination": {}, "project": "default"},
                "operation": {"initiatedBy": {"username": "console"}, "sync": {"syncStrategy": {"hook": {}}}}
            }),
            json!({
                "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": "a", "namespace": "argocd"},
                "spec": {"destination": {"name": "in-cluster", "namespace": "x"}, "project": "default",
                         "source": {"repoURL": "https://example.org/r.git", "path": "p"}}
            }),
            json!({"metadata": {"name": "b"}, "spec": {"destination": {}, "project": "", "syncPolicy": {"automated": {"enabled": false}}}}),
        ] {
            let app: Application = serde_json::from_value(original.clone()).expect("parses");
            assert_eq!(serde_json::to_value(&app).expect("ser"), original);
        }
    }

    proptest::proptest! {
        /// Fields this build does not model survive a round trip wherever they appear.
        #[test]
        fn unknown_fields_survive(
            key in "x[A-Za-z]{1,10}",
            value in proptest::prelude::any::<i64>(),
            place in 0usize..7,
        ) {
            let mut original = realistic_application();
            let pointer = [
                "", "/metadata", "/spec", "/spec/syncPolicy", "/status/operationState",
                "/status/history/0", "/status/operationState/syncResult/resources/1",
            ][place];
            let target = original.pointer_mut(pointer).and_then(Value::as_object_mut);
            proptest::prop_assume!(target.is_some());
            if let Some(object) = target {
                object.insert(key, json!(value));
            }
            let app: Application = serde_json::from_value(original.clone()).expect("parses");
            proptest::prop_assert_eq!(serde_json::to_value(&app).expect("ser"), original);
        }
    }

    #[test]
    fn automated_sync_enabled_semantics() {
        let policy = |automated: Value| -> SyncPolicy {
            serde_json::from_value(json!({ "automated": automated })).expect("policy")
        };
        assert!(policy(json!({})).is_automated_sync_enabled());
        assert!(policy(json!({"prune": true})).is_automated_sync_enabled());
        assert!(policy(json!({"enabled": true})).is_automated_sync_enabled());
        assert!(!policy(json!({"enabled": false, "prune": true})).is_automated_sync_enabled());
        assert!(!SyncPolicy::default().is_automated_sync_enabled());
        assert!(!Application::default().is_automated_sync_enabled());
    }

    #[test]
    fn history_without_source_is_detected() {
        let old: RevisionHistory =
            serde_json::from_value(json!({"id": 3, "revision": "abc", "source": {"repoURL": ""}}))
                .expect("entry");
        assert!(!old.has_source());
        let none: RevisionHistory =
            serde_json::from_value(json!({"id": 4, "revision": "abc"})).expect("entry");
        assert!(!none.has_source());
        let multi: RevisionHistory = serde_json::from_value(
            json!({"id": 5, "revisions": ["a"], "sources": [{"repoURL": "https://x"}]}),
        )
        .expect("entry");
        assert!(multi.has_source());
    }

    #[test]
    fn previous_deployment_needs_two_entries() {
        let mut app = Application::default();
        assert!(app.previous_deployment().is_none());
        app.status.history.push(RevisionHistory::default());
        assert!(app.previous_deployment().is_none());
    }

    #[test]
    fn time_formats() {
        let t = parse_time("2026-08-22T10:00:00.123456789Z").expect("parses");
        assert_eq!(format_time(t), "2026-08-22T10:00:00Z");
        assert_eq!(format_time_nano(t), "2026-08-22T10:00:00.123456789Z");
        let t = parse_time("2026-08-22T10:00:00.5Z").expect("parses");
        assert_eq!(format_time_nano(t), "2026-08-22T10:00:00.5Z");
        let t = parse_time("2026-08-22T12:00:00+02:00").expect("parses");
        assert_eq!(format_time_nano(t), "2026-08-22T10:00:00Z");
        assert!(parse_time("yesterday").is_none());
    }
}
