//! TEMPORARY shim until the sim-patch branch lands (merge, JSON and strategic patches).
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, PatchError> {
    let p: json_patch::Patch =
        serde_json::from_value(ops.clone()).map_err(|e| PatchError(e.to_string()))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &p).map_err(|e| PatchError(e.to_string()))?;
    Ok(out)
}

pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    Ok(merge_patch(target, patch))
}
