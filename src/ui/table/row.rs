//! What a table needs from a row: a stable key, the text of each cell, a sort key per column and
//! the text the filter searches.

use std::borrow::Cow;

use crate::theme::Role;

/// One cell: its text and the role that colours it (none: ordinary text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellText<'a> {
    pub text: Cow<'a, str>,
    pub role: Option<Role>,
}

impl<'a> CellText<'a> {
    pub fn new(text: impl Into<Cow<'a, str>>) -> CellText<'a> {
        CellText {
            text: text.into(),
            role: None,
        }
    }

    pub fn styled(text: impl Into<Cow<'a, str>>, role: Role) -> CellText<'a> {
        CellText {
            text: text.into(),
            role: Some(role),
        }
    }
}

impl<'a> From<&'a str> for CellText<'a> {
    fn from(text: &'a str) -> Self {
        CellText::new(text)
    }
}

impl From<String> for CellText<'_> {
    fn from(text: String) -> Self {
        CellText::new(text)
    }
}

/// How a column sorts. Rows of one column should all use the same variant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey<'a> {
    /// Worst first when ascending: health and sync ranks.
    Rank(u32),
    Number(i64),
    /// Compared ASCII case-insensitively (then exactly, so the order is total).
    Text(Caseless<'a>),
}

impl<'a> SortKey<'a> {
    pub fn text(text: impl Into<Cow<'a, str>>) -> SortKey<'a> {
        SortKey::Text(Caseless(text.into()))
    }
}

/// Text that orders ignoring ASCII case first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseless<'a>(pub Cow<'a, str>);

impl PartialOrd for Caseless<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Caseless<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        fn folded(s: &str) -> impl Iterator<Item = u8> + '_ {
            s.bytes().map(|b| b.to_ascii_lowercase())
        }
        folded(&self.0)
            .cmp(folded(&other.0))
            .then_with(|| self.0.cmp(&other.0))
    }
}

/// A row of a [`super::Table`].
pub trait TableRow {
    /// Identifies the row across refreshes and re-sorts (e.g. `argocd/web-dev`): the
    /// selection follows it.
    fn key(&self) -> Cow<'_, str>;

    fn cell(&self, column: usize) -> CellText<'_>;

    /// Defaults to the cell text.
    fn sort_key(&self, column: usize) -> SortKey<'_> {
        SortKey::Text(Caseless(self.cell(column).text))
    }

    /// What `/` searches. Defaults to the key.
    fn filter_text(&self) -> Cow<'_, str> {
        self.key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_sorts_caseless_then_exact() {
        let mut keys = vec![SortKey::text("b"), SortKey::text("B"), SortKey::text("a")];
        keys.sort();
        assert_eq!(
            keys,
            vec![SortKey::text("a"), SortKey::text("B"), SortKey::text("b")]
        );
        assert!(SortKey::Number(2) < SortKey::Number(10));
        assert!(SortKey::Rank(0) < SortKey::Rank(3));
    }
}
