//! Authentication by bearer token and the simulator's two roles: an admin who may do anything
//! and a viewer who may only get, list and watch.

use std::collections::HashMap;

use serde::Serialize;

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
    pub role: Role,
}

impl User {
    /// Whether this user may perform `verb` (Kubernetes verbs) on any resource.
    pub fn may(&self, verb: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Viewer => matches!(verb, "get" | "list" | "watch"),
        }
    }
}

/// The credentials one simulated cluster accepts.
#[derive(Debug, Clone)]
pub struct Users {
    by_token: HashMap<String, User>,
    pub admin_token: String,
    pub viewer_token: String,
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

impl Users {
    /// Fresh random tokens for `k8tre-admin` and `k8tre-viewer` of a cluster.
    pub fn generate(cluster: &str) -> Self {
        Self::with_tokens(
            random_token(&format!("sim-{cluster}-admin")),
            random_token(&format!("sim-{cluster}-viewer")),
        )
    }

    pub fn with_tokens(admin_token: String, viewer_token: String) -> Self {
        let mut by_token = HashMap::new();
        by_token.insert(
            admin_token.clone(),
            User {
                name: "k8tre-admin".to_string(),
                groups: vec![
                    "system:masters".to_string(),
                    "system:authenticated".to_string(),
                ],
                role: Role::Admin,
            },
        );
        by_token.insert(
            viewer_token.clone(),
            User {
                name: "k8tre-viewer".to_string(),
                groups: vec![
                    "k8tre:viewers".to_string(),
                    "system:authenticated".to_string(),
                ],
                role: Role::Viewer,
            },
        );
        Self {
            by_token,
            admin_token,
            viewer_token,
        }
    }

    /// The user an `Authorization` header names, or 401.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<&User, ApiError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        self.by_token.get(token).ok_or_else(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_roles() {
        let users = Users::generate("dev");
        let admin = users
            .authenticate(Some(&format!("Bearer {}", users.admin_token)))
            .expect("admin");
        assert!(admin.may("patch"));
        let viewer = users
            .authenticate(Some(&format!("Bearer {}", users.viewer_token)))
            .expect("viewer");
        assert!(viewer.may("watch") && !viewer.may("create") && !viewer.may("delete"));
        assert_eq!(users.authenticate(None).err().map(|e| e.code), Some(401));
        assert_eq!(
            users
                .authenticate(Some("Bearer nope"))
                .err()
                .map(|e| e.code),
            Some(401)
        );
        assert_eq!(
            users.authenticate(Some("Basic abc")).err().map(|e| e.code),
            Some(401)
        );
    }
}
