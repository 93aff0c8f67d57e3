//! The StatefulSet controller: pods `<name>-0..N` with stable names and their claims from
//! `volumeClaimTemplates`, created in order (each waits for the previous to be Ready under
//! OrderedReady), scaled down from the highest ordinal, and rolled from the highest ordinal
//! down to the partition one pod at a time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::cache::{CONTROLLER_REVISION_HASH, POD_INDEX, int, text};
use super::controller::{Controller, OwnerKind, Timer};
use super::events::Involved;
use super::naming::template_hash;
use super::pod::Key;
use super::replicaset::{available, pod_from_template};
use super::writer::CONTROLLER_MANAGER;

const STS_CONTROLLER: &str = "statefulset-controller";

/// What the controller reads from a StatefulSet.
struct StsSpec {
    replicas: u32,
    parallel: bool,
    rolling: bool,
    partition: u32,
    update_revision: String,
    current_revision: String,
    min_ready: Duration,
}

impl StsSpec {
    fn of(sts: &Value, name: &str, speed_scaled: impl Fn(Duration) -> Duration) -> StsSpec {
        let template = sts
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let update_revision = format!("{name}-{}", template_hash(&template, 0));
        let current = text(sts, "/status/currentRevision");
        StsSpec {
            replicas: sts
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(0) as u32,
            parallel: text(sts, "/spec/podManagementPolicy") == "Parallel",
            rolling: text(sts, "/spec/updateStrategy/type") != "OnDelete",
            partition: int(sts, "/spec/updateStrategy/rollingUpdate/partition").max(0) as u32,
            current_revision: if current.is_empty() {
                update_revision.clone()
            } else {
                current.to_string()
            },
            update_revision,
            min_ready: speed_scaled(Duration::from_secs(
                int(sts, "/spec/minReadySeconds").max(0) as u64,
            )),
        }
    }
}

/// A pod of the set as the controller sees it.
#[derive(Debug, Clone)]
struct Member {
    key: Key,
    ready: bool,
    revision: Option<Arc<str>>,
}

impl Controller {
    fn sts_event(&mut self, key: &Key, uid: &Arc<str>, reason: &str, message: &str) {
        let involved = Involved::object("apps/v1", "StatefulSet", key, uid);
        self.controller_event(&involved, STS_CONTROLLER, reason, message);
    }

    fn members(&self, uid: &Arc<str>, sts_name: &str) -> BTreeMap<u32, Member> {
        self.owned_pods(uid)
            .into_iter()
            .filter_map(|key| {
                let pod = self.pods.get(&key)?;
                let ordinal = pod.ordinal.or_else(|| {
                    key.1
                        .strip_prefix(sts_name)?
                        .strip_prefix('-')?
                        .parse()
                        .ok()
                })?;
                Some((
                    ordinal,
                    Member {
                        ready: pod.is_ready(),
                        revision: pod.revision.clone(),
                        key,
                    },
                ))
            })
            .collect()
    }

    pub fn reconcile_statefulset(&mut self, key: &Key) {
        let Some(meta) = self.statefulsets.get(key).cloned() else {
            return;
        };
        if meta.deleting {
            return;
        }
        let statefulsets = self.w.types.statefulsets.clone();
        let Some(sts) = self.w.get(&statefulsets, &key.0, &key.1) else {
            return;
        };
        let clock = self.clock;
        let spec = StsSpec::of(&sts, &key.1, |d| clock.scaled(d));
        let uid = meta.uid.clone();
        let members = self.members(&uid, &key.1);
        self.sts_step(key, &uid, &sts, &spec, &members);
        let members = self.members(&uid, &key.1);
        self.write_sts_status(key, &uid, &sts, &spec, &members);
    }

    /// One step of scaling or rolling; under OrderedReady, one pod at a time.
    fn sts_step(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        sts: &Value,
        spec: &StsSpec,
        members: &BTreeMap<u32, Member>,
    ) {
        for ordinal in 0..spec.replicas {
            if !self.has_budget() {
                self.queues.statefulsets.push(key.clone());
                return;
            }
            match members.get(&ordinal) {
                None => {
                    self.create_member(key, uid, sts, spec, ordinal);
                    if !spec.parallel {
                        return;
                    }
                }
                Some(m) if !m.ready && !spec.parallel => return,
                Some(_) => {}
            }
        }
        let condemned: Vec<&Member> = members
            .range(spec.replicas..)
            .map(|(_, m)| m)
            .rev()
            .collect();
        let all_ready = members.values().all(|m| m.ready);
        for member in &condemned {
            if !spec.parallel && !all_ready {
                return;
            }
            if self.delete_pod(&member.key, CONTROLLER_MANAGER) {
                let message = format!(
                    "delete Pod {} in StatefulSet {} successful",
                    member.key.1, key.1
                );
                self.sts_event(key, uid, "SuccessfulDelete", &message);
            }
            if !spec.parallel {
                return;
            }
        }
        if !condemned.is_empty() || !spec.rolling || !all_ready {
            return;
        }
        // Rolling update: the highest outdated ordinal at or above the partition goes first.
        let outdated = (spec.partition..spec.replicas).rev().find(|o| {
            members
                .get(o)
                .is_some_and(|m| m.revision.as_deref() != Some(spec.update_revision.as_str()))
        });
        if let Some(ordinal) = outdated
            && let Some(member) = members.get(&ordinal)
            && self.delete_pod(&member.key, CONTROLLER_MANAGER)
        {
            let message = format!(
                "delete Pod {} in StatefulSet {} successful",
                member.key.1, key.1
            );
            self.sts_event(key, uid, "SuccessfulDelete", &message);
        }
    }

    /// Creates the claims and the pod of one ordinal.
    fn create_member(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        sts: &Value,
        spec: &StsSpec,
        ordinal: u32,
    ) {
        let pod_name = format!("{}-{ordinal}", key.1);
        let mut template = sts
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let claims = self.create_claims(key, uid, sts, &pod_name, ordinal);
        if let Some(pod_spec) = template.get_mut("spec").and_then(Value::as_object_mut) {
            pod_spec.insert("hostname".into(), json!(pod_name));
            let service = text(sts, "/spec/serviceName");
            if !service.is_empty() {
                pod_spec.insert("subdomain".into(), json!(service));
            }
            if !claims.is_empty() {
                let volumes = pod_spec.entry("volumes").or_insert_with(|| json!([]));
                if let Some(volumes) = volumes.as_array_mut() {
                    for (volume, claim) in claims {
                        volumes.retain(|v| {
                            v.get("name").and_then(Value::as_str) != Some(volume.as_str())
                        });
                        volumes.push(
                            json!({"name": volume, "persistentVolumeClaim": {"claimName": claim}}),
                        );
                    }
                }
            }
        }
        let pod = pod_from_template(
            &template,
            &key.0,
            &pod_name,
            None,
            "StatefulSet",
            &key.1,
            uid,
            &[
                (CONTROLLER_REVISION_HASH, spec.update_revision.clone()),
                ("statefulset.kubernetes.io/pod-name", pod_name.clone()),
                (POD_INDEX, ordinal.to_string()),
            ],
        );
        if self.create_pod(&key.0, pod).is_some() {
            let message = format!("create Pod {pod_name} in StatefulSet {} successful", key.1);
            self.sts_event(key, uid, "SuccessfulCreate", &message);
        }
    }

    /// `<template>-<set>-<ordinal>` claims (kept when the set goes, as by default).
    fn create_claims(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        sts: &Value,
        pod_name: &str,
        ordinal: u32,
    ) -> Vec<(String, String)> {
        let templates = sts
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let selector_labels = sts
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let pvcs = self.w.types.pvcs.clone();
        let mut claims = Vec::new();
        for template in templates {
            let volume = text(&template, "/metadata/name").to_string();
            if volume.is_empty() {
                continue;
            }
            let claim = format!("{volume}-{}-{ordinal}", key.1);
            claims.push((volume, claim.clone()));
            if self.w.get(&pvcs, &key.0, &claim).is_some() {
                continue;
            }
            let mut labels: Map<String, Value> = template
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            labels.extend(selector_labels.clone());
            let pvc = json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": &*key.0, "labels": labels},
                "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
            });
            if self
                .create_write(&pvcs, &key.0, pvc, CONTROLLER_MANAGER)
                .is_ok()
            {
                let message = format!(
                    "create Claim {claim} Pod {pod_name} in StatefulSet {} success",
                    key.1
                );
                self.sts_event(key, uid, "SuccessfulCreate", &message);
            }
        }
        claims
    }

    fn write_sts_status(
        &mut self,
        key: &Key,
        uid: &Arc<str>,
        sts: &Value,
        spec: &StsSpec,
        members: &BTreeMap<u32, Member>,
    ) {
        let now = Instant::now();
        let replicas = members.len() as i64;
        let mut ready = 0;
        let mut available_count = 0;
        let mut current = 0;
        let mut updated = 0;
        let mut next_available: Option<Instant> = None;
        for member in members.values() {
            if let Some(pod) = self.pods.get(&member.key)
                && member.ready
            {
                ready += 1;
                if available(pod, spec.min_ready, now) {
                    available_count += 1;
                } else if let Some(since) = pod.ready_since {
                    let at = since + spec.min_ready;
                    next_available = Some(next_available.map_or(at, |n| n.min(at)));
                }
            }
            match member.revision.as_deref() {
                Some(r) if r == spec.update_revision => updated += 1,
                _ => {}
            }
            if member.revision.as_deref() == Some(spec.current_revision.as_str()) {
                current += 1;
            }
        }
        if let Some(at) = next_available {
            self.timers.schedule(at, Timer::Owner(uid.clone()));
        }
        let mut current_revision = spec.current_revision.clone();
        if spec.rolling && updated == replicas && ready == replicas {
            current_revision = spec.update_revision.clone();
            current = updated;
        }
        let mut status = Map::new();
        status.insert(
            "observedGeneration".into(),
            json!(int(sts, "/metadata/generation")),
        );
        status.insert("replicas".into(), json!(replicas));
        if ready > 0 {
            status.insert("readyReplicas".into(), json!(ready));
        }
        if current > 0 {
            status.insert("currentReplicas".into(), json!(current));
        }
        if updated > 0 {
            status.insert("updatedReplicas".into(), json!(updated));
        }
        status.insert("currentRevision".into(), json!(current_revision));
        status.insert("updateRevision".into(), json!(spec.update_revision));
        status.insert("collisionCount".into(), json!(0));
        status.insert("availableReplicas".into(), json!(available_count));
        let status = Value::Object(status);
        if sts.get("status") == Some(&status) {
            return;
        }
        self.workload_status_write(OwnerKind::StatefulSet, key, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_defaults_and_revisions() {
        let sts = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}});
        let spec = StsSpec::of(&sts, "db", |d| d);
        assert_eq!(spec.replicas, 3);
        assert!(!spec.parallel && spec.rolling);
        assert!(spec.update_revision.starts_with("db-"));
        assert_eq!(spec.current_revision, spec.update_revision);
        let with_status = json!({"spec": {"podManagementPolicy": "Parallel", "updateStrategy": {"type": "OnDelete"}},
                                 "status": {"currentRevision": "db-old"}});
        let spec = StsSpec::of(&with_status, "db", |d| d);
        assert!(spec.parallel && !spec.rolling);
        assert_eq!(spec.current_revision, "db-old");
        assert_eq!(spec.replicas, 1);
    }
}
