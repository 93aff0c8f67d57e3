//! PersistentVolumeClaims as a dynamic provisioner binds them: Pending, then Bound to a
//! `pvc-<uid>` volume with the requested capacity, once a StorageClass exists (named, or the
//! default one); `WaitForFirstConsumer` classes wait until a pod using the claim is scheduled.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::cache::text;
use super::controller::{ClassInfo, Controller, PvcState, Timer};
use super::events::{Involved, Severity, Source};
use super::pod::Key;
use super::scheduler::claim_names;
use super::writer::rv_of;
use crate::sim::api::Part;
use crate::sim::store::Entry;

const PV_CONTROLLER: &str = "persistentvolume-controller";
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// Which class a claim gets: `Ok(Some(name))`, `Ok(None)` for none at all, or `Err(name)`
/// for a class that does not exist (yet).
fn class_for<'a>(
    claim: &'a Value,
    classes: &'a std::collections::HashMap<Arc<str>, ClassInfo>,
) -> Result<Option<(String, &'a ClassInfo)>, String> {
    match claim
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str)
    {
        Some("") => Ok(None),
        Some(name) => classes
            .get(name)
            .map(|c| Some((name.to_string(), c)))
            .ok_or_else(|| name.to_string()),
        None => Ok(classes
            .iter()
            .filter(|(_, c)| c.default)
            .min_by_key(|(n, _)| n.to_string())
            .map(|(n, c)| (n.to_string(), c))),
    }
}

impl Controller {
    pub fn upsert_volume(&mut self, entry: &Entry) {
        let key = self.key(&entry.namespace, &entry.name);
        if self.pvcs.get(&key).is_some_and(|p| p.rv >= entry.rv) {
            return;
        }
        let Ok(obj) = entry.value() else { return };
        let bound = text(&obj, "/status/phase") == "Bound";
        let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
        let uid: Arc<str> = Arc::from(entry.uid.as_str());
        let state = self.pvcs.entry(key.clone()).or_insert_with(|| PvcState {
            uid: uid.clone(),
            rv: 0,
            bound,
            deleting,
            consumer: false,
            bind_scheduled: false,
            announced: "",
        });
        if state.uid != uid {
            *state = PvcState {
                uid,
                rv: 0,
                bound,
                deleting,
                consumer: false,
                bind_scheduled: false,
                announced: "",
            };
        }
        state.rv = entry.rv;
        state.bound = bound;
        state.deleting = deleting;
        if !bound {
            self.queues.volumes.push(key);
        }
    }

    pub fn on_class(&mut self, entry: &Entry, deleted: bool) {
        let name = self.intern(&entry.name);
        if deleted {
            self.classes.remove(&name);
            return;
        }
        let Ok(obj) = entry.value() else { return };
        self.classes.insert(
            name,
            ClassInfo {
                provisioner: text(&obj, "/provisioner").to_string(),
                wait_for_consumer: text(&obj, "/volumeBindingMode") == "WaitForFirstConsumer",
                default: obj
                    .pointer("/metadata/annotations")
                    .and_then(|a| a.get(DEFAULT_CLASS))
                    .and_then(Value::as_str)
                    == Some("true"),
            },
        );
        let pending: Vec<Key> = self
            .pvcs
            .iter()
            .filter(|(_, p)| !p.bound && !p.bind_scheduled)
            .map(|(k, _)| k.clone())
            .collect();
        pending
            .into_iter()
            .for_each(|k| self.queues.volumes.push(k));
    }

    /// A scheduled pod uses these claims: WaitForFirstConsumer claims may now bind.
    pub fn note_claims(&mut self, namespace: &Arc<str>, pod: &Value) {
        for claim in claim_names(pod) {
            let key: Key = (namespace.clone(), Arc::from(claim.as_str()));
            if let Some(state) = self.pvcs.get_mut(&key)
                && !state.consumer
            {
                state.consumer = true;
                self.queues.volumes.push(key);
            }
        }
    }

    fn announce(&mut self, key: &Key, what: &'static str, severity: Severity, message: &str) {
        let Some(state) = self.pvcs.get_mut(key) else {
            return;
        };
        if state.announced == what {
            return;
        }
        state.announced = what;
        let involved = Involved::object("v1", "PersistentVolumeClaim", key, &state.uid);
        self.event(
            &involved,
            severity,
            what,
            message,
            Source {
                component: PV_CONTROLLER,
                host: None,
            },
        );
    }

    /// Decides what a pending claim waits for.
    pub fn reconcile_volume(&mut self, key: &Key) {
        let Some(state) = self.pvcs.get(key) else {
            return;
        };
        if state.bound || state.deleting || state.bind_scheduled {
            return;
        }
        let consumer = state.consumer;
        let pvcs = self.w.types.pvcs.clone();
        let Some(obj) = self.w.get(&pvcs, &key.0, &key.1) else {
            return;
        };
        match class_for(&obj, &self.classes) {
            Ok(None) => self.announce(
                key,
                "FailedBinding",
                Severity::Normal,
                "no persistent volumes available for this claim and no storage class is set",
            ),
            Err(missing) => {
                let message = format!("storageclass.storage.k8s.io \"{missing}\" not found");
                self.announce(key, "ProvisioningFailed", Severity::Warning, &message);
            }
            Ok(Some((_, class))) if class.wait_for_consumer && !consumer => self.announce(
                key,
                "WaitForFirstConsumer",
                Severity::Normal,
                "waiting for first consumer to be created before binding",
            ),
            Ok(Some((_, class))) => {
                let provisioner = class.provisioner.clone();
                let message = format!(
                    "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
                );
                self.announce(key, "ExternalProvisioning", Severity::Normal, &message);
                let message = format!(
                    "External provisioner is provisioning volume for claim \"{}/{}\"",
                    key.0, key.1
                );
                self.announce(key, "Provisioning", Severity::Normal, &message);
                if let Some(state) = self.pvcs.get_mut(key) {
                    state.bind_scheduled = true;
                }
                let delay = self.rng.jitter(self.opts.volume_bind_delay, 0.3);
                self.schedule(delay, Timer::BindVolume(key.clone()));
            }
        }
    }

    /// The provisioner created the volume: bind the claim to it.
    pub fn bind_volume(&mut self, key: &Key) {
        let Some(state) = self.pvcs.get_mut(key) else {
            return;
        };
        state.bind_scheduled = false;
        if state.bound || state.deleting {
            return;
        }
        let uid = state.uid.clone();
        let pvcs = self.w.types.pvcs.clone();
        let Some(obj) = self.w.get(&pvcs, &key.0, &key.1) else {
            return;
        };
        let Ok(Some((class_name, class))) = class_for(&obj, &self.classes) else {
            self.queues.volumes.push(key.clone());
            return;
        };
        let provisioner = class.provisioner.clone();
        let volume = format!("pvc-{uid}");
        let patch = json!({
            "metadata": {"annotations": {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                "volume.kubernetes.io/storage-provisioner": provisioner,
            }},
            "spec": {"volumeName": volume, "storageClassName": class_name},
        });
        if self
            .merge_write(&pvcs, key, &patch, Part::Main, PV_CONTROLLER)
            .is_err()
        {
            return;
        }
        let capacity = obj
            .pointer("/spec/resources/requests/storage")
            .cloned()
            .unwrap_or_else(|| json!("1Gi"));
        let modes = obj
            .pointer("/spec/accessModes")
            .cloned()
            .unwrap_or_else(|| json!(["ReadWriteOnce"]));
        let status =
            json!({"phase": "Bound", "accessModes": modes, "capacity": {"storage": capacity}});
        match self.status_write(&pvcs, key, status, PV_CONTROLLER) {
            Ok(written) => {
                if let Some(state) = self.pvcs.get_mut(key) {
                    state.bound = true;
                    state.rv = state.rv.max(rv_of(&written));
                }
                let message = format!("Successfully provisioned volume {volume}");
                self.announce(key, "ProvisioningSucceeded", Severity::Normal, &message);
            }
            Err(_) => {
                self.schedule(Duration::from_secs(5), Timer::BindVolume(key.clone()));
                if let Some(state) = self.pvcs.get_mut(key) {
                    state.bind_scheduled = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn claims_pick_their_class_or_the_default() {
        let mut classes: HashMap<Arc<str>, ClassInfo> = HashMap::new();
        let class = |default| ClassInfo {
            provisioner: "ebs.csi.aws.com".into(),
            wait_for_consumer: false,
            default,
        };
        classes.insert(Arc::from("gp3"), class(true));
        classes.insert(Arc::from("slow"), class(false));
        let claim = |class: Option<&str>| match class {
            Some(c) => json!({"spec": {"storageClassName": c}}),
            None => json!({"spec": {}}),
        };
        let name = |r: Result<Option<(String, &ClassInfo)>, String>| r.map(|o| o.map(|(n, _)| n));
        assert_eq!(
            name(class_for(&claim(Some("slow")), &classes)),
            Ok(Some("slow".into()))
        );
        assert_eq!(
            name(class_for(&claim(None), &classes)),
            Ok(Some("gp3".into()))
        );
        assert_eq!(name(class_for(&claim(Some("")), &classes)), Ok(None));
        assert_eq!(
            name(class_for(&claim(Some("fast")), &classes)),
            Err("fast".into())
        );
        classes.clear();
        assert_eq!(name(class_for(&claim(None), &classes)), Ok(None));
    }
}
