//! The ApplicationSet controller: evaluates each ApplicationSet's generators (cluster
//! Secrets × repository directories) and keeps the Applications it generates in line,
//! creating, updating (respecting `ignoreApplicationDifferences` and preserved annotations)
//! and deleting them, then reports in the ApplicationSet's status.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::domain::appset::{ApplicationSet, Evaluator, GeneratedApplication};
use crate::sim::api::PatchType;
use crate::sim::error::ApiError;

use super::diff::{PathStep, jq_path, merge_diff, pointer_path};
use super::kube::{self, APPSET_CONTROLLER};
use super::queue::WorkQueue;
use super::runtime::Runtime;
use super::settings::NAMESPACE;

/// Annotation asking the ApplicationSet controller for an immediate reconcile.
pub const APPSET_REFRESH_ANNOTATION: &str = "argocd.argoproj.io/application-set-refresh";

/// Annotations the controller keeps on generated Applications although the template lacks
/// them.
const PRESERVED_ANNOTATIONS: [&str; 3] = [
    "argocd.argoproj.io/refresh",
    "argocd.argoproj.io/hydrate",
    "notified.notifications.argoproj.io",
];

/// The simulation's own knobs (`sim.k8tre.io/...`) are not ArgoCD's to revert.
const SIM_ANNOTATION_PREFIX: &str = "sim.k8tre.io/";

pub struct AppSetController {
    rt: Arc<Runtime>,
    queue: WorkQueue<String>,
    /// ApplicationSet uid → name, to find the owner of an Application quickly.
    uids: Mutex<HashMap<String, String>>,
}

/// Why an ApplicationSet generated nothing this time.
#[derive(Debug)]
struct GenerationError {
    reason: &'static str,
    message: String,
}

impl AppSetController {
    pub fn new(rt: Arc<Runtime>) -> Self {
        Self {
            rt,
            queue: WorkQueue::new(),
            uids: Mutex::new(HashMap::new()),
        }
    }

    pub fn request(&self, name: &str) {
        self.queue.add(name.to_string());
    }

    pub fn request_all(&self) {
        for name in kube::names(&self.rt.mgmt, &kube::application_sets(), NAMESPACE) {
            self.request(&name);
        }
    }

    /// Remembers (or, with `None`, forgets) an ApplicationSet's uid.
    pub fn note(&self, uid: &str, name: Option<&str>) {
        let mut uids = self.uids.lock();
        match name {
            Some(name) => {
                uids.insert(uid.to_string(), name.to_string());
            }
            None => {
                uids.remove(uid);
            }
        }
    }

    /// The ApplicationSet among these owner uids, if any.
    pub fn owner(&self, owner_uids: &[String]) -> Option<String> {
        let uids = self.uids.lock();
        owner_uids.iter().find_map(|u| uids.get(u).cloned())
    }

    pub fn busy(&self) -> usize {
        self.queue.busy()
    }

    pub fn close(&self) {
        self.queue.close();
    }

    pub async fn worker(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let this = &*self;
        this.rt
            .work(&this.queue, stop, |name| async move {
                match this.reconcile(&name).await {
                    Ok(wake) => wake,
                    Err(err) => {
                        tracing::warn!(appset = %name, %err, "simulated ApplicationSet controller failed");
                        Some(this.rt.real(Duration::from_secs(5)))
                    }
                }
            })
            .await;
    }

    async fn reconcile(&self, name: &str) -> Result<Option<Duration>, ApiError> {
        let Some(raw) = kube::get(&self.rt.mgmt, &kube::application_sets(), NAMESPACE, name) else {
            return Ok(None);
        };
        let uid = kube::text(&raw, "/metadata/uid").to_string();
        self.note(&uid, Some(name));
        if raw.pointer("/metadata/deletionTimestamp").is_some() {
            return Ok(None);
        }
        let generated = self.generate(&raw).await;
        let (conditions, resources) = match generated {
            Ok(apps) => {
                let written = self.sync_applications(&raw, &uid, &apps)?;
                (
                    up_to_date_conditions(),
                    resources_status(&self.rt, &written),
                )
            }
            Err(err) => (error_conditions(&err), None),
        };
        self.write_status(&raw, conditions, resources)?;
        if raw
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(APPSET_REFRESH_ANNOTATION))
            .is_some()
        {
            let key = APPSET_REFRESH_ANNOTATION.replace('/', "~1");
            let ops = json!([{"op": "remove", "path": format!("/metadata/annotations/{key}")}]);
            kube::patch(
                &self.rt.mgmt,
                &kube::application_sets(),
                NAMESPACE,
                name,
                PatchType::Json,
                &ops,
                APPSET_CONTROLLER,
            )?;
        }
        Ok(Some(self.rt.periodic_delay(false)))
    }

    /// Evaluates the generators against the cluster Secrets and the repository.
    async fn generate(&self, raw: &Value) -> Result<Vec<GeneratedApplication>, GenerationError> {
        let appset: ApplicationSet =
            serde_json::from_value(raw.clone()).map_err(|e| GenerationError {
                reason: "ApplicationSetGenerationError",
                message: format!("error reading ApplicationSet: {e}"),
            })?;
        let clusters: Vec<_> = self.rt.known_clusters().iter().map(|c| c.info()).collect();
        let mut directories: Vec<String> = Vec::new();
        if let Some(git) = appset.git_generators().first() {
            let repo_error = |message: String| GenerationError {
                reason: "ApplicationGenerationFromParamsError",
                message,
            };
            if !self.rt.repo.serves(&git.repo_url) {
                let err = super::repo::RepoError::UnknownRepository {
                    url: git.repo_url.clone(),
                };
                return Err(repo_error(err.to_string()));
            }
            let commit = self
                .rt
                .repo
                .resolve(&git.revision, false)
                .await
                .map_err(|e| repo_error(e.to_string()))?;
            let tree = self
                .rt
                .repo
                .tree(&commit)
                .await
                .map_err(|e| repo_error(e.to_string()))?;
            directories = crate::gitops::tree::RepoTree::directories(tree.as_ref());
        }
        let evaluation = Evaluator::new(&clusters, &directories)
            .evaluate(&appset)
            .map_err(|e| GenerationError {
                reason: "ApplicationGenerationFromParamsError",
                message: e.to_string(),
            })?;
        for invalid in &evaluation.invalid {
            tracing::warn!(appset = %appset.name(), %invalid, "generated Application dropped");
        }
        Ok(evaluation.applications)
    }

    /// Creates, updates and deletes the generated Applications; returns the names in place.
    fn sync_applications(
        &self,
        raw: &Value,
        uid: &str,
        apps: &[GeneratedApplication],
    ) -> Result<Vec<String>, ApiError> {
        let appset_name = kube::text(raw, "/metadata/name");
        let policy = raw
            .pointer("/spec/syncPolicy/applicationsSync")
            .and_then(Value::as_str)
            .unwrap_or("sync");
        let may_update = !matches!(policy, "create-only" | "create-delete");
        let may_delete = !matches!(policy, "create-only" | "create-update");
        let owner = json!([{
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "name": appset_name,
            "uid": uid,
            "controller": true,
            "blockOwnerDeletion": true,
        }]);
        let mut wanted = BTreeSet::new();
        for generated in apps {
            wanted.insert(generated.name.clone());
            let mut manifest = generated.to_manifest();
            manifest["metadata"]["ownerReferences"] = owner.clone();
            match kube::get_app(&self.rt.mgmt, &generated.name) {
                None => {
                    match kube::create(
                        &self.rt.mgmt,
                        &kube::applications(),
                        NAMESPACE,
                        manifest,
                        APPSET_CONTROLLER,
                    ) {
                        Ok(_) => {}
                        Err(err) if err.code == 409 => {}
                        Err(err) => return Err(err),
                    }
                }
                Some(existing) => {
                    if !may_update || existing.pointer("/metadata/deletionTimestamp").is_some() {
                        continue;
                    }
                    let updated = updated_application(&existing, &manifest, raw);
                    let view = |v: &Value| json!({"metadata": managed_metadata(v), "spec": v.get("spec").cloned().unwrap_or(Value::Null)});
                    if let Some(patch) = merge_diff(&view(&existing), &view(&updated)) {
                        kube::patch(
                            &self.rt.mgmt,
                            &kube::applications(),
                            NAMESPACE,
                            &generated.name,
                            PatchType::Merge,
                            &patch,
                            APPSET_CONTROLLER,
                        )?;
                    }
                }
            }
        }
        let owned: Vec<String> = self
            .rt
            .mgmt
            .store
            .list(&kube::applications(), Some(NAMESPACE), None, None, &|e| {
                e.owner_uids.iter().any(|u| u == uid)
            })
            .items
            .iter()
            .map(|e| e.name.clone())
            .collect();
        let mut present = Vec::new();
        for name in owned {
            if wanted.contains(&name) {
                present.push(name);
            } else if may_delete {
                match kube::delete(
                    &self.rt.mgmt,
                    &kube::applications(),
                    NAMESPACE,
                    &name,
                    APPSET_CONTROLLER,
                ) {
                    Ok(_) => {}
                    Err(err) if err.code == 404 => {}
                    Err(err) => return Err(err),
                }
            } else {
                present.push(name);
            }
        }
        for name in wanted {
            if !present.contains(&name) && kube::get_app(&self.rt.mgmt, &name).is_some() {
                present.push(name);
            }
        }
        present.sort();
        Ok(present)
    }

    fn write_status(
        &self,
        raw: &Value,
        conditions: Vec<Value>,
        resources: Option<Vec<Value>>,
    ) -> Result<(), ApiError> {
        let name = kube::text(raw, "/metadata/name");
        let old = raw.get("status").cloned().unwrap_or_else(|| json!({}));
        let mut new = old.as_object().cloned().unwrap_or_default();
        let now = self.rt.clock.timestamp();
        let previous: Vec<Value> = old
            .get("conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let conditions: Vec<Value> = conditions
            .into_iter()
            .map(|mut c| {
                let same = previous.iter().find(|p| {
                    p.get("type") == c.get("type")
                        && p.get("status") == c.get("status")
                        && p.get("message") == c.get("message")
                });
                c["lastTransitionTime"] = same
                    .and_then(|p| p.get("lastTransitionTime").cloned())
                    .unwrap_or_else(|| Value::String(now.clone()));
                c
            })
            .collect();
        new.insert("conditions".into(), Value::Array(conditions));
        if let Some(resources) = resources {
            new.insert("resourcesCount".into(), json!(resources.len()));
            if resources.is_empty() {
                new.remove("resources");
            } else {
                new.insert("resources".into(), Value::Array(resources));
            }
        }
        if let Some(diff) = merge_diff(&old, &Value::Object(new)) {
            kube::patch(
                &self.rt.mgmt,
                &kube::application_sets(),
                NAMESPACE,
                name,
                PatchType::Merge,
                &json!({"status": diff}),
                APPSET_CONTROLLER,
            )?;
        }
        Ok(())
    }
}

/// The metadata fields the controller owns on a generated Application.
fn managed_metadata(app: &Value) -> Value {
    let mut out = Map::new();
    for key in ["labels", "annotations", "finalizers", "ownerReferences"] {
        out.insert(
            key.into(),
            app.pointer(&format!("/metadata/{key}"))
                .cloned()
                .unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The existing Application as the controller would leave it: spec, labels, annotations,
/// finalizers and owner from the template, except the annotations and labels ArgoCD keeps
/// and the fields `ignoreApplicationDifferences` lets users change.
pub fn updated_application(existing: &Value, generated: &Value, appset: &Value) -> Value {
    let mut out = existing.clone();
    out["spec"] = generated.get("spec").cloned().unwrap_or(Value::Null);
    let mut labels = generated
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut annotations = generated
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let preserved_labels = string_list(appset.pointer("/spec/preservedFields/labels"));
    let mut preserved_annotations: Vec<String> = PRESERVED_ANNOTATIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    preserved_annotations.extend(string_list(
        appset.pointer("/spec/preservedFields/annotations"),
    ));
    if let Some(existing_annotations) = existing
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        preserved_annotations.extend(
            existing_annotations
                .keys()
                .filter(|k| k.starts_with(SIM_ANNOTATION_PREFIX))
                .cloned(),
        );
    }
    for (field, keep, target) in [
        ("labels", &preserved_labels, &mut labels),
        ("annotations", &preserved_annotations, &mut annotations),
    ] {
        if let Some(existing_map) = existing
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
        {
            for key in keep {
                if let Some(v) = existing_map.get(key) {
                    target[key.as_str()] = v.clone();
                }
            }
        }
    }
    let meta = out["metadata"].as_object_mut();
    if let Some(meta) = meta {
        for (key, value) in [("labels", labels), ("annotations", annotations)] {
            if value.as_object().is_some_and(|m| !m.is_empty()) {
                meta.insert(key.into(), value);
            } else {
                meta.remove(key);
            }
        }
        let mut finalizers = string_list(generated.pointer("/metadata/finalizers"));
        finalizers.extend(
            string_list(existing.pointer("/metadata/finalizers"))
                .into_iter()
                .filter(|f| f.starts_with("post-delete-finalizer.argocd.argoproj.io")),
        );
        if finalizers.is_empty() {
            meta.remove("finalizers");
        } else {
            meta.insert("finalizers".into(), json!(finalizers));
        }
        meta.insert(
            "ownerReferences".into(),
            generated
                .pointer("/metadata/ownerReferences")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
    }
    let name = kube::text(existing, "/metadata/name");
    let rules = appset
        .pointer("/spec/ignoreApplicationDifferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for rule in rules.iter().filter(|r| {
        r.get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| n == name)
    }) {
        let pointers = string_list(rule.get("jsonPointers"))
            .into_iter()
            .map(|p| pointer_path(&p));
        let jq = string_list(rule.get("jqPathExpressions"))
            .into_iter()
            .filter_map(|e| jq_path(&e));
        for path in pointers.chain(jq) {
            keep_existing(&mut out, existing, &path);
        }
    }
    out
}

/// Copies the value at `path` from `existing` into `out` (or removes it when absent there).
fn keep_existing(out: &mut Value, existing: &Value, path: &[PathStep]) {
    if path.iter().any(|s| matches!(s, PathStep::AnyIndex)) || path.is_empty() {
        return;
    }
    let pointer: String = path
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            PathStep::Index(i) => format!("/{i}"),
            PathStep::AnyIndex => String::new(),
        })
        .collect();
    match existing.pointer(&pointer) {
        Some(value) => {
            let (parent, last) = path.split_at(path.len() - 1);
            let mut slot = &mut *out;
            for step in parent {
                slot = match (step, slot) {
                    (PathStep::Key(k), Value::Object(map)) => {
                        map.entry(k.clone()).or_insert_with(|| json!({}))
                    }
                    (PathStep::Index(i), Value::Array(items)) if *i < items.len() => &mut items[*i],
                    _ => return,
                };
            }
            match (&last[0], slot) {
                (PathStep::Key(k), Value::Object(map)) => {
                    map.insert(k.clone(), value.clone());
                }
                (PathStep::Index(i), Value::Array(items)) if *i < items.len() => {
                    items[*i] = value.clone()
                }
                _ => {}
            }
        }
        None => super::diff::remove_path(out, path),
    }
}

fn condition(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message})
}

fn up_to_date_conditions() -> Vec<Value> {
    let ok = "All applications have been generated successfully";
    vec![
        condition("ErrorOccurred", "False", "ApplicationSetUpToDate", ok),
        condition(
            "ParametersGenerated",
            "True",
            "ParametersGenerated",
            "Successfully generated parameters for all Applications",
        ),
        condition("ResourcesUpToDate", "True", "ApplicationSetUpToDate", ok),
    ]
}

fn error_conditions(err: &GenerationError) -> Vec<Value> {
    vec![
        condition("ErrorOccurred", "True", err.reason, &err.message),
        condition(
            "ParametersGenerated",
            "False",
            "ErrorOccurred",
            &err.message,
        ),
        condition("ResourcesUpToDate", "False", "ErrorOccurred", &err.message),
    ]
}

/// `status.resources[]`: one entry per Application with its sync and health.
fn resources_status(rt: &Runtime, names: &[String]) -> Option<Vec<Value>> {
    let entries = names
        .iter()
        .filter_map(|name| kube::get_app(&rt.mgmt, name))
        .map(|app| {
            let mut entry = json!({
                "group": "argoproj.io",
                "version": "v1alpha1",
                "kind": "Application",
                "namespace": NAMESPACE,
                "name": kube::text(&app, "/metadata/name"),
            });
            let sync = kube::text(&app, "/status/sync/status");
            if !sync.is_empty() {
                entry["status"] = json!(sync);
            }
            if let Some(health) = app.pointer("/status/health") {
                let mut h = json!({"status": health.get("status").cloned().unwrap_or(Value::Null)});
                if let Some(t) = health.get("lastTransitionTime") {
                    h["lastTransitionTime"] = t.clone();
                }
                entry["health"] = h;
            }
            entry
        })
        .collect();
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appset(ignore: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"ignoreApplicationDifferences": ignore,
            "preservedFields": {"annotations": ["team/owner"]}}})
    }

    fn existing() -> Value {
        json!({
            "metadata": {"name": "web-dev", "resourceVersion": "7",
                "labels": {"old": "x"},
                "annotations": {"argocd.argoproj.io/refresh": "hard", "team/owner": "alice", "stale": "y", "sim.k8tre.io/fail-sync": "no"},
                "finalizers": ["resources-finalizer.argocd.argoproj.io", "post-delete-finalizer.argocd.argoproj.io"]},
            "spec": {"project": "default", "source": {"targetRevision": "pinned"},
                     "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
            "status": {"sync": {"status": "Synced"}},
            "operation": {"sync": {}}
        })
    }

    fn generated() -> Value {
        json!({
            "metadata": {"name": "web-dev", "labels": {"k8tre.io/app": "web"},
                "annotations": {"argocd.argoproj.io/sync-wave": "0"},
                "finalizers": ["resources-finalizer.argocd.argoproj.io"],
                "ownerReferences": [{"kind": "ApplicationSet", "name": "web", "uid": "u"}]},
            "spec": {"project": "default", "source": {"targetRevision": "main"},
                     "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}}
        })
    }

    #[test]
    fn updates_take_the_template_but_keep_preserved_annotations_status_and_operation() {
        let out = updated_application(&existing(), &generated(), &appset(json!([])));
        assert_eq!(out["spec"], generated()["spec"]);
        assert_eq!(out["metadata"]["labels"], json!({"k8tre.io/app": "web"}));
        assert_eq!(
            out["metadata"]["annotations"],
            json!({"argocd.argoproj.io/sync-wave": "0", "argocd.argoproj.io/refresh": "hard", "team/owner": "alice", "sim.k8tre.io/fail-sync": "no"})
        );
        assert_eq!(
            out["metadata"]["finalizers"],
            json!([
                "resources-finalizer.argocd.argoproj.io",
                "post-delete-finalizer.argocd.argoproj.io"
            ])
        );
        assert_eq!(out["metadata"]["ownerReferences"][0]["uid"], "u");
        assert_eq!(out["status"], existing()["status"]);
        assert_eq!(out["operation"], existing()["operation"]);
    }

    #[test]
    fn ignored_differences_keep_manual_edits() {
        let rules = json!([{"jsonPointers": ["/spec/syncPolicy"]}]);
        let out = updated_application(&existing(), &generated(), &appset(rules));
        // Auto-sync was switched off by hand: it stays off.
        assert_eq!(
            out["spec"]["syncPolicy"],
            json!({"syncOptions": ["CreateNamespace=true"]})
        );
        assert_eq!(out["spec"]["source"]["targetRevision"], "main");

        let rules = json!([{"name": "other-app", "jsonPointers": ["/spec/syncPolicy"]}]);
        let out = updated_application(&existing(), &generated(), &appset(rules));
        assert_eq!(out["spec"]["syncPolicy"]["automated"]["prune"], true);

        let rules = json!([{"jqPathExpressions": [".spec.source.targetRevision"]}]);
        let out = updated_application(&existing(), &generated(), &appset(rules));
        assert_eq!(out["spec"]["source"]["targetRevision"], "pinned");

        let mut without_policy = existing();
        if let Some(spec) = without_policy["spec"].as_object_mut() {
            spec.remove("syncPolicy");
        }
        let rules = json!([{"jsonPointers": ["/spec/syncPolicy"]}]);
        let out = updated_application(&without_policy, &generated(), &appset(rules));
        assert!(out["spec"].get("syncPolicy").is_none());
    }
}
