//! Health of apps/v1 workloads: Deployment, StatefulSet, DaemonSet, ReplicaSet.
//! Messages are gitops-engine's, word for word.

use serde_json::Value;

use super::{ResourceHealth, condition, int, opt_int, text};
use crate::domain::argocd::HealthStatus::{Degraded, Healthy, Progressing, Suspended};

pub(super) fn deployment(obj: &Value) -> ResourceHealth {
    if field_bool(obj, &["spec", "paused"]) {
        return ResourceHealth::new(Suspended, "Deployment is paused");
    }
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return ResourceHealth::new(
            Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let name = text(obj, &["metadata", "name"]);
    let desired = opt_int(obj, &["spec", "replicas"]);
    let replicas = int(obj, &["status", "replicas"]);
    let updated = int(obj, &["status", "updatedReplicas"]);
    let available = int(obj, &["status", "availableReplicas"]);
    let deadline_exceeded = condition(obj, "Progressing")
        .is_some_and(|c| text(c, &["reason"]) == "ProgressDeadlineExceeded");
    if deadline_exceeded {
        return ResourceHealth::new(
            Degraded,
            format!("Deployment {name:?} exceeded its progress deadline"),
        );
    }
    if let Some(desired) = desired.filter(|d| updated < *d) {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {desired} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    ResourceHealth::healthy()
}

pub(super) fn stateful_set(obj: &Value) -> ResourceHealth {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    if observed == 0 || generation > observed {
        return ResourceHealth::new(
            Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let desired = opt_int(obj, &["spec", "replicas"]);
    let ready = int(obj, &["status", "readyReplicas"]);
    let updated = int(obj, &["status", "updatedReplicas"]);
    if let Some(desired) = desired.filter(|d| ready < *d) {
        return ResourceHealth::new(
            Progressing,
            format!("Waiting for {} pods to be ready...", desired - ready),
        );
    }
    let strategy = text(obj, &["spec", "updateStrategy", "type"]);
    let rolling =
        super::field(obj, &["spec", "updateStrategy", "rollingUpdate"]).filter(|v| !v.is_null());
    if strategy == "RollingUpdate"
        && let Some(rolling) = rolling
    {
        let partition = opt_int(rolling, &["partition"]);
        if let (Some(desired), Some(partition)) = (desired, partition)
            && updated < desired - partition
        {
            return ResourceHealth::new(
                Progressing,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    desired - partition
                ),
            );
        }
        return ResourceHealth::new(
            Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if strategy == "OnDelete" {
        return ResourceHealth::new(Healthy, format!("statefulset has {ready} ready pods"));
    }
    let update_revision = text(obj, &["status", "updateRevision"]);
    let current_revision = text(obj, &["status", "currentRevision"]);
    if update_revision != current_revision {
        return ResourceHealth::new(
            Progressing,
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
            ),
        );
    }
    let current = int(obj, &["status", "currentReplicas"]);
    ResourceHealth::new(
        Healthy,
        format!(
            "statefulset rolling update complete {current} pods at revision {current_revision}..."
        ),
    )
}

pub(super) fn daemon_set(obj: &Value) -> ResourceHealth {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return ResourceHealth::new(
            Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let name = text(obj, &["metadata", "name"]);
    let desired = int(obj, &["status", "desiredNumberScheduled"]);
    let updated = int(obj, &["status", "updatedNumberScheduled"]);
    let available = int(obj, &["status", "numberAvailable"]);
    if text(obj, &["spec", "updateStrategy", "type"]) == "OnDelete" {
        return ResourceHealth::new(
            Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    if available < desired {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    ResourceHealth::healthy()
}

pub(super) fn replica_set(obj: &Value) -> ResourceHealth {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return ResourceHealth::new(
            Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if let Some(failure) =
        condition(obj, "ReplicaFailure").filter(|c| text(c, &["status"]) == "True")
    {
        return ResourceHealth::new(Degraded, text(failure, &["message"]));
    }
    let available = int(obj, &["status", "availableReplicas"]);
    if let Some(desired) = opt_int(obj, &["spec", "replicas"]).filter(|d| available < *d) {
        return ResourceHealth::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {available} out of {desired} new replicas are available..."
            ),
        );
    }
    ResourceHealth::healthy()
}

fn field_bool(obj: &Value, path: &[&str]) -> bool {
    super::field(obj, path)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::super::assess;
    use super::*;
    use crate::domain::argocd::HealthStatus;
    use serde_json::json;

    fn check(obj: Value) -> (HealthStatus, String) {
        let health = assess(&obj).expect("has a health check");
        (health.status, health.message)
    }

    fn deployment_obj(spec: Value, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "ns", "generation": 2},
               "spec": spec, "status": status})
    }

    #[test]
    fn deployment_rules() {
        assert_eq!(
            check(deployment_obj(json!({"paused": true}), json!({}))),
            (Suspended, "Deployment is paused".into())
        );
        assert_eq!(
            check(deployment_obj(json!({"replicas": 3}), json!({"observedGeneration": 1}))),
            (
                Progressing,
                "Waiting for rollout to finish: observed deployment generation less than desired generation".into()
            )
        );
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 3}),
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1,
                       "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]})
            )),
            (
                Degraded,
                "Deployment \"web\" exceeded its progress deadline".into()
            )
        );
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 3}),
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1})
            )),
            (
                Progressing,
                "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."
                    .into()
            )
        );
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 3}),
                json!({"observedGeneration": 2, "replicas": 5, "updatedReplicas": 3})
            )),
            (
                Progressing,
                "Waiting for rollout to finish: 2 old replicas are pending termination...".into()
            )
        );
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 3}),
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2})
            )),
            (
                Progressing,
                "Waiting for rollout to finish: 2 of 3 updated replicas are available...".into()
            )
        );
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 3}),
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                       "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]})
            )),
            (Healthy, String::new())
        );
        // Scaled to zero is healthy.
        assert_eq!(
            check(deployment_obj(
                json!({"replicas": 0}),
                json!({"observedGeneration": 2})
            )),
            (Healthy, String::new())
        );
    }

    fn sts(spec: Value, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "db", "generation": 1}, "spec": spec, "status": status})
    }

    #[test]
    fn statefulset_rules() {
        assert_eq!(
            check(sts(json!({"replicas": 1}), json!({}))),
            (
                Progressing,
                "Waiting for statefulset spec update to be observed...".into()
            )
        );
        assert_eq!(
            check(sts(
                json!({"replicas": 3}),
                json!({"observedGeneration": 1, "readyReplicas": 1})
            )),
            (Progressing, "Waiting for 2 pods to be ready...".into())
        );
        let partitioned = json!({"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}});
        assert_eq!(
            check(sts(partitioned.clone(), json!({"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1}))),
            (
                Progressing,
                "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...".into()
            )
        );
        assert_eq!(
            check(sts(
                partitioned,
                json!({"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 2})
            )),
            (
                Healthy,
                "partitioned roll out complete: 2 new pods have been updated...".into()
            )
        );
        assert_eq!(
            check(sts(
                json!({"replicas": 2, "updateStrategy": {"type": "OnDelete"}}),
                json!({"observedGeneration": 1, "readyReplicas": 2})
            )),
            (Healthy, "statefulset has 2 ready pods".into())
        );
        let rolling = json!({"replicas": 2, "updateStrategy": {"type": "RollingUpdate"}});
        assert_eq!(
            check(sts(
                rolling.clone(),
                json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 1,
                "currentRevision": "db-1", "updateRevision": "db-2"})
            )),
            (
                Progressing,
                "waiting for statefulset rolling update to complete 1 pods at revision db-2..."
                    .into()
            )
        );
        assert_eq!(
            check(sts(
                rolling,
                json!({"observedGeneration": 1, "readyReplicas": 2, "currentReplicas": 2,
                "currentRevision": "db-2", "updateRevision": "db-2"})
            )),
            (
                Healthy,
                "statefulset rolling update complete 2 pods at revision db-2...".into()
            )
        );
    }

    fn ds(strategy: &str, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {"name": "cilium", "generation": 4},
               "spec": {"updateStrategy": {"type": strategy}}, "status": status})
    }

    #[test]
    fn daemonset_rules() {
        assert_eq!(
            check(ds("RollingUpdate", json!({"observedGeneration": 3}))),
            (
                Progressing,
                "Waiting for rollout to finish: observed daemon set generation less than desired generation".into()
            )
        );
        assert_eq!(
            check(ds(
                "OnDelete",
                json!({"observedGeneration": 4, "desiredNumberScheduled": 3, "updatedNumberScheduled": 1})
            )),
            (
                Healthy,
                "daemon set 1 out of 3 new pods have been updated".into()
            )
        );
        assert_eq!(
            check(ds("RollingUpdate", json!({"observedGeneration": 4, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2}))),
            (
                Progressing,
                "Waiting for daemon set \"cilium\" rollout to finish: 2 out of 3 new pods have been updated...".into()
            )
        );
        assert_eq!(
            check(ds("RollingUpdate", json!({"observedGeneration": 4, "desiredNumberScheduled": 3,
                "updatedNumberScheduled": 3, "numberAvailable": 2}))),
            (
                Progressing,
                "Waiting for daemon set \"cilium\" rollout to finish: 2 of 3 updated pods are available...".into()
            )
        );
        assert_eq!(
            check(ds(
                "RollingUpdate",
                json!({"observedGeneration": 4, "desiredNumberScheduled": 3,
                "updatedNumberScheduled": 3, "numberAvailable": 3})
            )),
            (Healthy, String::new())
        );
    }

    #[test]
    fn replicaset_rules() {
        let rs = |status: Value| {
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": "web-1", "generation": 1}, "spec": {"replicas": 2}, "status": status})
        };
        assert_eq!(
            check(rs(json!({}))),
            (
                Progressing,
                "Waiting for rollout to finish: observed replica set generation less than desired generation".into()
            )
        );
        assert_eq!(
            check(rs(json!({"observedGeneration": 1, "conditions": [
                {"type": "ReplicaFailure", "status": "True", "message": "pods \"web-1-x\" is forbidden: exceeded quota"}]}))),
            (
                Degraded,
                "pods \"web-1-x\" is forbidden: exceeded quota".into()
            )
        );
        assert_eq!(
            check(rs(json!({"observedGeneration": 1, "availableReplicas": 1}))),
            (
                Progressing,
                "Waiting for rollout to finish: 1 out of 2 new replicas are available...".into()
            )
        );
        assert_eq!(
            check(rs(json!({"observedGeneration": 1, "availableReplicas": 2}))),
            (Healthy, String::new())
        );
    }
}
