//! Pretty JSON as coloured lines (theme roles), for showing the exact patch an action sends.
//!
//! Keys use `accent`, strings `text`, numbers and booleans `title`, punctuation `muted`, and
//! `null` uses `danger`: in a merge patch `null` deletes the field.

use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::theme::{Role, Theme};

/// `value` pretty-printed (two-space indent, key order kept) and coloured.
pub fn lines(value: &Value, theme: &Theme) -> Vec<Line<'static>> {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.lines().map(|line| colour_line(line, theme)).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Space,
    Punct,
    Key,
    Str,
    Literal,
    Null,
}

impl Token {
    fn role(self) -> Role {
        match self {
            Token::Space | Token::Str => Role::Text,
            Token::Punct => Role::Muted,
            Token::Key => Role::Accent,
            Token::Literal => Role::Title,
            Token::Null => Role::Danger,
        }
    }
}

fn colour_line(line: &str, theme: &Theme) -> Line<'static> {
    tokens(line)
        .into_iter()
        .map(|(token, text)| Span::styled(text.to_string(), theme.style(token.role())))
        .collect::<Vec<_>>()
        .into()
}

/// Splits one line of pretty JSON into tokens (a string followed by `:` is a key).
fn tokens(line: &str) -> Vec<(Token, &str)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let token = match bytes[at] {
            b' ' => {
                while at < bytes.len() && bytes[at] == b' ' {
                    at += 1;
                }
                Token::Space
            }
            b'"' => {
                at = string_end(bytes, at);
                let rest = line[at..].trim_start();
                if rest.starts_with(':') {
                    Token::Key
                } else {
                    Token::Str
                }
            }
            b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                at += 1;
                Token::Punct
            }
            _ => {
                while at < bytes.len() && !matches!(bytes[at], b' ' | b',' | b']' | b'}') {
                    at += 1;
                }
                if &line[start..at] == "null" {
                    Token::Null
                } else {
                    Token::Literal
                }
            }
        };
        out.push((token, &line[start..at]));
    }
    out
}

/// The index just past the string starting at `start` (a `"`), honouring escapes.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_tell_keys_strings_literals_and_null_apart() {
        let kinds = |line: &str| -> Vec<(Token, String)> {
            tokens(line)
                .into_iter()
                .filter(|(t, _)| *t != Token::Space)
                .map(|(t, s)| (t, s.to_string()))
                .collect()
        };
        assert_eq!(
            kinds(r#"  "prune": true,"#),
            vec![
                (Token::Key, "\"prune\"".into()),
                (Token::Punct, ":".into()),
                (Token::Literal, "true".into()),
                (Token::Punct, ",".into()),
            ]
        );
        assert_eq!(
            kinds(r#""username": "a \"q\": b""#),
            vec![
                (Token::Key, "\"username\"".into()),
                (Token::Punct, ":".into()),
                (Token::Str, r#""a \"q\": b""#.into()),
            ]
        );
        assert_eq!(kinds(r#""operationState": null"#)[2].0, Token::Null);
    }

    #[test]
    fn lines_keep_the_exact_pretty_text_and_colour_null_as_danger() {
        let theme = Theme::builtin("default").expect("theme");
        let patch =
            json!({"status": {"operationState": null}, "operation": {"sync": {"prune": false}}});
        let rendered: Vec<String> = lines(&patch, &theme).iter().map(Line::to_string).collect();
        let expected = serde_json::to_string_pretty(&patch).expect("json");
        assert_eq!(rendered.join("\n"), expected);
        let null_line = &lines(&patch, &theme)[2];
        let null_span = null_line
            .spans
            .iter()
            .find(|s| s.content == "null")
            .expect("null span");
        assert_eq!(null_span.style, theme.style(Role::Danger));
    }
}
