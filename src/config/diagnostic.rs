//! A configuration problem located in a file: `file:line:column: field: message`.
//!
//! Config and theme files are YAML read with serde_yaml, whose errors carry a location and a
//! field path inside their text. [`Diagnostic::from_yaml`] takes them apart so every message
//! names the file, the line and the field the same way.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Reads YAML text from `file` into `T`. An empty document is `T::default()`.
///
/// The text is first read as plain YAML, so a syntax error is reported as such, at its own
/// line: serde_yaml reading straight into `T` would stop earlier, at the first value of the
/// wrong shape, and blame that instead.
pub fn parse_yaml<T: DeserializeOwned + Default>(text: &str, file: &Path) -> Result<T, Diagnostic> {
    let located = |error: serde_yaml::Error| Diagnostic::from_yaml(file, &error);
    serde_yaml::from_str::<serde_yaml::Value>(text).map_err(located)?;
    serde_yaml::from_str::<Option<T>>(text)
        .map(Option::unwrap_or_default)
        .map_err(located)
}

/// One problem in one file, with as much location as is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted path of the field at fault, e.g. `confirm.prd` or `keymap.list.sync[0]`.
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// Converts a serde_yaml error about `file` into a located diagnostic.
    pub fn from_yaml(file: &Path, error: &serde_yaml::Error) -> Diagnostic {
        let location = error.location();
        let mut text = error.to_string();
        if let Some(location) = &location {
            // serde_yaml appends the location to its message; we print it up front instead.
            let suffix = format!(" at line {} column {}", location.line(), location.column());
            if let Some(start) = text.find(&suffix) {
                text.replace_range(start..start + suffix.len(), "");
            }
        }
        let (parent, message) = split_field_path(&text);
        let field = field_named_in(&message)
            .map(|name| match &parent {
                Some(parent) => format!("{parent}.{name}"),
                None => name.to_string(),
            })
            .or(parent);
        Diagnostic {
            file: file.to_path_buf(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            field,
            message: message.replace('`', "\""),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// serde_yaml prefixes messages with the path of the value at fault (`confirm.prd: ...`).
fn split_field_path(text: &str) -> (Option<String>, String) {
    if let Some((prefix, rest)) = text.split_once(": ")
        && !prefix.is_empty()
        && prefix.chars().all(is_path_char)
    {
        return (Some(prefix.to_string()), rest.to_string());
    }
    (None, text.to_string())
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '?')
}

/// Errors about a map key are reported at the key's parent; the key itself is named in the
/// text, either by serde (unknown or missing fields) or by our own key types (commands and modes
/// in keymaps, roles in themes: these only ever appear as keys).
fn field_named_in(message: &str) -> Option<&str> {
    const QUOTED_KEYS: [(&str, char); 5] = [
        ("unknown field `", '`'),
        ("missing field `", '`'),
        ("unknown command \"", '"'),
        ("unknown mode \"", '"'),
        ("unknown role \"", '"'),
    ];
    QUOTED_KEYS.iter().find_map(|(start, end)| {
        message
            .strip_prefix(start)
            .and_then(|rest| rest.split_once(*end))
            .map(|(name, _)| name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Option<Inner>,
        count: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn diagnose(text: &str) -> Diagnostic {
        parse_yaml::<Outer>(text, Path::new("c.yaml")).expect_err("invalid")
    }

    #[test]
    fn unknown_nested_field_is_named_with_its_parent() {
        let d = diagnose("inner:\n  name: x\n  nmae: y\n");
        assert_eq!(d.field.as_deref(), Some("inner.nmae"));
        assert_eq!((d.line, d.column), (Some(3), Some(3)));
        assert!(d.message.starts_with("unknown field \"nmae\""), "{d}");
        assert!(
            d.to_string()
                .starts_with("c.yaml:3:3: inner.nmae: unknown field")
        );
    }

    #[test]
    fn unknown_top_level_field_is_named() {
        let d = diagnose("count: 1\ncuont: 2\n");
        assert_eq!(d.field.as_deref(), Some("cuont"));
        assert_eq!(d.line, Some(2));
    }

    #[test]
    fn wrong_type_names_the_field_and_drops_the_trailing_location() {
        let d = diagnose("count: many\n");
        assert_eq!(d.field.as_deref(), Some("count"));
        assert!(!d.message.contains("at line"), "{}", d.message);
        assert_eq!(
            d.to_string(),
            "c.yaml:1:8: count: invalid type: string \"many\", expected u32"
        );
    }

    #[test]
    fn missing_field_is_named() {
        let d = diagnose("inner: {}\n");
        assert_eq!(d.field.as_deref(), Some("inner.name"));
    }

    #[test]
    fn syntax_errors_are_reported_before_type_errors() {
        let d = diagnose("count: [1\ninner: x\n");
        assert_eq!(d.field, None);
        assert_eq!(d.line, Some(2));
        assert!(
            d.message.starts_with("did not find expected ',' or ']'"),
            "{d}"
        );
    }

    #[test]
    fn empty_documents_are_the_default() {
        for text in ["", "# only a comment\n", "~\n"] {
            assert!(
                parse_yaml::<Outer>(text, Path::new("c.yaml")).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn display_without_location() {
        let d = Diagnostic {
            file: PathBuf::from("x.yaml"),
            line: None,
            column: None,
            field: None,
            message: "bad".into(),
        };
        assert_eq!(d.to_string(), "x.yaml: bad");
    }
}
