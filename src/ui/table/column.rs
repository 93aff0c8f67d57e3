//! Columns and how they share the width: each has a minimum and maximum width and a priority;
//! at narrow widths the lowest-priority columns drop out instead of anything overflowing.

/// Where a cell's text sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One column of a table. Built with `const` builders so screens declare them as constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    /// Header text when the column is narrower than `title`.
    pub short: &'static str,
    pub min: u16,
    pub max: u16,
    /// 0 is kept longest; higher numbers drop out first when the width runs short.
    pub priority: u8,
    pub align: Align,
    pub sortable: bool,
    /// Filter matches are highlighted in this column's text.
    pub highlights_filter: bool,
}

/// Columns between columns.
pub const GAP: u16 = 1;

impl Column {
    pub const fn new(title: &'static str) -> Column {
        let width = title.len() as u16;
        Column {
            title,
            short: title,
            min: width,
            max: if width > 40 { width } else { 40 },
            priority: 0,
            align: Align::Left,
            sortable: true,
            highlights_filter: false,
        }
    }

    pub const fn short(mut self, short: &'static str) -> Column {
        self.short = short;
        self
    }

    pub const fn width(mut self, min: u16, max: u16) -> Column {
        self.min = min;
        self.max = if max < min { min } else { max };
        self
    }

    pub const fn priority(mut self, priority: u8) -> Column {
        self.priority = priority;
        self
    }

    pub const fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }

    pub const fn unsortable(mut self) -> Column {
        self.sortable = false;
        self
    }

    pub const fn highlights_filter(mut self) -> Column {
        self.highlights_filter = true;
        self
    }

    /// The header text for `width` columns: the title, else the short title.
    pub fn header(&self, width: u16) -> &'static str {
        if crate::ui::text::width(self.title) <= width as usize {
            self.title
        } else {
            self.short
        }
    }
}

/// Where a shown column is drawn, relative to the table's left edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Index into the table's columns.
    pub column: usize,
    pub x: u16,
    pub width: u16,
}

/// The columns that fit in `width`, in table order, and their widths. Columns are taken by
/// priority while their minimum widths fit; the rest of the width is shared out up to each
/// column's maximum. The first column taken is always shown, cut to the width if need be.
pub fn layout(columns: &[Column], width: u16) -> Vec<Placed> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut chosen: Vec<usize> = Vec::new();
    let mut used: u16 = 0;
    for index in order {
        let gap = if chosen.is_empty() { 0 } else { GAP };
        let need = columns[index].min.saturating_add(gap);
        if used.saturating_add(need) <= width {
            chosen.push(index);
            used += need;
        } else {
            if chosen.is_empty() {
                chosen.push(index);
                used = width;
            }
            break;
        }
    }
    chosen.sort_unstable();
    let mut widths: Vec<u16> = chosen.iter().map(|&i| columns[i].min.min(width)).collect();
    let mut extra = width.saturating_sub(used);
    while extra > 0 {
        let growable = chosen
            .iter()
            .zip(&widths)
            .filter(|(i, w)| **w < columns[**i].max)
            .count() as u16;
        if growable == 0 {
            break;
        }
        let share = (extra / growable).max(1);
        for (i, w) in chosen.iter().zip(widths.iter_mut()) {
            let add = share
                .min(columns[*i].max - (*w).min(columns[*i].max))
                .min(extra);
            *w += add;
            extra -= add;
            if extra == 0 {
                break;
            }
        }
    }
    let mut x = 0;
    chosen
        .into_iter()
        .zip(widths)
        .map(|(column, width)| {
            let placed = Placed { column, x, width };
            x += width + GAP;
            placed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const COLUMNS: &[Column] = &[
        Column::new("NAME").width(12, 40).priority(0),
        Column::new("NAMESPACE")
            .short("NS")
            .width(6, 20)
            .priority(3),
        Column::new("HEALTH").width(10, 12).priority(1),
        Column::new("SYNC").width(9, 10).priority(1),
        Column::new("REVISION")
            .short("REV")
            .width(8, 12)
            .priority(2),
    ];

    fn shown(width: u16) -> Vec<usize> {
        layout(COLUMNS, width).iter().map(|p| p.column).collect()
    }

    #[test]
    fn wide_tables_show_everything_up_to_the_maximums() {
        let placed = layout(COLUMNS, 200);
        assert_eq!(placed.len(), 5);
        assert_eq!(
            placed.iter().map(|p| p.width).collect::<Vec<_>>(),
            vec![40, 20, 12, 10, 12]
        );
        assert_eq!(placed[1].x, 41);
    }

    #[test]
    fn narrow_tables_drop_the_lowest_priorities_first() {
        assert_eq!(shown(60), vec![0, 1, 2, 3, 4]);
        assert_eq!(shown(45), vec![0, 2, 3, 4]);
        assert_eq!(shown(33), vec![0, 2, 3]);
        assert_eq!(shown(20), vec![0]);
        let tiny = layout(COLUMNS, 5);
        assert_eq!(
            tiny,
            vec![Placed {
                column: 0,
                x: 0,
                width: 5
            }]
        );
    }

    #[test]
    fn headers_abbreviate() {
        assert_eq!(COLUMNS[1].header(9), "NAMESPACE");
        assert_eq!(COLUMNS[1].header(6), "NS");
    }

    proptest! {
        #[test]
        fn columns_never_overflow_and_never_overlap(width in 0u16..400) {
            let placed = layout(COLUMNS, width);
            prop_assert!(!placed.is_empty());
            let mut end = 0;
            for p in &placed {
                prop_assert!(p.x >= end);
                end = p.x + p.width;
                prop_assert!(p.width <= COLUMNS[p.column].max);
            }
            prop_assert!(end <= width);
        }
    }
}
