//! Layout helpers shared by screens and popups: centred popups that shrink to fit, and panes
//! that sit side by side when there is room and stack when there is not.

use ratatui::layout::Rect;

/// A `width`×`height` rectangle centred in `area`, shrunk to leave a one-cell margin where
/// possible (and never larger than `area`).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    // Small areas give the popup everything; larger ones keep the margin.
    let room_w = if area.width > 40 {
        area.width - 2
    } else {
        area.width
    };
    let room_h = if area.height > 12 {
        area.height - 2
    } else {
        area.height
    };
    let (width, height) = (width.min(room_w), height.min(room_h));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// One pane of a split: its minimum width side by side, and its share of the space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneSpec {
    pub min_width: u16,
    pub weight: u16,
}

/// Rectangles for `panes`: side by side when every minimum width fits in `area`, otherwise
/// stacked top to bottom (heights by weight). Either way they tile `area` exactly.
pub fn panes(area: Rect, panes: &[PaneSpec]) -> Vec<Rect> {
    if panes.is_empty() {
        return Vec::new();
    }
    let side_by_side =
        panes.iter().map(|p| u32::from(p.min_width)).sum::<u32>() <= u32::from(area.width);
    let total = if side_by_side {
        area.width
    } else {
        area.height
    };
    let sizes = share(total, panes);
    let mut at = 0;
    sizes
        .into_iter()
        .map(|size| {
            let rect = if side_by_side {
                Rect {
                    x: area.x + at,
                    width: size,
                    ..area
                }
            } else {
                Rect {
                    y: area.y + at,
                    height: size,
                    ..area
                }
            };
            at += size;
            rect
        })
        .collect()
}

/// `total` split by weight; the remainder goes to the first panes so sizes sum to `total`.
fn share(total: u16, panes: &[PaneSpec]) -> Vec<u16> {
    let weights: u32 = panes.iter().map(|p| u32::from(p.weight.max(1))).sum();
    let mut sizes: Vec<u16> = panes
        .iter()
        .map(|p| (u32::from(total) * u32::from(p.weight.max(1)) / weights) as u16)
        .collect();
    let mut left = total - sizes.iter().sum::<u16>();
    for size in sizes.iter_mut() {
        if left == 0 {
            break;
        }
        *size += 1;
        left -= 1;
    }
    sizes
}

/// Which of several panes has the focus; Tab and Shift-Tab move it round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FocusRing {
    focused: usize,
    count: usize,
}

impl FocusRing {
    pub fn new(count: usize) -> FocusRing {
        FocusRing { focused: 0, count }
    }

    pub fn focused(&self) -> usize {
        self.focused
    }

    pub fn is_focused(&self, pane: usize) -> bool {
        self.focused == pane
    }

    pub fn focus(&mut self, pane: usize) {
        if pane < self.count {
            self.focused = pane;
        }
    }

    pub fn next(&mut self) {
        if self.count > 0 {
            self.focused = (self.focused + 1) % self.count;
        }
    }

    pub fn prev(&mut self) {
        if self.count > 0 {
            self.focused = (self.focused + self.count - 1) % self.count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn popups_centre_and_shrink() {
        let area = Rect::new(0, 0, 80, 24);
        assert_eq!(centered(area, 40, 10), Rect::new(20, 7, 40, 10));
        assert_eq!(centered(area, 200, 100), Rect::new(1, 1, 78, 22));
        assert_eq!(
            centered(Rect::new(0, 0, 10, 3), 20, 5),
            Rect::new(0, 0, 10, 3)
        );
    }

    #[test]
    fn panes_stack_when_narrow() {
        let specs = [
            PaneSpec {
                min_width: 60,
                weight: 2,
            },
            PaneSpec {
                min_width: 40,
                weight: 1,
            },
        ];
        let wide = panes(Rect::new(0, 0, 160, 40), &specs);
        assert_eq!(
            wide,
            vec![Rect::new(0, 0, 107, 40), Rect::new(107, 0, 53, 40)]
        );
        let narrow = panes(Rect::new(0, 0, 80, 22), &specs);
        assert_eq!(
            narrow,
            vec![Rect::new(0, 0, 80, 15), Rect::new(0, 15, 80, 7)]
        );
    }

    #[test]
    fn focus_ring_wraps() {
        let mut ring = FocusRing::new(3);
        ring.prev();
        assert_eq!(ring.focused(), 2);
        ring.next();
        assert!(ring.is_focused(0));
        ring.focus(7);
        assert_eq!(ring.focused(), 0);
    }

    proptest! {
        #[test]
        fn panes_tile_the_area(width in 0u16..400, height in 0u16..120, a in 0u16..100, b in 0u16..100) {
            let area = Rect::new(3, 2, width, height);
            let specs = [PaneSpec { min_width: a, weight: 1 }, PaneSpec { min_width: b, weight: 3 }];
            let rects = panes(area, &specs);
            let covered: u32 = rects.iter().map(|r| u32::from(r.width) * u32::from(r.height)).sum();
            prop_assert_eq!(covered, u32::from(width) * u32::from(height));
            for r in rects {
                prop_assert!(area.contains(r.as_position()) || r.width == 0 || r.height == 0);
            }
        }
    }
}
