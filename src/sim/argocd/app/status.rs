//! Writing an Application's status the way the controller does: conditions replaced by type
//! (keeping transition times), status patched with only what changed, the refresh
//! annotations removed in a write of their own, operation state guarded by a `test` op.

use serde_json::{Map, Value, json};

use crate::domain::argocd::{ANNOTATION_REFRESH, ANNOTATION_REFRESH_TIMESTAMP};
use crate::domain::argocd::{ApplicationCondition, ConditionType, OperationState};
use crate::sim::api::PatchType;
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;

use super::super::diff::merge_diff;
use super::super::kube::{self, APP_CONTROLLER};
use super::super::settings::NAMESPACE;

/// ArgoCD's `SetConditions`: conditions of the `evaluated` types are replaced by `new`
/// (an identical condition keeps its `lastTransitionTime`), others are kept.
pub fn set_conditions(
    existing: &[ApplicationCondition],
    new: Vec<ApplicationCondition>,
    evaluated: &[ConditionType],
    now: &str,
) -> Vec<ApplicationCondition> {
    let is_evaluated =
        |c: &ApplicationCondition| c.kind.as_ref().is_some_and(|k| evaluated.contains(k));
    let mut out: Vec<ApplicationCondition> = existing
        .iter()
        .filter(|c| !is_evaluated(c))
        .cloned()
        .collect();
    for mut condition in new {
        let same = existing
            .iter()
            .find(|c| c.kind == condition.kind && c.message == condition.message);
        condition.last_transition_time = same
            .and_then(|c| c.last_transition_time.clone())
            .or_else(|| Some(now.to_string()));
        out.push(condition);
    }
    out
}

pub fn condition(kind: ConditionType, message: impl Into<String>) -> ApplicationCondition {
    ApplicationCondition {
        kind: Some(kind),
        message: message.into(),
        ..Default::default()
    }
}

/// Patches `status` so it becomes `new_status`, sending only the difference with the
/// Application as it is now (so concurrent writes to other fields survive). Returns whether
/// anything was written.
pub fn write_status(mgmt: &ClusterState, name: &str, new_status: &Value) -> Result<bool, ApiError> {
    let Some(current) = kube::get_app(mgmt, name) else {
        return Ok(false);
    };
    let old = current.get("status").cloned().unwrap_or_else(|| json!({}));
    let Some(diff) = merge_diff(&old, new_status) else {
        return Ok(false);
    };
    kube::patch(
        mgmt,
        &kube::applications(),
        NAMESPACE,
        name,
        PatchType::Merge,
        &json!({"status": diff}),
        APP_CONTROLLER,
    )?;
    Ok(true)
}

/// Removes the refresh annotations, unless the timestamp changed since `seen_timestamp`
/// was read (then another refresh is pending and they stay).
pub fn remove_refresh_annotations(
    mgmt: &ClusterState,
    name: &str,
    seen_timestamp: Option<&str>,
) -> Result<(), ApiError> {
    let Some(current) = kube::get_app(mgmt, name) else {
        return Ok(());
    };
    let annotations = current
        .pointer("/metadata/annotations")
        .and_then(Value::as_object);
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    let mut ops = Vec::new();
    if let Some(ts) = seen_timestamp {
        ops.push(json!({"op": "test", "path": format!("/metadata/annotations/{}", escape(ANNOTATION_REFRESH_TIMESTAMP)), "value": ts}));
    }
    for key in [ANNOTATION_REFRESH, ANNOTATION_REFRESH_TIMESTAMP] {
        if annotations.is_some_and(|a| a.contains_key(key)) {
            ops.push(
                json!({"op": "remove", "path": format!("/metadata/annotations/{}", escape(key))}),
            );
        }
    }
    if ops.iter().all(|op| op["op"] == "test") {
        return Ok(());
    }
    kube::patch(
        mgmt,
        &kube::applications(),
        NAMESPACE,
        name,
        PatchType::Json,
        &Value::Array(ops),
        APP_CONTROLLER,
    )
    .map(|_| ())
}

/// Writes `status.operationState`, failing (422) if its phase is no longer `expected_phase`
/// (someone asked to terminate meanwhile). `complete` also clears `.operation`, in the same
/// write.
pub fn write_operation_state(
    mgmt: &ClusterState,
    current: &Value,
    expected_phase: Option<&str>,
    state: &OperationState,
    complete: bool,
) -> Result<(), ApiError> {
    let name = kube::text(current, "/metadata/name");
    let mut ops = Vec::new();
    if let Some(phase) = expected_phase {
        ops.push(json!({"op": "test", "path": "/status/operationState/phase", "value": phase}));
    }
    if !current.get("status").is_some_and(Value::is_object) {
        ops.push(json!({"op": "add", "path": "/status", "value": {}}));
    }
    let state_value = serde_json::to_value(state)
        .map_err(|e| ApiError::internal(format!("operation state of {name}: {e}")))?;
    ops.push(json!({"op": "add", "path": "/status/operationState", "value": state_value}));
    if complete && current.get("operation").is_some() {
        ops.push(json!({"op": "remove", "path": "/operation"}));
    }
    kube::patch(
        mgmt,
        &kube::applications(),
        NAMESPACE,
        name,
        PatchType::Json,
        &Value::Array(ops),
        APP_CONTROLLER,
    )
    .map(|_| ())
}

/// Sets or removes a key of a JSON object.
pub fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) if !v.is_null() => {
            map.insert(key.to_string(), v);
        }
        _ => {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_replaced_by_type_keeping_unchanged_transition_times() {
        let existing = vec![
            ApplicationCondition {
                last_transition_time: Some("t0".into()),
                ..condition(ConditionType::ComparisonError, "boom")
            },
            ApplicationCondition {
                last_transition_time: Some("t0".into()),
                ..condition(ConditionType::SyncError, "old")
            },
        ];
        let out = set_conditions(
            &existing,
            vec![condition(ConditionType::ComparisonError, "boom")],
            &[ConditionType::ComparisonError],
            "t1",
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].kind, Some(ConditionType::SyncError));
        assert_eq!(out[1].last_transition_time.as_deref(), Some("t0"));

        let out = set_conditions(
            &existing,
            vec![condition(ConditionType::ComparisonError, "different")],
            &[ConditionType::ComparisonError, ConditionType::SyncError],
            "t1",
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].last_transition_time.as_deref(), Some("t1"));

        let cleared = set_conditions(&existing, vec![], &[ConditionType::SyncError], "t1");
        assert_eq!(cleared.len(), 1);
        assert_eq!(cleared[0].kind, Some(ConditionType::ComparisonError));
    }
}
