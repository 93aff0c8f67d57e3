//! The rows a table shows, in order: filtered by the query, sorted by the sort column (the
//! row key breaks ties, so the order is total and stable across refreshes).

use std::cmp::Reverse;

use super::row::{SortKey, TableRow};
use super::state::{Query, SortDir, TableState};
use crate::ui::fuzzy::Fuzzy;
use crate::ui::text::contains_ignore_case;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableView {
    /// Indices into the rows, in display order.
    order: Vec<usize>,
}

impl TableView {
    pub fn build<R: TableRow>(rows: &[R], state: &TableState) -> TableView {
        let mut order: Vec<usize> = match state.query() {
            None => (0..rows.len()).collect(),
            Some(Query::Substring(needle)) => (0..rows.len())
                .filter(|&i| contains_ignore_case(&rows[i].filter_text(), &needle))
                .collect(),
            Some(Query::Fuzzy(query)) => {
                let mut fuzzy = Fuzzy::new(&query);
                let mut scored: Vec<(usize, u32)> = (0..rows.len())
                    .filter_map(|i| fuzzy.score(&rows[i].filter_text()).map(|s| (i, s)))
                    .collect();
                // Best match first unless a column sort is asked for (applied below).
                scored.sort_by_key(|&(i, score)| (Reverse(score), i));
                scored.into_iter().map(|(i, _)| i).collect()
            }
        };
        if let Some(sort) = state.sort() {
            let mut keyed: Vec<(SortKey<'_>, std::borrow::Cow<'_, str>, usize)> = order
                .iter()
                .map(|&i| (rows[i].sort_key(sort.column), rows[i].key(), i))
                .collect();
            keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            if sort.dir == SortDir::Descending {
                keyed.reverse();
            }
            order = keyed.into_iter().map(|(_, _, i)| i).collect();
        }
        TableView { order }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The row index shown at `position`.
    pub fn row(&self, position: usize) -> Option<usize> {
        self.order.get(position).copied()
    }

    /// Row indices in display order.
    pub fn rows(&self) -> &[usize] {
        &self.order
    }

    /// Where the row with `key` is shown.
    pub fn position_of<R: TableRow>(&self, rows: &[R], key: &str) -> Option<usize> {
        self.order.iter().position(|&i| rows[i].key() == key)
    }
}
