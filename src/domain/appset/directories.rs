//! The git directories generator's matching: Go `path.Match`, includes and exclusions.

use std::collections::BTreeSet;

use super::GitDirectory;

/// Directories selected by a git generator's `directories` list, in ArgoCD's walk order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryMatch {
    pub paths: Vec<String>,
    /// Patterns Go's `path.Match` rejects; ArgoCD logs and ignores them.
    pub bad_patterns: Vec<String>,
}

/// Applies include and `exclude: true` patterns to the directories; exclusions win.
pub fn match_directories(
    patterns: &[GitDirectory],
    directories: &BTreeSet<String>,
) -> DirectoryMatch {
    let mut compiled = Vec::new();
    let mut bad_patterns = Vec::new();
    for item in patterns {
        match PathPattern::compile(&item.path) {
            Some(pattern) => compiled.push((pattern, item.exclude)),
            None => bad_patterns.push(item.path.clone()),
        }
    }
    let mut paths: Vec<&String> = directories
        .iter()
        .filter(|dir| {
            let mut included = false;
            for (pattern, exclude) in &compiled {
                if pattern.matches(dir) {
                    if *exclude {
                        return false;
                    }
                    included = true;
                }
            }
            included
        })
        .collect();
    // filepath.WalkDir order: parents before children, siblings sorted (so `a/b` < `a-b`).
    paths.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    DirectoryMatch {
        paths: paths.into_iter().cloned().collect(),
        bad_patterns,
    }
}

/// Go's `path.Match`: `*` is any run of non-`/` characters, `?` one non-`/` character,
/// `[...]`/`[^...]` a class with ranges, `\` escapes.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    PathPattern::compile(pattern)
        .map(|p| p.matches(name))
        .ok_or_else(|| BadPattern(pattern.to_string()))
}

/// A pattern Go's `path.Match` reports as `ErrBadPattern`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern {0:?}")]
pub struct BadPattern(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternToken {
    Char(char),
    AnyChar,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PathPattern(Vec<PatternToken>);

impl PathPattern {
    fn compile(pattern: &str) -> Option<Self> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' => PatternToken::Star,
                '?' => PatternToken::AnyChar,
                '\\' => PatternToken::Char(chars.next()?),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        if !ranges.is_empty() && chars.next_if_eq(&']').is_some() {
                            break;
                        }
                        let lo = class_char(&mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            class_char(&mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    PatternToken::Class { negated, ranges }
                }
                c => PatternToken::Char(c),
            };
            tokens.push(token);
        }
        Some(Self(tokens))
    }

    fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        match_tokens(&self.0, &chars)
    }
}

/// One class bound: `-` and `]` must be escaped, and the class must go on afterwards.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let c = match chars.next()? {
        '-' | ']' => return None,
        '\\' => chars.next()?,
        c => c,
    };
    chars.peek()?;
    Some(c)
}

fn match_tokens(tokens: &[PatternToken], name: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return name.is_empty();
    };
    match first {
        PatternToken::Star => {
            // Try every split that keeps the starred part free of '/'.
            let max = name.iter().position(|&c| c == '/').unwrap_or(name.len());
            (0..=max).any(|skip| match_tokens(rest, &name[skip..]))
        }
        _ => {
            let Some((&c, remaining)) = name.split_first() else {
                return false;
            };
            let ok = match first {
                PatternToken::Char(p) => *p == c,
                PatternToken::AnyChar => c != '/',
                PatternToken::Class { negated, ranges } => {
                    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
                }
                PatternToken::Star => false,
            };
            ok && match_tokens(rest, remaining)
        }
    }
}
