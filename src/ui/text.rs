//! Width-aware text helpers: truncation with an ellipsis, and highlighting of matched ranges.
//!
//! Widths are terminal columns (unicode-width), not bytes or chars, so CJK names and emoji in
//! labels never push a row past its column.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub const ELLIPSIS: char = '…';

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` columns, ending in `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = cut(text, max - 1).to_string();
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// The longest prefix of `text` that fits in `max` columns.
pub fn cut(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (index, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            return &text[..index];
        }
        used += w;
    }
    text
}

/// The byte index in `text` where column `skip` starts (for horizontal scrolling); a wide
/// character cut in half is skipped whole.
pub fn skip_columns(text: &str, skip: usize) -> &str {
    let mut used = 0;
    for (index, c) in text.char_indices() {
        if used >= skip {
            return &text[index..];
        }
        used += c.width().unwrap_or(0);
    }
    ""
}

/// Every case-insensitive occurrence of `needle` in `haystack`, as byte ranges of `haystack`.
/// Case folding is ASCII-only so ranges stay on the haystack's own char boundaries.
pub fn find_all(haystack: &str, needle: &str) -> Vec<Range<usize>> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return Vec::new();
    }
    let hay = haystack.as_bytes();
    let pin = needle.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start + pin.len() <= hay.len() {
        let window = &hay[start..start + pin.len()];
        if window.eq_ignore_ascii_case(pin) && haystack.is_char_boundary(start) {
            found.push(start..start + pin.len());
            start += pin.len();
        } else {
            start += 1;
        }
    }
    found
}

/// True when `needle` occurs in `haystack`, ignoring ASCII case.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Byte ranges of the chars at `char_indices` (sorted, as fuzzy matching reports them).
pub fn char_ranges(text: &str, char_indices: &[usize]) -> Vec<Range<usize>> {
    let mut wanted = char_indices.iter().copied().peekable();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (position, (byte, c)) in text.char_indices().enumerate() {
        while wanted.next_if(|&w| w < position).is_some() {}
        if wanted.next_if_eq(&position).is_some() {
            let end = byte + c.len_utf8();
            match ranges.last_mut() {
                Some(last) if last.end == byte => last.end = end,
                _ => ranges.push(byte..end),
            }
        }
    }
    ranges
}

/// `text` as spans: `base` everywhere, `highlight` patched over the byte `ranges`.
pub fn highlighted<'a>(
    text: &'a str,
    ranges: &[Range<usize>],
    base: Style,
    highlight: Style,
) -> Vec<Span<'a>> {
    let mut spans = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for range in ranges {
        let (start, end) = (range.start.max(at), range.end.min(text.len()));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            spans.push(Span::styled(&text[at..start], base));
        }
        spans.push(Span::styled(&text[start..end], base.patch(highlight)));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::styled(&text[at..], base));
    }
    spans
}

/// Spans cut to `max` columns (the last one ending in `…` when cut).
pub fn fit_spans<'a>(spans: Vec<Span<'a>>, max: usize) -> Line<'a> {
    let mut used = 0;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let w = width(&span.content);
        if used + w <= max {
            used += w;
            out.push(span);
            continue;
        }
        let room = max.saturating_sub(used);
        if room > 0 {
            let cut = truncate(&span.content, room).into_owned();
            out.push(Span::styled(cut, span.style));
        } else {
            // No room left at all: end the previous visible span with the ellipsis instead.
            while out.last().is_some_and(|last| width(&last.content) == 0) {
                out.pop();
            }
            if let Some(last) = out.pop() {
                let lw = width(&last.content);
                let mut text = cut(&last.content, lw - 1).to_string();
                text.push(ELLIPSIS);
                out.push(Span::styled(text, last.style));
            }
        }
        break;
    }
    Line::from(out)
}

/// `line` broken into lines of at most `width` columns, at character boundaries (styles kept).
/// Always at least one line.
pub fn wrap(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                if !piece.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                lines.push(Line::from(std::mem::take(&mut current)));
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            current.push(Span::styled(piece, span.style));
        }
    }
    lines.push(Line::from(current));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn truncate_adds_an_ellipsis_only_when_cutting() {
        assert_eq!(truncate("argocd", 6), "argocd");
        assert_eq!(truncate("argocd", 5), "argo…");
        assert_eq!(truncate("argocd", 1), "…");
        assert_eq!(truncate("argocd", 0), "");
        // Wide characters count two columns.
        assert_eq!(truncate("日本語", 5), "日本…");
        assert_eq!(truncate("日本語", 4), "日…");
    }

    #[test]
    fn find_all_is_case_insensitive_and_non_overlapping() {
        assert_eq!(find_all("Web web WEB", "web"), vec![0..3, 4..7, 8..11]);
        assert_eq!(find_all("aaaa", "aa"), vec![0..2, 2..4]);
        assert!(find_all("abc", "").is_empty());
        assert!(find_all("ab", "abc").is_empty());
        assert_eq!(find_all("é-web", "web"), vec![3..6]);
        assert!(contains_ignore_case("Jupyter-Hub", "HUB"));
        assert!(!contains_ignore_case("jupyter", "hubs"));
    }

    #[test]
    fn char_ranges_merge_adjacent_chars() {
        assert_eq!(char_ranges("keycloak", &[0, 1, 2, 5]), vec![0..3, 5..6]);
        assert_eq!(char_ranges("é-ab", &[0, 2]), vec![0..2, 3..4]);
    }

    #[test]
    fn highlighted_covers_the_text_once() {
        let base = Style::new();
        let hl = Style::new().bold();
        let spans = highlighted("argocd-server", &[0..2, 7..13], base, hl);
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "argocd-server");
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].style, hl);
        assert_eq!(spans[2].content, "server");
    }

    #[test]
    fn fit_spans_cuts_at_the_width() {
        let line = fit_spans(vec![Span::raw("abc"), Span::raw("defgh")], 6);
        assert_eq!(line.to_string(), "abcde…");
        assert_eq!(line.width(), 6);
        let line = fit_spans(vec![Span::raw("abc"), Span::raw("de")], 3);
        assert_eq!(line.to_string(), "ab…");
        let line = fit_spans(vec![Span::raw("abc"), Span::raw("de")], 5);
        assert_eq!(line.to_string(), "abcde");
    }

    #[test]
    fn skip_columns_scrolls_by_columns() {
        assert_eq!(skip_columns("abcdef", 2), "cdef");
        assert_eq!(skip_columns("日本語", 2), "本語");
        assert_eq!(skip_columns("ab", 5), "");
    }

    #[test]
    fn wrap_breaks_at_the_width_and_keeps_styles() {
        let bold = Style::new().bold();
        let line = Line::from(vec![Span::raw("abcd"), Span::styled("efgh", bold)]);
        let wrapped = wrap(&line, 3);
        let texts: Vec<String> = wrapped.iter().map(Line::to_string).collect();
        assert_eq!(texts, vec!["abc", "def", "gh"]);
        assert_eq!(wrapped[1].spans[1].style, bold);
        assert_eq!(wrap(&Line::default(), 5).len(), 1);
        let wide: Vec<String> = wrap(&Line::raw("日本語"), 4)
            .iter()
            .map(Line::to_string)
            .collect();
        assert_eq!(wide, vec!["日本", "語"]);
    }

    proptest! {
        #[test]
        fn wrapped_lines_fit(text in "\\PC{0,60}", width in 1usize..20) {
            let lines = wrap(&Line::raw(text.clone()), width);
            let joined: String = lines.iter().map(Line::to_string).collect();
            prop_assert_eq!(joined, text);
            for line in lines {
                prop_assert!(line.width() <= width.max(2));
            }
        }

        #[test]
        fn truncate_never_exceeds_the_width(text in "\\PC{0,40}", max in 0usize..30) {
            prop_assert!(width(&truncate(&text, max)) <= max);
        }

        #[test]
        fn fit_spans_never_exceeds_the_width(a in "\\PC{0,20}", b in "\\PC{0,20}", max in 0usize..30) {
            let line = fit_spans(vec![Span::raw(a), Span::raw(b)], max);
            prop_assert!(line.width() <= max);
        }
    }
}
