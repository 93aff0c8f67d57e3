//! `repo scan` and `repo expected`: a GitOps checkout read without any cluster.
//!
//! Both exit 1 when a file failed to parse or an ApplicationSet failed to evaluate (after
//! printing everything that could be read), 2 when the checkout cannot be read at all.

use std::fmt::Write as _;
use std::io::Write as _;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use serde::Serialize;

use super::status::table;
use crate::cli::{ClusterSpec, OutputFormat, RepoCommand, RepoExpectedArgs, RepoScanArgs};
use crate::domain::appset::{
    ClusterInfo, EvaluationReport, Generator, IN_CLUSTER_NAME, IN_CLUSTER_SERVER,
};
use crate::domain::catalog::Component;
use crate::domain::env::Environment;
use crate::domain::layer::Layer;
use crate::gitops::scan::RepoScan;

pub fn run(command: RepoCommand) -> Result<i32> {
    let result = match command {
        RepoCommand::Scan(args) => scan(&args),
        RepoCommand::Expected(args) => expected(&args),
    };
    match result {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(2)
        }
    }
}

fn print(text: &str) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .wrap_err("cannot write the output")
}

fn serialize<T: Serialize>(value: &T, format: OutputFormat) -> Result<Option<String>> {
    Ok(match format {
        OutputFormat::Json => Some(serde_json::to_string_pretty(value)? + "\n"),
        OutputFormat::Yaml => Some(serde_yaml::to_string(value)?),
        OutputFormat::Table => None,
    })
}

// ---------------------------------------------------------------- scan

/// `repo scan` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanReport {
    pub repo: String,
    pub layers: Vec<LayerOut>,
    pub applicationsets: Vec<AppSetOut>,
    pub errors: Vec<ParseErrorOut>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerOut {
    /// `null` for components whose pattern starts with neither `agnostics/` nor `apps/`.
    pub layer: Option<Layer>,
    pub components: Vec<ComponentOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentOut {
    pub name: String,
    pub applicationset: String,
    pub file: String,
    pub group: Option<String>,
    pub directory_pattern: String,
    pub vendor_specific: bool,
    pub sync_wave: i64,
    pub destination_namespace: Option<String>,
    pub environments: Vec<EnvOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvOut {
    pub environment: Environment,
    /// The directory name as written (`prod` for a stray prod directory).
    pub directory: String,
    pub path: String,
    pub vendor: Option<String>,
    pub warning: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSetOut {
    pub name: String,
    pub namespace: String,
    pub file: String,
    pub go_template: bool,
    pub generators: Vec<Generator>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParseErrorOut {
    pub file: Option<String>,
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

fn scan(args: &RepoScanArgs) -> Result<i32> {
    let scan = RepoScan::checkout(&args.repo)?;
    let report = scan_report(&scan);
    let text = match serialize(&report, args.output)? {
        Some(text) => text,
        None => scan_table(&report),
    };
    print(&text)?;
    Ok(i32::from(!report.errors.is_empty()))
}

pub fn scan_report(scan: &RepoScan) -> ScanReport {
    let mut layers: Vec<LayerOut> = Vec::new();
    let mut warnings: Vec<String> = scan
        .catalog
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    for component in &scan.catalog.components {
        let out = component_out(scan, component, &mut warnings);
        match layers.iter_mut().find(|l| l.layer == component.layer) {
            Some(layer) => layer.components.push(out),
            None => layers.push(LayerOut {
                layer: component.layer,
                components: vec![out],
            }),
        }
    }
    warnings.dedup();
    let mut errors: Vec<ParseErrorOut> = scan
        .errors
        .iter()
        .map(|e| ParseErrorOut {
            file: e.file.clone(),
            line: e.line,
            column: e.column,
            reason: e.reason.clone(),
        })
        .collect();
    errors.extend(scan.unreadable.iter().map(|file| ParseErrorOut {
        file: Some(file.clone()),
        line: 0,
        column: 0,
        reason: "cannot be read (not UTF-8, or no permission)".into(),
    }));
    ScanReport {
        repo: scan.root.clone(),
        layers,
        applicationsets: scan
            .appsets
            .iter()
            .map(|(file, appset)| AppSetOut {
                name: appset.name().to_string(),
                namespace: appset.namespace().to_string(),
                file: file.clone(),
                go_template: appset.spec.go_template,
                generators: appset.spec.generators.clone(),
            })
            .collect(),
        errors,
        warnings,
    }
}

fn component_out(
    scan: &RepoScan,
    component: &Component,
    warnings: &mut Vec<String>,
) -> ComponentOut {
    let mut environments: Vec<EnvOut> = Vec::new();
    if let Ok(dirs) = scan
        .catalog
        .env_directories(&component.name, &scan.directories)
    {
        for entries in dirs.by_environment.values() {
            for entry in entries
                .iter()
                .filter(|e| component.matches_directory(&e.path))
            {
                if let Some(warning) = &entry.warning {
                    warnings.push(warning.clone());
                }
                environments.push(EnvOut {
                    environment: entry.environment.clone(),
                    directory: entry.directory.clone(),
                    path: entry.path.clone(),
                    vendor: entry.vendor.clone(),
                    warning: entry.warning.clone(),
                });
            }
        }
    }
    environments.sort_by(|a, b| {
        (a.environment.rank(), &a.environment, &a.vendor, &a.path).cmp(&(
            b.environment.rank(),
            &b.environment,
            &b.vendor,
            &b.path,
        ))
    });
    ComponentOut {
        name: component.name.clone(),
        applicationset: component.applicationset.clone(),
        file: component.file.clone(),
        group: component.group.clone(),
        directory_pattern: component.directory_pattern.clone(),
        vendor_specific: component.vendor_specific,
        sync_wave: component.sync_wave,
        destination_namespace: component.destination_namespace.clone(),
        environments,
    }
}

fn scan_table(report: &ScanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Repository {}: {} ApplicationSets",
        report.repo,
        report.applicationsets.len()
    );
    let mut rows = vec![
        [
            "LAYER",
            "COMPONENT",
            "APPLICATIONSET",
            "PATTERN",
            "WAVE",
            "ENVIRONMENTS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for layer in &report.layers {
        for c in &layer.components {
            let envs: Vec<String> = c
                .environments
                .iter()
                .map(|e| match &e.vendor {
                    Some(vendor) => format!("{}({vendor})", e.directory),
                    None => e.directory.clone(),
                })
                .collect();
            rows.push(vec![
                layer.layer.map_or_else(|| "-".into(), |l| l.to_string()),
                c.name.clone(),
                c.applicationset.clone(),
                c.directory_pattern.clone(),
                c.sync_wave.to_string(),
                envs.join(" "),
            ]);
        }
    }
    out.push_str(&table(&rows));
    append_list(
        &mut out,
        "Errors",
        report.errors.iter().map(|e| {
            format!(
                "{}:{}:{}: {}",
                e.file.as_deref().unwrap_or("-"),
                e.line,
                e.column,
                e.reason
            )
        }),
    );
    append_list(&mut out, "Warnings", report.warnings.iter().cloned());
    out
}

fn append_list(out: &mut String, title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    for item in items {
        let _ = writeln!(out, "  {item}");
    }
}

// ---------------------------------------------------------------- expected

/// `repo expected` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedOut {
    pub applications: Vec<ExpectedApp>,
    /// Files that did not parse and ApplicationSets that did not evaluate.
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedApp {
    pub name: String,
    pub applicationset: String,
    pub layer: Option<Layer>,
    pub cluster: Option<String>,
    pub path: Option<String>,
}

/// A hypothetical cluster as ArgoCD's cluster generator would see it.
pub fn cluster_info(spec: &ClusterSpec) -> ClusterInfo {
    let server = if spec.name == IN_CLUSTER_NAME {
        IN_CLUSTER_SERVER.to_string()
    } else {
        format!("https://{}", spec.name)
    };
    let mut info = ClusterInfo::new(spec.name.clone(), server)
        .with_label("argocd.argoproj.io/secret-type", "cluster");
    for (key, value) in &spec.labels {
        info = info.with_label(key.clone(), value.clone());
    }
    info
}

pub fn expected_out(scan: &RepoScan, report: &EvaluationReport) -> ExpectedOut {
    let mut errors: Vec<String> = scan.errors.iter().map(ToString::to_string).collect();
    errors.extend(
        scan.unreadable
            .iter()
            .map(|f| format!("{f}: cannot be read")),
    );
    errors.extend(report.errors.iter().map(ToString::to_string));
    ExpectedOut {
        applications: report
            .applications
            .iter()
            .map(|a| ExpectedApp {
                name: a.name.clone(),
                applicationset: a.applicationset.clone(),
                layer: a.layer,
                cluster: a.cluster_name.clone(),
                path: a.source_path.clone(),
            })
            .collect(),
        errors,
        warnings: report.warnings.iter().map(ToString::to_string).collect(),
    }
}

fn expected(args: &RepoExpectedArgs) -> Result<i32> {
    let scan = RepoScan::checkout(&args.repo)?;
    let clusters: Vec<ClusterInfo> = args.clusters.iter().map(cluster_info).collect();
    let out = expected_out(&scan, &scan.expected(&clusters));
    let text = match serialize(&out, args.output)? {
        Some(text) => text,
        None => expected_table(&out),
    };
    print(&text)?;
    Ok(i32::from(!out.errors.is_empty()))
}

fn expected_table(out: &ExpectedOut) -> String {
    let mut rows = vec![
        ["APPLICATION", "APPLICATIONSET", "LAYER", "CLUSTER", "PATH"]
            .map(String::from)
            .to_vec(),
    ];
    for app in &out.applications {
        rows.push(vec![
            app.name.clone(),
            app.applicationset.clone(),
            app.layer.map_or_else(|| "-".into(), |l| l.to_string()),
            app.cluster.clone().unwrap_or_else(|| "-".into()),
            app.path.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut text = table(&rows);
    append_list(&mut text, "Errors", out.errors.iter().cloned());
    append_list(&mut text, "Warnings", out.warnings.iter().cloned());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_cluster_spec;
    use std::path::Path;

    const APPSETS: [&str; 12] = [
        "agnostics/external-dns.yaml",
        "agnostics/gateway.yaml",
        "agnostics/object-storage.yaml",
        "agnostics/secret-store.yaml",
        "agnostics/storage-class.yaml",
        "federation/cr8tor.yaml",
        "identity/backend.yaml",
        "workspaces/jupyterhub.yaml",
        "malformed/bad-yaml.yaml",
        "malformed/matrix-one-child.yaml",
        "malformed/missing-key.yaml",
        "malformed/unknown-generator.yaml",
    ];

    const DIRECTORIES: [&str; 14] = [
        "agnostics/gateway/base",
        "agnostics/gateway/k3s/envs/dev",
        "agnostics/gateway/azure/envs/stg",
        "agnostics/gateway/aws/envs/prd",
        "agnostics/externaldns/k3s/envs/dev",
        "agnostics/secret-store/kubernetes/envs/dev",
        "agnostics/secret-store/aws/envs/prd",
        "apps/jupyterhub/envs/dev",
        "apps/jupyterhub/envs/stg",
        "apps/jupyterhub/envs/prd",
        "apps/jupyterhub/envs/prod",
        "apps/cr8tor/envs/dev",
        "apps/cr8tor/envs/prd",
        "apps/backend/envs/dev",
    ];

    /// A checkout with the K8TRE-shaped fixtures (and, optionally, the malformed ones).
    fn checkout(with_malformed: bool) -> (tempfile::TempDir, RepoScan) {
        let dir = tempfile::tempdir().expect("tempdir");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/appsets");
        for file in APPSETS {
            if file.starts_with("malformed") && !with_malformed {
                continue;
            }
            let text = std::fs::read_to_string(fixtures.join(file)).expect("fixture");
            let target = dir.path().join("appsets").join(file);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(target, text).expect("write");
        }
        for directory in DIRECTORIES {
            let target = dir.path().join(directory);
            std::fs::create_dir_all(&target).expect("mkdir");
            std::fs::write(target.join("kustomization.yaml"), "resources: []\n").expect("write");
        }
        let scan = RepoScan::checkout(dir.path()).expect("scan");
        (dir, scan)
    }

    fn expected_for(scan: &RepoScan, specs: &[&str]) -> ExpectedOut {
        let clusters: Vec<ClusterInfo> = specs
            .iter()
            .map(|s| cluster_info(&parse_cluster_spec(s).expect("spec")))
            .collect();
        expected_out(scan, &scan.expected(&clusters))
    }

    fn names(out: &ExpectedOut) -> Vec<&str> {
        out.applications.iter().map(|a| a.name.as_str()).collect()
    }

    #[test]
    fn matrix_of_directories_and_cluster_labels() {
        let (_dir, scan) = checkout(false);
        let out = expected_for(
            &scan,
            &["k8tre-dev:environment=dev,vendor=k3s,secret-store=kubernetes"],
        );
        assert_eq!(
            names(&out),
            vec![
                "backend-k8tre-dev",
                "cr8tor-k8tre-dev",
                "gateway-k8tre-dev",
                "jupyterhub-k8tre-dev",
                "secret-store-k8tre-dev",
            ]
        );
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let jupyter = out
            .applications
            .iter()
            .find(|a| a.name == "jupyterhub-k8tre-dev")
            .expect("jupyterhub");
        assert_eq!(jupyter.applicationset, "jupyterhub");
        assert_eq!(jupyter.layer, Some(Layer::Application));
        assert_eq!(jupyter.cluster.as_deref(), Some("k8tre-dev"));
        assert_eq!(jupyter.path.as_deref(), Some("apps/jupyterhub/envs/dev"));
        // Two clusters: each gets its own environment's directories.
        let two = expected_for(&scan, &["a:environment=dev", "b:environment=stg"]);
        assert_eq!(
            names(&two),
            vec!["backend-a", "cr8tor-a", "jupyterhub-a", "jupyterhub-b"]
        );
    }

    #[test]
    fn not_in_skip_labels_exclude_a_cluster() {
        let (_dir, scan) = checkout(false);
        let skipped = expected_for(
            &scan,
            &["c:environment=dev,vendor=k3s,skip-gateway=true,skip-cr8tor=true"],
        );
        assert!(!names(&skipped).contains(&"gateway-c"));
        assert!(!names(&skipped).contains(&"cr8tor-c"));
        assert!(names(&skipped).contains(&"jupyterhub-c"));
        // `NotIn [true]` holds for any other value, and for a missing label.
        let kept = expected_for(&scan, &["c:environment=dev,vendor=k3s,skip-gateway=false"]);
        assert!(names(&kept).contains(&"gateway-c"));
        assert!(names(&kept).contains(&"cr8tor-c"));
    }

    #[test]
    fn vendor_specific_paths_follow_the_vendor_label() {
        let (_dir, scan) = checkout(false);
        let azure = expected_for(&scan, &["k8tre-stg:environment=stg,vendor=azure"]);
        let gateway = azure
            .applications
            .iter()
            .find(|a| a.applicationset == "gateway")
            .expect("gateway");
        assert_eq!(
            gateway.path.as_deref(),
            Some("agnostics/gateway/azure/envs/stg")
        );
        // No aws/envs/stg directory: an aws stg cluster gets no gateway.
        let aws = expected_for(&scan, &["x:environment=stg,vendor=aws"]);
        assert!(
            aws.applications
                .iter()
                .all(|a| a.applicationset != "gateway")
        );
        // secret-store selects on its own label, not vendor.
        let store = expected_for(&scan, &["p:environment=prd,vendor=aws,secret-store=aws"]);
        let secret_store = store
            .applications
            .iter()
            .find(|a| a.applicationset == "secret-store")
            .expect("secret-store");
        assert_eq!(
            secret_store.path.as_deref(),
            Some("agnostics/secret-store/aws/envs/prd")
        );
    }

    #[test]
    fn prod_and_prd_are_different_directories_to_argocd() {
        let (_dir, scan) = checkout(false);
        let prd = expected_for(&scan, &["p:environment=prd"]);
        let jupyter: Vec<&ExpectedApp> = prd
            .applications
            .iter()
            .filter(|a| a.applicationset == "jupyterhub")
            .collect();
        assert_eq!(jupyter.len(), 1);
        assert_eq!(jupyter[0].path.as_deref(), Some("apps/jupyterhub/envs/prd"));
        let prod = expected_for(&scan, &["q:environment=prod"]);
        assert_eq!(
            names(&prod),
            vec!["jupyterhub-q"],
            "only the stray prod directory"
        );
        assert_eq!(
            prod.applications[0].path.as_deref(),
            Some("apps/jupyterhub/envs/prod")
        );
        // The scan reads `prod` as prd, with a warning.
        let report = scan_report(&scan);
        let component = report
            .layers
            .iter()
            .flat_map(|l| &l.components)
            .find(|c| c.name == "jupyterhub")
            .expect("jupyterhub");
        let prod_dir = component
            .environments
            .iter()
            .find(|e| e.directory == "prod")
            .expect("prod");
        assert_eq!(prod_dir.environment, Environment::Prd);
        assert!(prod_dir.warning.is_some());
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("apps/jupyterhub/envs/prod"))
        );
    }

    #[test]
    fn malformed_applicationsets_are_named_and_the_rest_still_generate() {
        let (_dir, scan) = checkout(true);
        let out = expected_for(&scan, &["k8tre-dev:environment=dev,vendor=k3s"]);
        assert!(
            names(&out).contains(&"jupyterhub-k8tre-dev"),
            "{:?}",
            names(&out)
        );
        let errors = out.errors.join("\n");
        assert!(
            errors.contains("appsets/malformed/bad-yaml.yaml:"),
            "{errors}"
        );
        assert!(errors.contains("ApplicationSet lonely"), "{errors}");
        assert!(errors.contains("ApplicationSet mystery"), "{errors}");
        assert!(errors.contains("ApplicationSet needs-region"), "{errors}");
        // A parse error carries its line.
        let report = scan_report(&scan);
        let bad = report
            .errors
            .iter()
            .find(|e| e.file.as_deref() == Some("appsets/malformed/bad-yaml.yaml"))
            .expect("bad");
        assert!(bad.line > 1, "{bad:?}");
        assert!(!bad.reason.is_empty());
    }

    #[test]
    fn scan_groups_components_by_layer() {
        let (_dir, scan) = checkout(false);
        let report = scan_report(&scan);
        let layers: Vec<Option<Layer>> = report.layers.iter().map(|l| l.layer).collect();
        assert_eq!(
            layers,
            vec![Some(Layer::Agnostics), Some(Layer::Application)]
        );
        let gateway = report.layers[0]
            .components
            .iter()
            .find(|c| c.name == "gateway")
            .expect("gateway");
        assert!(gateway.vendor_specific);
        assert_eq!(gateway.sync_wave, -4);
        let envs: Vec<(&str, Option<&str>)> = gateway
            .environments
            .iter()
            .map(|e| (e.directory.as_str(), e.vendor.as_deref()))
            .collect();
        assert_eq!(
            envs,
            vec![
                ("dev", Some("k3s")),
                ("stg", Some("azure")),
                ("prd", Some("aws"))
            ]
        );
        let json = serde_json::to_value(&report).expect("json");
        assert!(
            json["applicationsets"][0]["generators"][0]["matrix"].is_object(),
            "{json}"
        );
    }

    #[test]
    fn in_cluster_gets_the_in_cluster_server() {
        let spec = parse_cluster_spec("in-cluster:environment=dev").expect("spec");
        assert_eq!(cluster_info(&spec).server, IN_CLUSTER_SERVER);
        let other = parse_cluster_spec("dev").expect("spec");
        assert_eq!(cluster_info(&other).server, "https://dev");
    }
}
