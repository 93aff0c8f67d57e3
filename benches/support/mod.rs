//! Shared bench fixtures: realistic objects and a process memory reading.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

/// A pod shaped like a real one (~2 KiB of JSON): labels, owner, containers, status.
pub fn pod(namespace: &str, name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": namespace,
            "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "k8tre", "pod-template-hash": "7d9f8c6b5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-7d9f8c6b5"), "uid": "2f7c1f0e-5b1a-4b8e-9d8e-3c4b5a6d7e8f", "controller": true}]
        },
        "spec": {
            "containers": [{
                "name": app, "image": format!("ghcr.io/k8tre/{app}:v1.4.0"),
                "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                "env": [{"name": "ENVIRONMENT", "value": "dev"}, {"name": "DOMAIN", "value": "dev.k8tre.org"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
            }],
            "nodeName": "node-1", "serviceAccountName": "default"
        },
        "status": {
            "phase": "Running", "podIP": "10.42.0.17", "hostIP": "192.168.1.10", "startTime": "2026-11-28T08:00:00Z",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-11-28T08:00:00Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-28T08:00:05Z"},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-11-28T08:00:05Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-28T08:00:00Z"}
            ],
            "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "started": true,
                "image": format!("ghcr.io/k8tre/{app}:v1.4.0"), "imageID": "sha256:0123456789abcdef",
                "state": {"running": {"startedAt": "2026-11-28T08:00:03Z"}}}]
        }
    })
}

/// Resident set size of this process in bytes (Linux), for memory budgets.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// p-th percentile (0–100) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
