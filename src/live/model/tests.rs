//! The model fed synthetic events: topology, placement, roll-ups, connection truth,
//! staleness, relists, and the app → pods/events queries.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kube::config::Kubeconfig;
use serde_json::{Value, json};

use super::*;
use crate::domain::argocd::HealthStatus;
use crate::domain::estate::{CellState, Unavailable, Verdict};
use crate::live::discovery::KubeconfigSource;
use crate::live::event::{AccessCheck, WatchFailure};
use crate::live::objects::{ClusterSecretRecord, SlimEvent, SlimPod};
use crate::live::wire::{ApplicationWire, EventWire, PodWire};

const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
current-context: mgmt
clusters:
- {name: mgmt, cluster: {server: "https://mgmt:6443"}}
- {name: dev, cluster: {server: "https://dev:6443"}}
contexts:
- {name: mgmt, context: {cluster: mgmt, user: u}}
- {name: dev, context: {cluster: dev, user: u}}
users:
- {name: u, user: {token: t}}
"#;

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + seconds, 0)
        .single()
        .expect("time")
}

fn model_with(settings: ModelSettings) -> EstateModel {
    let contexts = Contexts::from_kubeconfig(
        Kubeconfig::from_yaml(KUBECONFIG).expect("kubeconfig"),
        KubeconfigSource::File(PathBuf::from("/kc")),
    )
    .expect("contexts");
    EstateModel::new(settings, Arc::new(contexts), SharedStrings::default())
}

fn model() -> EstateModel {
    model_with(ModelSettings::new("mgmt"))
}

fn c(name: &str) -> ContextName {
    Arc::from(name)
}

fn key(ns: &str, name: &str) -> ObjKey {
    ObjKey::new(Arc::from(ns), Arc::from(name))
}

fn secret(name: &str, server: &str, labels: &[(&str, &str)]) -> LiveObject {
    let mut map: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.insert("argocd.argoproj.io/secret-type".into(), "cluster".into());
    LiveObject::ClusterSecret(
        key("argocd", &format!("cluster-{name}")),
        ClusterSecretRecord {
            cluster_name: Arc::from(name),
            server: Arc::from(server),
            labels: map,
            annotations: BTreeMap::new(),
        },
    )
}

fn application(value: Value) -> LiveObject {
    let wire: ApplicationWire = serde_json::from_value(value).expect("application");
    LiveObject::Application(Box::new(AppRecord::from_wire(
        wire,
        "mgmt",
        &SharedStrings::default(),
    )))
}

fn app(name: &str, destination: &str, path: &str, health: &str, sync: &str) -> LiveObject {
    application(json!({
        "metadata": {"name": name, "namespace": "argocd",
            "ownerReferences": [{"kind": "ApplicationSet", "name": path.split('/').nth(1).unwrap_or_default(), "controller": true}]},
        "spec": {"project": "default", "destination": {"server": destination, "namespace": "x"},
            "source": {"repoURL": "https://git", "path": path, "targetRevision": "main"},
            "syncPolicy": {"automated": {"prune": true}}},
        "status": {"health": {"status": health}, "sync": {"status": sync, "revision": "abc123"},
            "resources": [{"group": "apps", "kind": "Deployment", "namespace": "x", "name": "web"}]}
    }))
}

fn applied(context: &str, watch: WatchKind, at: DateTime<Utc>, object: LiveObject) -> LiveEvent {
    LiveEvent::Applied {
        context: c(context),
        watch,
        at,
        object,
    }
}

/// A complete list of one watch.
fn list(
    model: &mut EstateModel,
    context: &str,
    watch: WatchKind,
    at: DateTime<Utc>,
    objects: Vec<LiveObject>,
) {
    model.apply(LiveEvent::ListStarted {
        context: c(context),
        watch,
    });
    for object in objects {
        model.apply(applied(context, watch, at, object));
    }
    model.apply(LiveEvent::ListDone {
        context: c(context),
        watch,
        at,
    });
}

/// Every registered watch of a connection lists (empty unless listed before).
fn list_all(model: &mut EstateModel, context: &str, at: DateTime<Utc>) {
    let watches: Vec<WatchKind> = model
        .connection(context)
        .map(|conn| {
            conn.watches
                .iter()
                .filter(|(_, s)| !s.listed && !matches!(s.phase, WatchPhase::Forbidden { .. }))
                .map(|(k, _)| *k)
                .collect()
        })
        .unwrap_or_default();
    for watch in watches {
        list(model, context, watch, at, Vec::new());
    }
}

/// mgmt and dev live with three dev apps; prd has no context.
fn estate() -> EstateModel {
    let mut m = model();
    list(
        &mut m,
        "mgmt",
        WatchKind::ClusterSecrets,
        t(0),
        vec![
            secret(
                "k8tre-dev",
                "https://dev:6443/",
                &[("environment", "dev"), ("vendor", "k3s")],
            ),
            secret("k8tre-prd", "https://prd:6443", &[("environment", "prd")]),
        ],
    );
    let desired = m.take_connections_change().expect("topology changed");
    assert_eq!(desired.len(), 2, "{desired:?}");
    list(
        &mut m,
        "mgmt",
        WatchKind::Applications,
        t(0),
        vec![
            app(
                "jupyterhub-k8tre-dev",
                "https://dev:6443",
                "apps/jupyterhub/envs/dev",
                "Healthy",
                "Synced",
            ),
            app(
                "gateway-k8tre-dev",
                "https://dev:6443",
                "agnostics/gateway/k3s/envs/dev",
                "Healthy",
                "Synced",
            ),
            app(
                "jupyterhub-k8tre-prd",
                "https://prd:6443",
                "apps/jupyterhub/envs/prd",
                "Healthy",
                "Synced",
            ),
        ],
    );
    list_all(&mut m, "mgmt", t(0));
    list_all(&mut m, "dev", t(0));
    m.refresh(t(1));
    m
}

fn cell(m: &EstateModel, layer: Layer, env: Environment) -> CellState {
    m.matrix()
        .and_then(|x| x.cell(layer, &env).map(|r| r.state))
        .expect("cell")
}

#[test]
fn targets_come_from_cluster_secrets() {
    let m = estate();
    let names: Vec<&str> = m.clusters().iter().map(|c| &*c.name).collect();
    assert_eq!(names, vec!["mgmt", "k8tre-dev", "k8tre-prd"]);
    let dev = m.cluster("k8tre-dev").expect("dev");
    assert_eq!(dev.context.as_deref(), Some("dev"));
    assert_eq!(dev.connection, ConnectionState::Live);
    assert_eq!(
        m.link("k8tre-dev").and_then(|l| l.rule),
        Some(MatchRule::Server)
    );
    let prd = m.cluster("k8tre-prd").expect("prd");
    assert_eq!(prd.connection, ConnectionState::NoContext);
    assert!(
        m.warnings()
            .iter()
            .any(|w| w.contains("k8tre-prd") && w.contains("no kubeconfig context"))
    );
    assert!(m.is_settled());
}

#[test]
fn applications_are_placed_and_rolled_up() {
    let mut m = estate();
    let (summary, _) = m.app("argocd", "jupyterhub-k8tre-dev").expect("app");
    assert_eq!(summary.cluster.as_deref(), Some("k8tre-dev"));
    assert_eq!(summary.environment, Some(Environment::Dev));
    assert_eq!(&*summary.source, "mgmt");
    assert!(cell(&m, Layer::Application, Environment::Dev).is_healthy());
    // ArgoCD's view of prd is current though prd has no context.
    assert!(cell(&m, Layer::Application, Environment::Prd).is_healthy());
    assert_eq!(
        cell(&m, Layer::Infrastructure, Environment::Prd),
        CellState::Unknown(Unavailable::NoContext)
    );

    m.apply(applied(
        "mgmt",
        WatchKind::Applications,
        t(2),
        app(
            "jupyterhub-k8tre-dev",
            "https://dev:6443",
            "apps/jupyterhub/envs/dev",
            "Degraded",
            "OutOfSync",
        ),
    ));
    m.refresh(t(3));
    assert_eq!(
        cell(&m, Layer::Application, Environment::Dev),
        CellState::Live(Verdict::Health(HealthStatus::Degraded))
    );
    m.apply(LiveEvent::Deleted {
        context: c("mgmt"),
        watch: WatchKind::Applications,
        at: t(4),
        key: key("argocd", "jupyterhub-k8tre-dev"),
    });
    m.refresh(t(5));
    assert_eq!(m.apps().len(), 2);
    assert_eq!(
        cell(&m, Layer::Application, Environment::Dev),
        CellState::Empty
    );
}

#[test]
fn an_unreachable_target_is_never_healthy() {
    let mut m = estate();
    for n in 0..UNREACHABLE_AFTER {
        m.apply(LiveEvent::Failed {
            context: c("dev"),
            watch: WatchKind::Nodes,
            at: t(10 + i64::from(n)),
            failure: WatchFailure::Transport {
                message: "connection refused".into(),
            },
        });
    }
    m.refresh(t(20));
    let dev = m.cluster("k8tre-dev").expect("dev");
    assert!(
        matches!(&dev.connection, ConnectionState::Unreachable { error, since } if error.contains("refused") && *since == t(10)),
        "{:?}",
        dev.connection
    );
    let infra = cell(&m, Layer::Infrastructure, Environment::Dev);
    assert!(matches!(infra, CellState::Stale { .. }), "{infra}");
    assert!(!infra.is_healthy());
    // The watch answers again: live once more.
    m.apply(LiveEvent::Alive {
        context: c("dev"),
        watch: WatchKind::Nodes,
        at: t(21),
    });
    m.refresh(t(22));
    assert_eq!(
        m.cluster("k8tre-dev").map(|c| c.connection.clone()),
        Some(ConnectionState::Live)
    );
}

#[test]
fn forbidden_applications_make_the_management_data_unknown() {
    let mut m = estate();
    m.apply(LiveEvent::Failed {
        context: c("mgmt"),
        watch: WatchKind::Applications,
        at: t(5),
        failure: WatchFailure::Forbidden {
            verb: "watch",
            message: "applications.argoproj.io is forbidden".into(),
        },
    });
    m.refresh(t(6));
    let mgmt = m.cluster("mgmt").expect("mgmt");
    assert_eq!(
        mgmt.connection,
        ConnectionState::Forbidden {
            verb: "watch".into(),
            resource: "applications.argoproj.io".into()
        }
    );
    for env in [Environment::Dev, Environment::Prd] {
        assert_eq!(
            cell(&m, Layer::Application, env),
            CellState::Unknown(Unavailable::Forbidden)
        );
    }
    assert_eq!(
        m.connection("mgmt").map(|c| c.forbidden()),
        Some(vec![("watch", "applications.argoproj.io")])
    );
}

#[test]
fn a_forbidden_fact_watch_leaves_the_fact_unknown() {
    let mut m = estate();
    m.apply(LiveEvent::Failed {
        context: c("dev"),
        watch: WatchKind::StorageClasses,
        at: t(5),
        failure: WatchFailure::Forbidden {
            verb: "list",
            message: "nope".into(),
        },
    });
    m.refresh(t(6));
    let dev = m.cluster("k8tre-dev").expect("dev");
    assert_eq!(
        dev.connection,
        ConnectionState::Live,
        "one refused watch is not the cluster"
    );
    // Listed before the refusal: the last list is still what is known.
    assert!(dev.facts.storage_classes.is_some());
    let mut fresh = model();
    list(
        &mut fresh,
        "mgmt",
        WatchKind::ClusterSecrets,
        t(0),
        vec![secret(
            "k8tre-dev",
            "https://dev:6443",
            &[("environment", "dev")],
        )],
    );
    fresh.take_connections_change();
    fresh.apply(LiveEvent::Failed {
        context: c("dev"),
        watch: WatchKind::StorageClasses,
        at: t(1),
        failure: WatchFailure::Forbidden {
            verb: "list",
            message: "nope".into(),
        },
    });
    list_all(&mut fresh, "dev", t(1));
    fresh.refresh(t(2));
    let dev = fresh.cluster("k8tre-dev").expect("dev");
    assert_eq!(
        dev.facts.storage_classes, None,
        "never listed: unknown, not empty"
    );
}

#[test]
fn quiet_watches_turn_stale_and_bookmarks_keep_them_fresh() {
    let mut m = estate();
    m.refresh(t(200));
    let dev = m.cluster("k8tre-dev").expect("dev");
    assert!(matches!(dev.data_state(t(200)), DataState::Stale { .. }));
    assert!(matches!(
        cell(&m, Layer::Application, Environment::Dev),
        CellState::Stale { .. }
    ));
    for context in ["mgmt", "dev"] {
        let watches: Vec<WatchKind> = m
            .connection(context)
            .expect("conn")
            .watches
            .keys()
            .copied()
            .collect();
        for watch in watches {
            m.apply(LiveEvent::Alive {
                context: c(context),
                watch,
                at: t(195),
            });
        }
    }
    m.refresh(t(200));
    assert!(cell(&m, Layer::Application, Environment::Dev).is_healthy());
    assert_eq!(
        m.cluster("k8tre-dev").map(|c| c.data_state(t(200))),
        Some(DataState::Live)
    );
}

#[test]
fn a_relist_after_410_equals_a_fresh_list() {
    let mut m = estate();
    m.apply(LiveEvent::Failed {
        context: c("mgmt"),
        watch: WatchKind::Applications,
        at: t(5),
        failure: WatchFailure::Gone,
    });
    m.refresh(t(5));
    assert_eq!(
        m.cluster("mgmt").map(|c| c.connection.clone()),
        Some(ConnectionState::Live),
        "410 is not an outage"
    );
    // While the cluster was away, gateway was deleted and jupyterhub-prd degraded.
    list(
        &mut m,
        "mgmt",
        WatchKind::Applications,
        t(6),
        vec![
            app(
                "jupyterhub-k8tre-dev",
                "https://dev:6443",
                "apps/jupyterhub/envs/dev",
                "Healthy",
                "Synced",
            ),
            app(
                "jupyterhub-k8tre-prd",
                "https://prd:6443",
                "apps/jupyterhub/envs/prd",
                "Degraded",
                "Synced",
            ),
        ],
    );
    m.refresh(t(7));
    let mut names: Vec<&str> = m.apps().iter().map(|a| &*a.name).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["jupyterhub-k8tre-dev", "jupyterhub-k8tre-prd"]);
    let (prd, _) = m.app("argocd", "jupyterhub-k8tre-prd").expect("prd");
    assert_eq!(prd.health, HealthStatus::Degraded);
    let status = &m.connection("mgmt").expect("mgmt").watches[&WatchKind::Applications];
    assert_eq!(status.relists, 1);
    assert_eq!(status.state(), "live");
}

#[test]
fn pods_and_events_of_an_application() {
    let mut m = estate();
    let pod = |name: &str, rs: &str, hash: &str| {
        let wire: PodWire = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "x", "labels": {"pod-template-hash": hash},
                "ownerReferences": [{"kind": "ReplicaSet", "name": rs, "controller": true}]},
            "status": {"phase": "Running"}
        }))
        .expect("pod");
        let (k, p) = SlimPod::from_wire(wire, m.strings());
        LiveObject::Pod(k, p)
    };
    let objects = vec![
        pod("web-abc-1", "web-abc", "abc"),
        pod("db-def-1", "db-def", "def"),
    ];
    for object in objects {
        m.apply(applied("dev", WatchKind::Pods, t(3), object));
    }
    let event = |name: &str, pod: &str, at: &str| {
        let wire: EventWire = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "x"}, "type": "Warning", "reason": "BackOff",
            "message": "back-off restarting", "involvedObject": {"kind": "Pod", "namespace": "x", "name": pod},
            "lastTimestamp": at
        }))
        .expect("event");
        let (k, e) = SlimEvent::from_wire(wire, m.strings()).expect("warning");
        LiveObject::Event(k, e)
    };
    let events = vec![
        event("e1", "web-abc-1", "2026-08-22T10:00:00Z"),
        event("e2", "db-def-1", "2026-08-22T10:00:01Z"),
        event("e3", "web-abc-1", "2026-08-22T10:00:02Z"),
    ];
    for object in events {
        m.apply(applied("dev", WatchKind::WarningEvents, t(3), object));
    }
    m.refresh(t(4));
    let pods: Vec<&str> = m
        .pods_of_app("argocd", "jupyterhub-k8tre-dev")
        .iter()
        .map(|(k, _)| &*k.name)
        .collect();
    assert_eq!(pods, vec!["web-abc-1"]);
    let events: Vec<&str> = m
        .events_of_app("argocd", "jupyterhub-k8tre-dev")
        .iter()
        .map(|e| &*e.message)
        .collect();
    assert_eq!(events.len(), 2, "only web's, newest first");
    assert!(
        m.pods_of_app("argocd", "jupyterhub-k8tre-prd").is_empty(),
        "prd has no context"
    );
}

#[test]
fn warning_events_are_bounded() {
    let mut settings = ModelSettings::new("mgmt");
    settings.event_limit = 10;
    let mut m = model_with(settings);
    for i in 0..30 {
        let wire: EventWire = serde_json::from_value(json!({
            "metadata": {"name": format!("e{i}"), "namespace": "x"}, "type": "Warning",
            "reason": "BackOff", "involvedObject": {"kind": "Pod", "name": "p"},
            "lastTimestamp": format!("2026-08-22T10:00:{i:02}Z")
        }))
        .expect("event");
        let (k, e) = SlimEvent::from_wire(wire, m.strings()).expect("warning");
        m.apply(applied(
            "mgmt",
            WatchKind::WarningEvents,
            t(1),
            LiveObject::Event(k, e),
        ));
    }
    let events = &m.connection("mgmt").expect("mgmt").events;
    assert!(events.len() <= 10, "{}", events.len());
    assert!(events.get(&key("x", "e29")).is_some(), "the newest is kept");
}

#[test]
fn an_in_cluster_secret_makes_management_a_target() {
    let mut m = model();
    list(
        &mut m,
        "mgmt",
        WatchKind::ClusterSecrets,
        t(0),
        vec![secret(
            "in-cluster",
            "https://kubernetes.default.svc",
            &[("environment", "dev")],
        )],
    );
    let desired = m.take_connections_change().expect("changed");
    assert_eq!(
        desired.get("mgmt"),
        Some(&ClusterRole {
            management: true,
            target: true
        })
    );
    list(
        &mut m,
        "mgmt",
        WatchKind::Applications,
        t(0),
        vec![app(
            "jupyterhub-in-cluster",
            "https://kubernetes.default.svc",
            "apps/jupyterhub/envs/dev",
            "Healthy",
            "Synced",
        )],
    );
    list_all(&mut m, "mgmt", t(0));
    m.refresh(t(1));
    assert_eq!(m.clusters().len(), 1);
    assert_eq!(&**m.management_name(), "in-cluster");
    let (summary, _) = m.app("argocd", "jupyterhub-in-cluster").expect("app");
    assert_eq!(&*summary.source, "in-cluster");
    assert_eq!(summary.cluster.as_deref(), Some("in-cluster"));
    assert!(cell(&m, Layer::Application, Environment::Dev).is_healthy());
    assert!(
        m.connection("mgmt")
            .expect("mgmt")
            .watches
            .contains_key(&WatchKind::Pods)
    );
}

#[test]
fn removed_clusters_stop_and_their_late_events_are_dropped() {
    let mut m = estate();
    m.apply(LiveEvent::Deleted {
        context: c("mgmt"),
        watch: WatchKind::ClusterSecrets,
        at: t(5),
        key: key("argocd", "cluster-k8tre-dev"),
    });
    let desired = m.take_connections_change().expect("changed");
    assert!(!desired.contains_key("dev"));
    assert!(m.connection("dev").is_none());
    m.apply(LiveEvent::Failed {
        context: c("dev"),
        watch: WatchKind::Nodes,
        at: t(6),
        failure: WatchFailure::Transport {
            message: "late".into(),
        },
    });
    m.refresh(t(7));
    assert!(m.connection("dev").is_none());
    assert!(m.cluster("k8tre-dev").is_none());
    let (summary, _) = m.app("argocd", "jupyterhub-k8tre-dev").expect("app");
    assert_eq!(
        summary.cluster, None,
        "its destination is no longer an estate cluster"
    );
}

#[test]
fn connecting_until_every_watch_listed() {
    let mut m = model();
    m.refresh(t(0));
    assert_eq!(
        m.cluster("mgmt").map(|c| c.connection.clone()),
        Some(ConnectionState::Connecting)
    );
    assert!(!m.is_settled(), "nothing listed");
    m.take_connections_change();
    list_all(&mut m, "mgmt", t(0));
    assert!(
        !m.is_settled(),
        "the listed cluster Secrets are not acted on yet"
    );
    assert_eq!(
        m.take_connections_change(),
        None,
        "no targets: nothing to start"
    );
    assert!(m.is_settled());
    m.apply(LiveEvent::Access {
        context: c("mgmt"),
        check: AccessCheck::PATCH_APPLICATIONS,
        allowed: Some(false),
    });
    assert_eq!(
        m.connection("mgmt")
            .and_then(|c| c.access.get(&AccessCheck::PATCH_APPLICATIONS).copied()),
        Some(Some(false))
    );
}

#[test]
fn refresh_does_nothing_when_nothing_changed() {
    let mut m = estate();
    let before = m.matrix().cloned();
    m.refresh(t(2));
    assert_eq!(m.matrix().cloned(), before);
    // A pod change does not dirty the roll-up.
    let wire: PodWire =
        serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "x"}})).expect("pod");
    let (k, p) = SlimPod::from_wire(wire, m.strings());
    m.apply(applied("dev", WatchKind::Pods, t(2), LiveObject::Pod(k, p)));
    assert!(!m.dirty.apps && !m.dirty.membership);
    assert_eq!(m.stats().pods, 1);
}

#[test]
fn the_catalog_comes_from_the_cluster_without_a_repo() {
    let mut m = estate();
    let appset: crate::domain::appset::ApplicationSet = serde_yaml::from_str(include_str!(
        "../../../tests/fixtures/appsets/workspaces/jupyterhub.yaml"
    ))
    .expect("appset");
    m.apply(applied(
        "mgmt",
        WatchKind::ApplicationSets,
        t(3),
        LiveObject::ApplicationSet(
            key("argocd", "jupyterhub"),
            crate::live::objects::AppSetRecord {
                parsed: Ok(Box::new(appset)),
            },
        ),
    ));
    m.apply(applied(
        "mgmt",
        WatchKind::ApplicationSets,
        t(3),
        LiveObject::ApplicationSet(
            key("argocd", "broken"),
            crate::live::objects::AppSetRecord {
                parsed: Err("spec.generators: invalid type".into()),
            },
        ),
    ));
    m.refresh(t(4));
    let view = m.catalog().expect("catalog");
    assert_eq!(
        view.catalog.source,
        Some(CatalogSource::Cluster {
            context: "mgmt".into()
        })
    );
    assert!(view.catalog.component("jupyterhub").is_some());
    assert!(
        m.warnings()
            .iter()
            .any(|w| w.contains("argocd/broken cannot be read"))
    );
    assert!(matches!(m.expected(), ExpectedView::Unavailable { .. }));
}
