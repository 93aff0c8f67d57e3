//! Health of kinds with short rules: Service, PVC, Ingress, Job, HPA, APIService, Argo
//! Workflow, and ArgoCD's bundled ApplicationSet check (`resource_customizations`).

use serde_json::Value;

use super::{ResourceHealth, annotation, condition, list, text};
use crate::domain::argocd::HealthStatus::{Degraded, Healthy, Progressing, Suspended, Unknown};

pub(super) fn service(obj: &Value) -> ResourceHealth {
    let waiting_for_lb = text(obj, &["spec", "type"]) == "LoadBalancer"
        && list(obj, &["status", "loadBalancer", "ingress"]).is_empty();
    if waiting_for_lb {
        ResourceHealth::new(Progressing, "")
    } else {
        ResourceHealth::healthy()
    }
}

pub(super) fn ingress(obj: &Value) -> ResourceHealth {
    if list(obj, &["status", "loadBalancer", "ingress"]).is_empty() {
        ResourceHealth::new(Progressing, "")
    } else {
        ResourceHealth::healthy()
    }
}

pub(super) fn pvc(obj: &Value) -> ResourceHealth {
    let status = match text(obj, &["status", "phase"]) {
        "Lost" => Degraded,
        "Pending" => Progressing,
        "Bound" => Healthy,
        _ => Unknown,
    };
    ResourceHealth::new(status, "")
}

pub(super) fn job(obj: &Value) -> ResourceHealth {
    let mut failed = None;
    let mut complete = false;
    let mut suspended = false;
    let mut message = "";
    for c in list(obj, &["status", "conditions"]) {
        match text(c, &["type"]) {
            "Failed" => {
                complete = true;
                failed = Some(text(c, &["message"]));
            }
            "Complete" => {
                complete = true;
                message = text(c, &["message"]);
            }
            "Suspended" => {
                complete = true;
                message = text(c, &["message"]);
                suspended |= text(c, &["status"]) == "True";
            }
            _ => {}
        }
    }
    match (complete, failed) {
        (false, _) => ResourceHealth::new(Progressing, message),
        (true, Some(failure)) => ResourceHealth::new(Degraded, failure),
        (true, None) if suspended => ResourceHealth::new(Suspended, message),
        (true, None) => ResourceHealth::new(Healthy, message),
    }
}

const HPA_WAITING: &str = "Waiting to Autoscale";

/// HPA conditions that mean it cannot work.
const HPA_DEGRADED: [(&str, &str); 8] = [
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "FailedGetObjectMetric"),
    ("ScalingActive", "FailedGetPodsMetric"),
    ("ScalingActive", "FailedGetExternalMetric"),
    ("ScalingActive", "FailedComputeMetricsReplicas"),
    ("ScalingActive", "InvalidSelector"),
];

/// autoscaling/v1 keeps conditions in an annotation (JSON); v2 in `status.conditions`.
pub(super) fn hpa(obj: &Value) -> ResourceHealth {
    let api_version = text(obj, &["apiVersion"]);
    if api_version == "autoscaling/v1" {
        let Some(raw) = annotation(obj, "autoscaling.alpha.kubernetes.io/conditions") else {
            return ResourceHealth::new(Progressing, HPA_WAITING);
        };
        return match serde_json::from_str::<Vec<Value>>(raw) {
            Ok(conditions) => hpa_conditions(&conditions),
            Err(err) => ResourceHealth::new(
                Unknown,
                format!("failed to convert conditions annotation to typed: {err}"),
            ),
        };
    }
    hpa_conditions(list(obj, &["status", "conditions"]))
}

fn hpa_conditions(conditions: &[Value]) -> ResourceHealth {
    let degraded = conditions.iter().find(|c| {
        HPA_DEGRADED
            .iter()
            .any(|(kind, reason)| text(c, &["type"]) == *kind && text(c, &["reason"]) == *reason)
    });
    if let Some(c) = degraded {
        return ResourceHealth::new(Degraded, text(c, &["message"]));
    }
    let healthy = conditions.iter().find(|c| {
        matches!(text(c, &["type"]), "AbleToScale" | "ScalingLimited")
            && text(c, &["status"]) == "True"
    });
    match healthy {
        Some(c) => ResourceHealth::new(Healthy, text(c, &["message"])),
        None => ResourceHealth::new(Progressing, HPA_WAITING),
    }
}

pub(super) fn api_service(obj: &Value) -> ResourceHealth {
    match condition(obj, "Available") {
        Some(c) => {
            let message = format!("{}: {}", text(c, &["reason"]), text(c, &["message"]));
            if text(c, &["status"]) == "True" {
                ResourceHealth::new(Healthy, message)
            } else {
                ResourceHealth::new(Progressing, message)
            }
        }
        None => ResourceHealth::new(Progressing, "Waiting to be processed"),
    }
}

pub(super) fn workflow(obj: &Value) -> ResourceHealth {
    let message = text(obj, &["status", "message"]);
    match text(obj, &["status", "phase"]) {
        "" | "Pending" | "Running" => ResourceHealth::new(Progressing, message),
        "Succeeded" => ResourceHealth::new(Healthy, message),
        "Failed" | "Error" => ResourceHealth::new(Degraded, message),
        _ => ResourceHealth::new(Unknown, message),
    }
}

/// ArgoCD's bundled `argoproj.io/ApplicationSet/health.lua`.
pub(super) fn application_set(obj: &Value) -> ResourceHealth {
    let conditions = list(obj, &["status", "conditions"]);
    let find = |kind: &str, status: &str| {
        conditions
            .iter()
            .find(|c| text(c, &["type"]) == kind && text(c, &["status"]) == status)
            .map(|c| text(c, &["message"]))
    };
    if let Some(message) = find("ErrorOccurred", "True") {
        return ResourceHealth::new(Degraded, message);
    }
    if let Some(message) = find("ResourcesUpToDate", "False") {
        return ResourceHealth::new(Degraded, message);
    }
    if let Some(message) = find("RolloutProgressing", "True") {
        return ResourceHealth::new(Progressing, message);
    }
    if let Some(message) = find("ResourcesUpToDate", "True") {
        return ResourceHealth::new(Healthy, message);
    }
    ResourceHealth::new(Progressing, "Waiting for the status to be reported")
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

    #[test]
    fn service_rules() {
        let svc = |spec: Value, status: Value| json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec, "status": status});
        assert_eq!(
            check(svc(json!({"type": "ClusterIP"}), json!({}))).0,
            Healthy
        );
        assert_eq!(
            check(svc(
                json!({"type": "LoadBalancer"}),
                json!({"loadBalancer": {}})
            ))
            .0,
            Progressing
        );
        assert_eq!(
            check(svc(
                json!({"type": "LoadBalancer"}),
                json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}})
            ))
            .0,
            Healthy
        );
    }

    #[test]
    fn ingress_rules_for_both_groups() {
        for api in ["networking.k8s.io/v1", "extensions/v1beta1"] {
            let pending = json!({"apiVersion": api, "kind": "Ingress", "metadata": {"name": "i"}});
            assert_eq!(check(pending).0, Progressing);
            let ready = json!({"apiVersion": api, "kind": "Ingress", "metadata": {"name": "i"},
                "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.org"}]}}});
            assert_eq!(check(ready).0, Healthy);
        }
    }

    #[test]
    fn pvc_rules() {
        for (phase, expected) in [
            ("Bound", Healthy),
            ("Pending", Progressing),
            ("Lost", Degraded),
            ("", Unknown),
        ] {
            let obj = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data"}, "status": {"phase": phase}});
            assert_eq!(check(obj), (expected, String::new()), "{phase}");
        }
    }

    #[test]
    fn job_rules() {
        let job = |spec: Value, conditions: Value| {
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                   "spec": spec, "status": {"conditions": conditions}})
        };
        assert_eq!(
            check(job(json!({}), json!([]))),
            (Progressing, String::new())
        );
        assert_eq!(
            check(job(
                json!({}),
                json!([{"type": "Failed", "status": "True", "message": "Job has reached the specified backoff limit"}])
            )),
            (
                Degraded,
                "Job has reached the specified backoff limit".into()
            )
        );
        assert_eq!(
            check(job(
                json!({}),
                json!([{"type": "Complete", "status": "True", "message": "done"}])
            )),
            (Healthy, "done".into())
        );
        assert_eq!(
            check(job(
                json!({"suspend": true}),
                json!([{"type": "Suspended", "status": "True", "message": "Job suspended"}])
            )),
            (Suspended, "Job suspended".into())
        );
    }

    #[test]
    fn hpa_rules() {
        let v2 = |conditions: Value| {
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "h"}, "status": {"conditions": conditions}})
        };
        assert_eq!(
            check(v2(json!([]))),
            (Progressing, "Waiting to Autoscale".into())
        );
        assert_eq!(
            check(v2(json!([
                {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale", "message": "ok"},
                {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "no metrics"}
            ]))),
            (Degraded, "no metrics".into())
        );
        assert_eq!(
            check(v2(
                json!([{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "recommended size matches current size"}])
            )),
            (Healthy, "recommended size matches current size".into())
        );
        let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "annotations": {"autoscaling.alpha.kubernetes.io/conditions":
                "[{\"type\":\"AbleToScale\",\"status\":\"True\",\"reason\":\"ReadyForNewScale\",\"message\":\"fine\"}]"}}});
        assert_eq!(check(v1), (Healthy, "fine".into()));
        let v1_bare = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}});
        assert_eq!(check(v1_bare), (Progressing, "Waiting to Autoscale".into()));
    }

    #[test]
    fn api_service_rules() {
        let svc = |conditions: Value| {
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                   "metadata": {"name": "v1beta1.metrics.k8s.io"}, "status": {"conditions": conditions}})
        };
        assert_eq!(
            check(svc(json!([]))),
            (Progressing, "Waiting to be processed".into())
        );
        assert_eq!(
            check(svc(
                json!([{"type": "Available", "status": "True", "reason": "Passed", "message": "all checks passed"}])
            )),
            (Healthy, "Passed: all checks passed".into())
        );
        assert_eq!(
            check(svc(
                json!([{"type": "Available", "status": "False", "reason": "MissingEndpoints", "message": "no endpoints"}])
            )),
            (Progressing, "MissingEndpoints: no endpoints".into())
        );
    }

    #[test]
    fn application_set_rules() {
        let appset = |conditions: Value| {
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
                   "metadata": {"name": "gateway"}, "status": {"conditions": conditions}})
        };
        assert_eq!(
            check(appset(json!([
                {"type": "ResourcesUpToDate", "status": "True", "message": "All applications have been generated successfully"},
                {"type": "ErrorOccurred", "status": "True", "message": "failed to get params for generator"}
            ]))),
            (Degraded, "failed to get params for generator".into())
        );
        assert_eq!(
            check(appset(
                json!([{"type": "ResourcesUpToDate", "status": "False", "message": "stale"}])
            )),
            (Degraded, "stale".into())
        );
        assert_eq!(
            check(appset(json!([
                {"type": "ResourcesUpToDate", "status": "True", "message": "up to date"},
                {"type": "RolloutProgressing", "status": "True", "message": "ApplicationSet is performing rollout of step 1"}
            ]))),
            (
                Progressing,
                "ApplicationSet is performing rollout of step 1".into()
            )
        );
        assert_eq!(
            check(appset(json!([
                {"type": "ErrorOccurred", "status": "False", "message": "fine"},
                {"type": "ResourcesUpToDate", "status": "True", "message": "All applications have been generated successfully"}
            ]))),
            (
                Healthy,
                "All applications have been generated successfully".into()
            )
        );
        let fresh = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "x"}});
        assert_eq!(
            check(fresh),
            (Progressing, "Waiting for the status to be reported".into())
        );
    }

    #[test]
    fn workflow_rules() {
        let wf = |phase: &str| {
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
                   "status": {"phase": phase, "message": "m"}})
        };
        assert_eq!(check(wf("Running")), (Progressing, "m".into()));
        assert_eq!(check(wf("Succeeded")), (Healthy, "m".into()));
        assert_eq!(check(wf("Error")), (Degraded, "m".into()));
    }
}
