//! One task per (connection, watch): `kube::runtime::watcher` with kube's default backoff,
//! its events turned into [`LiveEvent`]s, and the wire tap's activity reported as `Alive`.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::discovery::CLUSTER_SECRET_SELECTOR;
use super::event::{ContextName, LiveEvent, LiveObject, ObjKey, WatchFailure, WatchKind};
use super::objects::{
    AppRecord, AppSetRecord, CILIUM_CONFIG, ClusterSecretRecord, ConfigMapRecord,
    GATEWAY_API_GROUP, SlimEvent, SlimNode, SlimPod, SlimWorkload, WorkloadKind,
    storage_class_from_wire,
};
use super::strings::SharedStrings;
use super::wire::{
    AppProjectMarker, ApplicationSetWire, ApplicationWire, ClusterSecretWire, ConfigMapWire,
    CrdMarker, DaemonSetWire, DeploymentWire, EventWire, NodeWire, PodWire, StatefulSetWire,
    StorageClassWire,
};
use super::wiretap::{Activity, WireTap};

/// How often a watch task looks at its wire activity.
const ALIVE_CHECK: Duration = Duration::from_secs(1);

/// What every watch task of a connection shares.
#[derive(Clone)]
pub struct WatchContext {
    pub context: ContextName,
    pub client: Client,
    pub tap: WireTap,
    pub tx: mpsc::Sender<LiveEvent>,
    pub strings: SharedStrings,
    pub argocd_namespace: Arc<str>,
}

/// Runs one watch until the receiver goes away (or the task is aborted).
pub async fn run_watch(ctx: WatchContext, watch: WatchKind) {
    let client = ctx.client.clone();
    let ns = ctx.argocd_namespace.clone();
    let strings = ctx.strings.clone();
    let default = watcher::Config::default();
    match watch {
        WatchKind::Applications => {
            let source = ctx.context.clone();
            let api = Api::<ApplicationWire>::namespaced(client, &ns);
            full(ctx, watch, api, default, move |w| {
                Some(LiveObject::Application(Box::new(AppRecord::from_wire(
                    w, &source, &strings,
                ))))
            })
            .await
        }
        WatchKind::ApplicationSets => {
            let api = Api::<ApplicationSetWire>::namespaced(client, &ns);
            full(ctx, watch, api, default, move |w| {
                let (key, record) = AppSetRecord::from_wire(w, &strings);
                Some(LiveObject::ApplicationSet(key, record))
            })
            .await
        }
        WatchKind::AppProjects => {
            let api = Api::<PartialObjectMeta<AppProjectMarker>>::namespaced(client, &ns);
            full(ctx, watch, api, default, move |meta| {
                Some(LiveObject::AppProject(key_of(&meta, &strings)))
            })
            .await
        }
        WatchKind::ClusterSecrets => {
            let api = Api::<ClusterSecretWire>::namespaced(client, &ns);
            let config = watcher::Config::default().labels(CLUSTER_SECRET_SELECTOR);
            full(ctx, watch, api, config, move |w| {
                let (key, record) = ClusterSecretRecord::from_wire(w, &strings);
                Some(LiveObject::ClusterSecret(key, record))
            })
            .await
        }
        WatchKind::ArgoCdConfigMaps => {
            let api = Api::<ConfigMapWire>::namespaced(client, &ns);
            full(ctx, watch, api, default, move |w| {
                ConfigMapRecord::from_wire(w, &strings).map(|(k, r)| LiveObject::ConfigMap(k, r))
            })
            .await
        }
        WatchKind::CiliumConfig => {
            let api = Api::<ConfigMapWire>::namespaced(client, "kube-system");
            let config =
                watcher::Config::default().fields(&format!("metadata.name={CILIUM_CONFIG}"));
            full(ctx, watch, api, config, move |w| {
                ConfigMapRecord::from_wire(w, &strings).map(|(k, r)| LiveObject::ConfigMap(k, r))
            })
            .await
        }
        WatchKind::Nodes => {
            let api = Api::<NodeWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, node) = SlimNode::from_wire(w, &strings);
                Some(LiveObject::Node(key, node))
            })
            .await
        }
        WatchKind::Deployments => {
            let api = Api::<DeploymentWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, wl) = SlimWorkload::from_body(WorkloadKind::Deployment, w.body, &strings);
                Some(LiveObject::Workload(key, wl))
            })
            .await
        }
        WatchKind::StatefulSets => {
            let api = Api::<StatefulSetWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, wl) =
                    SlimWorkload::from_body(WorkloadKind::StatefulSet, w.body, &strings);
                Some(LiveObject::Workload(key, wl))
            })
            .await
        }
        WatchKind::DaemonSets => {
            let api = Api::<DaemonSetWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, wl) = SlimWorkload::from_body(WorkloadKind::DaemonSet, w.body, &strings);
                Some(LiveObject::Workload(key, wl))
            })
            .await
        }
        WatchKind::Pods => {
            let api = Api::<PodWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, pod) = SlimPod::from_wire(w, &strings);
                Some(LiveObject::Pod(key, pod))
            })
            .await
        }
        WatchKind::WarningEvents => {
            let api = Api::<EventWire>::all(client);
            let config = watcher::Config::default().fields("type=Warning");
            full(ctx, watch, api, config, move |w| {
                SlimEvent::from_wire(w, &strings).map(|(k, e)| LiveObject::Event(k, e))
            })
            .await
        }
        WatchKind::GatewayCrds => {
            let api = Api::<PartialObjectMeta<CrdMarker>>::all(client);
            let suffix = format!(".{GATEWAY_API_GROUP}");
            full(ctx, watch, api, default, move |meta| {
                let key = key_of(&meta, &strings);
                key.name.ends_with(&suffix).then_some(LiveObject::Crd(key))
            })
            .await
        }
        WatchKind::StorageClasses => {
            let api = Api::<StorageClassWire>::all(client);
            full(ctx, watch, api, default, move |w| {
                let (key, fact) = storage_class_from_wire(w, &strings);
                Some(LiveObject::StorageClass(key, fact))
            })
            .await
        }
    }
}

/// A full-object watch.
async fn full<K, F>(
    ctx: WatchContext,
    watch: WatchKind,
    api: Api<K>,
    config: watcher::Config,
    convert: F,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    F: FnMut(K) -> Option<LiveObject>,
{
    let path = api.resource_url().to_string();
    let stream = watcher::watcher(api, config);
    drive(ctx, watch, &path, stream, convert).await
}

/// Drives a watcher stream with backoff, forwarding its events and its wire activity.
async fn drive<T, S, F>(ctx: WatchContext, watch: WatchKind, path: &str, stream: S, mut convert: F)
where
    T: Resource,
    S: Stream<Item = watcher::Result<Event<T>>> + Send,
    F: FnMut(T) -> Option<LiveObject>,
{
    let activity = ctx.tap.register(path);
    let stream = stream.default_backoff();
    futures::pin_mut!(stream);
    let mut alive = AliveTracker::new(activity);
    let mut tick = tokio::time::interval(ALIVE_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            item = stream.next() => match item {
                Some(item) => translate(&ctx, watch, item, &mut convert),
                None => break,
            },
            _ = tick.tick() => alive.check().map(|at| LiveEvent::Alive {
                context: ctx.context.clone(),
                watch,
                at,
            }),
        };
        if let Some(event) = event
            && ctx.tx.send(event).await.is_err()
        {
            break;
        }
    }
}

fn translate<T: Resource, F: FnMut(T) -> Option<LiveObject>>(
    ctx: &WatchContext,
    watch: WatchKind,
    item: watcher::Result<Event<T>>,
    convert: &mut F,
) -> Option<LiveEvent> {
    let context = ctx.context.clone();
    let at = Utc::now();
    Some(match item {
        Ok(Event::Init) => LiveEvent::ListStarted { context, watch },
        Ok(Event::InitDone) => LiveEvent::ListDone { context, watch, at },
        Ok(Event::InitApply(object) | Event::Apply(object)) => LiveEvent::Applied {
            context,
            watch,
            at,
            object: convert(object)?,
        },
        Ok(Event::Delete(object)) => LiveEvent::Deleted {
            context,
            watch,
            at,
            key: key_of(&object, &ctx.strings),
        },
        Err(error) => {
            let failure = classify(&error);
            tracing::debug!(context = %ctx.context, %watch, %failure, "watch failed");
            LiveEvent::Failed {
                context,
                watch,
                at,
                failure,
            }
        }
    })
}

/// Reports wire activity once per change.
struct AliveTracker {
    activity: Arc<Activity>,
    reported: i64,
}

impl AliveTracker {
    fn new(activity: Arc<Activity>) -> AliveTracker {
        AliveTracker {
            activity,
            reported: 0,
        }
    }

    fn check(&mut self) -> Option<DateTime<Utc>> {
        let last = self.activity.last_millis();
        if last <= self.reported {
            return None;
        }
        self.reported = last;
        Utc.timestamp_millis_opt(last).single()
    }
}

fn key_of<T: Resource>(object: &T, strings: &SharedStrings) -> ObjKey {
    let meta = object.meta();
    ObjKey::new(
        strings.intern(meta.namespace.as_deref().unwrap_or_default()),
        Arc::from(meta.name.as_deref().unwrap_or_default()),
    )
}

/// Names what went wrong, RBAC and expiry apart from connectivity.
pub fn classify(error: &watcher::Error) -> WatchFailure {
    match error {
        watcher::Error::InitialListFailed(e) => from_client(e, "list"),
        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            from_client(e, "watch")
        }
        watcher::Error::WatchError(status) => from_status(status.code, &status.message, "watch"),
        watcher::Error::NoResourceVersion => WatchFailure::Decode {
            message: "no metadata.resourceVersion in the answer".into(),
        },
    }
}

/// Classifies a kube client error for a request with `verb`.
pub fn from_client(error: &kube::Error, verb: &'static str) -> WatchFailure {
    match error {
        kube::Error::Api(status) => from_status(status.code, &status.message, verb),
        kube::Error::SerdeError(e) => WatchFailure::Decode {
            message: e.to_string(),
        },
        other => WatchFailure::Transport {
            message: error_chain(other),
        },
    }
}

fn from_status(code: u16, message: &str, verb: &'static str) -> WatchFailure {
    let message = message.to_string();
    match code {
        401 => WatchFailure::Unauthorized { message },
        403 => WatchFailure::Forbidden { verb, message },
        404 => WatchFailure::NotFound { message },
        410 => WatchFailure::Gone,
        _ => WatchFailure::Api { code, message },
    }
}

/// An error and its causes on one line, without repeats (hyper nests several layers).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    #[test]
    fn failures_are_classified() {
        let api = |code: u16| {
            kube::Error::Api(Status::failure("nope", "Forbidden").with_code(code).boxed())
        };
        assert!(matches!(
            classify(&watcher::Error::InitialListFailed(api(403))),
            WatchFailure::Forbidden { verb: "list", .. }
        ));
        assert!(matches!(
            classify(&watcher::Error::WatchStartFailed(api(403))),
            WatchFailure::Forbidden { verb: "watch", .. }
        ));
        assert_eq!(
            classify(&watcher::Error::WatchError(
                Status::failure("too old", "Expired").with_code(410).boxed()
            )),
            WatchFailure::Gone
        );
        assert!(matches!(
            classify(&watcher::Error::InitialListFailed(api(401))),
            WatchFailure::Unauthorized { .. }
        ));
        assert!(matches!(
            classify(&watcher::Error::InitialListFailed(api(503))),
            WatchFailure::Api { code: 503, .. }
        ));
    }

    #[test]
    fn alive_reports_each_change_once() {
        let activity = Arc::new(Activity::default());
        let mut tracker = AliveTracker::new(activity.clone());
        assert_eq!(tracker.check(), None, "nothing yet");
        activity.stamp();
        assert!(tracker.check().is_some());
        assert_eq!(tracker.check(), None, "reported already");
    }
}
