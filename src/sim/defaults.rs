//! Defaults and system-owned fields the API server fills on writes, per kind.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use super::resources::ResourceType;

/// Allocates service ClusterIPs from 10.96.0.0/12 in order.
#[derive(Default)]
pub struct IpAllocator {
    next: AtomicU32,
}

impl IpAllocator {
    pub fn next_cluster_ip(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 10;
        format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 1)
    }
}

fn ensure_object<'a>(obj: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    if !obj.get(key).is_some_and(Value::is_object) {
        obj[key] = json!({});
    }
    match obj.get_mut(key) {
        Some(Value::Object(map)) => map,
        // Just made sure it is an object.
        _ => unreachable!("ensured object"),
    }
}

/// Fills defaults on create (and on update where Kubernetes would), like the API server's
/// defaulting and the built-in admission it always runs.
pub fn apply_defaults(rt: &ResourceType, obj: &mut Value, ips: &IpAllocator, creating: bool) {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Namespace") => {
            let status = ensure_object(obj, "status");
            status.entry("phase").or_insert(json!("Active"));
            let spec = ensure_object(obj, "spec");
            spec.entry("finalizers").or_insert(json!(["kubernetes"]));
        }
        ("apps", "Deployment") | ("apps", "StatefulSet") | ("apps", "ReplicaSet") => {
            let spec = ensure_object(obj, "spec");
            spec.entry("replicas").or_insert(json!(1));
            spec.entry("revisionHistoryLimit").or_insert(json!(10));
            if rt.kind == "Deployment" {
                spec.entry("progressDeadlineSeconds").or_insert(json!(600));
                spec.entry("strategy").or_insert(
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                );
            }
            if rt.kind == "StatefulSet" {
                spec.entry("podManagementPolicy")
                    .or_insert(json!("OrderedReady"));
                spec.entry("updateStrategy")
                    .or_insert(json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
            }
        }
        ("apps", "DaemonSet") => {
            let spec = ensure_object(obj, "spec");
            spec.entry("revisionHistoryLimit").or_insert(json!(10));
            spec.entry("updateStrategy")
                .or_insert(json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}));
        }
        ("", "Pod") => {
            let spec = ensure_object(obj, "spec");
            spec.entry("restartPolicy").or_insert(json!("Always"));
            spec.entry("dnsPolicy").or_insert(json!("ClusterFirst"));
            spec.entry("serviceAccountName").or_insert(json!("default"));
            spec.entry("terminationGracePeriodSeconds")
                .or_insert(json!(30));
            if creating {
                let status = ensure_object(obj, "status");
                status.entry("phase").or_insert(json!("Pending"));
            }
        }
        ("", "Service") => {
            let spec = ensure_object(obj, "spec");
            spec.entry("type").or_insert(json!("ClusterIP"));
            spec.entry("sessionAffinity").or_insert(json!("None"));
            let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
            if creating
                && !headless
                && spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            {
                let ip = ips.next_cluster_ip();
                spec.insert("clusterIP".into(), json!(ip));
                spec.insert("clusterIPs".into(), json!([ip]));
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for port in ports {
                    if let Some(p) = port.as_object_mut() {
                        p.entry("protocol").or_insert(json!("TCP"));
                        if let Some(number) = p.get("port").cloned() {
                            p.entry("targetPort").or_insert(number);
                        }
                    }
                }
            }
        }
        ("", "Secret") if obj.get("type").is_none() => {
            obj["type"] = json!("Opaque");
        }
        ("", "PersistentVolumeClaim") if creating => {
            let status = ensure_object(obj, "status");
            status.entry("phase").or_insert(json!("Pending"));
        }
        ("storage.k8s.io", "StorageClass") => {
            if obj.get("reclaimPolicy").is_none() {
                obj["reclaimPolicy"] = json!("Delete");
            }
            if obj.get("volumeBindingMode").is_none() {
                obj["volumeBindingMode"] = json!("Immediate");
            }
        }
        ("", "Event") => {
            if obj.get("count").is_none() {
                obj["count"] = json!(1);
            }
            if obj.get("type").is_none() {
                obj["type"] = json!("Normal");
            }
        }
        _ => {}
    }
}

/// The status a CRD gets once the simulator serves it: Established and NamesAccepted.
pub fn crd_status(crd: &Value, now: &str) -> Value {
    let names = crd
        .pointer("/spec/names")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let stored: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now}
        ],
        "storedVersions": stored
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::Registry;

    #[test]
    fn deployment_and_service_defaults() {
        let reg = Registry::new();
        let ips = IpAllocator::default();
        let mut d = json!({"spec": {"template": {}}});
        apply_defaults(
            &reg.get("apps", "v1", "deployments").expect("served"),
            &mut d,
            &ips,
            true,
        );
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        let mut s = json!({"spec": {"ports": [{"port": 80}]}});
        apply_defaults(
            &reg.get("", "v1", "services").expect("served"),
            &mut s,
            &ips,
            true,
        );
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 80);
        assert!(
            s["spec"]["clusterIP"]
                .as_str()
                .expect("ip")
                .starts_with("10.96.")
        );
        let mut headless = json!({"spec": {"clusterIP": "None"}});
        apply_defaults(
            &reg.get("", "v1", "services").expect("served"),
            &mut headless,
            &ips,
            true,
        );
        assert_eq!(headless["spec"]["clusterIP"], "None");
    }
}
