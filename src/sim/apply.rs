//! TEMPORARY shim until the sim-patch branch lands (server-side apply).
use serde_json::Value;

#[derive(Debug)]
pub struct Conflict {
    pub manager: String,
    pub field: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("conflict")]
    Conflict(Vec<Conflict>),
    #[error("resourceVersion")]
    ResourceVersion { expected: String },
    #[error("{0}")]
    Invalid(String),
}

pub fn conflict_message(conflicts: &[Conflict], api_version: &str) -> String {
    format!(
        "Apply failed with {} conflict(s) using {api_version}",
        conflicts.len()
    )
}

pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    _manager: &str,
    _force: bool,
    _now: &str,
) -> Result<Value, ApplyError> {
    let mut out = live.cloned().unwrap_or_else(|| serde_json::json!({}));
    json_patch::merge(&mut out, applied);
    Ok(out)
}

pub fn record_update(
    _old: Option<&Value>,
    _new: &mut Value,
    _manager: &str,
    _operation: &str,
    _now: &str,
) {
}
