//! Parses request paths into the Kubernetes API's routes.

/// Where a resource request points.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The legacy `/watch/` path prefix was used.
    pub legacy_watch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`
    GroupVersion(String, String),
    OpenApiV3Index,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`
    OpenApiV3(String, String),
    OpenApiV2,
    Resource(ResourcePath),
}

/// Parses a URL path (without query). None when nothing is served there.
pub fn parse(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Some(Route::Version),
        ["healthz"] | ["livez"] | ["readyz"] => Some(Route::Health),
        ["api"] => Some(Route::CoreVersions),
        ["apis"] => Some(Route::Groups),
        ["apis", group] => Some(Route::Group(group.to_string())),
        ["api", version] => Some(Route::GroupVersion(String::new(), version.to_string())),
        ["apis", group, version] => {
            Some(Route::GroupVersion(group.to_string(), version.to_string()))
        }
        ["openapi", "v3"] => Some(Route::OpenApiV3Index),
        ["openapi", "v3", "api", version] => {
            Some(Route::OpenApiV3(String::new(), version.to_string()))
        }
        ["openapi", "v3", "apis", group, version] => {
            Some(Route::OpenApiV3(group.to_string(), version.to_string()))
        }
        ["openapi", "v2"] => Some(Route::OpenApiV2),
        ["api", version, rest @ ..] => resource("", version, rest),
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        _ => None,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let owned = |s: &&str| s.to_string();
    let mut path = ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        legacy_watch,
        ..ResourcePath::default()
    };
    match rest {
        // The Namespace object itself, and its subresources.
        ["namespaces"] => path.plural = "namespaces".into(),
        ["namespaces", name] => {
            path.plural = "namespaces".into();
            path.name = Some(name.to_string());
        }
        ["namespaces", name, sub @ ("status" | "finalize")] => {
            path.plural = "namespaces".into();
            path.name = Some(name.to_string());
            path.subresource = Some(sub.to_string());
        }
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => {
            path.namespace = Some(ns.to_string());
            path.plural = plural.to_string();
            path.name = tail.first().map(owned);
            path.subresource = tail.get(1).map(owned);
        }
        [plural, tail @ ..] if tail.len() <= 2 => {
            path.plural = plural.to_string();
            path.name = tail.first().map(owned);
            path.subresource = tail.get(1).map(owned);
        }
        _ => return None,
    }
    Some(Route::Resource(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path) {
            Some(Route::Resource(r)) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn discovery_routes() {
        assert_eq!(parse("/api"), Some(Route::CoreVersions));
        assert_eq!(
            parse("/api/v1"),
            Some(Route::GroupVersion(String::new(), "v1".into()))
        );
        assert_eq!(
            parse("/apis/apps/v1"),
            Some(Route::GroupVersion("apps".into(), "v1".into()))
        );
        assert_eq!(
            parse("/openapi/v3/apis/apps/v1"),
            Some(Route::OpenApiV3("apps".into(), "v1".into()))
        );
        assert_eq!(parse("/version/"), Some(Route::Version));
    }

    #[test]
    fn namespaced_and_cluster_resources() {
        let p = res("/api/v1/namespaces/default/pods/web-0/log");
        assert_eq!(
            (
                p.namespace.as_deref(),
                p.plural.as_str(),
                p.name.as_deref(),
                p.subresource.as_deref()
            ),
            (Some("default"), "pods", Some("web-0"), Some("log"))
        );
        let ns = res("/api/v1/namespaces/argocd");
        assert_eq!(
            (ns.plural.as_str(), ns.name.as_deref(), ns.namespace),
            ("namespaces", Some("argocd"), None)
        );
        let status = res("/api/v1/namespaces/argocd/status");
        assert_eq!(status.subresource.as_deref(), Some("status"));
        let all = res("/apis/apps/v1/deployments");
        assert_eq!(
            (all.group.as_str(), all.namespace, all.name),
            ("apps", None, None)
        );
        let watch = res("/api/v1/watch/namespaces/default/pods");
        assert!(watch.legacy_watch);
        assert_eq!(watch.plural, "pods");
        assert!(parse("/apis/apps/v1/namespaces/a/b/c/d/e").is_none());
        assert!(parse("/nothing").is_none());
    }
}
