//! Expected versus actual: which generated Applications are missing, which present ones
//! should not be there.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{EvaluationReport, FieldShape, GeneratedApplication};

/// An Application as observed in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualApplication {
    pub name: String,
    pub namespace: String,
    /// The ApplicationSet named by its controller ownerReference, if any.
    pub applicationset_owner: Option<String>,
}

/// The difference between the Applications the ApplicationSets generate and those present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedDiff {
    /// Expected but not present (same namespace and name).
    pub missing: Vec<GeneratedApplication>,
    /// Present, not expected, and attributable to an evaluated ApplicationSet: owned by one
    /// that generated, or (not owned at all) named like one's output. Stale or hand-made.
    pub unexpected: Vec<ActualApplication>,
    /// Present, not expected, owned by an ApplicationSet that failed to evaluate or was not
    /// evaluated: nothing can be said about them.
    pub unverified: Vec<ActualApplication>,
}

/// Compares using only the expected list: the evaluated ApplicationSets are taken to be those
/// that appear as `applicationset` in `expected`, and unowned Applications are never
/// unexpected (so `root-app-of-apps` and other hand-made Applications are left out). Prefer
/// [`EvaluationReport::compare`], which also knows ApplicationSets that generated nothing,
/// those that failed, and their name shapes.
pub fn compare_expected(
    expected: &[GeneratedApplication],
    actual: &[ActualApplication],
) -> ExpectedDiff {
    let generated: BTreeSet<String> = expected.iter().map(|a| a.applicationset.clone()).collect();
    diff(expected, actual, &generated, &BTreeMap::new())
}

impl EvaluationReport {
    /// Compares the generated Applications with those present:
    /// - missing: generated but absent;
    /// - unexpected: absent from the generated set and either owned by an ApplicationSet that
    ///   generated, or unowned with a name matching one of their name shapes that begins with
    ///   fixed text (`gateway-*`), i.e. a look-alike;
    /// - unverified: owned by an ApplicationSet that failed or that was not evaluated.
    ///
    /// Unowned Applications matching no shape (`root-app-of-apps`) are not reported.
    pub fn compare(&self, actual: &[ActualApplication]) -> ExpectedDiff {
        diff(
            &self.applications,
            actual,
            &self.generated,
            &self.name_shapes,
        )
    }
}

fn diff(
    expected: &[GeneratedApplication],
    actual: &[ActualApplication],
    generated: &BTreeSet<String>,
    shapes: &BTreeMap<String, Vec<FieldShape>>,
) -> ExpectedDiff {
    let present: BTreeSet<(&str, &str)> = actual
        .iter()
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    let wanted: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    let mut out = ExpectedDiff {
        missing: expected
            .iter()
            .filter(|e| !present.contains(&(e.namespace.as_str(), e.name.as_str())))
            .cloned()
            .collect(),
        ..ExpectedDiff::default()
    };
    let looks_generated = |name: &str| {
        shapes
            .values()
            .flatten()
            .any(|shape| shape.is_anchored() && shape.matches(name))
    };
    for app in actual {
        if wanted.contains(&(app.namespace.as_str(), app.name.as_str())) {
            continue;
        }
        match &app.applicationset_owner {
            Some(owner) if generated.contains(owner) => out.unexpected.push(app.clone()),
            Some(_) => out.unverified.push(app.clone()),
            None if looks_generated(&app.name) => out.unexpected.push(app.clone()),
            None => {}
        }
    }
    out.unexpected
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out.unverified
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}
