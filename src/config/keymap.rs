//! The keymap: which key runs which [`Command`] in which [`Mode`]. Defaults are one table
//! ([`DEFAULT_BINDINGS`]); the user's config overrides them per mode and command; the help
//! screen is generated from the merged table, so it always says what the keys do.
//!
//! Override semantics (`keymap:` in the config file): `<mode>: { <command>: [keys] }` replaces
//! that command's keys in that mode (`[]` unbinds it; a single key may be written without the
//! list). A key the user binds takes precedence: it is removed from any other command of the
//! same mode. Within the user's own overrides a key may be bound once per mode, and text-entry
//! modes (palette, confirm) cannot bind plain characters.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::command::{Command, Mode, UnknownName};
use super::keyspec::KeySpec;

const fn key(c: char) -> KeySpec {
    KeySpec::plain(c)
}

const fn ctrl(c: char) -> KeySpec {
    KeySpec::ctrl(c)
}

const fn named(code: KeyCode) -> KeySpec {
    KeySpec::named(code)
}

/// The built-in bindings: arrows and vim keys to move, one letter per ArgoCD action. Actions
/// that change the estate (sync, prune, terminate, auto-sync) always go through a confirmation,
/// and the one that interrupts work in flight (terminate) is on a shifted key.
pub const DEFAULT_BINDINGS: &[(Mode, Command, &[KeySpec])] = &[
    (Mode::Global, Command::Quit, &[key('q'), ctrl('c')]),
    (
        Mode::Global,
        Command::Help,
        &[key('?'), named(KeyCode::F(1))],
    ),
    (Mode::Global, Command::Palette, &[key(':')]),
    (Mode::Global, Command::Back, &[named(KeyCode::Esc)]),
    (Mode::Global, Command::Open, &[named(KeyCode::Enter)]),
    (Mode::Global, Command::NextPane, &[named(KeyCode::Tab)]),
    (Mode::Global, Command::PrevPane, &[named(KeyCode::BackTab)]),
    (Mode::Global, Command::Up, &[named(KeyCode::Up), key('k')]),
    (
        Mode::Global,
        Command::Down,
        &[named(KeyCode::Down), key('j')],
    ),
    (
        Mode::Global,
        Command::Left,
        &[named(KeyCode::Left), key('h')],
    ),
    (
        Mode::Global,
        Command::Right,
        &[named(KeyCode::Right), key('l')],
    ),
    (
        Mode::Global,
        Command::PageUp,
        &[named(KeyCode::PageUp), ctrl('u')],
    ),
    (
        Mode::Global,
        Command::PageDown,
        &[named(KeyCode::PageDown), ctrl('d')],
    ),
    (
        Mode::Global,
        Command::Top,
        &[key('g'), named(KeyCode::Home)],
    ),
    (
        Mode::Global,
        Command::Bottom,
        &[key('G'), named(KeyCode::End)],
    ),
    (Mode::Global, Command::Overview, &[key('o')]),
    (Mode::Global, Command::Triage, &[key('t')]),
    (Mode::Global, Command::Clusters, &[key('C')]),
    (Mode::Overview, Command::Filter, &[key('/')]),
    (Mode::Overview, Command::ClusterDetail, &[key('c')]),
    (Mode::List, Command::Filter, &[key('/')]),
    (Mode::List, Command::SortNextColumn, &[key('>')]),
    (Mode::List, Command::ReverseSort, &[key('I')]),
    (Mode::List, Command::AppDetail, &[key('d')]),
    (Mode::List, Command::ClusterDetail, &[key('c')]),
    (Mode::List, Command::Refresh, &[key('r')]),
    (Mode::List, Command::HardRefresh, &[key('R')]),
    (Mode::List, Command::Sync, &[key('s')]),
    (Mode::List, Command::SyncPrune, &[key('S')]),
    (Mode::List, Command::Terminate, &[key('X')]),
    (Mode::List, Command::ToggleAutoSync, &[key('a')]),
    (Mode::List, Command::Logs, &[key('L')]),
    (
        Mode::Detail,
        Command::Expand,
        &[key('l'), named(KeyCode::Right), key('+')],
    ),
    (
        Mode::Detail,
        Command::Collapse,
        &[key('h'), named(KeyCode::Left), key('-')],
    ),
    (Mode::Detail, Command::ClusterDetail, &[key('c')]),
    (Mode::Detail, Command::Refresh, &[key('r')]),
    (Mode::Detail, Command::HardRefresh, &[key('R')]),
    (Mode::Detail, Command::Sync, &[key('s')]),
    (Mode::Detail, Command::SyncPrune, &[key('S')]),
    (Mode::Detail, Command::Terminate, &[key('X')]),
    (Mode::Detail, Command::ToggleAutoSync, &[key('a')]),
    (Mode::Detail, Command::Logs, &[key('L')]),
    (Mode::Detail, Command::Wrap, &[key('w')]),
    (Mode::Detail, Command::Search, &[key('/')]),
    (Mode::Detail, Command::SearchNext, &[key('n')]),
    (Mode::Detail, Command::SearchPrev, &[key('N')]),
    (Mode::Logs, Command::Follow, &[key('f')]),
    (Mode::Logs, Command::Wrap, &[key('w')]),
    (Mode::Logs, Command::Search, &[key('/')]),
    (Mode::Logs, Command::SearchNext, &[key('n')]),
    (Mode::Logs, Command::SearchPrev, &[key('N')]),
    (Mode::Palette, Command::Accept, &[named(KeyCode::Enter)]),
    (Mode::Confirm, Command::Accept, &[named(KeyCode::Enter)]),
    (Mode::Wizard, Command::Accept, &[named(KeyCode::Enter)]),
];

/// One user override: in `mode`, `command` is bound to exactly `keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOverride {
    pub mode: Mode,
    pub command: Command,
    pub keys: Vec<KeySpec>,
}

/// The `keymap:` section of the config file, validated while it is read so that each error
/// points at the line of the offending mode, command or key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeymapOverrides {
    pub entries: Vec<KeyOverride>,
}

/// One line of the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    /// The keys, canonical and comma separated: `k, <Up>`.
    pub keys: String,
    pub command: Command,
    pub description: &'static str,
    /// The mode the binding comes from: the screen's own, or `global`.
    pub mode: Mode,
}

/// The merged keymap the TUI looks keys up in.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Mode, BTreeMap<Command, Vec<KeySpec>>>,
    index: HashMap<(Mode, KeySpec), Command>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings: BTreeMap<Mode, BTreeMap<Command, Vec<KeySpec>>> = BTreeMap::new();
        for (mode, command, keys) in DEFAULT_BINDINGS {
            bindings
                .entry(*mode)
                .or_default()
                .insert(*command, keys.to_vec());
        }
        Keymap::indexed(bindings)
    }
}

impl Keymap {
    /// The defaults with the config file's `keymap:` overrides applied.
    pub fn with_overrides(config: &super::Config) -> Keymap {
        Keymap::default().overridden_by(&config.keymap)
    }

    /// Applies overrides: each replaces a command's keys in a mode and takes its keys away from
    /// the mode's other commands.
    pub fn overridden_by(self, overrides: &KeymapOverrides) -> Keymap {
        let mut bindings = self.bindings;
        for entry in &overrides.entries {
            let mode = bindings.entry(entry.mode).or_default();
            for keys in mode.values_mut() {
                keys.retain(|key| !entry.keys.contains(key));
            }
            mode.insert(entry.command, entry.keys.clone());
            mode.retain(|_, keys| !keys.is_empty());
        }
        Keymap::indexed(bindings)
    }

    fn indexed(bindings: BTreeMap<Mode, BTreeMap<Command, Vec<KeySpec>>>) -> Keymap {
        let index = bindings
            .iter()
            .flat_map(|(mode, commands)| {
                commands.iter().flat_map(move |(command, keys)| {
                    keys.iter().map(move |key| ((*mode, *key), *command))
                })
            })
            .collect();
        Keymap { bindings, index }
    }

    /// The command a key press runs in `mode`: the mode's own binding, else the global one.
    /// In text-entry modes plain characters are text, never global commands.
    pub fn lookup(&self, mode: Mode, event: &KeyEvent) -> Option<Command> {
        self.lookup_key(mode, KeySpec::from_event(event)?)
    }

    pub fn lookup_key(&self, mode: Mode, key: KeySpec) -> Option<Command> {
        if let Some(command) = self.index.get(&(mode, key)) {
            return Some(*command);
        }
        if mode == Mode::Global || (mode.takes_text() && key.is_text()) {
            return None;
        }
        self.index.get(&(Mode::Global, key)).copied()
    }

    /// The keys bound to `command` in `mode` itself (not counting `global`).
    pub fn keys_for(&self, mode: Mode, command: Command) -> &[KeySpec] {
        self.bindings
            .get(&mode)
            .and_then(|commands| commands.get(&command))
            .map_or(&[], Vec::as_slice)
    }

    /// Commands no key runs in any mode (after the user unbound them); only the palette can.
    pub fn unbound_commands(&self) -> Vec<Command> {
        Command::ALL
            .iter()
            .copied()
            .filter(|command| {
                !self
                    .bindings
                    .values()
                    .any(|commands| commands.contains_key(command))
            })
            .collect()
    }

    /// Every key that does something in `mode`: the mode's bindings, then the global ones it
    /// does not shadow, each in command-table order.
    pub fn help(&self, mode: Mode) -> Vec<HelpEntry> {
        let mut entries = self.entries_of(mode, |_| true);
        if mode != Mode::Global {
            // A global key shows only where it works: not shadowed by the mode, and not a
            // plain character in a text-entry mode.
            entries.extend(self.entries_of(Mode::Global, |key| {
                let shadowed = self.index.contains_key(&(mode, *key));
                let typed = mode.takes_text() && key.is_text();
                !(shadowed || typed)
            }));
        }
        entries
    }

    fn entries_of(&self, mode: Mode, keep: impl Fn(&KeySpec) -> bool) -> Vec<HelpEntry> {
        let Some(commands) = self.bindings.get(&mode) else {
            return Vec::new();
        };
        commands
            .iter()
            .filter_map(|(command, keys)| {
                let shown: Vec<String> = keys
                    .iter()
                    .filter(|key| keep(key))
                    .map(KeySpec::to_string)
                    .collect();
                (!shown.is_empty()).then(|| HelpEntry {
                    keys: shown.join(", "),
                    command: *command,
                    description: command.description(),
                    mode,
                })
            })
            .collect()
    }
}

impl<'de> Deserialize<'de> for KeymapOverrides {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ModesVisitor)
    }
}

struct ModesVisitor;

impl<'de> Visitor<'de> for ModesVisitor {
    type Value = KeymapOverrides;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of mode to { command: [keys] }")
    }

    fn visit_unit<E: de::Error>(self) -> Result<KeymapOverrides, E> {
        Ok(KeymapOverrides::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeymapOverrides, A::Error> {
        let mut modes = Vec::new();
        let mut entries = Vec::new();
        while let Some(mode) = map.next_key_seed(UniqueName::<Mode>::new(&mut modes))? {
            map.next_value_seed(ModeSeed {
                mode,
                entries: &mut entries,
            })?;
        }
        Ok(KeymapOverrides { entries })
    }
}

/// A mode or command name that may appear once in its map.
struct UniqueName<'a, T> {
    seen: &'a mut Vec<T>,
}

impl<'a, T> UniqueName<'a, T> {
    fn new(seen: &'a mut Vec<T>) -> Self {
        UniqueName { seen }
    }
}

impl<'de, T> DeserializeSeed<'de> for UniqueName<'_, T>
where
    T: FromStr<Err = UnknownName> + PartialEq + Copy + fmt::Display,
{
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for UniqueName<'_, T>
where
    T: FromStr<Err = UnknownName> + PartialEq + Copy + fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        let name: T = text.parse().map_err(E::custom)?;
        if self.seen.contains(&name) {
            return Err(E::custom(format!("{name} is given twice")));
        }
        self.seen.push(name);
        Ok(name)
    }
}

struct ModeSeed<'a> {
    mode: Mode,
    entries: &'a mut Vec<KeyOverride>,
}

impl<'de> DeserializeSeed<'de> for ModeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ModeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of command to keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut commands = Vec::new();
        let mut bound = Vec::new();
        while let Some(command) = map.next_key_seed(UniqueName::<Command>::new(&mut commands))? {
            let keys = map.next_value_seed(KeyListSeed {
                key: KeyCheck {
                    mode: self.mode,
                    command,
                    bound: &mut bound,
                },
            })?;
            self.entries.push(KeyOverride {
                mode: self.mode,
                command,
                keys,
            });
        }
        Ok(())
    }
}

/// Checks one key of an override as it is read, so an error carries the key's own location.
struct KeyCheck<'a> {
    mode: Mode,
    command: Command,
    /// Keys already bound in this mode by earlier overrides.
    bound: &'a mut Vec<(KeySpec, Command)>,
}

impl KeyCheck<'_> {
    fn check(&mut self, text: &str) -> Result<KeySpec, String> {
        let key: KeySpec = text
            .parse()
            .map_err(|e: super::keyspec::KeySpecError| e.to_string())?;
        if self.mode.takes_text() && key.is_text() {
            return Err(format!(
                "{} takes typed text, so {key} cannot run a command there; \
                 use a named key or one with Ctrl or Alt",
                self.mode
            ));
        }
        if let Some((_, other)) = self.bound.iter().find(|(bound, _)| *bound == key) {
            return Err(if *other == self.command {
                format!("{key} is listed twice for {other}")
            } else {
                format!(
                    "{key} is bound to both {other} and {} in {}",
                    self.command, self.mode
                )
            });
        }
        self.bound.push((key, self.command));
        Ok(key)
    }
}

/// A command's keys: one key or a list of keys.
struct KeyListSeed<'a> {
    key: KeyCheck<'a>,
}

impl<'de> DeserializeSeed<'de> for KeyListSeed<'_> {
    type Value = Vec<KeySpec>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<KeySpec>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyListSeed<'_> {
    type Value = Vec<KeySpec>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key or a list of keys, such as [j, <Down>]")
    }

    fn visit_str<E: de::Error>(mut self, text: &str) -> Result<Vec<KeySpec>, E> {
        self.key.check(text).map(|key| vec![key]).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, digit: u64) -> Result<Vec<KeySpec>, E> {
        self.visit_str(&digit.to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<KeySpec>, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = seq.next_element_seed(KeySeed { key: &mut self.key })? {
            keys.push(key);
        }
        Ok(keys)
    }
}

struct KeySeed<'a, 'b> {
    key: &'a mut KeyCheck<'b>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = KeySpec;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<KeySpec, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_, '_> {
    type Value = KeySpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key such as j, <Enter> or <Ctrl-d>")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<KeySpec, E> {
        self.key.check(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;
    use std::collections::HashSet;

    fn press(spec: &str) -> KeyEvent {
        spec.parse::<KeySpec>().expect("valid").to_event()
    }

    fn overrides(yaml: &str) -> Result<KeymapOverrides, String> {
        serde_yaml::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_canonical_and_unambiguous() {
        let mut seen = HashSet::new();
        for (mode, command, keys) in DEFAULT_BINDINGS {
            assert!(!keys.is_empty(), "{command} in {mode} has no keys");
            for key in *keys {
                let reparsed: KeySpec = key.to_string().parse().expect("canonical");
                assert_eq!(reparsed, *key, "{key}");
                assert!(seen.insert((*mode, *key)), "{key} bound twice in {mode}");
                assert!(
                    !(mode.takes_text() && key.is_text()),
                    "{key} in text mode {mode}"
                );
            }
        }
    }

    #[test]
    fn every_mode_has_bindings_and_every_command_a_default_key() {
        let keymap = Keymap::default();
        for &mode in Mode::ALL {
            assert!(!keymap.entries_of(mode, |_| true).is_empty(), "{mode}");
        }
        for &command in Command::ALL {
            assert!(
                DEFAULT_BINDINGS.iter().any(|(_, c, _)| *c == command),
                "{command} has no default key"
            );
        }
    }

    #[test]
    fn lookup_prefers_the_mode_then_global() {
        let keymap = Keymap::default();
        assert_eq!(keymap.lookup(Mode::List, &press("s")), Some(Command::Sync));
        assert_eq!(keymap.lookup(Mode::List, &press("j")), Some(Command::Down));
        assert_eq!(
            keymap.lookup(Mode::Detail, &press("l")),
            Some(Command::Expand)
        );
        assert_eq!(keymap.lookup(Mode::List, &press("l")), Some(Command::Right));
        assert_eq!(keymap.lookup(Mode::Logs, &press("s")), None);
        assert_eq!(
            keymap.lookup(Mode::Palette, &press("<Enter>")),
            Some(Command::Accept)
        );
        assert_eq!(
            keymap.lookup(Mode::List, &press("<Enter>")),
            Some(Command::Open)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(keymap.lookup(Mode::List, &ctrl_c), Some(Command::Quit));
    }

    #[test]
    fn text_modes_keep_plain_characters() {
        let keymap = Keymap::default();
        assert_eq!(keymap.lookup(Mode::Palette, &press("q")), None);
        assert_eq!(keymap.lookup(Mode::Confirm, &press("j")), None);
        assert_eq!(
            keymap.lookup(Mode::Confirm, &press("<Esc>")),
            Some(Command::Back)
        );
        assert_eq!(
            keymap.lookup(Mode::Palette, &press("<Down>")),
            Some(Command::Down)
        );
        assert_eq!(
            keymap.lookup(Mode::Palette, &press("<Ctrl-c>")),
            Some(Command::Quit)
        );
    }

    #[test]
    fn help_lists_exactly_what_lookup_does() {
        let keymap = Keymap::default();
        for &mode in Mode::ALL {
            let help = keymap.help(mode);
            for entry in &help {
                for key in entry.keys.split(", ") {
                    assert_eq!(
                        keymap.lookup(mode, &press(key)),
                        Some(entry.command),
                        "{mode}: {key}"
                    );
                }
                assert_eq!(entry.description, entry.command.description());
            }
            // Every binding that works is listed.
            for &(bound_mode, key) in keymap.index.keys() {
                if (bound_mode == mode || bound_mode == Mode::Global)
                    && let Some(command) = keymap.lookup_key(mode, key)
                {
                    assert!(
                        help.iter().any(|e| e.command == command
                            && e.keys.split(", ").any(|k| k == key.to_string())),
                        "{mode}: {key} -> {command} not in help"
                    );
                }
            }
        }
    }

    #[test]
    fn help_shows_the_mode_first_and_hides_shadowed_global_keys() {
        let help = Keymap::default().help(Mode::Detail);
        assert_eq!(help[0].mode, Mode::Detail);
        assert_eq!(help[0].command, Command::Expand);
        assert_eq!(help[0].keys, "l, <Right>, +");
        assert!(!help.iter().any(|e| e.command == Command::Left));
        let quit = help
            .iter()
            .find(|e| e.command == Command::Quit)
            .expect("quit");
        assert_eq!(
            (quit.keys.as_str(), quit.mode),
            ("q, <Ctrl-c>", Mode::Global)
        );
        let palette = Keymap::default().help(Mode::Palette);
        let quit = palette
            .iter()
            .find(|e| e.command == Command::Quit)
            .expect("quit");
        assert_eq!(quit.keys, "<Ctrl-c>");
    }

    #[test]
    fn overrides_replace_keys_and_take_them_from_other_commands() {
        let user = overrides("list:\n  terminate: [s, <Ctrl-x>]\n  logs: []\nglobal:\n  quit: Q\n")
            .expect("valid");
        let keymap = Keymap::default().overridden_by(&user);
        assert_eq!(
            keymap.lookup(Mode::List, &press("s")),
            Some(Command::Terminate)
        );
        assert_eq!(
            keymap.lookup(Mode::List, &press("<Ctrl-x>")),
            Some(Command::Terminate)
        );
        assert_eq!(keymap.lookup(Mode::List, &press("X")), None);
        assert!(keymap.keys_for(Mode::List, Command::Sync).is_empty());
        assert_eq!(keymap.lookup(Mode::List, &press("L")), None);
        assert_eq!(
            keymap.lookup(Mode::Detail, &press("L")),
            Some(Command::Logs)
        );
        assert_eq!(
            keymap.lookup(Mode::Overview, &press("Q")),
            Some(Command::Quit)
        );
        assert_eq!(keymap.lookup(Mode::Overview, &press("q")), None);
        assert!(
            !keymap
                .help(Mode::List)
                .iter()
                .any(|e| e.command == Command::Sync)
        );
    }

    #[test]
    fn override_errors_name_the_offence() {
        let cases = [
            ("lst:\n  sync: s\n", "unknown mode \"lst\""),
            ("list:\n  synk: s\n", "unknown command \"synk\""),
            ("list:\n  sync: <Ctrl-dd>\n", "unknown key name \"dd\""),
            (
                "list:\n  sync: [s]\n  terminate: [s]\n",
                "s is bound to both sync and terminate in list",
            ),
            ("list:\n  sync: [s, s]\n", "s is listed twice for sync"),
            ("list:\n  sync: s\n  sync: t\n", "sync is given twice"),
            ("list: {}\nlist: {}\n", "list is given twice"),
            ("palette:\n  accept: y\n", "palette takes typed text"),
            (
                "list:\n  sync: {a: b}\n",
                "expected a key or a list of keys",
            ),
        ];
        for (yaml, expected) in cases {
            let error = overrides(yaml).expect_err(yaml);
            assert!(error.contains(expected), "{yaml}: {error}");
        }
    }

    #[test]
    fn override_errors_point_at_the_key() {
        let located = |yaml: &str| {
            let error = serde_yaml::from_str::<KeymapOverrides>(yaml).expect_err("duplicate");
            let location = error.location().expect("located");
            (location.line(), location.column(), error.to_string())
        };
        let (line, column, message) =
            located("list:\n  sync: [s]\n  terminate:\n    - X\n    - s\n");
        assert_eq!((line, column), (5, 7));
        assert!(message.starts_with("list.terminate[1]: "), "{message}");
        let (line, _, message) = located("list:\n  sync: [s]\n  terminate: [X, s]\n");
        assert_eq!(line, 3);
        assert!(message.starts_with("list.terminate[1]: "), "{message}");
    }

    #[test]
    fn unbinding_everywhere_is_reported() {
        assert!(Keymap::default().unbound_commands().is_empty());
        let user = overrides("global:\n  quit: []\n").expect("valid");
        let keymap = Keymap::default().overridden_by(&user);
        assert_eq!(keymap.unbound_commands(), vec![Command::Quit]);
    }

    #[test]
    fn digits_and_empty_sections() {
        let user = overrides("list:\n  top: 0\n").expect("valid");
        assert_eq!(user.entries[0].keys, vec![KeySpec::plain('0')]);
        assert_eq!(overrides("").map(|o| o.entries.len()), Ok(0));
    }
}
