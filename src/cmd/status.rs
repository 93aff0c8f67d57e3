//! `status`: start the live model, wait until every watch has listed once (or the timeout),
//! print it as a table, JSON or YAML, and exit with whether `--fail-on` tripped.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::cli::{FailOnArg, GlobalArgs, OutputFormat, StatusArgs};
use crate::config::{Config, ConfigLocation};
use crate::live::report::{FailOn, StatusReport, worst_first};
use crate::live::{KubeconfigSource, LiveOptions, Session};

/// Exit code when `--fail-on` trips.
pub const TRIPPED: i32 = 1;
/// Exit code when no status could be produced.
pub const FAILED: i32 = 2;

pub async fn run(global: &GlobalArgs, args: StatusArgs) -> Result<i32> {
    match status(global, &args).await {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(FAILED)
        }
    }
}

async fn status(global: &GlobalArgs, args: &StatusArgs) -> Result<i32> {
    let location = ConfigLocation::from_cli(global.config.as_deref())?;
    let config = Config::load(&location)?;
    let source = KubeconfigSource::from_process(global.kubeconfig.as_deref())?;
    let mut options = LiveOptions::new(source).with_config(&config);
    options.context = global.context.clone();
    if let Some(context) = &args.live.mgmt_context {
        options.management_context = Some(context.clone());
    }
    if let Some(repo) = &args.live.repo {
        options.repo = Some(repo.clone());
    }
    let mut session = Session::start(options).await?;
    let complete = session.settle(Duration::from_secs(args.timeout)).await;
    let report = StatusReport::build(
        session.model(),
        chrono::Utc::now(),
        complete,
        session.management_choice().describe(),
    );
    let text = match args.output {
        OutputFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        OutputFormat::Yaml => serde_yaml::to_string(&report)?,
        OutputFormat::Table => render_table(&report),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .wrap_err("cannot write the status")?;
    let fail_on: Vec<FailOn> = args.fail_on.iter().map(|f| fail_on(*f)).collect();
    let trips = report.trips(&fail_on);
    if trips.is_empty() {
        return Ok(0);
    }
    eprintln!("--fail-on tripped:");
    for reason in trips {
        eprintln!("  {reason}");
    }
    Ok(TRIPPED)
}

fn fail_on(arg: FailOnArg) -> FailOn {
    match arg {
        FailOnArg::Degraded => FailOn::Degraded,
        FailOnArg::Outofsync => FailOn::OutOfSync,
        FailOnArg::Stale => FailOn::Stale,
    }
}

/// Aligns rows into columns (the first row is the header).
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn render_table(report: &StatusReport) -> String {
    let mut out = String::new();
    let m = &report.management;
    let _ = writeln!(
        out,
        "Management: {} (context {}), ArgoCD namespace {} — {}",
        m.cluster, m.context, m.namespace, m.selected_by
    );
    let catalog = match (&report.catalog.source, &report.catalog.location) {
        (Some(source), Some(location)) => format!(
            "{source} {location} ({} components)",
            report.catalog.components.len()
        ),
        _ => "none".to_string(),
    };
    let _ = writeln!(out, "Catalog: {catalog}");
    if !report.complete {
        let _ = writeln!(out, "INCOMPLETE: not every watch listed before the timeout");
    }
    out.push('\n');
    out.push_str(&clusters_table(report));
    for c in report.clusters.iter().filter(|c| c.error.is_some()) {
        let since = c
            .since
            .as_deref()
            .map(|s| format!(" since {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {}{since}: {}",
            c.name,
            c.state,
            or_dash(c.error.as_deref())
        );
    }
    out.push('\n');
    out.push_str(&matrix_table(report));
    out.push('\n');
    out.push_str(&apps_table(report));
    out.push_str(&expected_text(report));
    if !report.warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
    out
}

fn clusters_table(report: &StatusReport) -> String {
    let mut rows = vec![
        [
            "CLUSTER",
            "ENV",
            "VENDOR",
            "CONTEXT",
            "STATE",
            "NODES",
            "VERSION",
            "CILIUM L7/GW/KPR/IPAM",
            "GATEWAY-CRDS",
            "DEFAULT-SC",
            "ARGOCD",
            "WRITE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in &report.clusters {
        let f = &c.facts;
        let nodes = match (f.nodes_ready, f.nodes_total) {
            (Some(ready), Some(total)) => format!("{ready}/{total}"),
            _ => "-".into(),
        };
        let cilium = match f.cilium.installed {
            Some(false) => "absent".to_string(),
            Some(true) => format!(
                "{}/{}/{}/{}",
                or_dash(f.cilium.l7_proxy.as_deref()),
                or_dash(f.cilium.gateway_api.as_deref()),
                or_dash(f.cilium.kube_proxy_replacement.as_deref()),
                or_dash(f.cilium.ipam.as_deref())
            ),
            None => "-".into(),
        };
        let state = c.state.to_string();
        let crds = match f.gateway_api_crds_present {
            Some(true) => "present".to_string(),
            Some(false) => "missing".to_string(),
            None => "-".to_string(),
        };
        let argocd = f
            .argocd_components
            .as_ref()
            .map(|a| format!("{}/{}", a.ready, a.total));
        let write = match c.access.writable {
            Some(true) => "yes".to_string(),
            Some(false) => format!("no ({})", c.access.forbidden_writes.join(", ")),
            None => "-".to_string(),
        };
        rows.push(vec![
            c.name.clone(),
            or_dash(c.environment.as_deref()),
            or_dash(c.vendor.as_deref()),
            or_dash(c.context.as_deref()),
            state,
            nodes,
            or_dash(f.kubernetes_version.as_deref()),
            cilium,
            crds,
            or_dash(f.default_storage_class.as_deref()),
            or_dash(argocd),
            write,
        ]);
    }
    table(&rows)
}

fn matrix_table(report: &StatusReport) -> String {
    let mut header = vec!["LAYER".to_string()];
    header.extend(report.matrix.environments.iter().map(|e| e.to_uppercase()));
    let mut rows = vec![header];
    for row in &report.matrix.layers {
        let mut line = vec![row.layer.to_string()];
        for cell in &row.cells {
            let counts = if cell.applications > 0 {
                let healthy = cell
                    .health
                    .iter()
                    .find(|c| c.status == "Healthy")
                    .map_or(0, |c| c.count);
                format!(" {healthy}/{} healthy", cell.applications)
            } else {
                String::new()
            };
            line.push(format!("{}{counts}", cell.detail));
        }
        rows.push(line);
    }
    table(&rows)
}

fn apps_table(report: &StatusReport) -> String {
    if report.applications.is_empty() {
        return "No Applications.\n".into();
    }
    let mut rows = vec![
        [
            "APPLICATION",
            "CLUSTER",
            "ENV",
            "LAYER",
            "SYNC",
            "HEALTH",
            "REVISION",
            "AUTO",
            "OPERATION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for app in worst_first(report) {
        rows.push(vec![
            app.name.clone(),
            or_dash(app.cluster.as_deref()),
            or_dash(app.environment.as_deref()),
            or_dash(app.layer.map(|l| l.to_string())),
            app.sync.to_string(),
            app.health.to_string(),
            or_dash(
                app.revision
                    .as_deref()
                    .map(|r| r.chars().take(8).collect::<String>()),
            ),
            if app.auto_sync { "on" } else { "off" }.to_string(),
            or_dash(app.operation_phase.as_deref()),
        ]);
    }
    table(&rows)
}

fn expected_text(report: &StatusReport) -> String {
    let e = &report.expected;
    let mut out = String::from("\n");
    if !e.available {
        let _ = writeln!(
            out,
            "Expected Applications: unknown ({})",
            or_dash(e.reason.as_deref())
        );
    } else {
        let _ = writeln!(
            out,
            "Expected Applications: {} missing, {} unexpected, {} unverified",
            e.missing.len(),
            e.unexpected.len(),
            e.unverified.len()
        );
        for app in &e.missing {
            let _ = writeln!(
                out,
                "  missing     {} ({}) on {}: {}",
                app.name,
                app.applicationset,
                or_dash(app.cluster.as_deref()),
                or_dash(app.path.as_deref())
            );
        }
        for app in &e.unexpected {
            let _ = writeln!(
                out,
                "  unexpected  {} ({})",
                app.name,
                or_dash(app.applicationset.as_deref())
            );
        }
    }
    for error in &e.errors {
        let _ = writeln!(out, "  error       {error}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let rows = vec![
            vec!["A".to_string(), "BB".to_string(), "C".to_string()],
            vec!["long".to_string(), "x".to_string(), "y".to_string()],
        ];
        assert_eq!(table(&rows), "A     BB  C\nlong  x   y\n");
    }
}
