//! Resource tracking: the `argocd.argoproj.io/tracking-id` annotation ArgoCD 3.x writes on
//! everything it applies (`<app>:<group>/<kind>:<namespace>/<name>`), and an index of which
//! live objects on which cluster belong to which Application, kept from watch events.

use std::collections::{BTreeSet, HashMap};

use parking_lot::Mutex;
use serde_json::Value;

use crate::sim::resources::ResourceKey;
use crate::sim::store::{EventType, WatchEvent};

/// The annotation that ties a live object to the Application that manages it.
pub const TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// What a tracking id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingId {
    pub app: String,
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl TrackingId {
    pub fn new(app: &str, group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            app: app.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// `<app>:<group>/<kind>:<namespace>/<name>`.
    pub fn format(&self) -> String {
        format!(
            "{}:{}/{}:{}/{}",
            self.app, self.group, self.kind, self.namespace, self.name
        )
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (app, rest) = text.split_once(':')?;
        let (group_kind, namespaced_name) = rest.split_once(':')?;
        let (group, kind) = group_kind.split_once('/')?;
        let (namespace, name) = namespaced_name.split_once('/')?;
        if app.is_empty() || kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Self::new(app, group, kind, namespace, name))
    }

    /// The tracking id an object carries, if it names that very object (a copied manifest
    /// with someone else's id is not tracked, as in ArgoCD).
    pub fn of(obj: &Value) -> Option<Self> {
        let text = obj
            .pointer("/metadata/annotations")?
            .get(TRACKING_ANNOTATION)?
            .as_str()?;
        let id = Self::parse(text)?;
        let (group, _) = split_api_version(obj.get("apiVersion")?.as_str()?);
        let kind = obj.get("kind")?.as_str()?;
        let name = obj.pointer("/metadata/name")?.as_str()?;
        let namespace = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        (id.group == group && id.kind == kind && id.name == name && id.namespace == namespace)
            .then_some(id)
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Sets the tracking annotation on a manifest about to be applied.
pub fn annotate(obj: &mut Value, app: &str) {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (group, _) = split_api_version(api_version);
    let id = TrackingId::new(
        app,
        group,
        obj.get("kind").and_then(Value::as_str).unwrap_or_default(),
        obj.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        obj.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .format();
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = Value::Object(Default::default());
    }
    let meta = &mut obj["metadata"];
    if !meta.get("annotations").is_some_and(Value::is_object) {
        meta["annotations"] = Value::Object(Default::default());
    }
    meta["annotations"][TRACKING_ANNOTATION] = Value::String(id);
}

/// A live object on some cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LiveRef {
    pub resource: ResourceKey,
    pub namespace: String,
    pub name: String,
}

/// Which live objects each Application manages, per cluster (by cluster name).
#[derive(Default)]
pub struct LiveIndex {
    inner: Mutex<HashMap<String, ClusterIndex>>,
}

#[derive(Default)]
struct ClusterIndex {
    by_app: HashMap<String, BTreeSet<LiveRef>>,
    owner: HashMap<LiveRef, String>,
}

/// A cheap test before parsing: only objects mentioning the annotation can be tracked.
fn mentions_tracking(json: &[u8]) -> bool {
    let needle = TRACKING_ANNOTATION.as_bytes();
    json.windows(needle.len()).any(|w| w == needle)
}

impl LiveIndex {
    /// Updates the index from one watch event of `cluster`. Returns the Applications whose
    /// managed objects changed (the previous owner too, if the object changed hands).
    pub fn observe(&self, cluster: &str, event: &WatchEvent) -> Vec<String> {
        let live = LiveRef {
            resource: event.resource.clone(),
            namespace: event.namespace.clone(),
            name: event.name.clone(),
        };
        let owner = if event.kind != EventType::Deleted && mentions_tracking(&event.entry.json) {
            event
                .entry
                .value()
                .ok()
                .and_then(|obj| TrackingId::of(&obj))
                .map(|id| id.app)
        } else {
            None
        };
        let mut inner = self.inner.lock();
        let index = inner.entry(cluster.to_string()).or_default();
        let previous = index.owner.get(&live).cloned();
        let mut touched = Vec::new();
        if let Some(prev) = &previous
            && owner.as_ref() != Some(prev)
        {
            if let Some(set) = index.by_app.get_mut(prev) {
                set.remove(&live);
            }
            index.owner.remove(&live);
        }
        if let Some(app) = &owner {
            index.owner.insert(live.clone(), app.clone());
            index
                .by_app
                .entry(app.clone())
                .or_default()
                .insert(live.clone());
            touched.push(app.clone());
        }
        if let Some(prev) = previous
            && owner.as_ref() != Some(&prev)
        {
            touched.push(prev);
        }
        // Deletions of tracked objects matter even when the deleted state lost its owner.
        if event.kind == EventType::Deleted
            && touched.is_empty()
            && mentions_tracking(&event.entry.json)
            && let Some(id) = event.entry.value().ok().and_then(|o| TrackingId::of(&o))
        {
            touched.push(id.app);
        }
        touched
    }

    /// The live objects `app` manages on `cluster`.
    pub fn objects(&self, cluster: &str, app: &str) -> Vec<LiveRef> {
        self.inner
            .lock()
            .get(cluster)
            .and_then(|c| c.by_app.get(app))
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any Application manages this object.
    pub fn is_managed(&self, cluster: &str, live: &LiveRef) -> bool {
        self.inner
            .lock()
            .get(cluster)
            .is_some_and(|c| c.owner.contains_key(live))
    }

    /// Forgets a cluster (its watch restarts from the current state).
    pub fn reset(&self, cluster: &str) {
        self.inner.lock().remove(cluster);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::Entry;
    use serde_json::json;
    use std::sync::Arc;

    fn event(kind: EventType, obj: &Value) -> WatchEvent {
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let namespace = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        WatchEvent {
            rv: 1,
            kind,
            resource: ResourceKey::new("apps", "deployments"),
            namespace: namespace.clone(),
            name: name.clone(),
            entry: Arc::new(Entry {
                rv: 1,
                namespace,
                name,
                json: serde_json::to_vec(obj).expect("json").into(),
                uid: String::new(),
                labels: Default::default(),
                fields: vec![],
                owner_uids: vec![],
            }),
        }
    }

    fn deployment(app: Option<&str>) -> Value {
        let mut obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"}});
        if let Some(app) = app {
            annotate(&mut obj, app);
        }
        obj
    }

    #[test]
    fn tracking_ids_round_trip_and_must_name_their_object() {
        let obj = deployment(Some("web-dev"));
        let id = TrackingId::of(&obj).expect("tracked");
        assert_eq!(id.format(), "web-dev:apps/Deployment:ns/web");
        assert_eq!(TrackingId::parse(&id.format()), Some(id));
        let mut copied = obj.clone();
        copied["metadata"]["name"] = json!("copy");
        assert_eq!(TrackingId::of(&copied), None);
        assert_eq!(TrackingId::parse("nocolon"), None);
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x",
            "annotations": {TRACKING_ANNOTATION: "a:/Namespace:/x"}}});
        assert_eq!(TrackingId::of(&ns).map(|i| i.app), Some("a".to_string()));
    }

    #[test]
    fn the_index_follows_adds_ownership_changes_and_deletes() {
        let index = LiveIndex::default();
        let touched = index.observe("dev", &event(EventType::Added, &deployment(Some("a"))));
        assert_eq!(touched, vec!["a"]);
        assert_eq!(index.objects("dev", "a").len(), 1);
        assert!(index.objects("stg", "a").is_empty());

        let touched = index.observe("dev", &event(EventType::Modified, &deployment(Some("b"))));
        assert_eq!(touched, vec!["b", "a"]);
        assert!(index.objects("dev", "a").is_empty());
        assert_eq!(index.objects("dev", "b").len(), 1);

        let touched = index.observe("dev", &event(EventType::Modified, &deployment(None)));
        assert_eq!(touched, vec!["b"]);
        assert!(index.objects("dev", "b").is_empty());

        index.observe("dev", &event(EventType::Added, &deployment(Some("c"))));
        let touched = index.observe("dev", &event(EventType::Deleted, &deployment(Some("c"))));
        assert_eq!(touched, vec!["c"]);
        assert!(index.objects("dev", "c").is_empty());
    }
}
