//! TEMPORARY shim until the sim-patch branch lands.
use serde_json::Value;

pub struct FieldError {
    pub path: String,
    pub detail: String,
}

impl FieldError {
    pub fn invalid(path: &str, value: &str, detail: &str) -> Self {
        Self {
            path: path.to_string(),
            detail: format!("Invalid value: {value:?}: {detail}"),
        }
    }
    pub fn field(&self) -> String {
        self.path.clone()
    }
    pub fn reason(&self) -> &str {
        "FieldValueInvalid"
    }
    pub fn message(&self) -> String {
        self.detail.clone()
    }
}

pub fn dns1123_label(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("a lowercase RFC 1123 label".into())
    }
}

pub fn dns1123_subdomain(name: &str) -> Result<(), String> {
    let ok =
        !name.is_empty() && name.len() <= 253 && name.split('.').all(|p| dns1123_label(p).is_ok());
    if ok {
        Ok(())
    } else {
        Err("a lowercase RFC 1123 subdomain".into())
    }
}

pub fn validate_metadata(_obj: &Value) -> Vec<FieldError> {
    vec![]
}

pub fn validate_builtin(_kind: &str, _obj: &Value) -> Vec<FieldError> {
    vec![]
}
