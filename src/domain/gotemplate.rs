//! The subset of Go `text/template` (with the sprig and ArgoCD functions) that ApplicationSet
//! templates use under `goTemplate: true`, evaluated over a JSON parameter tree.
//!
//! Supported: literal text; `{{.a.b}}`, `{{.}}`, `{{$.a}}`; `(pipeline).field`; pipelines with
//! `|`; string (`"..."`, `` `...` ``), number, `true`/`false`/`nil` literals; comments
//! `{{/* */}}`; trim markers `{{- ` and ` -}}`; and the functions `index`, `lower`, `upper`,
//! `default`, `replace`, `trimPrefix`, `trimSuffix`, `quote`, `toString`, `printf` (verbs `%s`,
//! `%d`, `%v`, `%%`) and `normalize`. Control structures (`if`, `range`, `with`, variables) are
//! rejected with a typed error: K8TRE's templates do not use them.
//!
//! Deliberate differences from Go, all documented where they arise:
//! - `index` on a map with a missing key yields `""`. ArgoCD's cluster labels are a
//!   `map[string]string`, whose zero value is `""`, even under `missingkey=error`.
//! - JSON integers behave as Go `int`s (ArgoCD decodes list elements as `float64`, so Go would
//!   print `1e+06` for 1000000 and `%!d(float64=3)` for `printf "%d"`); other numbers are
//!   `float64` and print as Go's `%v` does.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// What a field lookup does when a map lacks the key (`goTemplateOptions: ["missingkey=..."]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// Go's default (`default`, `invalid`, `zero` for `map[string]any`): prints `<no value>`.
    #[default]
    Default,
    /// `missingkey=error`: execution stops with an error naming the key.
    Error,
}

/// Execution options, read from an ApplicationSet's `goTemplateOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TemplateOptions {
    pub missing_key: MissingKey,
}

/// A `goTemplateOptions` entry that Go's `Template.Option` does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognized template option {0:?} (expected missingkey=default|invalid|zero|error)")]
pub struct OptionError(pub String);

impl TemplateOptions {
    /// `missingkey=error`, as every K8TRE ApplicationSet sets.
    pub fn strict() -> Self {
        Self {
            missing_key: MissingKey::Error,
        }
    }

    /// Reads Go template options; the last `missingkey=` wins, as in Go.
    pub fn from_go_options<S: AsRef<str>>(options: &[S]) -> Result<Self, OptionError> {
        let mut out = Self::default();
        for option in options {
            out.missing_key = match option.as_ref() {
                "missingkey=default" | "missingkey=invalid" | "missingkey=zero" => {
                    MissingKey::Default
                }
                "missingkey=error" => MissingKey::Error,
                other => return Err(OptionError(other.to_string())),
            };
        }
        Ok(out)
    }
}

/// Where in the template source an error arose (1-based, columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn locate(source: &str, offset: usize) -> Self {
        let before = source.get(..offset).unwrap_or(source);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            offset,
            line,
            column,
        }
    }
}

/// Why a template failed to parse or execute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateErrorKind {
    #[error("unclosed action")]
    UnclosedAction,
    #[error("{0}")]
    Syntax(String),
    #[error("function {0:?} not defined")]
    UnknownFunction(String),
    #[error("{0:?} is not supported by this template engine")]
    Unsupported(String),
    #[error("map has no entry for key {0:?}")]
    MissingKey(String),
    #[error("error calling {function}: {message}")]
    Call { function: String, message: String },
    #[error("{0}")]
    Exec(String),
}

/// A template error with its position in the template source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {kind}", position.line, position.column)]
pub struct TemplateError {
    pub position: Position,
    pub kind: TemplateErrorKind,
}

/// The functions this engine knows; anything else is rejected at parse time, as Go does.
pub const FUNCTIONS: [&str; 11] = [
    "index",
    "lower",
    "upper",
    "default",
    "replace",
    "trimPrefix",
    "trimSuffix",
    "quote",
    "toString",
    "printf",
    "normalize",
];

/// Words Go reserves for control structures and definitions.
const KEYWORDS: [&str; 10] = [
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

/// A parsed template, ready to render many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Action(Pipeline),
}

#[derive(Debug, Clone, PartialEq)]
struct Pipeline {
    commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq)]
struct Command {
    operands: Vec<Operand>,
    offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Operand {
    term: Term,
    fields: Vec<String>,
    offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Dot,
    Root,
    Function(String),
    Literal(Value),
    Nil,
    Sub(Box<Pipeline>),
}

/// Renders `source` once. Use [`Template::parse`] to render one template many times.
pub fn render(
    source: &str,
    data: &Value,
    options: TemplateOptions,
) -> Result<String, TemplateError> {
    Template::parse(source)?.render(data, options)
}

/// ArgoCD's `SanitizeName` (used for `nameNormalized`, `basenameNormalized` and `normalize`):
/// lower-case; every character outside `[a-z0-9.-]` becomes `-`; at most 253 bytes; leading and
/// trailing `-` and `.` trimmed.
pub fn normalize_name(name: &str) -> String {
    let mut out: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Every character is ASCII now, so byte truncation is character truncation.
    out.truncate(253);
    out.trim_matches(['-', '.']).to_string()
}

impl Template {
    /// Parses a template; unknown functions and unsupported actions are errors here, as in Go.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let nodes = Parser::new(source).parse()?;
        Ok(Self {
            source: source.to_string(),
            nodes,
        })
    }

    /// The source text the template was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Executes the template against `data` (which is both `.` and `$`).
    pub fn render(&self, data: &Value, options: TemplateOptions) -> Result<String, TemplateError> {
        let exec = Exec {
            source: &self.source,
            data,
            options,
        };
        let mut out = String::new();
        for node in &self.nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Action(pipeline) => {
                    let value = exec.pipeline(pipeline)?;
                    out.push_str(&print_top(value.as_ref()));
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Dot,
    Field(String),
    Dollar(String),
    Ident(String),
    Literal(Value),
    Pipe,
    LParen,
    RParen,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: TokenKind,
    offset: usize,
    /// True when no whitespace separates this token from the previous one (`.a.b`, `(x).f`).
    attached: bool,
}

struct Parser<'s> {
    src: &'s str,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        Self { src }
    }

    fn error(&self, offset: usize, kind: TemplateErrorKind) -> TemplateError {
        TemplateError {
            position: Position::locate(self.src, offset),
            kind,
        }
    }

    fn syntax(&self, offset: usize, message: impl Into<String>) -> TemplateError {
        self.error(offset, TemplateErrorKind::Syntax(message.into()))
    }

    fn parse(&self) -> Result<Vec<Node>, TemplateError> {
        let mut nodes = Vec::new();
        let mut pos = 0;
        let mut trim_next_text = false;
        while pos <= self.src.len() {
            let rest = &self.src[pos..];
            let Some(open_rel) = rest.find("{{") else {
                push_text(&mut nodes, rest, trim_next_text, false);
                break;
            };
            let open = pos + open_rel;
            let mut inner = open + 2;
            let trim_left = self.src[inner..].starts_with('-')
                && self.src[inner + 1..].starts_with(is_trim_space);
            if trim_left {
                inner += 2;
            }
            push_text(&mut nodes, &self.src[pos..open], trim_next_text, trim_left);
            let (end, trim_right, pipeline) = self.parse_action(open, inner)?;
            if let Some(pipeline) = pipeline {
                nodes.push(Node::Action(pipeline));
            }
            trim_next_text = trim_right;
            pos = end;
        }
        Ok(nodes)
    }

    /// Parses one action starting after `{{` (and its trim marker). Returns the offset after the
    /// closing `}}`, whether it trims the following text, and the pipeline (None for comments).
    fn parse_action(
        &self,
        open: usize,
        inner: usize,
    ) -> Result<(usize, bool, Option<Pipeline>), TemplateError> {
        // As in Go, a comment must start right after `{{` or its trim marker.
        if self.src[inner..].starts_with("/*") {
            return self.parse_comment(open, inner).map(|(e, t)| (e, t, None));
        }
        let (tokens, end, trim_right) = self.lex_action(open, inner)?;
        if tokens.is_empty() {
            return Err(self.syntax(open, "missing value for command"));
        }
        let mut cursor = TokenCursor {
            tokens: &tokens,
            index: 0,
        };
        let pipeline = self.parse_pipeline(&mut cursor, open)?;
        if let Some(token) = cursor.peek() {
            return Err(self.syntax(token.offset, "unexpected token in action"));
        }
        Ok((end, trim_right, Some(pipeline)))
    }

    fn parse_comment(&self, open: usize, start: usize) -> Result<(usize, bool), TemplateError> {
        let close = self.src[start + 2..]
            .find("*/")
            .map(|i| start + 2 + i)
            .ok_or_else(|| self.syntax(open, "unclosed comment"))?;
        let after = close + 2;
        let rest = &self.src[after..];
        if rest.starts_with("}}") {
            return Ok((after + 2, false));
        }
        let space = leading_space(rest);
        if space > 0 && rest[space..].starts_with("-}}") {
            return Ok((after + space + 3, true));
        }
        Err(self.syntax(after, "comment ends before closing delimiter"))
    }

    /// Splits an action into tokens, up to and including its closing delimiter.
    fn lex_action(
        &self,
        open: usize,
        start: usize,
    ) -> Result<(Vec<Token>, usize, bool), TemplateError> {
        let bytes = self.src.as_bytes();
        let mut tokens = Vec::new();
        let mut pos = start;
        let mut attached = false;
        loop {
            let Some(&b) = bytes.get(pos) else {
                return Err(self.error(open, TemplateErrorKind::UnclosedAction));
            };
            if is_trim_space(b as char) {
                let space_end = pos + leading_space(&self.src[pos..]);
                if self.src[space_end..].starts_with("-}}") {
                    return Ok((tokens, space_end + 3, true));
                }
                pos = space_end;
                attached = false;
                continue;
            }
            if self.src[pos..].starts_with("}}") {
                return Ok((tokens, pos + 2, false));
            }
            let (kind, next) = self.lex_token(pos)?;
            tokens.push(Token {
                kind,
                offset: pos,
                attached,
            });
            pos = next;
            attached = true;
        }
    }

    fn lex_token(&self, pos: usize) -> Result<(TokenKind, usize), TemplateError> {
        let rest = &self.src[pos..];
        let first = rest.chars().next().unwrap_or(' ');
        match first {
            '|' => Ok((TokenKind::Pipe, pos + 1)),
            '(' => Ok((TokenKind::LParen, pos + 1)),
            ')' => Ok((TokenKind::RParen, pos + 1)),
            '"' => self.lex_quoted(pos),
            '`' => {
                let close = rest[1..]
                    .find('`')
                    .ok_or_else(|| self.syntax(pos, "unterminated raw quoted string"))?;
                let text = rest[1..1 + close].to_string();
                Ok((TokenKind::Literal(Value::String(text)), pos + close + 2))
            }
            '\'' => Err(self.error(
                pos,
                TemplateErrorKind::Unsupported("character constant".into()),
            )),
            '.' => {
                let name_len = ident_len(&rest[1..]);
                if name_len == 0 {
                    if rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
                        return self.lex_number(pos);
                    }
                    return Ok((TokenKind::Dot, pos + 1));
                }
                let name = rest[1..1 + name_len].to_string();
                Ok((TokenKind::Field(name), pos + 1 + name_len))
            }
            '$' => {
                let name_len = ident_len(&rest[1..]);
                let name = rest[1..1 + name_len].to_string();
                Ok((TokenKind::Dollar(name), pos + 1 + name_len))
            }
            ':' | '=' => Err(self.error(
                pos,
                TemplateErrorKind::Unsupported("variable assignment".into()),
            )),
            c if c.is_ascii_digit() || c == '-' || c == '+' => self.lex_number(pos),
            c if c.is_alphabetic() || c == '_' => {
                let len = ident_len(rest);
                Ok((TokenKind::Ident(rest[..len].to_string()), pos + len))
            }
            c => Err(self.syntax(pos, format!("unexpected {c:?} in action"))),
        }
    }

    fn lex_quoted(&self, pos: usize) -> Result<(TokenKind, usize), TemplateError> {
        let rest = &self.src[pos + 1..];
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                '\n' => break,
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let body = &rest[..i];
                    let text = unquote(body).map_err(|m| self.syntax(pos, m))?;
                    return Ok((TokenKind::Literal(Value::String(text)), pos + 1 + i + 1));
                }
                _ => escaped = false,
            }
        }
        Err(self.syntax(pos, "unterminated quoted string"))
    }

    fn lex_number(&self, pos: usize) -> Result<(TokenKind, usize), TemplateError> {
        let rest = &self.src[pos..];
        let mut len = 0;
        for (i, c) in rest.char_indices() {
            let sign_ok = (c == '-' || c == '+')
                && (i == 0 || rest[..i].ends_with(['e', 'E']) && !rest.starts_with("0x"));
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || sign_ok {
                len = i + c.len_utf8();
            } else {
                break;
            }
        }
        let text = &rest[..len];
        let value = parse_number(text)
            .ok_or_else(|| self.syntax(pos, format!("bad number syntax: {text:?}")))?;
        Ok((TokenKind::Literal(value), pos + len))
    }

    fn parse_pipeline(
        &self,
        cursor: &mut TokenCursor<'_>,
        start: usize,
    ) -> Result<Pipeline, TemplateError> {
        let mut commands = Vec::new();
        loop {
            let offset = cursor.peek().map_or(start, |t| t.offset);
            let mut operands = Vec::new();
            while let Some(token) = cursor.peek() {
                if matches!(token.kind, TokenKind::Pipe | TokenKind::RParen) {
                    break;
                }
                operands.push(self.parse_operand(cursor)?);
            }
            if operands.is_empty() {
                return Err(self.syntax(offset, "missing value for command"));
            }
            commands.push(Command { operands, offset });
            match cursor.peek() {
                Some(Token {
                    kind: TokenKind::Pipe,
                    ..
                }) => cursor.index += 1,
                _ => return Ok(Pipeline { commands }),
            }
        }
    }

    fn parse_operand(&self, cursor: &mut TokenCursor<'_>) -> Result<Operand, TemplateError> {
        let Some(token) = cursor.next() else {
            return Err(self.syntax(self.src.len(), "unexpected end of action"));
        };
        let offset = token.offset;
        let mut fields = Vec::new();
        let term = match &token.kind {
            TokenKind::Dot => Term::Dot,
            TokenKind::Field(name) => {
                fields.push(name.clone());
                Term::Dot
            }
            TokenKind::Dollar(name) if name.is_empty() => Term::Root,
            TokenKind::Dollar(name) => {
                return Err(self.error(
                    offset,
                    TemplateErrorKind::Unsupported(format!("variable ${name}")),
                ));
            }
            TokenKind::Ident(name) => self.identifier(name, offset)?,
            TokenKind::Literal(value) => Term::Literal(value.clone()),
            TokenKind::LParen => {
                let inner = self.parse_pipeline(cursor, offset)?;
                match cursor.next() {
                    Some(Token {
                        kind: TokenKind::RParen,
                        ..
                    }) => Term::Sub(Box::new(inner)),
                    _ => return Err(self.syntax(offset, "unclosed left paren")),
                }
            }
            TokenKind::Pipe | TokenKind::RParen => {
                return Err(self.syntax(offset, "unexpected token in operand"));
            }
        };
        while let Some(Token {
            kind: TokenKind::Field(name),
            attached: true,
            offset: field_offset,
        }) = cursor.peek()
        {
            if !matches!(term, Term::Dot | Term::Root | Term::Sub(_)) {
                return Err(self.syntax(*field_offset, "unexpected . after term"));
            }
            fields.push(name.clone());
            cursor.index += 1;
        }
        Ok(Operand {
            term,
            fields,
            offset,
        })
    }

    fn identifier(&self, name: &str, offset: usize) -> Result<Term, TemplateError> {
        match name {
            "true" => Ok(Term::Literal(Value::Bool(true))),
            "false" => Ok(Term::Literal(Value::Bool(false))),
            "nil" => Ok(Term::Nil),
            _ if KEYWORDS.contains(&name) => Err(self.error(
                offset,
                TemplateErrorKind::Unsupported(format!("{{{{{name}}}}} action")),
            )),
            _ if FUNCTIONS.contains(&name) => Ok(Term::Function(name.to_string())),
            _ => Err(self.error(offset, TemplateErrorKind::UnknownFunction(name.to_string()))),
        }
    }
}

struct TokenCursor<'t> {
    tokens: &'t [Token],
    index: usize,
}

impl<'t> TokenCursor<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.index)
    }

    fn next(&mut self) -> Option<&'t Token> {
        let token = self.tokens.get(self.index);
        self.index += 1;
        token
    }
}

fn push_text(nodes: &mut Vec<Node>, text: &str, trim_start: bool, trim_end: bool) {
    let mut text = text;
    if trim_start {
        text = text.trim_start_matches(is_trim_space);
    }
    if trim_end {
        text = text.trim_end_matches(is_trim_space);
    }
    if !text.is_empty() {
        nodes.push(Node::Text(text.to_string()));
    }
}

/// Go's trim markers remove ASCII spaces, tabs, carriage returns and newlines.
fn is_trim_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn leading_space(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_trim_space).len()
}

fn ident_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(s.len(), |(i, _)| i)
}

fn parse_number(text: &str) -> Option<Value> {
    let cleaned = text.replace('_', "");
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let radix = [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ]
    .into_iter()
    .find_map(|(prefix, radix)| digits.strip_prefix(prefix).map(|d| (d, radix)));
    if let Some((body, radix)) = radix {
        let n = i64::from_str_radix(body, radix).ok()?;
        return Some(Value::from(if negative { -n } else { n }));
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        let n: i64 = digits.parse().ok()?;
        return Some(Value::from(if negative { -n } else { n }));
    }
    let f: f64 = cleaned.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// Go's `strconv.Unquote` for the body of a double-quoted string.
fn unquote(body: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escape = chars.next().ok_or("unterminated escape")?;
        let simple = match escape {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (len, radix) = match escape {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            other => return Err(format!("unknown escape sequence \\{other}")),
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(escape);
        }
        for _ in 0..len {
            digits.push(chars.next().ok_or("short escape sequence")?);
        }
        let code = u32::from_str_radix(&digits, radix)
            .map_err(|_| format!("invalid escape sequence {digits:?}"))?;
        if matches!(escape, 'x' | '0'..='7') {
            // \x and octal escapes are bytes; only ASCII bytes make a valid string on their own.
            if code > 0x7f {
                return Err(format!("escape {digits:?} is not a valid UTF-8 character"));
            }
        }
        out.push(char::from_u32(code).ok_or_else(|| format!("invalid code point {code:#x}"))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Execution

/// A value during execution: `None` is Go's "no value" (a missing key or a nil interface).
type Val = Option<Value>;

struct Exec<'a> {
    source: &'a str,
    data: &'a Value,
    options: TemplateOptions,
}

impl Exec<'_> {
    fn error(&self, offset: usize, kind: TemplateErrorKind) -> TemplateError {
        TemplateError {
            position: Position::locate(self.source, offset),
            kind,
        }
    }

    fn exec(&self, offset: usize, message: impl Into<String>) -> TemplateError {
        self.error(offset, TemplateErrorKind::Exec(message.into()))
    }

    fn pipeline(&self, pipeline: &Pipeline) -> Result<Val, TemplateError> {
        let mut piped: Option<Val> = None;
        for command in &pipeline.commands {
            piped = Some(self.command(command, piped)?);
        }
        Ok(piped.flatten())
    }

    fn command(&self, command: &Command, piped: Option<Val>) -> Result<Val, TemplateError> {
        let (head, rest) = match command.operands.split_first() {
            Some(split) => split,
            None => return Err(self.exec(command.offset, "empty command")),
        };
        if let Term::Function(name) = &head.term {
            let mut args = Vec::with_capacity(rest.len() + 1);
            for operand in rest {
                args.push(self.operand(operand)?);
            }
            if let Some(value) = piped {
                args.push(value);
            }
            return self.call(name, args, head.offset);
        }
        if !rest.is_empty() || piped.is_some() {
            return Err(self.exec(head.offset, "can't give argument to non-function"));
        }
        if matches!(head.term, Term::Nil) {
            return Err(self.exec(head.offset, "nil is not a command"));
        }
        self.operand(head)
    }

    fn operand(&self, operand: &Operand) -> Result<Val, TemplateError> {
        let fields = &operand.fields;
        let offset = operand.offset;
        match &operand.term {
            // Walk the data by reference and clone only what the chain ends on.
            Term::Dot | Term::Root => Ok(self.walk(Some(self.data), fields, offset)?.cloned()),
            Term::Literal(value) => Ok(self.walk(Some(value), fields, offset)?.cloned()),
            Term::Nil => Ok(None),
            // A function used as an argument is called with no arguments, as in Go.
            Term::Function(name) => self.call(name, Vec::new(), offset),
            Term::Sub(pipeline) => {
                let value = self.pipeline(pipeline)?;
                Ok(self.walk(value.as_ref(), fields, offset)?.cloned())
            }
        }
    }

    /// Follows a field chain (`.a.b.c`) from a value.
    fn walk<'v>(
        &self,
        start: Option<&'v Value>,
        fields: &[String],
        offset: usize,
    ) -> Result<Option<&'v Value>, TemplateError> {
        let mut current = start;
        for name in fields {
            current = self.field(current, name, offset)?;
        }
        Ok(current)
    }

    fn field<'v>(
        &self,
        receiver: Option<&'v Value>,
        name: &str,
        offset: usize,
    ) -> Result<Option<&'v Value>, TemplateError> {
        match receiver {
            Some(Value::Object(map)) => match map.get(name) {
                Some(value) => Ok(Some(value)),
                None if self.options.missing_key == MissingKey::Error => {
                    Err(self.error(offset, TemplateErrorKind::MissingKey(name.to_string())))
                }
                None => Ok(None),
            },
            None | Some(Value::Null) => match self.options.missing_key {
                MissingKey::Error => {
                    Err(self.exec(offset, format!("nil data; no entry for key {name:?}")))
                }
                MissingKey::Default => Ok(None),
            },
            Some(other) => Err(self.exec(
                offset,
                format!("can't evaluate field {name} in type {}", go_type(other)),
            )),
        }
    }

    fn call(&self, name: &str, args: Vec<Val>, offset: usize) -> Result<Val, TemplateError> {
        let fail = |message: String| {
            self.error(
                offset,
                TemplateErrorKind::Call {
                    function: name.to_string(),
                    message,
                },
            )
        };
        let arity = |want: usize| -> Result<(), TemplateError> {
            if args.len() == want {
                Ok(())
            } else {
                Err(self.exec(
                    offset,
                    format!(
                        "wrong number of args for {name}: want {want} got {}",
                        args.len()
                    ),
                ))
            }
        };
        let string_arg = |i: usize| -> Result<String, TemplateError> {
            match &args[i] {
                Some(Value::String(s)) => Ok(s.clone()),
                None => Err(self.exec(offset, "invalid value; expected string")),
                Some(other) => Err(self.exec(
                    offset,
                    format!(
                        "wrong type for value; expected string; got {}",
                        go_type(other)
                    ),
                )),
            }
        };
        let text = |s: String| Ok(Some(Value::String(s)));
        match name {
            "index" => {
                let (item, keys) = args.split_first().ok_or_else(|| {
                    self.exec(
                        offset,
                        "wrong number of args for index: want at least 1 got 0",
                    )
                })?;
                index(item.clone(), keys).map_err(fail)
            }
            "lower" => {
                arity(1)?;
                text(string_arg(0)?.to_lowercase())
            }
            "upper" => {
                arity(1)?;
                text(string_arg(0)?.to_uppercase())
            }
            "normalize" => {
                arity(1)?;
                text(normalize_name(&string_arg(0)?))
            }
            "replace" => {
                arity(3)?;
                text(string_arg(2)?.replace(&string_arg(0)?, &string_arg(1)?))
            }
            "trimPrefix" => {
                arity(2)?;
                let s = string_arg(1)?;
                let prefix = string_arg(0)?;
                text(s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string())
            }
            "trimSuffix" => {
                arity(2)?;
                let s = string_arg(1)?;
                let suffix = string_arg(0)?;
                text(s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string())
            }
            "default" => default(args).map_err(|m| self.exec(offset, m)),
            "quote" => {
                let quoted: Vec<String> = args
                    .iter()
                    .flatten()
                    .map(|v| go_quote(&to_string(Some(v))))
                    .collect();
                text(quoted.join(" "))
            }
            "toString" => {
                arity(1)?;
                text(to_string(args[0].as_ref()))
            }
            "printf" => {
                let (format, rest) = args.split_first().ok_or_else(|| {
                    self.exec(
                        offset,
                        "wrong number of args for printf: want at least 1 got 0",
                    )
                })?;
                match format {
                    Some(Value::String(f)) => sprintf(f, rest)
                        .map(|s| Some(Value::String(s)))
                        .map_err(fail),
                    _ => Err(self.exec(offset, "printf: the format must be a string")),
                }
            }
            other => Err(self.error(
                offset,
                TemplateErrorKind::UnknownFunction(other.to_string()),
            )),
        }
    }
}

/// Go's `index`, except that a missing map key yields `""` (see the module docs).
fn index(item: Val, keys: &[Val]) -> Result<Val, String> {
    let mut current = item;
    for key in keys {
        current = match (current, key) {
            (None | Some(Value::Null), _) => return Err("index of untyped nil".to_string()),
            (Some(Value::Object(mut map)), Some(Value::String(k))) => Some(
                map.remove(k)
                    .unwrap_or_else(|| Value::String(String::new())),
            ),
            (Some(Value::Object(_)), Some(other)) => {
                return Err(format!(
                    "value has type {}; should be string",
                    go_type(other)
                ));
            }
            (Some(Value::Array(mut list)), Some(Value::Number(n))) => {
                let i = n
                    .as_i64()
                    .ok_or_else(|| format!("cannot index slice/array with type float64 ({n})"))?;
                if i < 0 || i as usize >= list.len() {
                    return Err(format!("index out of range: {i}"));
                }
                Some(list.swap_remove(i as usize))
            }
            (Some(Value::Array(_)), other) => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.as_ref().map_or("nil", go_type)
                ));
            }
            (Some(other), _) => {
                return Err(format!("can't index item of type {}", go_type(&other)));
            }
        };
    }
    Ok(current)
}

/// sprig's `default DEFAULT [VALUE]`: VALUE unless it is empty, else DEFAULT.
fn default(args: Vec<Val>) -> Result<Val, String> {
    let mut args = args.into_iter();
    let fallback = args
        .next()
        .ok_or("wrong number of args for default: want at least 1 got 0")?;
    match args.next() {
        Some(given) if !is_empty(given.as_ref()) => Ok(given),
        _ => Ok(fallback),
    }
}

/// sprig's notion of an empty value.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
    }
}

/// sprig's `strval`: strings as-is, everything else as Go's `%v` (nil is `<nil>`).
fn to_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        other => go_print(other),
    }
}

/// The Go type name a value has after JSON decoding (used in Go-style error text).
fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// What an action prints: a missing or nil value is `<no value>`, anything else as `%v`.
fn print_top(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "<no value>".to_string(),
        Some(v) => go_print(Some(v)),
    }
}

/// Go's `%v` for decoded JSON values: maps print as `map[k:v ...]` in key order.
fn go_print(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "<nil>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => go_number(n),
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items.iter().map(|v| go_print(Some(v))).collect();
            format!("[{}]", parts.join(" "))
        }
        Some(Value::Object(map)) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_print(map.get(k))))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

fn go_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    n.as_f64().map_or_else(|| n.to_string(), go_float)
}

/// Go's `%v` for a float64, i.e. `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits
/// that round-trip, in exponent form when the decimal exponent is below -4 or at least 6.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: "1.2345e6".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    // Rust's `{}` for f64 never uses an exponent and also prints the shortest digits.
    format!("{f}")
}

/// Go's `%q` (strconv.Quote): printable characters kept, the rest escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprintf` restricted to `%s`, `%d`, `%v` and `%%`, with Go's `%!verb(type=value)`
/// output for mismatched operands and `%!s(MISSING)` / `%!(EXTRA ...)` for wrong counts.
fn sprintf(format: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = format.chars();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format ends with a lone %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !matches!(verb, 's' | 'd' | 'v') {
            return Err(format!(
                "verb %{verb} is not supported (only %s, %d, %v and %%)"
            ));
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        out.push_str(&format_verb(verb, arg.as_ref()));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|a| match a {
                None | Some(Value::Null) => "<nil>".to_string(),
                Some(v) => format!("{}={}", go_type(v), go_print(Some(v))),
            })
            .collect();
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    Ok(out)
}

fn format_verb(verb: char, arg: Option<&Value>) -> String {
    let bad = |v: &Value| format!("%!{verb}({}={})", go_type(v), go_print(Some(v)));
    match (verb, arg) {
        (_, None | Some(Value::Null)) => format!("%!{verb}(<nil>)"),
        ('v', Some(v)) => go_print(Some(v)),
        ('s', Some(Value::String(s))) => s.clone(),
        ('s', Some(v @ (Value::Array(_) | Value::Object(_)))) => go_print(Some(v)),
        ('d', Some(Value::Number(n))) if n.is_i64() || n.is_u64() => go_number(n),
        (_, Some(v)) => bad(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data() -> Value {
        json!({
            "path": {
                "path": "agnostics/gateway/k3s/envs/dev",
                "basename": "dev",
                "segments": ["agnostics", "gateway", "k3s", "envs", "dev"],
            },
            "name": "K8TRE_Dev.Cluster-",
            "nameNormalized": "k8tre-dev.cluster",
            "server": "https://dev.example:6443",
            "metadata": {"labels": {"environment": "dev", "external-domain": "dev.k8tre.org"}},
            "count": 3,
            "ratio": 1.5,
            "flag": true,
            "empty": "",
        })
    }

    fn strict(src: &str) -> Result<String, TemplateError> {
        render(src, &data(), TemplateOptions::strict())
    }

    fn lenient(src: &str) -> Result<String, TemplateError> {
        render(src, &data(), TemplateOptions::default())
    }

    #[test]
    fn k8tre_name_template() {
        assert_eq!(
            strict("{{index .path.segments 1}}-{{.nameNormalized}}").unwrap(),
            "gateway-k8tre-dev.cluster"
        );
        assert_eq!(
            strict("storage-{{index .path.segments 2}}-{{index .path.segments 4}}").unwrap(),
            "storage-k3s-dev"
        );
        assert_eq!(
            strict("{{.path.path}}").unwrap(),
            "agnostics/gateway/k3s/envs/dev"
        );
        assert_eq!(
            strict(r#"{{index .metadata.labels "external-domain"}}"#).unwrap(),
            "dev.k8tre.org"
        );
    }

    #[test]
    fn missing_key_is_an_error_naming_the_key_under_missingkey_error() {
        let err = strict("x-{{.metadata.labels.region}}").unwrap_err();
        assert_eq!(err.kind, TemplateErrorKind::MissingKey("region".into()));
        assert_eq!((err.position.line, err.position.column), (1, 5));
        let err = strict("{{.values.size}}").unwrap_err();
        assert_eq!(err.kind, TemplateErrorKind::MissingKey("values".into()));
    }

    #[test]
    fn missing_key_prints_no_value_by_default() {
        assert_eq!(lenient("[{{.nope}}]").unwrap(), "[<no value>]");
        assert_eq!(lenient("[{{.nope.deeper}}]").unwrap(), "[<no value>]");
    }

    #[test]
    fn index_on_a_map_with_a_missing_key_is_empty_even_when_strict() {
        assert_eq!(
            strict(r#"[{{index .metadata.labels "region"}}]"#).unwrap(),
            "[]"
        );
    }

    #[test]
    fn index_out_of_range_is_an_error() {
        let err = strict("{{index .path.segments 9}}").unwrap_err();
        assert!(
            matches!(err.kind, TemplateErrorKind::Call { ref function, ref message }
            if function == "index" && message.contains("out of range"))
        );
        assert!(strict("{{index .path.segments \"x\"}}").is_err());
        assert!(strict("{{index .nothing 1}}").is_err());
        assert_eq!(
            strict("{{index .metadata \"labels\" \"environment\"}}").unwrap(),
            "dev"
        );
    }

    #[test]
    fn field_on_a_string_is_an_error() {
        let err = strict("{{.name.first}}").unwrap_err();
        assert!(
            err.to_string()
                .contains("can't evaluate field first in type string")
        );
    }

    #[test]
    fn pipelines_and_string_functions() {
        assert_eq!(strict("{{ .name | lower }}").unwrap(), "k8tre_dev.cluster-");
        assert_eq!(strict("{{ .name | upper }}").unwrap(), "K8TRE_DEV.CLUSTER-");
        assert_eq!(
            strict("{{ .name | normalize }}").unwrap(),
            "k8tre-dev.cluster"
        );
        assert_eq!(
            strict(r#"{{ .path.path | replace "/" "-" }}"#).unwrap(),
            "agnostics-gateway-k3s-envs-dev"
        );
        assert_eq!(
            strict(r#"{{ trimPrefix "agnostics/" .path.path }}"#).unwrap(),
            "gateway/k3s/envs/dev"
        );
        assert_eq!(
            strict(r#"{{ .path.path | trimSuffix "/envs/dev" }}"#).unwrap(),
            "agnostics/gateway/k3s"
        );
        assert_eq!(
            strict(r#"{{ .server | quote }}"#).unwrap(),
            r#""https://dev.example:6443""#
        );
        assert_eq!(
            strict(r#"{{ quote "a\"b" "c" }}"#).unwrap(),
            r#""a\"b" "c""#
        );
        assert_eq!(strict("{{ .count | toString }}").unwrap(), "3");
        assert_eq!(
            strict("{{ toString .path.segments }}").unwrap(),
            "[agnostics gateway k3s envs dev]"
        );
        assert_eq!(
            strict("{{ lower (index .path.segments 2) }}-{{ (index .path.segments 4) | upper }}")
                .unwrap(),
            "k3s-DEV"
        );
    }

    #[test]
    fn default_uses_the_fallback_for_empty_values() {
        assert_eq!(strict(r#"{{ .empty | default "none" }}"#).unwrap(), "none");
        assert_eq!(
            strict(r#"{{ .server | default "none" }}"#).unwrap(),
            "https://dev.example:6443"
        );
        assert_eq!(
            strict(r#"{{ index .metadata.labels "region" | default "eu-west-2" }}"#).unwrap(),
            "eu-west-2"
        );
        assert_eq!(lenient(r#"{{ .absent | default "x" }}"#).unwrap(), "x");
        assert_eq!(strict(r#"{{ default "x" }}"#).unwrap(), "x");
    }

    #[test]
    fn printf_supports_s_d_v() {
        assert_eq!(
            strict(r#"{{ printf "%s-%s" (index .path.segments 1) .nameNormalized }}"#).unwrap(),
            "gateway-k8tre-dev.cluster"
        );
        assert_eq!(
            strict(r#"{{ printf "%d/%v/%v%%" .count .ratio .flag }}"#).unwrap(),
            "3/1.5/true%"
        );
        assert_eq!(strict(r#"{{ printf "%s" .count }}"#).unwrap(), "%!s(int=3)");
        assert_eq!(
            strict(r#"{{ printf "%d" .name }}"#).unwrap(),
            "%!d(string=K8TRE_Dev.Cluster-)"
        );
        assert_eq!(
            strict(r#"{{ printf "%s-%s" "a" }}"#).unwrap(),
            "a-%!s(MISSING)"
        );
        assert_eq!(
            strict(r#"{{ printf "%s" "a" "b" }}"#).unwrap(),
            "a%!(EXTRA string=b)"
        );
        let err = strict(r#"{{ printf "%x" .count }}"#).unwrap_err();
        assert!(err.to_string().contains("not supported"));
    }

    #[test]
    fn trim_markers_remove_adjacent_whitespace() {
        assert_eq!(strict("a  {{- .path.basename -}}  \n b").unwrap(), "adevb");
        assert_eq!(strict("a {{- .path.basename }} b").unwrap(), "adev b");
        assert_eq!(strict("a {{/* note */}} b").unwrap(), "a  b");
        assert_eq!(strict("a {{- /* note */ -}} b").unwrap(), "ab");
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(strict("a {{-3}}").unwrap(), "a -3");
    }

    #[test]
    fn literals_and_escapes() {
        assert_eq!(
            strict(r#"{{ "tab\there\x21\u00e9" }}"#).unwrap(),
            "tab\there!é"
        );
        assert_eq!(strict("{{ `raw\\n` }}").unwrap(), "raw\\n");
        assert_eq!(
            strict("{{ 42 }} {{ -1.5 }} {{ true }} {{ 0x10 }}").unwrap(),
            "42 -1.5 true 16"
        );
        assert_eq!(strict("{{ \"}}\" }}").unwrap(), "}}");
        assert!(strict(r#"{{ "bad \q" }}"#).is_err());
    }

    #[test]
    fn dot_and_root_print_maps_like_go() {
        let data = json!({"b": 2, "a": ["x", "y"]});
        assert_eq!(
            render("{{.}}", &data, TemplateOptions::strict()).unwrap(),
            "map[a:[x y] b:2]"
        );
        assert_eq!(
            render("{{$.b}}", &data, TemplateOptions::strict()).unwrap(),
            "2"
        );
    }

    #[test]
    fn floats_print_like_go_v() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(1_000_000.0), "1e+06");
        assert_eq!(go_float(123_456_789.0), "1.23456789e+08");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(-2.25), "-2.25");
    }

    #[test]
    fn unknown_function_is_a_parse_error_with_position() {
        let err = Template::parse("ok {{ .x | titlecase }}").unwrap_err();
        assert_eq!(
            err.kind,
            TemplateErrorKind::UnknownFunction("titlecase".into())
        );
        assert_eq!(err.position.column, 12);
        assert_eq!(err.to_string(), "1:12: function \"titlecase\" not defined");
    }

    #[test]
    fn syntax_errors_are_typed() {
        let unclosed = Template::parse("line1\nx {{ .a").unwrap_err();
        assert_eq!(unclosed.kind, TemplateErrorKind::UnclosedAction);
        assert_eq!((unclosed.position.line, unclosed.position.column), (2, 3));
        assert!(matches!(
            Template::parse("{{ if .a }}x{{ end }}").unwrap_err().kind,
            TemplateErrorKind::Unsupported(_)
        ));
        assert!(matches!(
            Template::parse("{{ $x := 1 }}").unwrap_err().kind,
            TemplateErrorKind::Unsupported(_)
        ));
        assert!(Template::parse("{{ }}").is_err());
        assert!(Template::parse("{{ (lower .a }}").is_err());
        assert!(Template::parse("{{ .a | }}").is_err());
        assert!(Template::parse("{{ lower.x }}").is_err());
        assert!(Template::parse("{{ 'c' }}").is_err());
        // A comment must follow the delimiter (or its trim marker) directly.
        assert!(Template::parse("{{ /* c */ }}").is_err());
    }

    #[test]
    fn execution_errors() {
        assert!(
            strict("{{ .name .server }}")
                .unwrap_err()
                .to_string()
                .contains("non-function")
        );
        assert!(strict("{{ .name | .server }}").is_err());
        assert!(
            strict("{{ lower .count }}")
                .unwrap_err()
                .to_string()
                .contains("expected string")
        );
        assert!(
            strict("{{ lower }}")
                .unwrap_err()
                .to_string()
                .contains("wrong number of args")
        );
        assert!(strict("{{ nil }}").is_err());
        assert!(lenient("{{ lower .absent }}").is_err());
    }

    #[test]
    fn options_parse_like_go() {
        assert_eq!(
            TemplateOptions::from_go_options(&["missingkey=error"]).unwrap(),
            TemplateOptions::strict()
        );
        assert_eq!(
            TemplateOptions::from_go_options(&["missingkey=error", "missingkey=zero"]).unwrap(),
            TemplateOptions::default()
        );
        assert!(TemplateOptions::from_go_options(&["missingkey=explode"]).is_err());
    }

    #[test]
    fn normalize_name_matches_argocd_sanitize_name() {
        assert_eq!(normalize_name("K8TRE_Dev.Cluster-"), "k8tre-dev.cluster");
        assert_eq!(normalize_name("in-cluster"), "in-cluster");
        assert_eq!(normalize_name("--Dev Cluster!.."), "dev-cluster");
        assert_eq!(normalize_name("Ünïcode"), "-n-code".trim_matches('-'));
        assert_eq!(normalize_name(&"a".repeat(300)).len(), 253);
    }

    proptest::proptest! {
        #[test]
        fn text_without_actions_renders_to_itself(text in "[^{}]*") {
            proptest::prop_assert_eq!(strict(&text).unwrap(), text);
        }

        #[test]
        fn quoted_literals_round_trip(text in "[a-zA-Z0-9 ./_-]*") {
            proptest::prop_assert_eq!(strict(&format!("{{{{ {:?} }}}}", text)).unwrap(), text);
        }

        #[test]
        fn normalized_names_are_dns_safe(name in ".{0,80}") {
            let n = normalize_name(&name);
            proptest::prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'));
            proptest::prop_assert!(!n.starts_with(['-', '.']) && !n.ends_with(['-', '.']));
            proptest::prop_assert_eq!(normalize_name(&n), n.clone());
        }
    }
}
