//! Themes: a style per semantic role (healthy, degraded, selection, ...), read from YAML.
//!
//! Built-in themes live in `themes/*.yaml` and are embedded in the binary: `default` (dark
//! terminals), `light`, `high-contrast` and `monochrome`. A user theme is a YAML file of the same
//! shape; roles it leaves out come from the theme it `extends` (default: `default`), and a role
//! it gives is used exactly as written. When `NO_COLOR` is set to a non-empty value the
//! monochrome theme is used whatever was asked: it tells states apart with bold, dim, italic,
//! underline and reverse video, and the glyphs beside each state carry the meaning too.
//!
//! ```yaml
//! extends: light            # optional: default, light, high-contrast or monochrome
//! roles:
//!   degraded: { fg: "#d70000", modifiers: [bold] }   # quote hex colours: # starts a comment
//!   selection: { fg: black, bg: 214 }                # 0-255 is the terminal's palette
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::config::diagnostic::{Diagnostic, parse_yaml};

/// Declares [`Role`] with its names and descriptions in one table.
macro_rules! roles {
    ($( $variant:ident = $name:literal : $description:literal, )*) => {
        /// What a piece of the screen means; a theme gives each role a style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role {
            $( $variant, )*
        }

        impl Role {
            pub const ALL: &'static [Role] = &[ $( Role::$variant, )* ];

            /// The name used in theme files.
            pub fn name(self) -> &'static str {
                match self { $( Role::$variant => $name, )* }
            }

            pub fn description(self) -> &'static str {
                match self { $( Role::$variant => $description, )* }
            }
        }
    };
}

roles! {
    Healthy = "healthy": "Health: Healthy",
    Progressing = "progressing": "Health: Progressing",
    Degraded = "degraded": "Health: Degraded",
    Missing = "missing": "Health: Missing (the resource does not exist)",
    Unknown = "unknown": "Health: Unknown",
    Suspended = "suspended": "Health: Suspended",
    OutOfSync = "out_of_sync": "Sync: OutOfSync",
    Synced = "synced": "Sync: Synced",
    Stale = "stale": "Data older than the staleness threshold",
    Selection = "selection": "The selected row or item",
    Border = "border": "Pane borders",
    BorderFocused = "border_focused": "The focused pane's border",
    Title = "title": "Pane titles",
    Text = "text": "Ordinary text",
    Muted = "muted": "Secondary text: ages, hints, help descriptions",
    Accent = "accent": "Keys in hints, links, highlights",
    Danger = "danger": "Errors and destructive actions",
    Warning = "warning": "Warnings",
    BadgeReadonly = "badge_readonly": "The READ-ONLY badge",
    BadgeSimulated = "badge_simulated": "The SIMULATED badge",
    Header = "header": "Table headers",
}

impl Role {
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                format!("unknown role {name:?}; roles are: {}", known.join(", "))
            })
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RoleVisitor;
        impl Visitor<'_> for RoleVisitor {
            type Value = Role;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Role, E> {
                name.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(RoleVisitor)
    }
}

/// The built-in themes: (name, YAML).
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.yaml")),
    ("light", include_str!("../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.yaml"),
    ),
    ("monochrome", include_str!("../themes/monochrome.yaml")),
];

pub const DEFAULT_THEME: &str = "default";
pub const MONOCHROME_THEME: &str = "monochrome";

fn builtin_names() -> String {
    let names: Vec<&str> = BUILTIN_THEMES.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

fn builtin_named(name: &str) -> Option<(&'static str, &'static str)> {
    BUILTIN_THEMES
        .iter()
        .copied()
        .find(|(known, _)| *known == name)
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "unknown theme {name:?}: built-in themes are {known}; \
         or give the path of a theme file (*.yaml)"
    )]
    UnknownName { name: String, known: String },
    #[error("cannot read theme file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostic),
}

impl ThemeError {
    fn unknown(name: &str) -> ThemeError {
        ThemeError::UnknownName {
            name: name.to_string(),
            known: builtin_names(),
        }
    }
}

/// Which theme to use: a built-in name or a file. A value that contains `/`, starts with `.`
/// or `~`, or ends in `.yaml`/`.yml` is a path; anything else must be a built-in name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThemeSource {
    Builtin(&'static str),
    File(PathBuf),
}

impl Default for ThemeSource {
    fn default() -> Self {
        ThemeSource::Builtin(DEFAULT_THEME)
    }
}

impl ThemeSource {
    pub fn parse(text: &str) -> Result<ThemeSource, ThemeError> {
        let looks_like_path = text.contains(['/', '\\'])
            || text.starts_with(['.', '~'])
            || text.ends_with(".yaml")
            || text.ends_with(".yml");
        if looks_like_path {
            return Ok(ThemeSource::File(PathBuf::from(text)));
        }
        builtin_named(text)
            .map(|(name, _)| ThemeSource::Builtin(name))
            .ok_or_else(|| ThemeError::unknown(text))
    }

    /// Resolves a file path written in a config file against that file's directory.
    pub fn relative_to(self, base_dir: &Path) -> ThemeSource {
        match self {
            ThemeSource::File(path) => {
                ThemeSource::File(crate::config::paths::expand_path(&path, base_dir))
            }
            builtin => builtin,
        }
    }
}

impl fmt::Display for ThemeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThemeSource::Builtin(name) => f.write_str(name),
            ThemeSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl<'de> Deserialize<'de> for ThemeSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl Visitor<'_> for SourceVisitor {
            type Value = ThemeSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a built-in theme name or the path of a theme file")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ThemeSource, E> {
                ThemeSource::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(SourceVisitor)
    }
}

/// True when the user asked for no colour (`NO_COLOR` set and not empty, see no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// A loaded theme: one [`Style`] per [`Role`].
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    styles: Vec<Style>,
}

impl Theme {
    /// Loads a built-in theme by name or a theme file by path, honouring `NO_COLOR`.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        Theme::load_source(&ThemeSource::parse(name_or_path)?, no_color_requested())
    }

    /// Loads `source`, or the monochrome theme when `no_color` (the requested theme is then
    /// not read at all: a broken theme file must not keep a monochrome session from starting).
    pub fn load_source(source: &ThemeSource, no_color: bool) -> Result<Theme, ThemeError> {
        if no_color {
            return Theme::builtin(MONOCHROME_THEME);
        }
        match source {
            ThemeSource::Builtin(name) => Theme::builtin(name),
            ThemeSource::File(path) => Theme::from_file(path),
        }
    }

    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        let (name, text) = builtin_named(name).ok_or_else(|| ThemeError::unknown(name))?;
        let origin = PathBuf::from(format!("themes/{name}.yaml (built-in)"));
        let file = ThemeFile::parse(text, &origin)?;
        // `default` is complete on its own; the others fall back to it (tests keep them
        // complete too).
        let base = if name == DEFAULT_THEME {
            Theme::plain(name)
        } else {
            Theme::builtin(DEFAULT_THEME)?
        };
        Ok(file.apply_to(base, name.to_string()))
    }

    pub fn from_file(path: &Path) -> Result<Theme, ThemeError> {
        let text = std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Theme::from_yaml(&text, path)
    }

    /// Reads a user theme from text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &Path) -> Result<Theme, ThemeError> {
        let file = ThemeFile::parse(text, origin)?;
        let base = Theme::builtin(file.extends.map_or(DEFAULT_THEME, |BuiltinName(name)| name))?;
        Ok(file.apply_to(base, origin.display().to_string()))
    }

    /// Every role unstyled: the terminal's own colours.
    fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: vec![Style::new(); Role::ALL.len()],
        }
    }

    /// The built-in name, or the path of the theme file.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles.get(role.index()).copied().unwrap_or_default()
    }

    /// A pane border, focused or not.
    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused {
            Role::BorderFocused
        } else {
            Role::Border
        })
    }
}

/// A theme file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default, deserialize_with = "builtin_theme_name")]
    extends: Option<BuiltinName>,
    #[serde(default)]
    roles: BTreeMap<Role, RoleStyle>,
}

impl ThemeFile {
    fn parse(text: &str, origin: &Path) -> Result<ThemeFile, ThemeError> {
        parse_yaml(text, origin).map_err(ThemeError::Invalid)
    }

    fn apply_to(self, mut base: Theme, name: String) -> Theme {
        for (role, style) in self.roles {
            if let Some(slot) = base.styles.get_mut(role.index()) {
                *slot = style.to_style();
            }
        }
        base.name = name;
        base
    }
}

/// The name of a built-in theme (the `extends:` of a user theme).
#[derive(Debug, Clone, Copy)]
struct BuiltinName(&'static str);

fn builtin_theme_name<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BuiltinName>, D::Error> {
    struct NameVisitor;
    impl Visitor<'_> for NameVisitor {
        type Value = BuiltinName;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the name of a built-in theme")
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<BuiltinName, E> {
            builtin_named(name)
                .map(|(name, _)| BuiltinName(name))
                .ok_or_else(|| {
                    E::custom(format!(
                        "unknown built-in theme {name:?}; built-in themes are {}",
                        builtin_names()
                    ))
                })
        }
    }
    deserializer.deserialize_str(NameVisitor).map(Some)
}

/// One role's style as written: colours and modifiers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleStyle {
    #[serde(default, deserialize_with = "colour")]
    fg: Option<Color>,
    #[serde(default, deserialize_with = "colour")]
    bg: Option<Color>,
    #[serde(default)]
    modifiers: Vec<ModifierName>,
}

impl RoleStyle {
    fn to_style(&self) -> Style {
        let mut style = Style::new();
        if let Some(fg) = self.fg {
            style = style.fg(fg);
        }
        if let Some(bg) = self.bg {
            style = style.bg(bg);
        }
        self.modifiers.iter().fold(style, |style, modifier| {
            style.add_modifier(modifier.modifier())
        })
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModifierName {
    Bold,
    Dim,
    Italic,
    Underlined,
    Reversed,
}

impl ModifierName {
    fn modifier(self) -> Modifier {
        match self {
            ModifierName::Bold => Modifier::BOLD,
            ModifierName::Dim => Modifier::DIM,
            ModifierName::Italic => Modifier::ITALIC,
            ModifierName::Underlined => Modifier::UNDERLINED,
            ModifierName::Reversed => Modifier::REVERSED,
        }
    }
}

/// A colour: a name (`red`, `light-blue`, `dark-gray`, `reset`), `"#rrggbb"`, or a palette
/// index 0-255.
fn colour<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Color>, D::Error> {
    struct ColourVisitor;
    impl Visitor<'_> for ColourVisitor {
        type Value = Color;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a colour name, \"#rrggbb\" or 0-255")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Color, E> {
            Color::from_str(text).map_err(|_| {
                E::custom(format!(
                    "unknown colour {text:?} (use a name such as red or light-blue, \
                     \"#rrggbb\", or a palette index 0-255)"
                ))
            })
        }
        fn visit_u64<E: de::Error>(self, index: u64) -> Result<Color, E> {
            u8::try_from(index)
                .map(Color::Indexed)
                .map_err(|_| E::custom(format!("colour index {index} is not in 0-255")))
        }
        fn visit_i64<E: de::Error>(self, index: i64) -> Result<Color, E> {
            Err(E::custom(format!("colour index {index} is not in 0-255")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Color, E> {
            Err(E::custom(
                "no colour given (in YAML # starts a comment: quote hex colours, \"#ff8700\")",
            ))
        }
    }
    deserializer.deserialize_any(ColourVisitor).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const STATES: &[Role] = &[
        Role::Healthy,
        Role::Progressing,
        Role::Degraded,
        Role::Missing,
        Role::Unknown,
        Role::Suspended,
        Role::Stale,
    ];

    fn user(text: &str) -> Result<Theme, String> {
        Theme::from_yaml(text, Path::new("my.yaml")).map_err(|e| e.to_string())
    }

    #[test]
    fn every_builtin_loads_and_defines_every_role() {
        for (name, text) in BUILTIN_THEMES {
            let theme = Theme::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name(), *name);
            let file = ThemeFile::parse(text, Path::new(name)).expect("parses");
            assert!(file.extends.is_none(), "{name} extends another theme");
            for role in Role::ALL {
                assert!(file.roles.contains_key(role), "{name} has no {role}");
            }
        }
    }

    #[test]
    fn builtins_tell_states_apart() {
        for (name, _) in BUILTIN_THEMES {
            let theme = Theme::builtin(name).expect("loads");
            let styles: HashSet<String> = STATES
                .iter()
                .map(|role| format!("{:?}", theme.style(*role)))
                .collect();
            assert_eq!(styles.len(), STATES.len(), "{name}: states share a style");
            assert_ne!(
                theme.style(Role::Synced),
                theme.style(Role::OutOfSync),
                "{name}"
            );
            assert_ne!(theme.border(true), theme.border(false), "{name}");
            assert_ne!(
                theme.style(Role::Selection),
                theme.style(Role::Text),
                "{name}"
            );
        }
    }

    #[test]
    fn monochrome_has_no_colour() {
        let theme = Theme::builtin(MONOCHROME_THEME).expect("loads");
        for role in Role::ALL {
            let style = theme.style(*role);
            assert_eq!((style.fg, style.bg), (None, None), "{role}");
        }
        assert!(
            theme
                .style(Role::Degraded)
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn no_color_gives_monochrome_whatever_was_asked() {
        let monochrome = Theme::builtin(MONOCHROME_THEME).expect("loads");
        for (name, _) in BUILTIN_THEMES {
            let source = ThemeSource::parse(name).expect("builtin");
            assert_eq!(
                Theme::load_source(&source, true).expect("loads"),
                monochrome
            );
        }
        let missing = ThemeSource::File(PathBuf::from("/nonexistent/theme.yaml"));
        assert_eq!(
            Theme::load_source(&missing, true).expect("loads"),
            monochrome
        );
        assert!(Theme::load_source(&missing, false).is_err());
        let light = ThemeSource::parse("light").expect("builtin");
        assert_eq!(
            Theme::load_source(&light, false).expect("loads").name(),
            "light"
        );
    }

    #[test]
    fn user_themes_override_roles_and_inherit_the_rest() {
        let theme =
            user("roles:\n  degraded: { fg: \"#d70000\", modifiers: [bold, underlined] }\n")
                .expect("valid");
        let default = Theme::builtin(DEFAULT_THEME).expect("loads");
        assert_eq!(
            theme.style(Role::Degraded),
            Style::new()
                .fg(Color::Rgb(0xd7, 0, 0))
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(theme.style(Role::Healthy), default.style(Role::Healthy));
        assert_eq!(theme.name(), "my.yaml");

        let light = Theme::builtin("light").expect("loads");
        let theme = user("extends: light\nroles:\n  text: { fg: 17 }\n").expect("valid");
        assert_eq!(theme.style(Role::Text), Style::new().fg(Color::Indexed(17)));
        assert_eq!(theme.style(Role::Healthy), light.style(Role::Healthy));
        assert_eq!(user("").expect("empty is default").styles, default.styles);
    }

    #[test]
    fn colours_in_every_form() {
        let theme = user(
            "roles:\n  healthy: { fg: light-green, bg: \"#0a0B0c\" }\n  text: { fg: \"208\" }\n  muted: { fg: Dark Gray }\n",
        )
        .expect("valid");
        assert_eq!(theme.style(Role::Healthy).fg, Some(Color::LightGreen));
        assert_eq!(theme.style(Role::Healthy).bg, Some(Color::Rgb(10, 11, 12)));
        assert_eq!(theme.style(Role::Text).fg, Some(Color::Indexed(208)));
        assert_eq!(theme.style(Role::Muted).fg, Some(Color::DarkGray));
    }

    #[test]
    fn invalid_themes_name_file_line_and_field() {
        let cases = [
            (
                "# mine\nroles:\n  healthy: { fg: green }\n  degraded:\n    fg: redd\n",
                "my.yaml:5:9: roles.degraded.fg: unknown colour \"redd\"",
            ),
            (
                "roles:\n  degradd: {}\n",
                "my.yaml:2:3: roles.degradd: unknown role \"degradd\"",
            ),
            (
                "roles:\n  text: { fgg: red }\n",
                "my.yaml:2:11: roles.text.fgg: unknown field",
            ),
            (
                "roles:\n  text: { fg: 256 }\n",
                "my.yaml:2:15: roles.text.fg: colour index 256",
            ),
            (
                "roles:\n  text:\n    fg: #ff0000\n",
                "roles.text.fg: no colour given",
            ),
            (
                "roles:\n  text: { modifiers: [blod] }\n",
                "roles.text.modifiers[0]: unknown variant \"blod\"",
            ),
            (
                "extends: solarized\n",
                "my.yaml:1:10: extends: unknown built-in theme",
            ),
            ("colours: {}\n", "my.yaml:1:1: colours: unknown field"),
            ("roles: [\n", "my.yaml:2:1: "),
        ];
        for (text, expected) in cases {
            let error = user(text).expect_err(text);
            assert!(
                error.starts_with(expected) || error.contains(expected),
                "{text}\n{error}"
            );
            assert!(error.starts_with("my.yaml:"), "{error}");
        }
    }

    #[test]
    fn sources() {
        assert_eq!(
            ThemeSource::parse("light").ok(),
            Some(ThemeSource::Builtin("light"))
        );
        for path in ["./x", "~/t.yaml", "t.yml", "dir/t", "t.yaml"] {
            assert_eq!(
                ThemeSource::parse(path).ok(),
                Some(ThemeSource::File(PathBuf::from(path)))
            );
        }
        let error = ThemeSource::parse("solarized")
            .expect_err("unknown")
            .to_string();
        assert!(
            error.contains("default, light, high-contrast, monochrome"),
            "{error}"
        );
        let relative = ThemeSource::parse("t.yaml")
            .expect("path")
            .relative_to(Path::new("/etc"));
        assert_eq!(relative, ThemeSource::File(PathBuf::from("/etc/t.yaml")));
    }

    #[test]
    fn theme_files_are_read_from_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mine.yaml");
        std::fs::write(&path, "roles:\n  accent: { fg: magenta }\n").expect("write");
        let theme = Theme::load(path.to_str().expect("utf-8")).expect("loads");
        // `load` honours the NO_COLOR of whoever runs the tests.
        let expected = if no_color_requested() {
            None
        } else {
            Some(Color::Magenta)
        };
        assert_eq!(theme.style(Role::Accent).fg, expected);
        let missing = dir.path().join("absent.yaml");
        let error = Theme::from_file(&missing).expect_err("missing").to_string();
        assert!(error.contains("absent.yaml"), "{error}");
    }
}
