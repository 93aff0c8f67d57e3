//! The one table every list uses (Applications, clusters, triage, resources): columns that
//! drop or abbreviate at narrow widths, sorting by column, `/` filtering (substring, or fuzzy
//! with a leading `~`), a selection that follows its row's key through re-sorts and refreshes,
//! scrolling, and mouse clicks and wheel.
//!
//! Split like bottom's data table: [`TableProps`] (what to show, borrowed from the screen each
//! frame), [`TableState`] (sort, filter, selection, scroll: owned by the screen), [`column`]
//! (widths), [`view`] (filter + sort) and [`draw`]. Rows are anything implementing
//! [`TableRow`].

pub mod column;
pub mod draw;
pub mod row;
pub mod state;
pub mod view;

pub use column::{Align, Column};
pub use draw::{render, render_view};
pub use row::{CellText, SortKey, TableRow};
pub use state::{Query, Sort, SortDir, TableAreas, TableInput, TableOutcome, TableState};
pub use view::TableView;

/// What a table shows this frame: borrowed from the screen's data.
#[derive(Debug, Clone, Copy)]
pub struct TableProps<'a, R> {
    pub title: &'a str,
    pub columns: &'a [Column],
    pub rows: &'a [R],
    /// Shown when there are no rows at all.
    pub empty: &'a str,
}

#[cfg(test)]
mod tests;
