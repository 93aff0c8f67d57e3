//! The deployment controller: one ReplicaSet per pod template (`<name>-<pod-template-hash>`),
//! rolling updates within maxSurge/maxUnavailable (or Recreate), revision history, and the
//! status with its Available and Progressing conditions, including ProgressDeadlineExceeded.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::cache::{POD_TEMPLATE_HASH, int, text};
use super::controller::{Controller, OwnerKind, RsInfo, Timer};
use super::events::Involved;
use super::naming::template_hash;
use super::pod::{Key, Stamp, now_stamp, parse_stamp, render_stamp};
use super::rollout::{RsCounts, fenceposts, new_rs_target, old_rs_targets};
use super::writer::CONTROLLER_MANAGER;
use crate::sim::api::Part;

const DEPLOYMENT_CONTROLLER: &str = "deployment-controller";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// What the controller reads from a Deployment's spec.
#[derive(Debug, Clone)]
pub struct DeploySpec {
    pub replicas: i64,
    pub paused: bool,
    pub recreate: bool,
    pub max_surge: i64,
    pub max_unavailable: i64,
    pub history_limit: i64,
    pub deadline_secs: Option<i64>,
    pub generation: i64,
    pub collision_count: u32,
    pub hash: String,
}

impl DeploySpec {
    pub fn of(d: &Value) -> DeploySpec {
        let replicas = d
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let strategy = d.pointer("/spec/strategy");
        let (max_surge, max_unavailable) = fenceposts(strategy, replicas);
        let collision_count = int(d, "/status/collisionCount").max(0) as u32;
        let template = d
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        DeploySpec {
            replicas,
            paused: d
                .pointer("/spec/paused")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            recreate: text(d, "/spec/strategy/type") == "Recreate",
            max_surge,
            max_unavailable: if replicas == 0 { 0 } else { max_unavailable },
            history_limit: d
                .pointer("/spec/revisionHistoryLimit")
                .and_then(Value::as_i64)
                .unwrap_or(10),
            deadline_secs: d
                .pointer("/spec/progressDeadlineSeconds")
                .and_then(Value::as_i64)
                .filter(|s| *s < i64::from(i32::MAX)),
            generation: int(d, "/metadata/generation"),
            collision_count,
            hash: template_hash(&template, collision_count),
        }
    }
}

/// Sums over a Deployment's ReplicaSets, as `calculateStatus` takes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub replicas: i64,
    pub updated: i64,
    pub ready: i64,
    pub available: i64,
    pub total_spec: i64,
}

/// Everything the status depends on.
pub struct StatusInputs<'a> {
    pub spec: &'a DeploySpec,
    pub new_rs: Option<&'a str>,
    pub counts: Counts,
    pub old_status: &'a Value,
    /// A Progressing condition the sync itself set (NewReplicaSetCreated / FoundNewReplicaSet).
    pub note: Option<(&'static str, String)>,
    pub now: Stamp,
    pub speed: f64,
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, now: Stamp) -> Value {
    let at = render_stamp(now);
    json!({"type": type_, "status": status, "lastUpdateTime": at, "lastTransitionTime": at,
           "reason": reason, "message": message})
}

fn get<'a>(conditions: &'a [Value], type_: &str) -> Option<&'a Value> {
    conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

fn field<'a>(c: &'a Value, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `SetDeploymentCondition`: same status and reason changes nothing; same status keeps the
/// transition time; the condition moves to the end.
fn set(conditions: &mut Vec<Value>, mut new: Value) {
    let type_ = field(&new, "type").to_string();
    if let Some(current) = get(conditions, &type_) {
        if field(current, "status") == field(&new, "status")
            && field(current, "reason") == field(&new, "reason")
        {
            return;
        }
        if field(current, "status") == field(&new, "status") {
            new["lastTransitionTime"] = current["lastTransitionTime"].clone();
        }
    }
    conditions.retain(|c| field(c, "type") != type_);
    conditions.push(new);
}

fn old_counts(status: &Value) -> Counts {
    Counts {
        replicas: int(status, "/replicas"),
        updated: int(status, "/updatedReplicas"),
        ready: int(status, "/readyReplicas"),
        available: int(status, "/availableReplicas"),
        total_spec: 0,
    }
}

/// The Deployment's new `status`, and when (real time from now) the progress deadline
/// should be checked again.
pub fn deployment_status(i: &StatusInputs<'_>) -> (Value, Option<Duration>) {
    let spec = i.spec;
    let mut conditions: Vec<Value> = i
        .old_status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rs_name = i.new_rs.unwrap_or_default();
    let c = i.counts;
    if let Some((reason, message)) = &i.note {
        set(
            &mut conditions,
            condition("Progressing", "True", reason, message, i.now),
        );
    }
    if c.available >= spec.replicas - spec.max_unavailable {
        set(
            &mut conditions,
            condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                i.now,
            ),
        );
    } else {
        set(
            &mut conditions,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                i.now,
            ),
        );
    }
    let mut recheck = None;
    if spec.deadline_secs.is_some() {
        let current = get(&conditions, "Progressing").cloned();
        let current_reason = current
            .as_ref()
            .map(|c| field(c, "reason"))
            .unwrap_or_default();
        if spec.paused {
            if current_reason != "ProgressDeadlineExceeded" && current_reason != "DeploymentPaused"
            {
                set(
                    &mut conditions,
                    condition(
                        "Progressing",
                        "Unknown",
                        "DeploymentPaused",
                        "Deployment is paused",
                        i.now,
                    ),
                );
            }
        } else if current_reason == "DeploymentPaused" {
            set(
                &mut conditions,
                condition(
                    "Progressing",
                    "Unknown",
                    "DeploymentResumed",
                    "Deployment is resumed",
                    i.now,
                ),
            );
        }
        let current = get(&conditions, "Progressing").cloned();
        let current_reason = current
            .as_ref()
            .map(|c| field(c, "reason"))
            .unwrap_or_default();
        let is_complete = c.replicas == c.updated && current_reason == "NewReplicaSetAvailable";
        if !spec.paused && !is_complete {
            recheck = rollout_condition(i, &mut conditions, current.as_ref(), rs_name);
        }
    }
    let mut status = Map::new();
    let mut put = |k: &str, v: i64| {
        if v != 0 {
            status.insert(k.into(), json!(v));
        }
    };
    put("observedGeneration", spec.generation);
    put("replicas", c.replicas);
    put("updatedReplicas", c.updated);
    put("readyReplicas", c.ready);
    put("availableReplicas", c.available);
    put("unavailableReplicas", (c.total_spec - c.available).max(0));
    if !conditions.is_empty() {
        status.insert("conditions".into(), Value::Array(conditions));
    }
    if spec.collision_count > 0 {
        status.insert("collisionCount".into(), json!(spec.collision_count));
    }
    (Value::Object(status), recheck)
}

/// `syncRolloutStatus`: complete, progressing, or timed out.
fn rollout_condition(
    i: &StatusInputs<'_>,
    conditions: &mut Vec<Value>,
    current: Option<&Value>,
    rs_name: &str,
) -> Option<Duration> {
    let spec = i.spec;
    let c = i.counts;
    let old = old_counts(i.old_status);
    let complete =
        c.updated == spec.replicas && c.replicas == spec.replicas && c.available == spec.replicas;
    let progressing = c.updated > old.updated
        || (c.replicas - c.updated) < (old.replicas - old.updated)
        || c.ready > old.ready
        || c.available > old.available;
    if complete {
        let message = format!("ReplicaSet \"{rs_name}\" has successfully progressed.");
        set(
            conditions,
            condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                &message,
                i.now,
            ),
        );
        return None;
    }
    if progressing {
        let message = format!("ReplicaSet \"{rs_name}\" is progressing.");
        let mut new = condition("Progressing", "True", "ReplicaSetUpdated", &message, i.now);
        if let Some(current) = current.filter(|c| field(c, "status") == "True") {
            new["lastTransitionTime"] = current["lastTransitionTime"].clone();
        }
        conditions.retain(|c| field(c, "type") != "Progressing");
        conditions.push(new);
    }
    let deadline = spec.deadline_secs?;
    let current = get(conditions, "Progressing")?;
    match field(current, "reason") {
        "NewReplicaSetAvailable" | "ProgressDeadlineExceeded" => return None,
        _ => {}
    }
    let last = parse_stamp(field(current, "lastUpdateTime")).unwrap_or(i.now);
    let allowed = deadline as f64 / i.speed.max(0.01);
    let elapsed = (i.now - last) as f64;
    if elapsed > allowed {
        let message = format!("ReplicaSet \"{rs_name}\" has timed out progressing.");
        set(
            conditions,
            condition(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                &message,
                i.now,
            ),
        );
        None
    } else {
        Some(Duration::from_secs_f64(allowed - elapsed + 1.0))
    }
}

/// The ReplicaSet a Deployment creates for its current template.
fn new_replicaset(d: &Value, spec: &DeploySpec, uid: &str, revision: i64, replicas: i64) -> Value {
    let name = format!("{}-{}", text(d, "/metadata/name"), spec.hash);
    let mut template = d
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !template.get("metadata").is_some_and(Value::is_object) {
        template["metadata"] = json!({});
    }
    if !template["metadata"]
        .get("labels")
        .is_some_and(Value::is_object)
    {
        template["metadata"]["labels"] = json!({});
    }
    template["metadata"]["labels"][POD_TEMPLATE_HASH] = json!(spec.hash);
    let mut selector = d
        .pointer("/spec/selector")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !selector.get("matchLabels").is_some_and(Value::is_object) {
        selector["matchLabels"] = json!({});
    }
    selector["matchLabels"][POD_TEMPLATE_HASH] = json!(spec.hash);
    let mut rs_spec =
        json!({"replicas": replicas, "selector": selector, "template": template.clone()});
    let min_ready = int(d, "/spec/minReadySeconds");
    if min_ready > 0 {
        rs_spec["minReadySeconds"] = json!(min_ready);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": text(d, "/metadata/namespace"),
            "labels": template["metadata"]["labels"].clone(),
            "annotations": {
                DESIRED_REPLICAS: spec.replicas.to_string(),
                MAX_REPLICAS: (spec.replicas + spec.max_surge).to_string(),
                REVISION: revision.to_string(),
            },
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": text(d, "/metadata/name"),
                "uid": uid, "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": rs_spec,
    })
}

impl Controller {
    /// The Deployment's ReplicaSets, oldest first.
    fn owned_replicasets(&self, uid: &Arc<str>) -> Vec<(Key, RsInfo)> {
        let mut rss: Vec<(Key, RsInfo)> = self
            .rs_by_owner
            .get(uid)
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| self.replicasets.get(k).map(|r| (k.clone(), r.clone())))
                    .filter(|(_, r)| r.owner.as_ref() == Some(uid) && !r.deleting)
                    .collect()
            })
            .unwrap_or_default();
        rss.sort_by(|a, b| (&a.1.created, &a.0.1).cmp(&(&b.1.created, &b.0.1)));
        rss
    }

    fn deployment_event(&mut self, key: &Key, uid: &Arc<str>, message: &str) {
        let involved = Involved::object("apps/v1", "Deployment", key, uid);
        self.controller_event(
            &involved,
            DEPLOYMENT_CONTROLLER,
            "ScalingReplicaSet",
            message,
        );
    }

    /// Sets a ReplicaSet's size (and the annotations recording the Deployment's).
    fn scale_replicaset(
        &mut self,
        d: (&Key, &Arc<str>),
        rs: &Key,
        from: i64,
        to: i64,
        spec: &DeploySpec,
    ) {
        let replicasets = self.w.types.replicasets.clone();
        let patch = json!({
            "metadata": {"annotations": {
                DESIRED_REPLICAS: spec.replicas.to_string(),
                MAX_REPLICAS: (spec.replicas + spec.max_surge).to_string(),
            }},
            "spec": {"replicas": to},
        });
        if let Ok(written) =
            self.merge_write(&replicasets, rs, &patch, Part::Main, CONTROLLER_MANAGER)
        {
            self.store_replicaset(rs.clone(), &written);
            let direction = if to > from { "up" } else { "down" };
            let message = format!(
                "Scaled {direction} replica set {} from {from} to {to}",
                rs.1
            );
            self.deployment_event(d.0, d.1, &message);
        }
    }

    fn set_revision(&mut self, rs: &Key, revision: i64) {
        let replicasets = self.w.types.replicasets.clone();
        let patch = json!({"metadata": {"annotations": {REVISION: revision.to_string()}}});
        if let Ok(written) =
            self.merge_write(&replicasets, rs, &patch, Part::Main, CONTROLLER_MANAGER)
        {
            self.store_replicaset(rs.clone(), &written);
        }
    }

    pub fn reconcile_deployment(&mut self, key: &Key) {
        let Some(meta) = self.deployments.get(key).cloned() else {
            return;
        };
        if meta.deleting {
            return;
        }
        let deployments = self.w.types.deployments.clone();
        let Some(d) = self.w.get(&deployments, &key.0, &key.1) else {
            return;
        };
        let uid = meta.uid.clone();
        let spec = DeploySpec::of(&d);
        let mut note = None;
        let mut collided = false;
        let new_key = self.sync_new_replicaset(key, &uid, &d, &spec, &mut note, &mut collided);
        if !spec.paused
            && let Some(new_key) = &new_key
        {
            if spec.recreate {
                self.recreate_step(key, &uid, new_key, &spec);
            } else {
                self.rolling_step(key, &uid, new_key, &spec);
            }
            self.cleanup_history(&uid, new_key, &spec);
        }
        self.write_deployment_status(key, &uid, &d, &spec, new_key.as_ref(), note, collided);
    }

    /// Finds (or creates) the ReplicaSet of the current template and keeps revisions straight.
    fn sync_new_replicaset(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        d: &Value,
        spec: &DeploySpec,
        note: &mut Option<(&'static str, String)>,
        collided: &mut bool,
    ) -> Option<Key> {
        let rss = self.owned_replicasets(uid);
        let new = rss
            .iter()
            .find(|(_, r)| r.hash.as_deref() == Some(spec.hash.as_str()))
            .cloned();
        let max_old = rss
            .iter()
            .filter(|(_, r)| r.hash.as_deref() != Some(spec.hash.as_str()))
            .map(|(_, r)| r.revision)
            .max()
            .unwrap_or(0);
        let new_key = match new {
            Some((rs_key, info)) => {
                if info.revision <= max_old {
                    self.set_revision(&rs_key, max_old + 1);
                }
                let has_progressing = d
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| get(cs, "Progressing").is_some());
                if !has_progressing {
                    *note = Some((
                        "FoundNewReplicaSet",
                        format!("Found new replica set \"{}\"", rs_key.1),
                    ));
                }
                rs_key
            }
            None if spec.paused => return None,
            None => {
                let olds_spec: i64 = rss.iter().map(|(_, r)| r.spec_replicas).sum();
                let olds_left: i64 = rss
                    .iter()
                    .map(|(_, r)| r.spec_replicas.max(r.status.replicas))
                    .sum();
                let replicas = if spec.recreate {
                    if olds_left > 0 {
                        // Recreate: the old pods go first.
                        self.recreate_scale_down(key, uid, &rss, spec);
                        return None;
                    }
                    spec.replicas
                } else {
                    new_rs_target(spec.replicas, spec.max_surge, 0, olds_spec)
                };
                let rs = new_replicaset(d, spec, uid, max_old + 1, replicas);
                let replicasets = self.w.types.replicasets.clone();
                let rs_name = format!("{}-{}", key.1, spec.hash);
                match self.create_write(&replicasets, &key.0, rs, CONTROLLER_MANAGER) {
                    Ok(written) => {
                        let rs_key: Key = (key.0.clone(), Arc::from(rs_name.as_str()));
                        self.store_replicaset(rs_key.clone(), &written);
                        *note = Some((
                            "NewReplicaSetCreated",
                            format!("Created new replica set \"{rs_name}\""),
                        ));
                        if replicas > 0 {
                            let message =
                                format!("Scaled up replica set {rs_name} from 0 to {replicas}");
                            self.deployment_event(key, uid, &message);
                        }
                        rs_key
                    }
                    Err(e) if e.code == 409 => {
                        let existing = self.w.get(&replicasets, &key.0, &rs_name);
                        let ours = existing
                            .as_ref()
                            .and_then(super::cache::controller_uid)
                            .is_some_and(|o| *o == **uid);
                        match existing {
                            Some(rs) if ours => {
                                let rs_key: Key = (key.0.clone(), Arc::from(rs_name.as_str()));
                                self.store_replicaset(rs_key.clone(), &rs);
                                rs_key
                            }
                            _ => {
                                *collided = true;
                                return None;
                            }
                        }
                    }
                    Err(_) => return None,
                }
            }
        };
        let revision = self
            .replicasets
            .get(&new_key)
            .map(|r| r.revision)
            .unwrap_or(0);
        let recorded = d
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(REVISION))
            .and_then(Value::as_str)
            .and_then(|r| r.parse::<i64>().ok());
        if revision > 0 && recorded != Some(revision) {
            let deployments = self.w.types.deployments.clone();
            let patch = json!({"metadata": {"annotations": {REVISION: revision.to_string()}}});
            if let Ok(written) =
                self.merge_write(&deployments, key, &patch, Part::Main, CONTROLLER_MANAGER)
            {
                self.saw_workload_write(OwnerKind::Deployment, key, &written);
            }
        }
        Some(new_key)
    }

    fn recreate_scale_down(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        olds: &[(Key, RsInfo)],
        spec: &DeploySpec,
    ) {
        for (rs_key, info) in olds {
            if info.spec_replicas > 0 {
                self.scale_replicaset((key, uid), rs_key, info.spec_replicas, 0, spec);
            }
        }
    }

    fn recreate_step(&mut self, key: &Key, uid: &Arc<str>, new_key: &Key, spec: &DeploySpec) {
        let rss = self.owned_replicasets(uid);
        let olds: Vec<(Key, RsInfo)> = rss.iter().filter(|(k, _)| k != new_key).cloned().collect();
        if olds.iter().any(|(_, r)| r.spec_replicas > 0) {
            self.recreate_scale_down(key, uid, &olds, spec);
            return;
        }
        let old_pods = olds
            .iter()
            .map(|(_, r)| self.owned_pods(&r.uid).len())
            .sum::<usize>();
        if old_pods > 0 {
            return;
        }
        if let Some((_, new)) = rss.iter().find(|(k, _)| k == new_key)
            && new.spec_replicas != spec.replicas
        {
            self.scale_replicaset((key, uid), new_key, new.spec_replicas, spec.replicas, spec);
        }
    }

    fn rolling_step(&mut self, key: &Key, uid: &Arc<str>, new_key: &Key, spec: &DeploySpec) {
        let rss = self.owned_replicasets(uid);
        let Some((_, new)) = rss.iter().find(|(k, _)| k == new_key).cloned() else {
            return;
        };
        let olds: Vec<(Key, RsInfo)> = rss.iter().filter(|(k, _)| k != new_key).cloned().collect();
        let all_spec: i64 = rss.iter().map(|(_, r)| r.spec_replicas).sum();
        let target = new_rs_target(spec.replicas, spec.max_surge, new.spec_replicas, all_spec);
        if target != new.spec_replicas {
            self.scale_replicaset((key, uid), new_key, new.spec_replicas, target, spec);
        }
        let new_counts = RsCounts {
            spec: target,
            available: new.status.available,
        };
        let old_counts: Vec<RsCounts> = olds
            .iter()
            .map(|(_, r)| RsCounts {
                spec: r.spec_replicas,
                available: r.status.available,
            })
            .collect();
        let targets = old_rs_targets(
            spec.replicas,
            spec.max_unavailable,
            &new_counts,
            &old_counts,
        );
        for ((rs_key, info), to) in olds.iter().zip(targets) {
            if to != info.spec_replicas {
                self.scale_replicaset((key, uid), rs_key, info.spec_replicas, to, spec);
            }
        }
    }

    /// Old, empty ReplicaSets beyond `revisionHistoryLimit` are deleted, oldest first.
    fn cleanup_history(&mut self, uid: &Arc<str>, new_key: &Key, spec: &DeploySpec) {
        let rss = self.owned_replicasets(uid);
        let empty: Vec<Key> = rss
            .iter()
            .filter(|(k, r)| {
                k != new_key
                    && r.spec_replicas == 0
                    && r.status.replicas == 0
                    && self.owned_pods(&r.uid).is_empty()
            })
            .map(|(k, _)| k.clone())
            .collect();
        let surplus = empty
            .len()
            .saturating_sub(spec.history_limit.max(0) as usize);
        let replicasets = self.w.types.replicasets.clone();
        for rs_key in empty.into_iter().take(surplus) {
            if self
                .delete_write(&replicasets, &rs_key, CONTROLLER_MANAGER)
                .is_ok()
            {
                self.replicasets.remove(&rs_key);
                if let Some(set) = self.rs_by_owner.get_mut(uid) {
                    set.remove(&rs_key);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_deployment_status(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        d: &Value,
        spec: &DeploySpec,
        new_key: Option<&Key>,
        note: Option<(&'static str, String)>,
        collided: bool,
    ) {
        let rss = self.owned_replicasets(uid);
        let mut counts = Counts::default();
        for (k, r) in &rss {
            counts.replicas += r.status.replicas;
            counts.ready += r.status.ready;
            counts.available += r.status.available;
            counts.total_spec += r.spec_replicas;
            if Some(k) == new_key {
                counts.updated = r.status.replicas;
            }
        }
        let old_status = d.get("status").cloned().unwrap_or_else(|| json!({}));
        let mut spec = spec.clone();
        if collided {
            spec.collision_count += 1;
        }
        let (status, recheck) = deployment_status(&StatusInputs {
            spec: &spec,
            new_rs: new_key.map(|k| &*k.1),
            counts,
            old_status: &old_status,
            note,
            now: now_stamp(),
            speed: self.clock.speed(),
        });
        if let Some(after) = recheck
            && let Some(meta) = self.deployments.get_mut(key)
            && meta.deadline_check.is_none()
        {
            let at = tokio::time::Instant::now() + after;
            meta.deadline_check = Some(at);
            self.timers.schedule(at, Timer::Deadline(key.clone()));
        }
        if status == old_status {
            return;
        }
        let written = self.workload_status_write(OwnerKind::Deployment, key, status);
        if written.is_some() && collided {
            self.queues.deployments.push(key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::HealthStatus;
    use crate::domain::health;

    fn deployment(generation: i64, replicas: i64, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "ns", "generation": generation},
               "spec": {"replicas": replicas, "progressDeadlineSeconds": 600,
                        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
               "status": status})
    }

    fn step(
        d: &Value,
        counts: Counts,
        note: Option<(&'static str, String)>,
        now: Stamp,
    ) -> (Value, Option<Duration>) {
        let spec = DeploySpec::of(d);
        deployment_status(&StatusInputs {
            spec: &spec,
            new_rs: Some("web-abc"),
            counts,
            old_status: d.get("status").unwrap_or(&Value::Null),
            note,
            now,
            speed: 1.0,
        })
    }

    fn health(d: &Value, status: Value) -> (HealthStatus, String) {
        let mut d = d.clone();
        d["status"] = status;
        let h = health::assess(&d).expect("deployments have health");
        (h.status, h.message)
    }

    #[test]
    fn a_new_deployment_progresses_then_completes_and_argo_agrees() {
        let t0 = 1_700_000_000;
        let d = deployment(1, 3, json!({}));
        let counts = Counts {
            total_spec: 3,
            ..Default::default()
        };
        let note = Some((
            "NewReplicaSetCreated",
            "Created new replica set \"web-abc\"".to_string(),
        ));
        let (status, recheck) = step(&d, counts, note, t0);
        assert_eq!(status["observedGeneration"], 1);
        assert_eq!(status["unavailableReplicas"], 3);
        assert!(status.get("replicas").is_none(), "zero counts are omitted");
        let conditions = status["conditions"].as_array().expect("conditions");
        assert_eq!(conditions[0]["reason"], "NewReplicaSetCreated");
        assert_eq!(conditions[1]["reason"], "MinimumReplicasUnavailable");
        assert!(recheck.is_some());
        assert_eq!(health(&d, status.clone()).0, HealthStatus::Progressing);

        let d = deployment(1, 3, status);
        let counts = Counts {
            replicas: 3,
            updated: 3,
            ready: 3,
            available: 3,
            total_spec: 3,
        };
        let (status, recheck) = step(&d, counts, None, t0 + 5);
        let progressing =
            get(status["conditions"].as_array().expect("c"), "Progressing").expect("p");
        assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
        assert_eq!(
            progressing["message"],
            "ReplicaSet \"web-abc\" has successfully progressed."
        );
        assert_eq!(
            progressing["lastTransitionTime"],
            render_stamp(t0),
            "still True: transition kept"
        );
        assert!(recheck.is_none());
        assert!(status.get("unavailableReplicas").is_none());
        assert_eq!(health(&d, status), (HealthStatus::Healthy, String::new()));
    }

    #[test]
    fn no_progress_past_the_deadline_is_degraded() {
        let t0 = 1_700_000_000;
        let d = deployment(1, 2, json!({}));
        let counts = Counts {
            replicas: 2,
            updated: 2,
            total_spec: 2,
            ..Default::default()
        };
        let note = Some((
            "NewReplicaSetCreated",
            "Created new replica set \"web-abc\"".to_string(),
        ));
        let (status, _) = step(&d, counts, note, t0);
        let d = deployment(1, 2, status);
        let (status, recheck) = step(&d, counts, None, t0 + 100);
        assert!(recheck.is_some(), "still within the deadline");
        let d = deployment(1, 2, status);
        let (status, recheck) = step(&d, counts, None, t0 + 601);
        assert!(recheck.is_none());
        let progressing =
            get(status["conditions"].as_array().expect("c"), "Progressing").expect("p");
        assert_eq!(progressing["status"], "False");
        assert_eq!(progressing["reason"], "ProgressDeadlineExceeded");
        assert_eq!(
            health(&d, status),
            (
                HealthStatus::Degraded,
                "Deployment \"web\" exceeded its progress deadline".to_string()
            )
        );
    }

    #[test]
    fn progress_refreshes_the_update_time_but_not_the_transition() {
        let t0 = 1_700_000_000;
        let d = deployment(
            2,
            3,
            json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1, "readyReplicas": 3, "availableReplicas": 3,
            "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": "x",
                            "lastUpdateTime": render_stamp(t0), "lastTransitionTime": render_stamp(t0 - 50)}]}),
        );
        let counts = Counts {
            replicas: 4,
            updated: 2,
            ready: 3,
            available: 3,
            total_spec: 4,
        };
        let (status, _) = step(&d, counts, None, t0 + 30);
        let progressing =
            get(status["conditions"].as_array().expect("c"), "Progressing").expect("p");
        assert_eq!(progressing["lastUpdateTime"], render_stamp(t0 + 30));
        assert_eq!(progressing["lastTransitionTime"], render_stamp(t0 - 50));
        assert_eq!(
            health(&d, status).1,
            "Waiting for rollout to finish: 2 out of 3 new replicas have been updated..."
        );
    }

    #[test]
    fn paused_deployments_say_so() {
        let mut d = deployment(1, 1, json!({}));
        d["spec"]["paused"] = json!(true);
        let (status, _) = step(&d, Counts::default(), None, 1_700_000_000);
        let progressing =
            get(status["conditions"].as_array().expect("c"), "Progressing").expect("p");
        assert_eq!(progressing["reason"], "DeploymentPaused");
        assert_eq!(progressing["status"], "Unknown");
    }

    #[test]
    fn new_replicasets_carry_the_hash_everywhere() {
        let d = deployment(1, 3, json!({}));
        let mut d = d;
        d["spec"]["selector"] = json!({"matchLabels": {"app": "web"}});
        let spec = DeploySpec::of(&d);
        let rs = new_replicaset(&d, &spec, "uid-1", 2, 1);
        let hash = spec.hash.as_str();
        assert_eq!(rs["metadata"]["name"], format!("web-{hash}"));
        assert_eq!(rs["metadata"]["labels"][POD_TEMPLATE_HASH], hash);
        assert_eq!(
            rs["spec"]["selector"]["matchLabels"][POD_TEMPLATE_HASH],
            hash
        );
        assert_eq!(rs["spec"]["template"]["metadata"]["labels"]["app"], "web");
        assert_eq!(rs["metadata"]["annotations"][REVISION], "2");
        assert_eq!(rs["metadata"]["annotations"][MAX_REPLICAS], "4");
        assert_eq!(rs["metadata"]["ownerReferences"][0]["uid"], "uid-1");
    }
}
