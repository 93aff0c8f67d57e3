//! One key as data: parsed from and printed to strings like `j`, `G`, `<Enter>`, `<Ctrl-d>`,
//! `<Shift-Tab>`, `<F1>`, `<Space>`, and matched against crossterm key events.
//!
//! Grammar: a single character is that character (`?`, `/`, `G`; a literal space is `<Space>`).
//! Anything else is a name in angle brackets, optionally prefixed by modifiers:
//! `Ctrl-` (also `C-`, `Control-`), `Alt-` (also `A-`, `M-`, `Meta-`), `Shift-` (also `S-`),
//! case-insensitive. Names: Enter (Return, CR), Esc (Escape), Tab, Backspace (BS),
//! Delete (Del), Insert (Ins), Home, End, PageUp (PgUp), PageDown (PgDn), Up, Down, Left,
//! Right, Space, F1–F24, BackTab. The printed form is canonical: `Ctrl-`, `Alt-`, `Shift-`
//! in that order and the names above as written first.
//!
//! Terminals report the same key in several ways, so a spec is normalised: Shift on a letter is
//! the capital letter (`<S-g>` is `G`), Shift on Tab is `<Shift-Tab>` (crossterm's BackTab),
//! Ctrl on a letter is the lowercase letter (`<Ctrl-D>` is `<Ctrl-d>`: terminals send the same
//! byte). Key sequences such as `gg` are not supported.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A normalised key: a code and the Ctrl / Alt / Shift modifiers that matter for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    code: KeyCode,
    modifiers: KeyModifiers,
}

/// Why a key string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read key {input:?}: {reason}")]
pub struct KeySpecError {
    pub input: String,
    pub reason: String,
}

/// Canonical names, printed as written here.
const NAMED: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Space", KeyCode::Char(' ')),
];

/// Other spellings accepted when reading.
const ALIASES: &[(&str, KeyCode)] = &[
    ("Return", KeyCode::Enter),
    ("CR", KeyCode::Enter),
    ("Escape", KeyCode::Esc),
    ("BS", KeyCode::Backspace),
    ("Del", KeyCode::Delete),
    ("Ins", KeyCode::Insert),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("BackTab", KeyCode::BackTab),
];

const MAX_FUNCTION_KEY: u8 = 24;

const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

impl KeySpec {
    /// A plain character key, as typed (`'j'`, `'G'`, `'?'`). For built-in tables only: the
    /// caller guarantees the character is printable (tests check every default binding).
    pub(crate) const fn plain(c: char) -> KeySpec {
        KeySpec {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::NONE,
        }
    }

    /// Ctrl + a lowercase ASCII letter. For built-in tables only (see [`KeySpec::plain`]).
    pub(crate) const fn ctrl(c: char) -> KeySpec {
        KeySpec {
            code: KeyCode::Char(c),
            modifiers: CTRL,
        }
    }

    /// A named key without modifiers (`KeyCode::Enter`, `KeyCode::F(1)`, `KeyCode::BackTab`).
    pub(crate) const fn named(code: KeyCode) -> KeySpec {
        KeySpec {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// Builds a normalised spec from a code and modifiers, or says why the combination cannot
    /// be told apart by a terminal.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Result<KeySpec, String> {
        if !(CTRL | ALT | SHIFT).contains(modifiers) {
            return Err("only Ctrl, Alt and Shift modifiers are supported".into());
        }
        match code {
            KeyCode::Char(c) => Self::character(c, modifiers),
            // crossterm reports Shift-Tab as BackTab, with or without the Shift flag.
            KeyCode::BackTab => Ok(KeySpec {
                code: KeyCode::BackTab,
                modifiers: modifiers - SHIFT,
            }),
            KeyCode::Tab if modifiers.contains(SHIFT) => Self::new(KeyCode::BackTab, modifiers),
            KeyCode::F(n) if !(1..=MAX_FUNCTION_KEY).contains(&n) => {
                Err(format!("function keys are F1 to F{MAX_FUNCTION_KEY}"))
            }
            _ if is_supported_named(code) => Ok(KeySpec { code, modifiers }),
            _ => Err(format!("{code:?} is not a key the console can bind")),
        }
    }

    fn character(c: char, modifiers: KeyModifiers) -> Result<KeySpec, String> {
        if c.is_control() {
            return Err("write control characters by name, e.g. <Tab> or <Enter>".into());
        }
        let shifted = modifiers.contains(SHIFT);
        let mut c = c;
        if shifted {
            if !c.is_ascii_alphabetic() {
                return Err("Shift on a character: write the character itself, e.g. G or ?".into());
            }
            if modifiers.contains(CTRL) {
                return Err("terminals cannot tell Ctrl-Shift on a letter from Ctrl alone".into());
            }
            c = c.to_ascii_uppercase();
        }
        if modifiers.contains(CTRL) {
            c = c.to_ascii_lowercase();
        }
        Ok(KeySpec {
            code: KeyCode::Char(c),
            modifiers: modifiers - SHIFT,
        })
    }

    /// The spec a key press is, or `None` for releases and keys the console never binds.
    pub fn from_event(event: &KeyEvent) -> Option<KeySpec> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let modifiers = event.modifiers & (CTRL | ALT | SHIFT);
        match event.code {
            // Terminals differ on whether a capital or symbol also reports Shift: the
            // character already says it.
            KeyCode::Char(c) if modifiers.contains(SHIFT) && !c.is_ascii_lowercase() => {
                Self::new(KeyCode::Char(c), modifiers - SHIFT).ok()
            }
            code => Self::new(code, modifiers).ok(),
        }
    }

    /// Whether a key press is this key.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        Self::from_event(event) == Some(*self)
    }

    /// A press of this key, as crossterm would report it (for tests and synthetic input).
    pub fn to_event(&self) -> KeyEvent {
        KeyEvent::new(self.code, self.modifiers)
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    /// True for keys that type text (a character without Ctrl or Alt), which text-entry
    /// screens keep for themselves.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.modifiers.intersects(CTRL | ALT)
    }
}

fn is_supported_named(code: KeyCode) -> bool {
    NAMED.iter().chain(ALIASES).any(|(_, named)| *named == code) || matches!(code, KeyCode::F(_))
}

fn canonical_name(code: KeyCode) -> Option<String> {
    match code {
        KeyCode::BackTab => Some("Tab".into()),
        KeyCode::F(n) => Some(format!("F{n}")),
        KeyCode::Char(' ') => Some("Space".into()),
        KeyCode::Char(c) => Some(c.to_string()),
        _ => NAMED
            .iter()
            .find(|(_, named)| *named == code)
            .map(|(name, _)| (*name).to_string()),
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let KeyCode::Char(c) = self.code
            && self.modifiers.is_empty()
            && c != ' '
        {
            return write!(f, "{c}");
        }
        f.write_str("<")?;
        if self.modifiers.contains(CTRL) {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.contains(ALT) {
            f.write_str("Alt-")?;
        }
        if self.modifiers.contains(SHIFT) || self.code == KeyCode::BackTab {
            f.write_str("Shift-")?;
        }
        let name = canonical_name(self.code).unwrap_or_else(|| format!("{:?}", self.code));
        write!(f, "{name}>")
    }
}

impl FromStr for KeySpec {
    type Err = KeySpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| KeySpecError {
            input: input.to_string(),
            reason,
        };
        let mut chars = input.chars();
        match (chars.next(), chars.next()) {
            (None, _) => return Err(fail("it is empty".into())),
            (Some(c), None) => {
                return KeySpec::new(KeyCode::Char(c), KeyModifiers::NONE).map_err(fail);
            }
            _ => {}
        }
        let Some(inner) = input.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
            return Err(fail(unbracketed_reason(input)));
        };
        let (modifiers, name) = split_modifiers(inner).map_err(&fail)?;
        let code = key_code(name).map_err(&fail)?;
        KeySpec::new(code, modifiers).map_err(fail)
    }
}

fn unbracketed_reason(input: &str) -> String {
    if key_code(input).is_ok() || split_modifiers(input).is_ok_and(|(m, _)| !m.is_empty()) {
        format!("write named keys in angle brackets: <{input}>")
    } else {
        "a key is one character, or a name in angle brackets such as <Enter> or <Ctrl-d> \
         (sequences like \"gg\" are not supported)"
            .into()
    }
}

/// Splits `Ctrl-Alt-x` into its modifiers and the key name `x`.
fn split_modifiers(inner: &str) -> Result<(KeyModifiers, &str), String> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = inner;
    while let Some(dash) = rest.find('-') {
        // `<Ctrl-->` is Ctrl and the `-` key: a dash that ends the text is the key itself.
        if dash == 0 || dash + 1 == rest.len() {
            break;
        }
        let Some(modifier) = modifier_named(&rest[..dash]) else {
            break;
        };
        if modifiers.contains(modifier) {
            return Err(format!("modifier {} is given twice", &rest[..dash]));
        }
        modifiers |= modifier;
        rest = &rest[dash + 1..];
    }
    Ok((modifiers, rest))
}

fn modifier_named(name: &str) -> Option<KeyModifiers> {
    match name.to_ascii_lowercase().as_str() {
        "ctrl" | "c" | "control" => Some(CTRL),
        "alt" | "a" | "m" | "meta" => Some(ALT),
        "shift" | "s" => Some(SHIFT),
        _ => None,
    }
}

fn key_code(name: &str) -> Result<KeyCode, String> {
    if name.is_empty() {
        return Err("nothing between < and >".into());
    }
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    if let Some((_, code)) = NAMED
        .iter()
        .chain(ALIASES)
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Ok(*code);
    }
    if let Some(number) = name.strip_prefix(['F', 'f'])
        && let Ok(n) = number.parse::<u8>()
    {
        return Ok(KeyCode::F(n));
    }
    let names: Vec<&str> = NAMED.iter().map(|(name, _)| *name).collect();
    Err(format!(
        "unknown key name {name:?}; names are {}, F1-F{MAX_FUNCTION_KEY}",
        names.join(", ")
    ))
}

impl Serialize for KeySpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeySpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key such as j, <Enter> or <Ctrl-d>")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<KeySpec, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> KeySpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn canonical_specs_round_trip() {
        for s in [
            "j",
            "G",
            "?",
            "/",
            ":",
            "<",
            ">",
            "-",
            "<Enter>",
            "<Esc>",
            "<Tab>",
            "<Shift-Tab>",
            "<Up>",
            "<PageDown>",
            "<Ctrl-d>",
            "<Ctrl-c>",
            "<F1>",
            "<F12>",
            "<Space>",
            "<Ctrl-Space>",
            "<Alt-x>",
            "<Ctrl-Alt-Delete>",
            "<Shift-Up>",
            "<Ctrl-->",
            "é",
        ] {
            assert_eq!(parse(s).to_string(), s);
        }
    }

    #[test]
    fn aliases_and_case_normalise() {
        let cases = [
            ("<S-Tab>", "<Shift-Tab>"),
            ("<BackTab>", "<Shift-Tab>"),
            ("<C-d>", "<Ctrl-d>"),
            ("<ctrl-D>", "<Ctrl-d>"),
            ("<M-x>", "<Alt-x>"),
            ("<enter>", "<Enter>"),
            ("<return>", "<Enter>"),
            ("<PgDn>", "<PageDown>"),
            ("<S-g>", "G"),
            ("<Shift-G>", "G"),
            (" ", "<Space>"),
            ("<f5>", "<F5>"),
            ("<x>", "x"),
        ];
        for (input, canonical) in cases {
            assert_eq!(parse(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn bad_specs_say_why() {
        let cases = [
            ("", "empty"),
            ("gg", "sequences"),
            ("Enter", "<Enter>"),
            ("Ctrl-d", "<Ctrl-d>"),
            ("<Ctrl-dd>", "unknown key name \"dd\""),
            ("<Hyper-x>", "unknown key name \"Hyper-x\""),
            ("<F0>", "F1 to F24"),
            ("<F25>", "F1 to F24"),
            ("<S-?>", "write the character itself"),
            ("<Ctrl-Shift-a>", "Ctrl-Shift"),
            ("<Ctrl-Ctrl-a>", "twice"),
            ("\t", "by name"),
            ("<>", "nothing between"),
        ];
        for (input, reason) in cases {
            let error = input.parse::<KeySpec>().expect_err(input);
            assert!(error.to_string().contains(reason), "{input:?}: {error}");
        }
    }

    #[test]
    fn events_match_however_the_terminal_reports_them() {
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        let plain_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE);
        let kitty_g = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::SHIFT);
        for event in [shift_g, plain_g, kitty_g] {
            assert!(parse("G").matches(&event), "{event:?}");
            assert!(!parse("g").matches(&event));
        }
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert!(parse("?").matches(&question));
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        let shift_tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert!(parse("<Shift-Tab>").matches(&back_tab));
        assert!(parse("<Shift-Tab>").matches(&shift_tab));
        assert!(!parse("<Tab>").matches(&back_tab));
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert!(parse("<Ctrl-d>").matches(&ctrl_d));
        assert!(!parse("d").matches(&ctrl_d));
    }

    #[test]
    fn releases_never_match() {
        let mut event = parse("q").to_event();
        event.kind = KeyEventKind::Release;
        assert_eq!(KeySpec::from_event(&event), None);
        event.kind = KeyEventKind::Repeat;
        assert_eq!(KeySpec::from_event(&event), Some(parse("q")));
    }

    #[test]
    fn text_keys() {
        assert!(parse("j").is_text());
        assert!(parse("<Space>").is_text());
        assert!(!parse("<Ctrl-j>").is_text());
        assert!(!parse("<Enter>").is_text());
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let key: KeySpec = serde_yaml::from_str("\"<C-u>\"").expect("parses");
        assert_eq!(
            serde_json::to_string(&key).expect("serialises"),
            "\"<Ctrl-u>\""
        );
    }

    fn any_code() -> impl Strategy<Value = KeyCode> {
        prop_oneof![
            any::<char>().prop_map(KeyCode::Char),
            (1..=MAX_FUNCTION_KEY).prop_map(KeyCode::F),
            proptest::sample::select(
                NAMED
                    .iter()
                    .chain(ALIASES)
                    .map(|(_, code)| *code)
                    .collect::<Vec<_>>()
            ),
        ]
    }

    fn any_modifiers() -> impl Strategy<Value = KeyModifiers> {
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(c, a, s)| {
            let mut m = KeyModifiers::NONE;
            m.set(CTRL, c);
            m.set(ALT, a);
            m.set(SHIFT, s);
            m
        })
    }

    proptest! {
        #[test]
        fn printing_is_canonical(code in any_code(), modifiers in any_modifiers()) {
            if let Ok(spec) = KeySpec::new(code, modifiers) {
                let printed = spec.to_string();
                let reparsed: KeySpec = printed.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(reparsed, spec);
                prop_assert_eq!(reparsed.to_string(), printed);
                prop_assert_eq!(KeySpec::from_event(&spec.to_event()), Some(spec));
            }
        }

        #[test]
        fn parsing_never_panics_and_normalises(input in "\\PC{0,12}") {
            if let Ok(spec) = input.parse::<KeySpec>() {
                let again: KeySpec = spec.to_string().parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(again, spec);
            }
        }

        #[test]
        fn bracketed_forms_round_trip(
            modifiers in any_modifiers(),
            name in proptest::sample::select(vec!["a", "z", "Z", "1", "Enter", "Esc", "Tab", "Up", "PageUp", "F7", "Space", "-", "<"]),
        ) {
            let mut text = String::from("<");
            if modifiers.contains(CTRL) { text.push_str("Ctrl-"); }
            if modifiers.contains(ALT) { text.push_str("Alt-"); }
            if modifiers.contains(SHIFT) { text.push_str("Shift-"); }
            text.push_str(name);
            text.push('>');
            if let Ok(spec) = text.parse::<KeySpec>() {
                prop_assert_eq!(spec.to_string().parse::<KeySpec>().ok(), Some(spec));
            }
        }
    }
}
