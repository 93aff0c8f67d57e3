//! API errors as the Kubernetes API server reports them: a `metav1.Status` with code and reason.

use serde_json::{Value, json};

use super::validate::{FieldError, invalid_message};

/// A failed API request, rendered as a `metav1.Status` body with the matching HTTP code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// Identifies the object an error is about, for `Status.details`.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    pub group: &'a str,
    pub plural: &'a str,
    pub name: &'a str,
}

impl Subject<'_> {
    /// `deployments.apps "web"`, or `namespaces "x"` for the core group.
    fn qualified(&self) -> String {
        if self.group.is_empty() {
            format!("{} {:?}", self.plural, self.name)
        } else {
            format!("{}.{} {:?}", self.plural, self.group, self.name)
        }
    }

    fn details(&self) -> Value {
        let mut d = json!({"name": self.name, "kind": self.plural});
        if !self.group.is_empty() {
            d["group"] = json!(self.group);
        }
        d
    }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(user: &str, verb: &str, s: &Subject<'_>, namespace: Option<&str>) -> Self {
        let scope = match namespace {
            Some(ns) if !ns.is_empty() => format!(" in the namespace {ns:?}"),
            _ => " at the cluster scope".to_string(),
        };
        let target = if s.name.is_empty() {
            s.qualified().replace(" \"\"", "")
        } else {
            s.qualified()
        };
        Self::new(
            403,
            "Forbidden",
            format!(
                "{target} is forbidden: User {user:?} cannot {verb} resource {:?} in API group {:?}{scope}",
                s.plural, s.group
            ),
        )
        .with_details(s.details())
    }

    pub fn not_found(s: &Subject<'_>) -> Self {
        Self::new(404, "NotFound", format!("{} not found", s.qualified())).with_details(s.details())
    }

    /// A URL that names no known resource.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({method} {path})"
            ),
        )
    }

    pub fn not_acceptable(accept: &str) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: application/json, application/yaml; got {accept:?}"
            ),
        )
    }

    pub fn already_exists(s: &Subject<'_>) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} already exists", s.qualified()),
        )
        .with_details(s.details())
    }

    /// Optimistic-concurrency failure: the write named a stale resourceVersion.
    pub fn conflict(s: &Subject<'_>, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {}: {why}", s.qualified()),
        )
        .with_details(s.details())
    }

    /// A server-side apply conflict between field managers.
    pub fn apply_conflict(message: String, causes: Vec<Value>, s: &Subject<'_>) -> Self {
        let mut details = s.details();
        details["causes"] = Value::Array(causes);
        Self::new(409, "Conflict", message).with_details(details)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn too_large() -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {content_type:?}"
            ),
        )
    }

    /// 415 for a protobuf body of a kind the simulation cannot decode.
    pub fn protobuf_unsupported(kind: &str, known: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the simulated API server reads protobuf bodies only for {}; send {kind} as JSON (kubectl create -f / apply -f do)",
                known.join(", ")
            ),
        )
    }

    /// 422 Invalid with one cause per invalid field, worded as the API server words them.
    pub fn invalid(kind: &str, name: &str, group: &str, errors: &[FieldError]) -> Self {
        let causes: Vec<Value> = errors.iter().map(FieldError::status_cause).collect();
        let mut details = json!({"name": name, "kind": kind, "causes": causes});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        Self::new(422, "Invalid", invalid_message(&qualified, name, errors)).with_details(details)
    }

    /// A patch that could not be applied (a failed JSON patch `test`, a bad path).
    pub fn invalid_patch(message: &str) -> Self {
        Self::new(
            422,
            "Invalid",
            format!("the server rejected our request due to an error in our request: {message}"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// The `metav1.Status` body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

/// The `Status` a successful DELETE of a collection or a finalizer-pending delete can return.
pub fn success_status(s: &Subject<'_>, uid: &str) -> Value {
    let mut details = s.details();
    details["uid"] = json!(uid);
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_like_kubernetes() {
        let s = Subject {
            group: "apps",
            plural: "deployments",
            name: "web",
        };
        let e = ApiError::not_found(&s);
        assert_eq!(e.message, "deployments.apps \"web\" not found");
        assert_eq!(e.to_status()["code"], 404);
        assert_eq!(e.to_status()["details"]["group"], "apps");
    }

    #[test]
    fn forbidden_names_user_verb_and_scope() {
        let s = Subject {
            group: "",
            plural: "configmaps",
            name: "cm",
        };
        let e = ApiError::forbidden("k8tre-viewer", "patch", &s, Some("default"));
        assert_eq!(
            e.message,
            "configmaps \"cm\" is forbidden: User \"k8tre-viewer\" cannot patch resource \"configmaps\" in API group \"\" in the namespace \"default\""
        );
    }

    #[test]
    fn invalid_lists_causes() {
        let errors = [FieldError::invalid(
            "metadata.name",
            &json!("Bad_Name"),
            "must be lower case",
        )];
        let e = ApiError::invalid("ConfigMap", "Bad_Name", "", &errors);
        assert_eq!(e.code, 422);
        assert!(
            e.message
                .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"),
            "{}",
            e.message
        );
        assert_eq!(
            e.to_status()["details"]["causes"][0]["field"],
            "metadata.name"
        );
    }
}
