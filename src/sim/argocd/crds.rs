//! ArgoCD's three CRDs (Application, ApplicationSet, AppProject) with minimal structural
//! schemas and the printer columns ArgoCD ships. Like the real Application CRD they have no
//! `/status` subresource: status is written through the main resource.

use serde_json::{Value, json};

fn preserve() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn crd(plural: &str, kind: &str, short: &[&str], schema: Value, columns: Value) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": format!("{plural}.argoproj.io"),
            "labels": {"app.kubernetes.io/name": format!("{plural}.argoproj.io"), "app.kubernetes.io/part-of": "argocd"}
        },
        "spec": {
            "group": "argoproj.io",
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": kind.to_ascii_lowercase(),
                "kind": kind,
                "listKind": format!("{kind}List"),
                "shortNames": short,
            },
            "versions": [{
                "name": "v1alpha1",
                "served": true,
                "storage": true,
                "subresources": {},
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": schema},
            }]
        }
    })
}

/// `applications.argoproj.io`: spec (destination and project required), status and the
/// top-level `operation`.
pub fn application() -> Value {
    let schema = json!({
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["destination", "project"],
                "x-kubernetes-preserve-unknown-fields": true,
                "properties": {
                    "destination": preserve(),
                    "project": {"type": "string"},
                    "source": preserve(),
                    "sources": {"type": "array", "items": preserve()},
                    "syncPolicy": preserve(),
                }
            },
            "status": preserve(),
            "operation": preserve(),
        }
    });
    let columns = json!([
        {"name": "Sync Status", "type": "string", "jsonPath": ".status.sync.status"},
        {"name": "Health Status", "type": "string", "jsonPath": ".status.health.status"},
        {"name": "Revision", "type": "string", "jsonPath": ".status.sync.revision", "priority": 10},
        {"name": "Project", "type": "string", "jsonPath": ".spec.project", "priority": 10},
    ]);
    crd(
        "applications",
        "Application",
        &["app", "apps"],
        schema,
        columns,
    )
}

/// `applicationsets.argoproj.io`.
pub fn application_set() -> Value {
    let schema = json!({
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["generators", "template"],
                "x-kubernetes-preserve-unknown-fields": true,
            },
            "status": preserve(),
        }
    });
    crd(
        "applicationsets",
        "ApplicationSet",
        &["appset", "appsets"],
        schema,
        json!([]),
    )
}

/// `appprojects.argoproj.io`.
pub fn app_project() -> Value {
    let schema = json!({
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": preserve(),
            "status": preserve(),
        }
    });
    crd(
        "appprojects",
        "AppProject",
        &["appproj", "appprojs"],
        schema,
        json!([]),
    )
}

/// All three, in the order ArgoCD's install manifest creates them.
pub fn all() -> Vec<Value> {
    vec![application(), application_set(), app_project()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::types_from_crd;

    #[test]
    fn crds_are_served_with_printer_columns_and_no_status_subresource() {
        for crd in all() {
            let types = types_from_crd(&crd).expect("valid CRD");
            assert_eq!(types.len(), 1);
            assert!(
                !types[0].status_subresource,
                "ArgoCD CRDs have no status subresource"
            );
            assert_eq!(types[0].group, "argoproj.io");
        }
        let app = application();
        assert_eq!(
            app["spec"]["versions"][0]["additionalPrinterColumns"][0]["name"],
            "Sync Status"
        );
    }
}
