//! A refresh: compare the Application's source at its target revision with the live state of
//! its destination, decide auto-sync, write `status`, then drop the refresh annotations.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::domain::argocd::{
    ANNOTATION_REFRESH, ANNOTATION_REFRESH_TIMESTAMP, Application, ApplicationCondition,
    ApplicationSummary, ComparedTo, ConditionType, HealthInfo, SourceType, SyncInfo, SyncStatus,
};
use crate::domain::health::{self, ResourceRef};
use crate::sim::api::PatchType;
use crate::sim::error::ApiError;

use super::super::clusters::{DestinationError, Target};
use super::super::events::{EventType, REASON_OPERATION_STARTED, REASON_RESOURCE_UPDATED};
use super::super::kube::{self, APP_CONTROLLER};
use super::super::settings::NAMESPACE;
use super::autosync::{self, AutoSync};
use super::compare::{self, Managed, app_health, unknown_health};
use super::desired;
use super::status::{
    condition, remove_refresh_annotations, set_conditions, set_or_remove, write_status,
};
use super::{AppController, Level};

/// Why and how thoroughly to refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshNeed {
    pub level: Level,
    pub hard: bool,
    /// Set when the refresh annotation asked for it: its timestamp (if any) as seen.
    pub annotation: Option<Option<String>>,
}

/// ArgoCD's `needRefreshAppStatus`.
pub fn need(
    app: &Application,
    requested: Level,
    periodic_due: bool,
    toggled: bool,
) -> Option<RefreshNeed> {
    let annotations = &app.metadata.annotations;
    if let Some(kind) = annotations.get(ANNOTATION_REFRESH) {
        return Some(RefreshNeed {
            level: Level::ForceResolve,
            hard: kind == "hard",
            annotation: Some(annotations.get(ANNOTATION_REFRESH_TIMESTAMP).cloned()),
        });
    }
    let compared = app
        .status
        .sync
        .as_ref()
        .and_then(|s| s.compared_to.as_ref());
    let level = if app.status.reconciled_at.is_none() {
        Level::Latest
    } else if compared.is_none_or(|c| c.source.as_ref() != app.spec.source.as_deref()) {
        Level::ForceResolve
    } else if periodic_due
        || toggled
        || compared.is_some_and(|c| {
            c.destination != app.spec.destination
                || c.ignore_differences != app.spec.ignore_differences
        })
    {
        Level::Latest
    } else {
        requested
    };
    (level > Level::Nothing).then_some(RefreshNeed {
        level,
        hard: false,
        annotation: None,
    })
}

/// What a refresh found.
enum Assessment {
    /// The spec cannot be acted on (project or destination): `InvalidSpecError`.
    Invalid(ApplicationCondition),
    /// The destination or the manifests could not be reached: `ComparisonError`.
    Failed {
        condition: ApplicationCondition,
        revision: String,
        live: Vec<Managed>,
    },
    Compared {
        revision: String,
        comparison: compare::Comparison,
        source_type: SourceType,
        target: Target,
    },
}

/// The status fields a refresh owns.
struct Fields {
    sync: SyncInfo,
    health: HealthInfo,
    resources: Option<Value>,
    conditions: Vec<ApplicationCondition>,
    source_type: Option<SourceType>,
    summary: Option<ApplicationSummary>,
}

impl AppController {
    /// Refreshes one Application; returns when it wants another look (a self-heal due later).
    pub(super) async fn refresh(
        &self,
        app: &Application,
        raw: &Value,
        need: &RefreshNeed,
    ) -> Result<Option<Duration>, ApiError> {
        let name = app.metadata.name.clone();
        let now = self.rt.clock.timestamp();
        let assessment = self.assess(app, need).await;
        let previous_health = app.status.health.as_ref();
        let compared_to = ComparedTo {
            source: app.spec.source.as_deref().cloned(),
            sources: app.spec.sources.clone(),
            destination: app.spec.destination.clone(),
            ignore_differences: app.spec.ignore_differences.clone(),
            ..Default::default()
        };
        let mut wake = None;
        let fields = match assessment {
            Assessment::Invalid(cond) => Fields {
                sync: SyncInfo {
                    status: Some(SyncStatus::Unknown),
                    compared_to: Some(Box::new(compared_to)),
                    ..Default::default()
                },
                health: unknown_health(previous_health, &now),
                resources: None,
                conditions: set_conditions(
                    &app.status.conditions,
                    vec![cond],
                    &[ConditionType::InvalidSpecError, ConditionType::UnknownError],
                    &now,
                ),
                source_type: app.status.source_type.clone(),
                summary: app.status.summary.clone(),
            },
            Assessment::Failed {
                condition: cond,
                revision,
                live,
            } => {
                let healths = live.iter().map(|m| {
                    let r = ResourceRef::new(&m.group, &m.kind, &m.namespace, &m.name);
                    (r, m.health(), false)
                });
                Fields {
                    sync: SyncInfo {
                        status: Some(SyncStatus::Unknown),
                        compared_to: Some(Box::new(compared_to)),
                        revision,
                        ..Default::default()
                    },
                    health: app_health(&health::aggregate(healths), previous_health, &now),
                    resources: None,
                    conditions: set_conditions(
                        &app.status.conditions,
                        vec![cond],
                        &[
                            ConditionType::InvalidSpecError,
                            ConditionType::UnknownError,
                            ConditionType::ComparisonError,
                        ],
                        &now,
                    ),
                    source_type: app.status.source_type.clone(),
                    summary: app.status.summary.clone(),
                }
            }
            Assessment::Compared {
                revision,
                comparison,
                source_type,
                target,
            } => {
                let mut new_conditions = Vec::new();
                if let Some(orphans) = self.orphan_warning(app, &target) {
                    new_conditions.push(orphans);
                }
                let decision = autosync::decide(
                    app,
                    comparison.sync,
                    &revision,
                    &comparison.resources,
                    self.rt.clock.now(),
                    *self.rt.knobs.self_heal_timeout.read(),
                );
                let mut evaluated = vec![
                    ConditionType::InvalidSpecError,
                    ConditionType::UnknownError,
                    ConditionType::ComparisonError,
                    ConditionType::OrphanedResourceWarning,
                    ConditionType::SyncError,
                ];
                match decision {
                    AutoSync::Skip => {}
                    AutoSync::Refuse(message) => {
                        new_conditions.push(condition(ConditionType::SyncError, message));
                    }
                    AutoSync::Later(after) => {
                        evaluated.retain(|c| *c != ConditionType::SyncError);
                        wake = Some(self.rt.real(after));
                    }
                    AutoSync::Start(operation) => {
                        self.start_automated(&name, &operation, &revision)?;
                    }
                }
                Fields {
                    sync: SyncInfo {
                        status: Some(comparison.sync),
                        compared_to: Some(Box::new(compared_to)),
                        revision,
                        ..Default::default()
                    },
                    health: app_health(&comparison.health, previous_health, &now),
                    resources: Some(json_of(&comparison.resources)),
                    conditions: set_conditions(
                        &app.status.conditions,
                        new_conditions,
                        &evaluated,
                        &now,
                    ),
                    source_type: Some(source_type),
                    summary: summary_of(app, &comparison),
                }
            }
        };
        self.persist(app, raw, &fields, need)?;
        if let Some(seen) = &need.annotation {
            remove_refresh_annotations(&self.rt.mgmt, &name, seen.as_deref())?;
        }
        Ok(wake)
    }

    /// Compares, or says why it cannot.
    async fn assess(&self, app: &Application, need: &RefreshNeed) -> Assessment {
        let project = app.project();
        if self.rt.project(project).is_none() {
            return Assessment::Invalid(condition(
                ConditionType::InvalidSpecError,
                format!("Application referencing project {project} which does not exist"),
            ));
        }
        let target = match self
            .rt
            .destinations
            .resolve(&app.spec.destination, &self.rt.known_clusters())
        {
            Ok(target) => target,
            Err(err @ DestinationError::Unknown(_)) => {
                return Assessment::Invalid(condition(
                    ConditionType::InvalidSpecError,
                    err.to_string(),
                ));
            }
            Err(err @ DestinationError::Unreachable { .. }) => {
                return Assessment::Failed {
                    condition: condition(ConditionType::ComparisonError, err.to_string()),
                    revision: String::new(),
                    live: Vec::new(),
                };
            }
        };
        let Some(source) = app.primary_source() else {
            return Assessment::Invalid(condition(
                ConditionType::InvalidSpecError,
                "spec.source or spec.sources must be specified",
            ));
        };
        let live_only =
            || desired::gather(&[], &app.metadata.name, &target.cluster, &self.rt.index);
        let failed = |message: String, revision: String, live: Vec<Managed>| Assessment::Failed {
            condition: condition(
                ConditionType::ComparisonError,
                format!(
                    "Failed to load target state: failed to generate manifest for source 1 of 1: {message}"
                ),
            ),
            revision,
            live,
        };
        if !self.rt.repo.serves(&source.repo_url) {
            let err = super::super::repo::RepoError::UnknownRepository {
                url: source.repo_url.clone(),
            };
            return failed(err.to_string(), String::new(), live_only());
        }
        let recent = app
            .status
            .sync
            .as_ref()
            .map(|s| s.revision.clone())
            .filter(|r| !r.is_empty() && need.level == Level::Recent);
        let revision = match recent {
            Some(revision) => revision,
            None => match self
                .rt
                .repo
                .resolve(&source.target_revision, need.hard)
                .await
            {
                Ok(sha) => sha,
                Err(err) => return failed(err.to_string(), String::new(), live_only()),
            },
        };
        let tree = match self.rt.repo.tree(&revision).await {
            Ok(tree) => tree,
            Err(err) => return failed(err.to_string(), revision, live_only()),
        };
        let rendered = self
            .rt
            .renders
            .render(tree, source, &self.rt.settings(), need.hard)
            .await;
        let manifests = match rendered.as_ref() {
            Ok(m) => m,
            Err(message) => {
                return failed(
                    format!(
                        "rpc error: code = Unknown desc = Manifest generation error (cached): {message}"
                    ),
                    revision,
                    live_only(),
                );
            }
        };
        let namespace = &app.spec.destination.namespace;
        let desired = desired::prepare(
            &manifests.objects,
            &app.metadata.name,
            namespace,
            &target.cluster,
        );
        let items = desired::gather(
            &desired,
            &app.metadata.name,
            &target.cluster,
            &self.rt.index,
        );
        let comparison = compare::compare(
            &items,
            &app.spec.ignore_differences,
            self.rt.settings().health_persist,
        );
        Assessment::Compared {
            revision,
            comparison,
            source_type: manifests.source_type.clone(),
            target,
        }
    }

    /// `OrphanedResourceWarning` when the project asks for it and the destination namespace
    /// holds objects no Application manages.
    fn orphan_warning(&self, app: &Application, target: &Target) -> Option<ApplicationCondition> {
        let project = self.rt.project(app.project())?;
        let orphaned = project.pointer("/spec/orphanedResources")?;
        if orphaned.get("warn").and_then(Value::as_bool) == Some(false) {
            return None;
        }
        let namespace = &app.spec.destination.namespace;
        if namespace.is_empty() {
            return None;
        }
        let ignored = orphaned
            .get("ignore")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let cluster = &target.cluster;
        let types: Vec<_> = cluster
            .registry
            .read()
            .all()
            .filter(|t| t.namespaced)
            .cloned()
            .collect();
        let mut count = 0;
        let mut seen = std::collections::HashSet::new();
        for rt in types {
            if !seen.insert(rt.key())
                || matches!(rt.plural.as_str(), "events" | "pods" | "replicasets")
            {
                continue;
            }
            let page = cluster
                .store
                .list(&rt.key(), Some(namespace), None, None, &|e| {
                    e.owner_uids.is_empty()
                });
            for entry in page.items {
                let skip_default = (rt.kind == "ServiceAccount" && entry.name == "default")
                    || (rt.kind == "ConfigMap" && entry.name == "kube-root-ca.crt");
                let is_ignored = ignored.iter().any(|i| {
                    let name = kube::text(i, "/name");
                    kube::text(i, "/kind") == rt.kind
                        && kube::text(i, "/group") == rt.group
                        && (name.is_empty() || name == "*" || name == entry.name)
                });
                let live = super::super::tracking::LiveRef {
                    resource: rt.key(),
                    namespace: entry.namespace.clone(),
                    name: entry.name.clone(),
                };
                if !skip_default && !is_ignored && !self.rt.index.is_managed(&cluster.name, &live) {
                    count += 1;
                }
            }
        }
        (count > 0).then(|| {
            condition(
                ConditionType::OrphanedResourceWarning,
                format!("Application has {count} orphaned resources"),
            )
        })
    }

    /// Writes `.operation` for an automated sync (ArgoCD's `SetAppOperation`): refused if an
    /// operation appeared meanwhile.
    fn start_automated(
        &self,
        name: &str,
        operation: &crate::domain::argocd::Operation,
        revision: &str,
    ) -> Result<(), ApiError> {
        let Some(current) = kube::get_app(&self.rt.mgmt, name) else {
            return Ok(());
        };
        if current.get("operation").is_some_and(|o| !o.is_null()) {
            return Ok(());
        }
        let op = serde_json::to_value(operation)
            .map_err(|e| ApiError::internal(format!("operation of {name}: {e}")))?;
        let patch = json!({
            "metadata": {"resourceVersion": kube::text(&current, "/metadata/resourceVersion")},
            "operation": op,
            "status": {"operationState": null},
        });
        match kube::patch(
            &self.rt.mgmt,
            &kube::applications(),
            NAMESPACE,
            name,
            PatchType::Merge,
            &patch,
            APP_CONTROLLER,
        ) {
            Ok(written) => {
                self.rt.events.record(
                    &written,
                    EventType::Normal,
                    REASON_OPERATION_STARTED,
                    &format!("Initiated automated sync to '{revision}'"),
                );
                Ok(())
            }
            // Someone wrote the Application meanwhile: the next reconciliation decides again.
            Err(err) if err.code == 409 => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Writes the refreshed status (only what changed) and the events for sync or health
    /// changes.
    fn persist(
        &self,
        app: &Application,
        raw: &Value,
        fields: &Fields,
        need: &RefreshNeed,
    ) -> Result<(), ApiError> {
        let name = &app.metadata.name;
        let Some(current) = kube::get_app(&self.rt.mgmt, name) else {
            return Ok(());
        };
        let mut status: Map<String, Value> = current
            .get("status")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        set_or_remove(&mut status, "sync", Some(json_of(&fields.sync)));
        set_or_remove(&mut status, "health", Some(json_of(&fields.health)));
        if let Some(resources) = &fields.resources {
            let empty = resources.as_array().is_some_and(Vec::is_empty);
            set_or_remove(
                &mut status,
                "resources",
                (!empty).then(|| resources.clone()),
            );
        }
        let conditions = (!fields.conditions.is_empty()).then(|| json_of(&fields.conditions));
        set_or_remove(&mut status, "conditions", conditions);
        set_or_remove(
            &mut status,
            "sourceType",
            fields.source_type.as_ref().map(json_of),
        );
        set_or_remove(&mut status, "summary", fields.summary.as_ref().map(json_of));
        if need.level >= Level::Latest || app.status.reconciled_at.is_none() {
            status.insert(
                "reconciledAt".into(),
                Value::String(self.rt.clock.timestamp()),
            );
        }
        let persist = self.rt.settings().health_persist;
        set_or_remove(
            &mut status,
            "resourceHealthSource",
            (!persist).then(|| Value::String("appTree".into())),
        );
        status.insert(
            "controllerNamespace".into(),
            Value::String(NAMESPACE.into()),
        );
        let written = write_status(&self.rt.mgmt, name, &Value::Object(status))?;
        if written {
            self.status_events(app, raw, fields);
        }
        Ok(())
    }

    fn status_events(&self, app: &Application, raw: &Value, fields: &Fields) {
        let old_sync = app
            .status
            .sync
            .as_ref()
            .and_then(|s| s.status)
            .map(|s| s.as_str())
            .unwrap_or_default();
        let new_sync = fields.sync.status.map(|s| s.as_str()).unwrap_or_default();
        if old_sync != new_sync {
            self.rt.events.record(
                raw,
                EventType::Normal,
                REASON_RESOURCE_UPDATED,
                &format!("Updated sync status: {old_sync} -> {new_sync}"),
            );
        }
        let old_health = app
            .status
            .health
            .as_ref()
            .and_then(|h| h.status)
            .map(|s| s.as_str())
            .unwrap_or_default();
        let new_health = fields.health.status.map(|s| s.as_str()).unwrap_or_default();
        if old_health != new_health {
            self.rt.events.record(
                raw,
                EventType::Normal,
                REASON_RESOURCE_UPDATED,
                &format!("Updated health status: {old_health} -> {new_health}"),
            );
        }
    }
}

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `status.summary`: the images the app runs and whether it is an app of apps.
fn summary_of(app: &Application, comparison: &compare::Comparison) -> Option<ApplicationSummary> {
    let external_urls = app
        .status
        .summary
        .as_ref()
        .map(|s| s.external_urls.clone())
        .unwrap_or_default();
    let summary = ApplicationSummary {
        images: comparison.images.clone(),
        is_app_of_apps: comparison.is_app_of_apps,
        external_urls,
        ..Default::default()
    };
    let empty =
        summary.images.is_empty() && !summary.is_app_of_apps && summary.external_urls.is_empty();
    (!empty).then_some(summary)
}
