//! OpenAPI v3 documents: what kubectl downloads before `apply` (for validation and to learn
//! that the server validates fields itself). Schemas are loose for built-ins and the CRD's own
//! schema for custom resources.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value, json};

use crate::sim::resources::{Registry, ResourceType};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable hash of what a group/version serves, so kubectl's cache notices new CRDs.
fn gv_hash(types: &[std::sync::Arc<ResourceType>]) -> String {
    let mut hasher = DefaultHasher::new();
    for t in types {
        t.kind.hash(&mut hasher);
        t.plural.hash(&mut hasher);
        t.schema.as_ref().map(Value::to_string).hash(&mut hasher);
    }
    format!("{:016X}", hasher.finish())
}

/// `/openapi/v3`: one entry per served group/version.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, versions) in registry.group_versions() {
        for version in versions {
            let types = registry.in_group_version(&group, &version);
            let path = gv_path(&group, &version);
            let url = format!("/openapi/v3/{path}?hash={}", gv_hash(&types));
            paths.insert(path, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

fn schema_name(t: &ResourceType) -> String {
    if t.builtin {
        let group = if t.group.is_empty() {
            "core".to_string()
        } else {
            t.group.split('.').next().unwrap_or_default().to_string()
        };
        format!("io.k8s.api.{group}.{}.{}", t.version, t.kind)
    } else {
        let reversed: Vec<&str> = t.group.split('.').rev().collect();
        format!("{}.{}.{}", reversed.join("."), t.version, t.kind)
    }
}

fn gvk(t: &ResourceType) -> Value {
    json!({"group": t.group, "kind": t.kind, "version": t.version})
}

fn object_schema(t: &ResourceType) -> Value {
    let mut schema = match &t.schema {
        Some(s) => s.clone(),
        None => json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "data": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            },
            "x-kubernetes-preserve-unknown-fields": true,
        }),
    };
    if let Some(obj) = schema.as_object_mut() {
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.insert("apiVersion".into(), json!({"type": "string"}));
            props.insert("kind".into(), json!({"type": "string"}));
            props.insert("metadata".into(), json!({"allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}], "default": {}}));
        }
        obj.insert("x-kubernetes-group-version-kind".into(), json!([gvk(t)]));
    }
    schema
}

fn query_param(name: &str, kind: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": kind, "uniqueItems": true}})
}

fn operation(t: &ResourceType, action: &str, schema_ref: &str) -> Value {
    let mut params = vec![
        query_param("dryRun", "string"),
        query_param("fieldManager", "string"),
    ];
    if matches!(action, "patch" | "put" | "post") {
        params.push(query_param("fieldValidation", "string"));
    }
    if action == "patch" {
        params.push(query_param("force", "boolean"));
    }
    let mut op = json!({
        "operationId": format!("{action}{}", t.kind),
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(t),
    });
    if action == "patch" {
        // Strategic merge is accepted for built-ins, but not advertised: kubectl then computes
        // client-side apply patches from its compiled-in types rather than from these loose schemas.
        op["requestBody"] = json!({"content": {
            "application/json-patch+json": {"schema": {"type": "object"}},
            "application/merge-patch+json": {"schema": {"type": "object"}},
            "application/apply-patch+yaml": {"schema": {"type": "object"}},
        }, "required": true});
    }
    op
}

/// The OpenAPI v3 document of one group/version, or None if nothing is served there.
pub fn group_version(
    registry: &Registry,
    group: &str,
    version: &str,
    server_version: &str,
) -> Option<Value> {
    let types = registry.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut schemas = Map::new();
    schemas.insert(
        OBJECT_META.to_string(),
        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    );
    let mut paths = Map::new();
    let prefix = format!("/{}", gv_path(group, version));
    for t in types.iter().filter(|t| !t.is_review()) {
        let name = schema_name(t);
        let schema_ref = format!("#/components/schemas/{name}");
        schemas.insert(name, object_schema(t));
        let collection = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", t.plural)
        } else {
            format!("{prefix}/{}", t.plural)
        };
        paths.insert(
            collection.clone(),
            json!({"get": operation(t, "list", &schema_ref), "post": operation(t, "post", &schema_ref)}),
        );
        paths.insert(
            format!("{collection}/{{name}}"),
            json!({
                "get": operation(t, "get", &schema_ref),
                "put": operation(t, "put", &schema_ref),
                "patch": operation(t, "patch", &schema_ref),
                "delete": operation(t, "delete", &schema_ref),
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (k8tre-console simulation)", "version": server_version},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_group_versions_with_hashes() {
        let reg = Registry::new();
        let idx = index(&reg);
        let url = idx["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .expect("url");
        assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="));
        assert!(idx["paths"]["api/v1"].is_object());
    }

    #[test]
    fn patch_operations_advertise_field_validation() {
        let reg = Registry::new();
        let doc = group_version(&reg, "apps", "v1", "v1.32.4").expect("doc");
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        assert!(
            patch["parameters"]
                .as_array()
                .expect("params")
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        let schema = &doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            schema["x-kubernetes-group-version-kind"][0]["group"],
            "apps"
        );
    }
}
