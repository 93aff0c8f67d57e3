//! Pod health (gitops-engine `health_pod.go`).
//!
//! Long-running pods (`restartPolicy: Always`) are Degraded as soon as a container waits with
//! an error reason (`Err*`, `*Error`, `*BackOff`: CrashLoopBackOff, ImagePullBackOff,
//! ErrImagePull, CreateContainerConfigError, ...), with the containers' messages. Pods that
//! are meant to finish (`Never` / `OnFailure`, typically hooks) are Progressing until they
//! succeed, so a hook is not failed early by a transient image pull error.

use serde_json::Value;

use super::{
    ANNOTATION_IGNORE_RESTART_POLICY, ResourceHealth, annotation, condition, int, list, text,
};
use crate::domain::argocd::HealthStatus::{Degraded, Healthy, Progressing, Unknown};

pub(super) fn pod(obj: &Value) -> ResourceHealth {
    // The API server defaults an absent restartPolicy to Always; objects built without
    // defaulting (tests, simulations) are read the same way.
    let policy = match text(obj, &["spec", "restartPolicy"]) {
        "" => "Always",
        policy => policy,
    };
    let long_running = policy == "Always"
        || (annotation(obj, ANNOTATION_IGNORE_RESTART_POLICY) == Some("true")
            && !super::is_hook(obj));
    if long_running && let Some(degraded) = waiting_errors(obj) {
        return degraded;
    }
    let message = text(obj, &["status", "message"]);
    match text(obj, &["status", "phase"]) {
        "Pending" => ResourceHealth::new(Progressing, message),
        "Succeeded" => ResourceHealth::new(Healthy, message),
        "Failed" => failed(obj, message),
        "Running" if long_running => running_long(obj, message),
        "Running" if policy == "OnFailure" || policy == "Never" => {
            ResourceHealth::new(Progressing, message)
        }
        _ => ResourceHealth::new(Unknown, message),
    }
}

/// Whether a container's waiting reason is an error (`Err*`, `*Error`, `*BackOff`), which makes
/// a long-running pod Degraded.
pub fn is_error_waiting_reason(reason: &str) -> bool {
    reason.starts_with("Err") || reason.ends_with("Error") || reason.ends_with("BackOff")
}

/// Degraded with the waiting containers' messages, if any container waits on an error.
fn waiting_errors(obj: &Value) -> Option<ResourceHealth> {
    let messages: Vec<&str> = list(obj, &["status", "containerStatuses"])
        .iter()
        .filter(|c| {
            let reason = text(c, &["state", "waiting", "reason"]);
            super::field(c, &["state", "waiting"]).is_some_and(|w| !w.is_null())
                && is_error_waiting_reason(reason)
        })
        .map(|c| text(c, &["state", "waiting", "message"]))
        .collect();
    if messages.is_empty() {
        None
    } else {
        Some(ResourceHealth::new(Degraded, messages.join(", ")))
    }
}

fn failed(obj: &Value, message: &str) -> ResourceHealth {
    if !message.is_empty() {
        return ResourceHealth::new(Degraded, message);
    }
    let containers = list(obj, &["status", "initContainerStatuses"])
        .iter()
        .chain(list(obj, &["status", "containerStatuses"]));
    let reason = containers
        .filter_map(container_failure)
        .next()
        .unwrap_or_default();
    ResourceHealth::new(Degraded, reason)
}

/// Why a terminated container failed, in gitops-engine's words.
fn container_failure(container: &Value) -> Option<String> {
    let terminated = super::field(container, &["state", "terminated"]).filter(|t| !t.is_null())?;
    let message = text(terminated, &["message"]);
    if !message.is_empty() {
        return Some(message.to_string());
    }
    if text(terminated, &["reason"]) == "OOMKilled" {
        return Some("OOMKilled".to_string());
    }
    let exit_code = int(terminated, &["exitCode"]);
    if exit_code != 0 {
        return Some(format!(
            "container {:?} failed with exit code {exit_code}",
            text(container, &["name"])
        ));
    }
    None
}

fn running_long(obj: &Value, message: &str) -> ResourceHealth {
    let ready = condition(obj, "Ready").is_some_and(|c| text(c, &["status"]) == "True");
    if ready {
        return ResourceHealth::new(Healthy, message);
    }
    // Not ready and a container has terminated before (e.g. OOMKilled, restarting): Degraded.
    let restarted = list(obj, &["status", "containerStatuses"])
        .iter()
        .any(|c| super::field(c, &["lastState", "terminated"]).is_some_and(|t| !t.is_null()));
    if restarted {
        ResourceHealth::new(Degraded, message)
    } else {
        ResourceHealth::new(Progressing, message)
    }
}

#[cfg(test)]
mod tests {
    use super::super::assess;
    use super::*;
    use crate::domain::argocd::HealthStatus;
    use serde_json::json;

    fn pod_obj(policy: &str, status: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
               "spec": {"restartPolicy": policy}, "status": status})
    }

    fn check(obj: Value) -> (HealthStatus, String) {
        let health = assess(&obj).expect("pods have health");
        (health.status, health.message)
    }

    fn waiting(reason: &str, message: &str) -> Value {
        json!({"name": "app", "state": {"waiting": {"reason": reason, "message": message}}})
    }

    #[test]
    fn ready_running_pod_is_healthy() {
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}]})
            )),
            (Healthy, String::new())
        );
    }

    #[test]
    fn waiting_errors_degrade_long_running_pods() {
        for (reason, message) in [
            (
                "CrashLoopBackOff",
                "back-off 5m0s restarting failed container=app pod=p_ns",
            ),
            ("ImagePullBackOff", "Back-off pulling image \"nginx:nope\""),
            ("ErrImagePull", "rpc error: code = NotFound"),
            ("CreateContainerConfigError", "secret \"db\" not found"),
        ] {
            assert_eq!(
                check(pod_obj(
                    "Always",
                    json!({"phase": "Pending",
                    "containerStatuses": [waiting(reason, message)]})
                )),
                (Degraded, message.to_string()),
                "{reason}"
            );
        }
        // Messages of several containers are joined.
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Running", "containerStatuses": [
                waiting("CrashLoopBackOff", "first"), waiting("ErrImagePull", "second")]})
            )),
            (Degraded, "first, second".into())
        );
    }

    #[test]
    fn invalid_image_name_is_not_an_error_reason_for_argocd() {
        // Neither prefix Err nor suffix Error/BackOff: gitops-engine leaves it to the phase.
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Pending", "message": "",
                "containerStatuses": [waiting("InvalidImageName", "couldn't parse image name")]})
            )),
            (Progressing, String::new())
        );
    }

    #[test]
    fn restarting_unready_pod_is_degraded() {
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Running", "message": "",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "app", "state": {"running": {}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]})
            )),
            (Degraded, String::new())
        );
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "app", "state": {"running": {}}}]})
            )),
            (Progressing, String::new())
        );
    }

    #[test]
    fn pending_is_progressing_with_pod_message() {
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Pending", "message": "0/3 nodes are available"})
            )),
            (Progressing, "0/3 nodes are available".into())
        );
    }

    #[test]
    fn finite_pods() {
        // Hook-style pods ignore waiting errors and progress until they finish.
        assert_eq!(
            check(pod_obj(
                "Never",
                json!({"phase": "Pending",
                "containerStatuses": [waiting("ImagePullBackOff", "x")]})
            )),
            (Progressing, String::new())
        );
        assert_eq!(
            check(pod_obj(
                "OnFailure",
                json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}]})
            )),
            (Progressing, String::new())
        );
        assert_eq!(
            check(pod_obj("Never", json!({"phase": "Succeeded"}))),
            (Healthy, String::new())
        );
        assert_eq!(
            check(pod_obj(
                "Never",
                json!({"phase": "Failed", "message": "Pod was evicted"})
            )),
            (Degraded, "Pod was evicted".into())
        );
        assert_eq!(
            check(pod_obj(
                "Never",
                json!({"phase": "Failed", "containerStatuses": [
                {"name": "migrate", "state": {"terminated": {"exitCode": 2}}}]})
            )),
            (
                Degraded,
                "container \"migrate\" failed with exit code 2".into()
            )
        );
        assert_eq!(
            check(pod_obj(
                "OnFailure",
                json!({"phase": "Failed",
                "initContainerStatuses": [{"name": "init", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}],
                "containerStatuses": [{"name": "main", "state": {"terminated": {"message": "later"}}}]})
            )),
            (Degraded, "OOMKilled".into())
        );
    }

    #[test]
    fn ignore_restart_policy_annotation() {
        let mut obj = pod_obj(
            "Never",
            json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}),
        );
        obj["metadata"]["annotations"] = json!({ANNOTATION_IGNORE_RESTART_POLICY: "true"});
        assert_eq!(check(obj.clone()), (Healthy, String::new()));
        // Not honoured on hooks.
        obj["metadata"]["annotations"]["argocd.argoproj.io/hook"] = json!("PreSync");
        assert_eq!(check(obj), (Progressing, String::new()));
    }

    #[test]
    fn unknown_phase() {
        assert_eq!(
            check(pod_obj(
                "Always",
                json!({"phase": "Unknown", "message": "node lost"})
            )),
            (Unknown, "node lost".into())
        );
    }
}
