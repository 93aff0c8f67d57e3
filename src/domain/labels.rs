//! Kubernetes label and field selectors: parsing the string syntax and matching label maps.
//!
//! Shared by the simulated API server (list/watch filtering) and by ApplicationSet cluster
//! generators (`matchLabels` / `matchExpressions`), so both read selectors the same way.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A selector operator, as in `metav1.LabelSelectorRequirement` plus the string-only `=`/`!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Equals,
    NotEquals,
}

/// One requirement of a selector: `key op values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

impl Requirement {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::Equals => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Operator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            // Kubernetes: `!=` and `notin` match objects that lack the key entirely.
            Operator::NotEquals | Operator::NotIn => {
                value.is_none_or(|v| !self.values.iter().any(|x| x == v))
            }
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operator {
            Operator::Equals => write!(f, "{}={}", self.key, self.values.join(",")),
            Operator::NotEquals => write!(f, "{}!={}", self.key, self.values.join(",")),
            Operator::In => write!(f, "{} in ({})", self.key, self.values.join(",")),
            Operator::NotIn => write!(f, "{} notin ({})", self.key, self.values.join(",")),
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
        }
    }
}

/// A parsed selector: every requirement must match. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    pub fn everything() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Parses the `labelSelector` query syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for term in split_terms(input)? {
            requirements.push(parse_term(&term)?);
        }
        Ok(Self { requirements })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

/// Why a selector string or structured selector was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("unable to parse requirement {term:?}: {reason}")]
    Term { term: String, reason: String },
    #[error("unbalanced parentheses in selector {0:?}")]
    Unbalanced(String),
    #[error("invalid label key {key:?}: {reason}")]
    Key { key: String, reason: String },
    #[error("invalid operator {0:?} in matchExpressions")]
    Operator(String),
    #[error("matchExpressions operator {operator} for key {key:?} {reason}")]
    Values {
        key: String,
        operator: String,
        reason: String,
    },
}

/// Splits on top-level commas (commas inside `( )` belong to an `in`/`notin` value list).
fn split_terms(input: &str) -> Result<Vec<String>, SelectorError> {
    let mut terms = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for ch in input.chars() {
        match ch {
            '(' => {
                depth += 1;
                current.push(ch);
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(SelectorError::Unbalanced(input.to_string()));
                }
                current.push(ch);
            }
            ',' if depth == 0 => terms.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    if depth != 0 {
        return Err(SelectorError::Unbalanced(input.to_string()));
    }
    terms.push(current);
    Ok(terms
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect())
}

fn parse_term(term: &str) -> Result<Requirement, SelectorError> {
    let bad = |reason: &str| SelectorError::Term {
        term: term.to_string(),
        reason: reason.to_string(),
    };
    if let Some(key) = term.strip_prefix('!') {
        let key = key.trim();
        validate_key(key)?;
        return Ok(Requirement {
            key: key.to_string(),
            operator: Operator::DoesNotExist,
            values: vec![],
        });
    }
    for (token, operator) in [
        ("!=", Operator::NotEquals),
        ("==", Operator::Equals),
        ("=", Operator::Equals),
    ] {
        if let Some((key, value)) = term.split_once(token) {
            let key = key.trim();
            let value = value.trim();
            validate_key(key)?;
            if value.contains(['(', ')', ' ', '!', '=']) {
                return Err(bad("invalid value"));
            }
            return Ok(Requirement {
                key: key.to_string(),
                operator,
                values: vec![value.to_string()],
            });
        }
    }
    if let Some(open) = term.find('(') {
        let head = term[..open].trim();
        let (key, op) = head
            .rsplit_once(char::is_whitespace)
            .ok_or_else(|| bad("expected `key in (values)` or `key notin (values)`"))?;
        let operator = match op.trim() {
            "in" => Operator::In,
            "notin" => Operator::NotIn,
            other => return Err(bad(&format!("unknown operator {other:?}"))),
        };
        let key = key.trim();
        validate_key(key)?;
        let inner = term[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| bad("expected `)` at the end"))?;
        let values: Vec<String> = inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() && operator == Operator::In {
            return Err(bad("`in` needs at least one value"));
        }
        return Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        });
    }
    let key = term.trim();
    if key.contains(char::is_whitespace) {
        return Err(bad("unexpected whitespace"));
    }
    validate_key(key)?;
    Ok(Requirement {
        key: key.to_string(),
        operator: Operator::Exists,
        values: vec![],
    })
}

/// Validates a label key: optional DNS subdomain prefix, then a name of at most 63 characters.
pub fn validate_key(key: &str) -> Result<(), SelectorError> {
    let err = |reason: &str| SelectorError::Key {
        key: key.to_string(),
        reason: reason.to_string(),
    };
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty() || prefix.len() > 253 {
                return Err(err(
                    "prefix must be a DNS subdomain of at most 253 characters",
                ));
            }
            name
        }
        None => key,
    };
    if name.is_empty() || name.len() > 63 {
        return Err(err("name part must be 1 to 63 characters"));
    }
    let ok_edge = |c: char| c.is_ascii_alphanumeric();
    let ok_inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let first = name.chars().next().is_some_and(ok_edge);
    let last = name.chars().last().is_some_and(ok_edge);
    if !first || !last || !name.chars().all(ok_inner) {
        return Err(err(
            "name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
        ));
    }
    Ok(())
}

/// `metav1.LabelSelector` as written in YAML (`matchLabels`, `matchExpressions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry as written in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Converts to a [`Selector`], validating operators and value counts as the API server does.
    pub fn to_selector(&self) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        for (key, value) in &self.match_labels {
            validate_key(key)?;
            requirements.push(Requirement {
                key: key.clone(),
                operator: Operator::Equals,
                values: vec![value.clone()],
            });
        }
        for expr in &self.match_expressions {
            validate_key(&expr.key)?;
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(SelectorError::Operator(other.to_string())),
            };
            let needs_values = matches!(operator, Operator::In | Operator::NotIn);
            if needs_values == expr.values.is_empty() {
                return Err(SelectorError::Values {
                    key: expr.key.clone(),
                    operator: expr.operator.clone(),
                    reason: if needs_values {
                        "needs at least one value".to_string()
                    } else {
                        "must have no values".to_string()
                    },
                });
            }
            requirements.push(Requirement {
                key: expr.key.clone(),
                operator,
                values: expr.values.clone(),
            });
        }
        Ok(Selector { requirements })
    }

    /// Matches a label map; a selector that fails to convert matches nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.to_selector().is_ok_and(|s| s.matches(labels))
    }
}

/// A field selector requirement (`metadata.name=x`, `involvedObject.kind!=Pod`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub negated: bool,
    pub value: String,
}

/// Parses a `fieldSelector` query: comma-separated `field=value`, `field==value`, `field!=value`.
pub fn parse_field_selector(input: &str) -> Result<Vec<FieldRequirement>, SelectorError> {
    let mut out = Vec::new();
    for term in input.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let parsed = if let Some((f, v)) = term.split_once("!=") {
            (f, true, v)
        } else if let Some((f, v)) = term.split_once("==") {
            (f, false, v)
        } else if let Some((f, v)) = term.split_once('=') {
            (f, false, v)
        } else {
            return Err(SelectorError::Term {
                term: term.to_string(),
                reason: "field selectors need `=`, `==` or `!=`".to_string(),
            });
        };
        out.push(FieldRequirement {
            field: parsed.0.trim().to_string(),
            negated: parsed.1,
            value: parsed.2.trim().to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_every_operator() {
        let s = Selector::parse("a=b, c!=d,e in (x, y),f notin (z),g,!h,i==j").expect("parses");
        let ops: Vec<Operator> = s.requirements.iter().map(|r| r.operator).collect();
        assert_eq!(
            ops,
            vec![
                Operator::Equals,
                Operator::NotEquals,
                Operator::In,
                Operator::NotIn,
                Operator::Exists,
                Operator::DoesNotExist,
                Operator::Equals
            ]
        );
        assert_eq!(s.requirements[2].values, vec!["x", "y"]);
    }

    #[test]
    fn matches_like_kubernetes() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        assert!(Selector::parse("app=web").expect("ok").matches(&l));
        assert!(!Selector::parse("app=db").expect("ok").matches(&l));
        assert!(Selector::parse("app!=db").expect("ok").matches(&l));
        assert!(Selector::parse("missing!=x").expect("ok").matches(&l));
        assert!(
            Selector::parse("tier in (front,back)")
                .expect("ok")
                .matches(&l)
        );
        assert!(
            !Selector::parse("tier notin (front)")
                .expect("ok")
                .matches(&l)
        );
        assert!(
            Selector::parse("missing notin (x)")
                .expect("ok")
                .matches(&l)
        );
        assert!(Selector::parse("app,!missing").expect("ok").matches(&l));
        assert!(!Selector::parse("!app").expect("ok").matches(&l));
        assert!(Selector::parse("").expect("ok").matches(&l));
    }

    #[test]
    fn rejects_malformed_selectors() {
        assert!(Selector::parse("a in (b").is_err());
        assert!(Selector::parse("a in b)").is_err());
        assert!(Selector::parse("a b").is_err());
        assert!(Selector::parse("-bad=x").is_err());
        assert!(Selector::parse("a=(b)").is_err());
    }

    #[test]
    fn structured_selector_notin_is_satisfied_by_absence() {
        let sel: LabelSelector = serde_yaml::from_str(
            "matchLabels: {environment: dev}\nmatchExpressions:\n- {key: skip-gateway, operator: NotIn, values: ['true']}\n",
        )
        .expect("yaml");
        assert!(sel.matches(&labels(&[("environment", "dev")])));
        assert!(!sel.matches(&labels(&[("environment", "dev"), ("skip-gateway", "true")])));
        assert!(sel.matches(&labels(&[
            ("environment", "dev"),
            ("skip-gateway", "false")
        ])));
        assert!(!sel.matches(&labels(&[("environment", "stg")])));
    }

    #[test]
    fn structured_selector_validates_operators() {
        let bad = LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: "Matches".into(),
                values: vec![],
            }],
        };
        assert_eq!(
            bad.to_selector(),
            Err(SelectorError::Operator("Matches".into()))
        );
        let no_values = LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: "In".into(),
                values: vec![],
            }],
        };
        assert!(no_values.to_selector().is_err());
        assert!(!no_values.matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn field_selectors_parse() {
        let f = parse_field_selector("metadata.name=web,involvedObject.kind!=Pod").expect("ok");
        assert_eq!(f.len(), 2);
        assert!(f[1].negated);
        assert!(parse_field_selector("nonsense").is_err());
    }

    proptest::proptest! {
        #[test]
        fn display_roundtrips(key in "[a-z][a-z0-9]{0,8}", value in "[a-z0-9]{1,8}") {
            let s = Selector::parse(&format!("{key}={value},{key}2 notin ({value}),!{key}3")).expect("parses");
            let again = Selector::parse(&s.to_string()).expect("reparses");
            proptest::prop_assert_eq!(s, again);
        }
    }
}
