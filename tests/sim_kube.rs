//! The simulated API server driven by kube-rs over real HTTPS: CRUD, optimistic concurrency,
//! dry run, server-side apply, watch/reflector, and recovery from 410 Gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Error, ResourceExt};
use serde_json::json;

fn config_map(name: &str, app: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": app}},
        "data": {"key": "value"}
    }))
    .expect("config map")
}

fn api_code(result: Result<impl std::fmt::Debug, Error>) -> (u16, String) {
    match result {
        Err(Error::Api(status)) => (status.code, status.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    // A liveness bound, generous for a loaded 2-core machine, not a performance assertion.
    for _ in 0..1200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_list_patch_delete() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");

    let created = cms
        .create(&PostParams::default(), &config_map("a", "web"))
        .await
        .expect("create");
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let rv_a: u64 = created
        .resource_version()
        .expect("rv")
        .parse()
        .expect("numeric rv");
    cms.create(&PostParams::default(), &config_map("b", "db"))
        .await
        .expect("create b");

    let listed = cms
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|c| c.name_any())
            .collect::<Vec<_>>(),
        vec!["a"]
    );
    let rv_list: u64 = listed
        .metadata
        .resource_version
        .expect("list rv")
        .parse()
        .expect("numeric");
    assert!(
        rv_list > rv_a,
        "one resourceVersion per cluster, increasing"
    );

    let patched = cms
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"extra": "1"}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(
        patched.data.expect("data").get("extra").map(String::as_str),
        Some("1")
    );

    let (code, reason) = api_code(
        cms.create(&PostParams::default(), &config_map("a", "web"))
            .await,
    );
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));

    cms.delete("a", &DeleteParams::default())
        .await
        .expect("delete");
    let (code, _) = api_code(cms.get("a").await);
    assert_eq!(code, 404);
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_update_is_a_conflict() {
    let estate = common::estate(&["dev"]).await;
    let cms: Api<ConfigMap> =
        Api::namespaced(common::client(&estate, "k8tre-dev").await, "default");
    cms.create(&PostParams::default(), &config_map("c", "web"))
        .await
        .expect("create");
    let first = cms.get("c").await.expect("get");
    let mut fresh = first.clone();
    fresh.data = Some(BTreeMap::from([("key".to_string(), "fresh".to_string())]));
    cms.replace("c", &PostParams::default(), &fresh)
        .await
        .expect("update with current rv");
    let mut stale = first;
    stale.data = Some(BTreeMap::from([("key".to_string(), "stale".to_string())]));
    let (code, reason) = api_code(cms.replace("c", &PostParams::default(), &stale).await);
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    let now = cms.get("c").await.expect("get");
    assert_eq!(
        now.data.expect("data")["key"],
        "fresh",
        "the stale write changed nothing"
    );
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_stores_nothing_and_is_logged() {
    let estate = common::estate(&["dev"]).await;
    let cms: Api<ConfigMap> =
        Api::namespaced(common::client(&estate, "k8tre-dev").await, "default");
    let cluster = estate.cluster("dev").expect("dev");
    let before = cluster.store.current_rv();
    let params = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let answered = cms
        .create(&params, &config_map("dry", "web"))
        .await
        .expect("dry-run create");
    assert_eq!(answered.name_any(), "dry");
    assert_eq!(
        cluster.store.current_rv(),
        before,
        "no new resourceVersion, so no watch event"
    );
    assert_eq!(api_code(cms.get("dry").await).0, 404);
    let logged = estate
        .requests()
        .into_iter()
        .find(|r| r.verb == "create")
        .expect("logged");
    assert!(logged.dry_run && !logged.is_write());
    estate.stop().await;
}

fn deployment(replicas: i32, image: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": image}]}}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_tracks_managers_and_conflicts() {
    let estate = common::estate(&["dev"]).await;
    let deploys: Api<Deployment> =
        Api::namespaced(common::client(&estate, "k8tre-dev").await, "default");
    let applied = deploys
        .patch(
            "web",
            &PatchParams::apply("team-a"),
            &Patch::Apply(deployment(2, "nginx:1")),
        )
        .await
        .expect("first apply creates");
    assert_eq!(applied.spec.replicas, Some(2));
    let managers: Vec<String> = applied
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert_eq!(managers, vec!["team-a"]);

    let (code, reason) = api_code(
        deploys
            .patch(
                "web",
                &PatchParams::apply("team-b"),
                &Patch::Apply(deployment(5, "nginx:1")),
            )
            .await,
    );
    assert_eq!(
        (code, reason.as_str()),
        (409, "Conflict"),
        "team-b may not take team-a's replicas"
    );

    let forced = deploys
        .patch(
            "web",
            &PatchParams::apply("team-b").force(),
            &Patch::Apply(deployment(5, "nginx:1")),
        )
        .await
        .expect("forced apply");
    assert_eq!(forced.spec.replicas, Some(5));
    assert_eq!(
        forced.metadata.generation,
        Some(2),
        "spec change bumps generation"
    );
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflector_follows_changes_and_survives_410_gone() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let (reader, writer) = reflector::store::<Pod>();
    let stream = reflector(writer, watcher(pods.clone(), watcher::Config::default()))
        .default_backoff()
        .applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while stream.next().await.is_some() {}
    });
    let pod = |name: &str| -> Pod {
        serde_json::from_value(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
        )
        .expect("pod")
    };
    for i in 0..3 {
        pods.create(&PostParams::default(), &pod(&format!("p{i}")))
            .await
            .expect("create");
    }
    eventually("three pods in the reflector", || reader.state().len() == 3).await;

    // Cut the cluster off, change it behind the watcher's back and expire the history: the
    // watcher's resume then gets 410 Gone and must relist to see the changes.
    let cluster = estate.cluster("dev").expect("dev");
    let lists_before = estate
        .requests()
        .iter()
        .filter(|r| r.verb == "list")
        .count();
    cluster.faults.set_refuse(true);
    let ctx = k8tre_console::sim::api::WriteContext::controller("test");
    let pods_type = cluster.resource_type("", "v1", "pods").expect("pods");
    cluster
        .delete(&pods_type, "default", "p0", &Default::default(), &ctx)
        .expect("delete while disconnected");
    cluster
        .create(
            &pods_type,
            "default",
            serde_json::to_value(pod("p3")).expect("json"),
            &ctx,
        )
        .expect("create");
    cluster.store.compact();
    cluster.faults.set_refuse(false);
    eventually("the reflector to converge after 410", || {
        let mut names: Vec<String> = reader.state().iter().map(|p| p.name_any()).collect();
        names.sort();
        names == ["p1", "p2", "p3"]
    })
    .await;
    let lists_after = estate
        .requests()
        .iter()
        .filter(|r| r.verb == "list")
        .count();
    assert!(lists_after > lists_before, "recovery from 410 relists");
    task.abort();
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_reads_but_cannot_write() {
    let estate = common::estate(&["dev"]).await;
    let viewer: Api<ConfigMap> =
        Api::namespaced(common::client(&estate, "k8tre-dev-viewer").await, "default");
    viewer
        .list(&ListParams::default())
        .await
        .expect("viewer lists");
    let (code, reason) = api_code(
        viewer
            .create(&PostParams::default(), &config_map("v", "web"))
            .await,
    );
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    let anonymous: Api<ConfigMap> = Api::namespaced(
        common::anonymous_client(&estate, "k8tre-dev").await,
        "default",
    );
    assert_eq!(
        api_code(anonymous.list(&ListParams::default()).await).0,
        401
    );
    estate.stop().await;
}
