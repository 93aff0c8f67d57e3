//! The named commands a key can run and the modes keys are looked up in: one table each, from
//! which the palette, the help screen and config validation all read.
//!
//! A command names an intent (`sync`, `page-down`); what it does on the current screen is the
//! TUI's business. Only commands for features that exist are listed: wizards add theirs when
//! they arrive.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`Command`] and its name and description table in one place.
macro_rules! commands {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal : $description:literal, )*) => {
        /// A named command. Names (kebab-case) are what config files and the palette use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $( $(#[$doc])* $variant, )*
        }

        impl Command {
            /// Every command, in the order help lists them.
            pub const ALL: &'static [Command] = &[ $( Command::$variant, )* ];

            pub fn name(self) -> &'static str {
                match self { $( Command::$variant => $name, )* }
            }

            /// One line for the help screen and the palette.
            pub fn description(self) -> &'static str {
                match self { $( Command::$variant => $description, )* }
            }
        }
    };
}

commands! {
    Quit = "quit": "Quit the console",
    Help = "help": "Show the keys of this screen",
    Palette = "palette": "Open the command palette",
    Back = "back": "Go back, close the popup or cancel",
    Open = "open": "Open the selected item",
    /// Enter in the palette, a confirmation or a wizard step.
    Accept = "accept": "Run the palette entry, confirm, or continue the wizard",
    NextPane = "next-pane": "Focus the next pane or field",
    PrevPane = "prev-pane": "Focus the previous pane or field",
    Up = "up": "Move up",
    Down = "down": "Move down",
    Left = "left": "Move or scroll left",
    Right = "right": "Move or scroll right",
    PageUp = "page-up": "Move up one page",
    PageDown = "page-down": "Move down one page",
    Top = "top": "Go to the first line",
    Bottom = "bottom": "Go to the last line",
    Expand = "expand": "Expand the selected tree node",
    Collapse = "collapse": "Collapse the selected tree node",
    Filter = "filter": "Filter the list",
    SortNextColumn = "sort-next-column": "Sort by the next column",
    ReverseSort = "reverse-sort": "Reverse the sort order",
    Overview = "overview": "Show the overview: layers by environment",
    Triage = "triage": "Show what is unhealthy, out of sync or stale",
    Clusters = "clusters": "Show the clusters and their connections",
    AppDetail = "app-detail": "Show the selected Application in detail",
    ClusterDetail = "cluster-detail": "Show the selected item's cluster in detail",
    Refresh = "refresh": "Ask ArgoCD to compare the selected Application with Git",
    HardRefresh = "hard-refresh": "Refresh, regenerating manifests (hard refresh)",
    Sync = "sync": "Sync the selected Application",
    SyncPrune = "sync-prune": "Sync, deleting resources no longer in Git (prune)",
    Terminate = "terminate": "Terminate the running sync operation",
    ToggleAutoSync = "toggle-auto-sync": "Turn automated sync on or off",
    Logs = "logs": "Show logs of the selected workload",
    Follow = "follow": "Follow new log lines",
    Wrap = "wrap": "Wrap long lines",
    Search = "search": "Search the text",
    SearchNext = "search-next": "Go to the next match",
    SearchPrev = "search-prev": "Go to the previous match",
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown command or mode name, with the names that are known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; {what}s are: {known}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub known: String,
}

impl FromStr for Command {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Command::ALL
            .iter()
            .copied()
            .find(|command| command.name() == name)
            .ok_or_else(|| UnknownName {
                what: "command",
                name: name.to_string(),
                known: join_names(Command::ALL.iter().map(|c| c.name())),
            })
    }
}

/// Where keys are looked up. A key is looked up in the current mode first, then in `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Global,
    Overview,
    List,
    Detail,
    Logs,
    Palette,
    Confirm,
    Wizard,
}

impl Mode {
    pub const ALL: &'static [Mode] = &[
        Mode::Global,
        Mode::Overview,
        Mode::List,
        Mode::Detail,
        Mode::Logs,
        Mode::Palette,
        Mode::Confirm,
        Mode::Wizard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Overview => "overview",
            Mode::List => "list",
            Mode::Detail => "detail",
            Mode::Logs => "logs",
            Mode::Palette => "palette",
            Mode::Confirm => "confirm",
            Mode::Wizard => "wizard",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere, unless the current screen binds the key itself",
            Mode::Overview => "The overview grid: layers by environment",
            Mode::List => "Tables: Applications, clusters, triage",
            Mode::Detail => "An Application's or cluster's detail, with its resource tree",
            Mode::Logs => "The log viewer",
            Mode::Palette => "The command palette and one-line prompts (filter, search)",
            Mode::Confirm => "A confirmation before a change",
            Mode::Wizard => "Wizard steps",
        }
    }

    /// Modes where typing enters text: plain characters are never commands there, so neither
    /// the mode nor `global` may bind them.
    pub fn takes_text(self) -> bool {
        matches!(self, Mode::Palette | Mode::Confirm)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .iter()
            .copied()
            .find(|mode| mode.name() == name)
            .ok_or_else(|| UnknownName {
                what: "mode",
                name: name.to_string(),
                known: join_names(Mode::ALL.iter().map(|m| m.name())),
            })
    }
}

fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// Serde by name, with errors raised inside the visitor so serde_yaml locates them.
struct NameVisitor<T>(std::marker::PhantomData<T>);

impl<T: FromStr<Err = UnknownName>> Visitor<'_> for NameVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }
    fn visit_str<E: de::Error>(self, name: &str) -> Result<T, E> {
        name.parse().map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor(std::marker::PhantomData))
    }
}

impl Serialize for Command {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_kebab_case_and_parse_back() {
        let mut seen = HashSet::new();
        for &command in Command::ALL {
            let name = command.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            assert_eq!(name.parse::<Command>(), Ok(command));
            assert!(!command.description().is_empty());
        }
        for &mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let error = "synk".parse::<Command>().expect_err("unknown");
        let text = error.to_string();
        assert!(
            text.starts_with("unknown command \"synk\"; commands are: quit, help"),
            "{text}"
        );
        assert!(text.contains("sync-prune"));
        let error = "lst".parse::<Mode>().expect_err("unknown");
        assert!(
            error
                .to_string()
                .contains("modes are: global, overview, list")
        );
    }

    #[test]
    fn features_that_do_not_exist_yet_have_no_command() {
        for name in ["rollback", "promote", "install"] {
            assert!(name.parse::<Command>().is_err(), "{name}");
        }
    }

    #[test]
    fn text_modes() {
        let text: Vec<Mode> = Mode::ALL
            .iter()
            .copied()
            .filter(|m| m.takes_text())
            .collect();
        assert_eq!(text, vec![Mode::Palette, Mode::Confirm]);
    }
}
