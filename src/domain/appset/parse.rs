//! Reading ApplicationSets from (multi-document) YAML with file line numbers in errors.

use super::ApplicationSet;

/// Why a YAML document could not be read as an ApplicationSet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{line}:{column}: {reason}", file.as_deref().map(|f| format!("{f}:")).unwrap_or_default())]
pub struct AppSetParseError {
    pub file: Option<String>,
    /// 1-based line in the whole file (not the document).
    pub line: usize,
    pub column: usize,
    /// 0-based index of the YAML document in the file.
    pub document: usize,
    pub reason: String,
}

impl AppSetParseError {
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
}

/// Reads every `kind: ApplicationSet` document of a (multi-document) YAML text; documents of
/// other kinds and empty documents are skipped. The first bad document fails the text.
pub fn parse_applicationsets(yaml: &str) -> Result<Vec<ApplicationSet>, AppSetParseError> {
    let mut out = Vec::new();
    for (index, document) in split_documents(yaml).into_iter().enumerate() {
        let located = |err: serde_yaml::Error| located_error(err, &document, index);
        let value: serde_yaml::Value = serde_yaml::from_str(&document.text).map_err(located)?;
        let kind = value.get("kind").and_then(serde_yaml::Value::as_str);
        if kind != Some("ApplicationSet") {
            continue;
        }
        out.push(serde_yaml::from_str(&document.text).map_err(located)?);
    }
    Ok(out)
}

/// ApplicationSets read from many files, with the files that failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedAppSets {
    /// (file, ApplicationSet) in file order.
    pub appsets: Vec<(String, ApplicationSet)>,
    pub errors: Vec<AppSetParseError>,
}

/// Parses (file name, contents) pairs; one bad file does not stop the others.
pub fn load_applicationsets<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> LoadedAppSets {
    let mut loaded = LoadedAppSets::default();
    for (file, contents) in files {
        match parse_applicationsets(contents) {
            Ok(appsets) => loaded
                .appsets
                .extend(appsets.into_iter().map(|a| (file.to_string(), a))),
            Err(err) => loaded.errors.push(err.with_file(file)),
        }
    }
    loaded
}

struct Document {
    text: String,
    /// Lines before this document in the file.
    line_offset: usize,
}

/// Splits on `---` / `...` marker lines, keeping each document's line offset so errors can
/// name the line in the whole file.
fn split_documents(yaml: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    let mut current = String::new();
    let mut start_line = 0;
    for (number, line) in yaml.split_inclusive('\n').enumerate() {
        let marker = ["---", "..."].into_iter().find(|m| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        });
        match marker {
            Some(marker) => {
                documents.push(Document {
                    text: std::mem::take(&mut current),
                    line_offset: start_line,
                });
                start_line = number;
                // Content after `---` on the same line belongs to the next document; blank the
                // marker so columns stay right.
                if marker == "---" {
                    current.push_str(&" ".repeat(3));
                    current.push_str(&line[3..]);
                } else {
                    current.push('\n');
                }
            }
            None => current.push_str(line),
        }
    }
    documents.push(Document {
        text: current,
        line_offset: start_line,
    });
    documents
}

fn located_error(err: serde_yaml::Error, document: &Document, index: usize) -> AppSetParseError {
    let location = err.location();
    let line = location.as_ref().map_or(1, |l| l.line()) + document.line_offset;
    let column = location.as_ref().map_or(1, |l| l.column());
    // serde_yaml's message names document-relative lines; make them file lines, and drop the
    // trailing position we carry separately.
    let mut reason = shift_line_numbers(&err.to_string(), document.line_offset);
    if let Some(stripped) = reason.strip_suffix(&format!(" at line {line} column {column}")) {
        reason = stripped.to_string();
    }
    AppSetParseError {
        file: None,
        line,
        column,
        document: index,
        reason,
    }
}

/// Adds `offset` to every `line N` in a message.
fn shift_line_numbers(message: &str, offset: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (head, tail) = rest.split_at(at + "line ".len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match tail[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&tail[..digits]),
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}
