use super::test_fixtures::{self as fx, DEV_SERVER, PRD_SERVER, PROD_SERVER, STG_SERVER};
use super::*;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::domain::gotemplate::TemplateErrorKind;
use crate::domain::layer::Layer;

fn report() -> EvaluationReport {
    evaluate_applicationsets(&fx::appsets(), &fx::clusters(), &fx::repo())
}

fn names_of(report: &EvaluationReport, appset: &str) -> Vec<String> {
    report
        .applications
        .iter()
        .filter(|a| a.applicationset == appset)
        .map(|a| a.name.clone())
        .collect()
}

fn app<'r>(report: &'r EvaluationReport, name: &str) -> &'r GeneratedApplication {
    report
        .applications
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no application {name}"))
}

fn env_value(app: &GeneratedApplication, var: &str) -> Option<String> {
    app.spec
        .pointer("/source/plugin/env")?
        .as_array()?
        .iter()
        .find(|e| e["name"] == var)
        .and_then(|e| e["value"].as_str())
        .map(str::to_string)
}

fn one(yaml: &str) -> ApplicationSet {
    let mut all = parse_applicationsets(yaml).expect("parses");
    assert_eq!(all.len(), 1);
    all.remove(0)
}

// ---- parsing ---------------------------------------------------------------------------------

#[test]
fn fixtures_parse_into_their_parts() {
    let gateway = fx::appset("gateway");
    assert!(gateway.spec.go_template);
    assert_eq!(gateway.spec.go_template_options, vec!["missingkey=error"]);
    assert_eq!(gateway.namespace(), "argocd");
    let GeneratorKind::Matrix(matrix) = &gateway.spec.generators[0].kind else {
        panic!("matrix expected");
    };
    let GeneratorKind::Git(git) = &matrix.generators[0].kind else {
        panic!("git expected");
    };
    assert_eq!(git.repo_url, "https://github.com/k8tre/k8tre.git");
    assert_eq!(git.directories[0].path, "agnostics/gateway/*/envs/*");
    let GeneratorKind::Clusters(clusters) = &matrix.generators[1].kind else {
        panic!("clusters expected");
    };
    assert_eq!(
        clusters.selector.match_labels["environment"],
        "{{index .path.segments 4}}"
    );
    assert_eq!(clusters.selector.match_expressions[0].operator, "NotIn");
    assert_eq!(
        gateway.spec.template.metadata.annotations[SYNC_WAVE_ANNOTATION],
        "-4"
    );
    assert_eq!(gateway.spec.template.spec["project"], "default");
    assert_eq!(fx::appsets().len(), fx::APPSET_FILES.len());
}

#[test]
fn sync_policy_and_ignore_differences_parse() {
    let appset = one(
        "kind: ApplicationSet\nmetadata: {name: a}\nspec:\n  generators: []\n  template: {}\n  \
         syncPolicy: {preserveResourcesOnDeletion: true, applicationsSync: create-update}\n  \
         ignoreApplicationDifferences:\n  - jsonPointers: [/spec/syncPolicy]\n",
    );
    let policy = appset.spec.sync_policy.clone().expect("policy");
    assert!(policy.preserve_resources_on_deletion);
    assert_eq!(
        policy.applications_sync,
        Some(ApplicationsSync::CreateUpdate)
    );
    assert!(policy.allows_update());
    assert!(!policy.allows_delete());
    assert_eq!(
        appset.spec.ignore_application_differences[0].json_pointers,
        vec!["/spec/syncPolicy"]
    );
    assert_eq!(appset.namespace(), DEFAULT_NAMESPACE);
}

#[test]
fn multi_document_yaml_skips_other_kinds() {
    let yaml = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\n# only a comment\n---\n{}\n...\n---\n{}",
        fx::APPSET_FILES[0].1,
        fx::APPSET_FILES[1].1
    );
    let parsed = parse_applicationsets(&yaml).expect("parses");
    let names: Vec<&str> = parsed.iter().map(ApplicationSet::name).collect();
    assert_eq!(names, vec!["gateway", "external-dns"]);
}

#[test]
fn bad_yaml_reports_the_file_line() {
    let err = parse_applicationsets(fx::BAD_YAML).expect_err("bad yaml");
    assert_eq!(err.line, 14, "{err}");
    assert!(err.column > 1);
    assert!(err.reason.contains("expected '-'"), "{}", err.reason);
    let err = err.with_file("appsets/broken.yaml");
    assert!(
        err.to_string().starts_with("appsets/broken.yaml:14:"),
        "{err}"
    );
}

#[test]
fn errors_in_later_documents_count_lines_from_the_top_of_the_file() {
    let yaml = "kind: ConfigMap\nmetadata: {name: a}\n---\nkind: ApplicationSet\nmetadata: {name: b}\nspec:\n  goTemplate: \"yes\"\n  template: {}\n";
    let err = parse_applicationsets(yaml).expect_err("type error");
    assert_eq!((err.document, err.line), (1, 7), "{err}");
    assert!(err.reason.contains("goTemplate"), "{}", err.reason);
    assert!(!err.reason.contains("at line"), "{}", err.reason);

    // Scanner messages name positions in the text: they are shifted to file lines too.
    let syntax = format!("kind: ConfigMap\n---\n{}", fx::BAD_YAML);
    let err = parse_applicationsets(&syntax).expect_err("syntax error");
    assert_eq!(err.line, 16, "{err}");
    assert!(err.reason.contains("line 16"), "{}", err.reason);
}

#[test]
fn a_generator_entry_must_name_exactly_one_generator() {
    let two = "kind: ApplicationSet\nmetadata: {name: a}\nspec:\n  template: {}\n  generators:\n  - list: {elements: []}\n    clusters: {}\n";
    let err = parse_applicationsets(two).expect_err("two kinds");
    assert!(err.reason.contains("exactly one"), "{}", err.reason);
    let none =
        "kind: ApplicationSet\nmetadata: {name: a}\nspec:\n  template: {}\n  generators:\n  - {}\n";
    assert!(parse_applicationsets(none).is_err());
}

#[test]
fn load_keeps_going_after_a_bad_file() {
    let loaded = load_applicationsets([
        ("appsets/broken.yaml", fx::BAD_YAML),
        fx::APPSET_FILES[0],
        ("appsets/mystery.yaml", fx::UNKNOWN_GENERATOR),
    ]);
    assert_eq!(loaded.errors.len(), 1);
    assert_eq!(
        loaded.errors[0].file.as_deref(),
        Some("appsets/broken.yaml")
    );
    let files: Vec<&str> = loaded.appsets.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        vec!["appsets/agnostics/gateway.yaml", "appsets/mystery.yaml"]
    );
}

#[test]
fn applicationsets_round_trip_through_json() {
    for appset in fx::appsets()
        .into_iter()
        .chain([one(fx::UNKNOWN_GENERATOR)])
    {
        let json = serde_json::to_value(&appset).expect("serialises");
        let back: ApplicationSet = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, appset);
    }
}

// ---- git directories and path.Match ----------------------------------------------------------

#[test]
fn path_match_follows_go() {
    let cases = [
        ("abc", "abc", true),
        ("*", "abc", true),
        ("*c", "abc", true),
        ("a*", "a", true),
        ("a*", "ab/c", false),
        ("a*/b", "abc/b", true),
        ("a*/b", "a/c/b", false),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
        ("ab[c]", "abc", true),
        ("ab[b-d]", "abc", true),
        ("ab[^c]", "abc", false),
        ("ab[^b-d]", "abe", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "ab", false),
        ("a?b", "a☺b", true),
        ("a?b", "a/b", false),
        ("apps/*/envs/*", "apps/jupyterhub/envs/dev", true),
        ("apps/*/envs/*", "apps/jupyterhub/envs", false),
        ("apps/*/envs/*", "apps/jupyterhub/envs/dev/extra", false),
        (
            "agnostics/gateway/*/envs/*",
            "agnostics/gateway/envs/dev",
            false,
        ),
    ];
    for (pattern, name, want) in cases {
        assert_eq!(path_match(pattern, name), Ok(want), "{pattern} vs {name}");
    }
    for bad in ["[", "a[", "[]a]", "[-]", "a[x-]", "\\", "[x"] {
        assert!(
            path_match(bad, "a").is_err(),
            "{bad} should be a bad pattern"
        );
    }
}

#[test]
fn directories_exclusions_win_and_hidden_directories_are_skipped() {
    let dirs = visible_directories(&fx::repo());
    assert!(dirs.contains("apps"));
    assert!(dirs.contains("apps/jupyterhub/envs"));
    assert!(
        !dirs
            .iter()
            .any(|d| d.contains(".scratch") || d.starts_with(".github"))
    );
    let matched = match_directories(
        &[
            GitDirectory {
                path: "apps/*/envs/*".into(),
                exclude: false,
            },
            GitDirectory {
                path: "apps/backend/envs/*".into(),
                exclude: true,
            },
            GitDirectory {
                path: "apps/[".into(),
                exclude: false,
            },
        ],
        &dirs,
    );
    assert!(matched.paths.iter().all(|p| !p.starts_with("apps/backend")));
    assert!(
        matched
            .paths
            .contains(&"apps/jupyterhub/envs/prod".to_string())
    );
    assert_eq!(matched.bad_patterns, vec!["apps/["]);
}

#[test]
fn walk_order_puts_children_before_later_siblings() {
    let dirs: BTreeSet<String> = ["a/b", "a-b", "a"].into_iter().map(String::from).collect();
    let matched = match_directories(
        &[GitDirectory {
            path: "*".into(),
            exclude: false,
        }],
        &visible_directories(&dirs),
    );
    assert_eq!(matched.paths, vec!["a", "a-b"]);
    let all = match_directories(
        &[
            GitDirectory {
                path: "*".into(),
                exclude: false,
            },
            GitDirectory {
                path: "*/*".into(),
                exclude: false,
            },
        ],
        &visible_directories(&dirs),
    );
    assert_eq!(all.paths, vec!["a", "a/b", "a-b"]);
}

// ---- the K8TRE matrix --------------------------------------------------------------------------

#[test]
fn k8tre_fixtures_generate_the_expected_applications() {
    let report = report();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let names: Vec<&str> = report
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "backend-k8tre-dev.cluster",
            "backend-k8tre-prd-cluster",
            "backend-k8tre-stg-cluster",
            "cr8tor-k8tre-dev.cluster",
            "externaldns-k8tre-dev.cluster",
            "externaldns-k8tre-prd-cluster",
            "externaldns-k8tre-stg-cluster",
            "gateway-k8tre-dev.cluster",
            "gateway-k8tre-prd-cluster",
            "jupyterhub-k8tre-dev.cluster",
            "jupyterhub-k8tre-prd-cluster",
            "jupyterhub-k8tre-stg-cluster",
            "jupyterhub-legacy",
            "object-storage-k3s-dev",
            "secret-store-k8tre-dev.cluster",
            "secret-store-k8tre-stg-cluster",
            "storage-k3s-dev",
        ]
    );
    assert_eq!(report.generated.len(), fx::APPSET_FILES.len());
    assert!(report.failed.is_empty());
}

#[test]
fn generated_application_fields() {
    let report = report();
    let gateway = app(&report, "gateway-k8tre-dev.cluster");
    assert_eq!(gateway.namespace, "argocd");
    assert_eq!(gateway.applicationset, "gateway");
    assert_eq!(
        gateway.source_path.as_deref(),
        Some("agnostics/gateway/k3s/envs/dev")
    );
    assert_eq!(gateway.cluster_name.as_deref(), Some("K8TRE_Dev.Cluster-"));
    assert_eq!(gateway.cluster_server.as_deref(), Some(DEV_SERVER));
    assert_eq!(gateway.sync_wave, -4);
    assert_eq!(gateway.layer, Some(Layer::Agnostics));
    assert_eq!(gateway.finalizers, vec![RESOURCES_FINALIZER]);
    assert_eq!(
        gateway.annotations["argocd.argoproj.io/instance"],
        "gateway-dev"
    );
    assert_eq!(gateway.spec["destination"]["namespace"], "gateway");
    assert_eq!(env_value(gateway, "ENVIRONMENT").as_deref(), Some("dev"));
    assert_eq!(
        env_value(gateway, "DOMAIN").as_deref(),
        Some("dev.k8tre.org")
    );
    let hub = app(&report, "jupyterhub-k8tre-stg-cluster");
    assert_eq!(hub.layer, Some(Layer::Application));
    assert_eq!(hub.sync_wave, 0);
    assert_eq!(hub.spec["destination"]["server"], STG_SERVER);
    assert_eq!(app(&report, "cr8tor-k8tre-dev.cluster").sync_wave, 3);
    let manifest = gateway.to_manifest();
    assert_eq!(manifest["kind"], "Application");
    assert_eq!(manifest["metadata"]["namespace"], "argocd");
    assert_eq!(manifest["metadata"]["finalizers"][0], RESOURCES_FINALIZER);
    assert_eq!(manifest["spec"], gateway.spec);
}

#[test]
fn not_in_skip_labels_exclude_only_clusters_that_set_them_true() {
    let report = report();
    // stg is azure with skip-gateway=true: no gateway even though azure/envs/stg exists.
    assert!(!names_of(&report, "gateway").contains(&"gateway-k8tre-stg-cluster".to_string()));
    // prd has skip-gateway=false, dev has no skip label at all: both selected.
    assert_eq!(
        names_of(&report, "gateway"),
        vec!["gateway-k8tre-dev.cluster", "gateway-k8tre-prd-cluster"]
    );
    // skip-cr8tor=true on stg.
    assert_eq!(
        names_of(&report, "cr8tor"),
        vec!["cr8tor-k8tre-dev.cluster"]
    );
}

#[test]
fn vendor_specific_paths_pick_the_cluster_vendor() {
    let report = report();
    let dev_gateway: Vec<&GeneratedApplication> = report
        .applications
        .iter()
        .filter(|a| {
            a.applicationset == "gateway" && a.cluster_server.as_deref() == Some(DEV_SERVER)
        })
        .collect();
    assert_eq!(dev_gateway.len(), 1);
    assert_eq!(dev_gateway[0].name, "gateway-k8tre-dev.cluster");
    assert_eq!(
        dev_gateway[0].source_path.as_deref(),
        Some("agnostics/gateway/k3s/envs/dev")
    );
    let prd = app(&report, "gateway-k8tre-prd-cluster");
    assert_eq!(
        prd.source_path.as_deref(),
        Some("agnostics/gateway/azure/envs/prd")
    );
    // agnostics/cert-manager/envs/dev never matches a vendor pattern; no k3s stg cluster exists.
    assert!(
        report
            .applications
            .iter()
            .all(|a| a.source_path.as_deref() != Some("agnostics/gateway/k3s/envs/stg"))
    );
}

#[test]
fn prod_directories_only_serve_clusters_labelled_prod() {
    let report = report();
    let legacy: Vec<&str> = report
        .applications
        .iter()
        .filter(|a| a.cluster_server.as_deref() == Some(PROD_SERVER))
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(legacy, vec!["jupyterhub-legacy"]);
    assert_eq!(
        app(&report, "jupyterhub-legacy").source_path.as_deref(),
        Some("apps/jupyterhub/envs/prod")
    );
    // The prd cluster gets the prd directory, never the prod one.
    assert_eq!(
        app(&report, "jupyterhub-k8tre-prd-cluster")
            .source_path
            .as_deref(),
        Some("apps/jupyterhub/envs/prd")
    );
}

#[test]
fn external_dns_is_named_after_its_directory_and_selects_on_its_own_label() {
    let report = report();
    assert_eq!(
        names_of(&report, "external-dns"),
        vec![
            "externaldns-k8tre-dev.cluster",
            "externaldns-k8tre-prd-cluster",
            "externaldns-k8tre-stg-cluster"
        ]
    );
    let dev = app(&report, "externaldns-k8tre-dev.cluster");
    assert_eq!(
        dev.source_path.as_deref(),
        Some("agnostics/externaldns/k3s/envs/dev")
    );
    assert_eq!(dev.spec["destination"]["namespace"], "externaldns");
    assert_eq!(env_value(dev, "REGION").as_deref(), Some(""));
    let prd = app(&report, "externaldns-k8tre-prd-cluster");
    assert_eq!(env_value(prd, "REGION").as_deref(), Some("uksouth"));
    assert_eq!(env_value(prd, "DOMAIN").as_deref(), Some(""));
}

#[test]
fn storage_and_object_storage_names_ignore_the_cluster_and_collide() {
    let report = report();
    assert_eq!(names_of(&report, "storage-class"), vec!["storage-k3s-dev"]);
    assert_eq!(
        names_of(&report, "object-storage"),
        vec!["object-storage-k3s-dev"]
    );

    // A second k3s dev cluster: gateway gets two Applications, storage-class collides.
    let mut clusters = fx::clusters();
    clusters.push(
        ClusterInfo::new("lab", "https://lab:6443")
            .with_label("environment", "dev")
            .with_label("vendor", "k3s"),
    );
    let report = evaluate_applicationsets(&fx::appsets(), &clusters, &fx::repo());
    assert!(names_of(&report, "gateway").contains(&"gateway-lab".to_string()));
    assert_eq!(names_of(&report, "storage-class"), vec!["storage-k3s-dev"]);
    let duplicates: Vec<&EvaluationError> = report
        .errors
        .iter()
        .filter(|e| matches!(e, EvaluationError::DuplicateName { .. }))
        .collect();
    assert_eq!(duplicates.len(), 2, "{:?}", report.errors);
    assert!(duplicates.iter().any(|e| e.to_string()
        == "ApplicationSet storage-class contains applications with duplicate name: storage-k3s-dev"));
    // The first (by cluster name) keeps the name, as ArgoCD keeps the first generated.
    assert_eq!(
        app(&report, "storage-k3s-dev").cluster_name.as_deref(),
        Some("K8TRE_Dev.Cluster-")
    );
    assert!(report.generated.contains("storage-class"));
}

#[test]
fn name_normalized_sanitises_cluster_names() {
    let report = report();
    let dev = app(&report, "jupyterhub-k8tre-dev.cluster");
    assert_eq!(dev.cluster_name.as_deref(), Some("K8TRE_Dev.Cluster-"));
}

#[test]
fn secret_store_selects_on_the_secret_store_label() {
    let report = report();
    assert_eq!(
        names_of(&report, "secret-store"),
        vec![
            "secret-store-k8tre-dev.cluster",
            "secret-store-k8tre-stg-cluster"
        ]
    );
    // prd is labelled secret-store=azure, for which no directory exists.
    assert!(
        report
            .applications
            .iter()
            .all(|a| a.applicationset != "secret-store"
                || a.cluster_server.as_deref() != Some(PRD_SERVER))
    );
    assert_eq!(
        app(&report, "secret-store-k8tre-dev.cluster")
            .source_path
            .as_deref(),
        Some("agnostics/secret-store/kubernetes/envs/dev")
    );
}

#[test]
fn backend_reads_environment_from_the_cluster_label() {
    let report = report();
    let backend = app(&report, "backend-k8tre-prd-cluster");
    assert_eq!(env_value(backend, "ENVIRONMENT").as_deref(), Some("prd"));
}

// ---- clusters generator and in-cluster -------------------------------------------------------

const CLUSTERS_ONLY: &str = "kind: ApplicationSet\nmetadata: {name: everywhere, namespace: argocd}\nspec:\n  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  generators:\n  - clusters: {}\n  template:\n    metadata: {name: 'probe-{{.nameNormalized}}'}\n    spec:\n      project: default\n      destination: {server: '{{.server}}', namespace: probe}\n";

fn names(appset: &ApplicationSet, clusters: &[ClusterInfo]) -> Vec<String> {
    Evaluator::new(clusters, &fx::repo())
        .evaluate(appset)
        .expect("evaluates")
        .applications
        .into_iter()
        .map(|a| a.name)
        .collect()
}

#[test]
fn in_cluster_is_implicit_only_without_a_selector() {
    let everywhere = one(CLUSTERS_ONLY);
    assert_eq!(
        names(&everywhere, &fx::clusters()),
        vec![
            "probe-in-cluster",
            "probe-k8tre-dev.cluster",
            "probe-k8tre-prd-cluster",
            "probe-k8tre-stg-cluster",
            "probe-legacy"
        ]
    );
    let in_cluster = Evaluator::new(&[], &fx::repo())
        .evaluate(&everywhere)
        .expect("evaluates");
    assert_eq!(
        in_cluster.applications[0].cluster_server.as_deref(),
        Some(IN_CLUSTER_SERVER)
    );
    assert_eq!(
        in_cluster.applications[0].cluster_name.as_deref(),
        Some(IN_CLUSTER_NAME)
    );

    let selected = one(&CLUSTERS_ONLY.replace(
        "clusters: {}",
        "clusters: {selector: {matchLabels: {environment: dev}}}",
    ));
    assert_eq!(
        names(&selected, &fx::clusters()),
        vec!["probe-k8tre-dev.cluster"]
    );
    assert!(names(&selected, &[]).is_empty());
}

#[test]
fn a_labelled_in_cluster_secret_replaces_the_implicit_one() {
    let secret =
        ClusterInfo::new(IN_CLUSTER_NAME, IN_CLUSTER_SERVER).with_label("environment", "dev");
    let everywhere = one(CLUSTERS_ONLY);
    assert_eq!(
        names(&everywhere, std::slice::from_ref(&secret)),
        vec!["probe-in-cluster"]
    );
    let selected = one(&CLUSTERS_ONLY.replace(
        "clusters: {}",
        "clusters: {selector: {matchLabels: {environment: dev}}}",
    ));
    assert_eq!(names(&selected, &[secret]), vec!["probe-in-cluster"]);
}

#[test]
fn implicit_in_cluster_has_no_metadata_param() {
    let appset = one(&CLUSTERS_ONLY.replace(
        "namespace: probe}",
        "namespace: '{{index .metadata.labels \"environment\"}}'}",
    ));
    let err = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect_err("no metadata");
    assert!(err.to_string().contains("\"metadata\""), "{err}");
}

#[test]
fn cluster_values_are_rendered_with_cluster_params() {
    let appset = one(&CLUSTERS_ONLY
        .replace("clusters: {}", "clusters: {values: {ns: 'ns-{{.name}}'}}")
        .replace("namespace: probe}", "namespace: '{{.values.ns}}'}"));
    let evaluation = Evaluator::new(&fx::clusters()[3..], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    let namespaces: Vec<&Value> = evaluation
        .applications
        .iter()
        .map(|a| &a.spec["destination"]["namespace"])
        .collect();
    assert_eq!(namespaces, vec!["ns-in-cluster", "ns-legacy"]);
}

// ---- list, selectors, matrix details -------------------------------------------------------

#[test]
fn list_generator_with_post_selector() {
    let appset = one(
        "kind: ApplicationSet\nmetadata: {name: listed}\nspec:\n  goTemplate: true\n  generators:\n  - list:\n      elements:\n      - {cluster: dev, url: 'https://dev', tier: {level: gold}}\n      - {cluster: stg, url: 'https://stg', tier: {level: silver}}\n    selector: {matchLabels: {tier.level: gold}}\n  template:\n    metadata: {name: 'guestbook-{{.cluster}}', finalizers: [custom]}\n    spec: {destination: {server: '{{.url}}'}}\n",
    );
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    assert_eq!(evaluation.applications.len(), 1);
    let app = &evaluation.applications[0];
    assert_eq!(app.name, "guestbook-dev");
    assert_eq!(app.finalizers, vec!["custom"]);
    assert_eq!(app.cluster_server.as_deref(), Some("https://dev"));
    assert_eq!(app.cluster_name, None);
    assert_eq!(app.source_path, None);
    assert_eq!(app.layer, None);
}

#[test]
fn preserve_resources_on_deletion_drops_the_default_finalizer() {
    let appset = one(&CLUSTERS_ONLY.replace(
        "  template:",
        "  syncPolicy: {preserveResourcesOnDeletion: true}\n  template:",
    ));
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    assert!(evaluation.applications[0].finalizers.is_empty());
}

#[test]
fn matrix_second_child_sees_first_child_params_and_first_child_wins() {
    let appset = one(
        "kind: ApplicationSet\nmetadata: {name: m}\nspec:\n  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  generators:\n  - matrix:\n      generators:\n      - list: {elements: [{env: dev, who: first}]}\n      - list: {elements: [{label: 'for-{{.env}}', who: second}]}\n  template:\n    metadata: {name: '{{.label}}-{{.who}}'}\n    spec: {}\n",
    );
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    assert_eq!(evaluation.applications[0].name, "for-dev-first");
}

#[test]
fn matrix_child_values_keep_templates_needing_the_childs_own_params() {
    let appset = one(
        "kind: ApplicationSet\nmetadata: {name: v}\nspec:\n  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  generators:\n  - matrix:\n      generators:\n      - list: {elements: [{env: dev}]}\n      - clusters:\n          selector: {matchLabels: {environment: '{{.env}}'}}\n          values: {parent: '{{.env}}', own: '{{.name}}'}\n  template:\n    metadata: {name: 'x-{{.values.parent}}-{{.values.own}}'}\n    spec: {}\n",
    );
    let evaluation = Evaluator::new(&fx::clusters(), &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    let names: Vec<&str> = evaluation
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, vec!["x-dev-K8TRE_Dev.Cluster-"]);
}

#[test]
fn nested_matrix_and_path_param_prefix() {
    let appset = one(
        "kind: ApplicationSet\nmetadata: {name: nested}\nspec:\n  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  generators:\n  - matrix:\n      generators:\n      - git: {directories: [{path: 'apps/backend/envs/*'}], pathParamPrefix: app}\n      - matrix:\n          generators:\n          - list: {elements: [{suffix: a}, {suffix: b}]}\n          - list: {elements: [{n: '1'}]}\n  template:\n    metadata: {name: '{{.app.path.basename}}-{{.suffix}}{{.n}}'}\n    spec: {source: {path: '{{.app.path.path}}'}}\n",
    );
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    let names: Vec<&str> = evaluation
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec!["dev-a1", "dev-b1", "prd-a1", "prd-b1", "stg-a1", "stg-b1"]
    );
}

#[test]
fn invalid_sync_wave_warns_and_defaults_to_zero() {
    let appset = one(&CLUSTERS_ONLY.replace(
        "metadata: {name: 'probe-{{.nameNormalized}}'}",
        "metadata: {name: 'probe-{{.nameNormalized}}', annotations: {argocd.argoproj.io/sync-wave: soon}}",
    ));
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    assert_eq!(evaluation.applications[0].sync_wave, 0);
    assert!(matches!(
        evaluation.warnings.as_slice(),
        [EvaluationWarning::InvalidSyncWave { value, .. }] if value == "soon"
    ));
}

// ---- malformed ApplicationSets ---------------------------------------------------------------

#[test]
fn malformed_applicationsets_fail_alone() {
    let mut appsets = fx::appsets();
    appsets.push(one(fx::UNKNOWN_GENERATOR));
    appsets.push(one(fx::MATRIX_ONE_CHILD));
    appsets.push(one(fx::MISSING_KEY));
    let report = evaluate_applicationsets(&appsets, &fx::clusters(), &fx::repo());
    assert_eq!(
        report.applications.len(),
        17,
        "the good ones still generate"
    );
    assert_eq!(
        report.failed,
        BTreeSet::from([
            "lonely".to_string(),
            "mystery".to_string(),
            "needs-region".to_string()
        ])
    );
    assert_eq!(report.errors.len(), 3, "{:?}", report.errors);

    let unknown = report
        .errors
        .iter()
        .find(|e| e.applicationsets() == ["mystery"])
        .expect("mystery");
    assert!(
        matches!(unknown, EvaluationError::UnsupportedGenerator { generator, field, .. }
        if generator == "clusterz" && field == "spec.generators[0].matrix.generators[1]")
    );
    assert!(unknown.to_string().contains("mystery") && unknown.to_string().contains("clusterz"));

    let lonely = report
        .errors
        .iter()
        .find(|e| e.applicationsets() == ["lonely"])
        .expect("lonely");
    assert!(matches!(
        lonely,
        EvaluationError::MatrixArity { found: 1, .. }
    ));

    let missing = report
        .errors
        .iter()
        .find(|e| e.applicationsets() == ["needs-region"])
        .expect("needs-region");
    let EvaluationError::Template {
        field,
        source,
        params,
        ..
    } = missing
    else {
        panic!("template error expected, got {missing:?}");
    };
    assert_eq!(field, "spec.template.spec.source.plugin.env[0].value");
    assert_eq!(source.kind, TemplateErrorKind::MissingKey("region".into()));
    assert!(params.contains("path=apps/jupyterhub/envs/"), "{params}");
    assert!(missing.to_string().contains("needs-region"));
}

#[test]
fn unsupported_features_are_reported_not_guessed() {
    let fast = one(&CLUSTERS_ONLY.replace("goTemplate: true", "goTemplate: false"));
    assert!(matches!(
        Evaluator::new(&[], &fx::repo()).evaluate(&fast),
        Err(EvaluationError::FastTemplate { .. })
    ));
    let options = one(&CLUSTERS_ONLY.replace("missingkey=error", "missingkey=panic"));
    assert!(matches!(
        Evaluator::new(&[], &fx::repo()).evaluate(&options),
        Err(EvaluationError::Options { .. })
    ));
    let files = one(&CLUSTERS_ONLY.replace("clusters: {}", "git: {files: [{path: 'x.json'}]}"));
    assert!(matches!(
        Evaluator::new(&[], &fx::repo()).evaluate(&files),
        Err(EvaluationError::UnsupportedGenerator { generator, .. }) if generator == "git files"
    ));
    let merge = one(&CLUSTERS_ONLY.replace("clusters: {}", "merge: {generators: []}"));
    assert!(matches!(
        Evaluator::new(&[], &fx::repo()).evaluate(&merge),
        Err(EvaluationError::UnsupportedGenerator { generator, .. }) if generator == "merge"
    ));
    let bad_selector = one(&CLUSTERS_ONLY.replace(
        "clusters: {}",
        "clusters: {selector: {matchExpressions: [{key: a, operator: Near, values: [x]}]}}",
    ));
    assert!(matches!(
        Evaluator::new(&[], &fx::repo()).evaluate(&bad_selector),
        Err(EvaluationError::Selector { .. })
    ));
}

#[test]
fn empty_names_are_dropped_with_an_error() {
    let appset = one(&CLUSTERS_ONLY.replace("'probe-{{.nameNormalized}}'", "''"));
    let evaluation = Evaluator::new(&[], &fx::repo())
        .evaluate(&appset)
        .expect("evaluates");
    assert!(evaluation.applications.is_empty());
    assert!(matches!(
        evaluation.invalid.as_slice(),
        [EvaluationError::EmptyName { .. }]
    ));
}

#[test]
fn duplicates_across_applicationsets_are_reported() {
    let mut copy = fx::appset("storage-class");
    copy.metadata.name = "storage-class-copy".into();
    let mut appsets = fx::appsets();
    appsets.push(copy);
    let report = evaluate_applicationsets(&appsets, &fx::clusters(), &fx::repo());
    let across: Vec<&EvaluationError> = report
        .errors
        .iter()
        .filter(|e| matches!(e, EvaluationError::DuplicateAcrossAppSets { .. }))
        .collect();
    assert_eq!(across.len(), 1);
    assert_eq!(
        across[0].to_string(),
        "Application argocd/storage-k3s-dev is generated by more than one ApplicationSet: storage-class, storage-class-copy"
    );
}

// ---- shapes ------------------------------------------------------------------------------------

#[test]
fn name_shapes_keep_literal_path_segments() {
    let shapes = name_shapes(&fx::appset("gateway"));
    assert_eq!(shapes.len(), 1);
    assert_eq!(shapes[0].to_string(), "gateway-*");
    assert!(shapes[0].matches("gateway-anything"));
    assert!(!shapes[0].matches("gateway-"));
    assert!(!shapes[0].matches("externaldns-dev"));
    let storage = name_shapes(&fx::appset("storage-class"));
    assert_eq!(storage[0].to_string(), "storage-*-*");
    assert!(storage[0].matches("storage-k3s-dev"));
    assert!(!storage[0].matches("storage-k3s"));
    let probes = fx::appset("external-dns").probes();
    assert_eq!(
        probes[0].directory_pattern.as_deref(),
        Some("agnostics/externaldns/*/envs/*")
    );
    assert_eq!(
        probes[0]
            .shape("{{index .path.segments 1}}")
            .and_then(|s| s.literal())
            .as_deref(),
        Some("externaldns")
    );
    assert_eq!(probes[0].shape("{{index .path.segments 9}}"), None);
}

// ---- expected versus actual --------------------------------------------------------------------

fn actual(name: &str, owner: Option<&str>) -> ActualApplication {
    ActualApplication {
        name: name.into(),
        namespace: "argocd".into(),
        applicationset_owner: owner.map(String::from),
    }
}

#[test]
fn compare_expected_finds_missing_and_unexpected() {
    let report = report();
    let mut present: Vec<ActualApplication> = report
        .applications
        .iter()
        .filter(|a| a.name != "gateway-k8tre-prd-cluster")
        .map(|a| actual(&a.name, Some(&a.applicationset)))
        .collect();
    present.push(actual("root-app-of-apps", None));
    present.push(actual("gateway-old-cluster", Some("gateway")));
    present.push(actual(
        "keycloak-k8tre-dev.cluster",
        Some("keycloak-appset"),
    ));

    let diff = compare_expected(&report.applications, &present);
    let missing: Vec<&str> = diff.missing.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(missing, vec!["gateway-k8tre-prd-cluster"]);
    let unexpected: Vec<&str> = diff.unexpected.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(unexpected, vec!["gateway-old-cluster"]);
    let unverified: Vec<&str> = diff.unverified.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(unverified, vec!["keycloak-k8tre-dev.cluster"]);
}

#[test]
fn report_compare_knows_failed_appsets_and_look_alikes() {
    let mut appsets = fx::appsets();
    appsets.push(one(fx::MISSING_KEY));
    let report = evaluate_applicationsets(&appsets, &fx::clusters(), &fx::repo());
    let mut present: Vec<ActualApplication> = report
        .applications
        .iter()
        .map(|a| actual(&a.name, Some(&a.applicationset)))
        .collect();
    present.push(actual("root-app-of-apps", None));
    // Hand-made, unowned, but named like the gateway ApplicationSet's output.
    present.push(actual("gateway-manual", None));
    // Owned by an ApplicationSet that failed: cannot be judged.
    present.push(actual("jupyterhub-needs-region", Some("needs-region")));
    // Owned by an ApplicationSet that generated, in another namespace.
    present.push(ActualApplication {
        name: "storage-k3s-dev".into(),
        namespace: "team-a".into(),
        applicationset_owner: Some("storage-class".into()),
    });

    let diff = report.compare(&present);
    assert!(diff.missing.is_empty());
    let unexpected: Vec<(&str, &str)> = diff
        .unexpected
        .iter()
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        unexpected,
        vec![("argocd", "gateway-manual"), ("team-a", "storage-k3s-dev")]
    );
    let unverified: Vec<&str> = diff.unverified.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(unverified, vec!["jupyterhub-needs-region"]);
}

#[test]
fn an_appset_that_now_generates_nothing_makes_its_apps_unexpected() {
    let report = evaluate_applicationsets(&[fx::appset("gateway")], &[], &fx::repo());
    assert!(report.applications.is_empty());
    let diff = report.compare(&[actual("gateway-k8tre-dev.cluster", Some("gateway"))]);
    assert_eq!(diff.unexpected.len(), 1);
    // The free function cannot know about ApplicationSets with no output.
    let diff = compare_expected(
        &report.applications,
        &[actual("gateway-k8tre-dev.cluster", Some("gateway"))],
    );
    assert_eq!(diff.unverified.len(), 1);
}

proptest::proptest! {
    #[test]
    fn literal_patterns_match_only_themselves(path in "[a-z]{1,5}(/[a-z]{1,5}){0,3}", other in "[a-z]{1,5}(/[a-z]{1,5}){0,3}") {
        proptest::prop_assert_eq!(path_match(&path, &other), Ok(path == other));
    }

    #[test]
    fn star_never_crosses_a_slash(a in "[a-z]{1,5}", b in "[a-z]{1,5}") {
        let joined = format!("{a}/{b}");
        proptest::prop_assert_eq!(path_match("*", &joined), Ok(false));
        proptest::prop_assert_eq!(path_match("*/*", &joined), Ok(true));
    }
}
