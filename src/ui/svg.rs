//! Export of a rendered ratatui [`Buffer`] to SVG, for the screenshots in `screenshots/`: the
//! real cells the terminal would show, as monospace text with their colours and modifiers.
//!
//! Each run of cells with one style becomes one `<text>` with `textLength` set to the run's cell
//! width, so columns line up whatever the viewer's font; backgrounds are `<rect>`s. Named and
//! indexed colours go through a 16-colour palette (the terminal's, which the built-in themes
//! follow) and the xterm 256-colour cube.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// How the terminal is imitated.
#[derive(Debug, Clone, PartialEq)]
pub struct SvgOptions {
    pub font_family: String,
    pub font_size: f32,
    /// Width of one cell, in px.
    pub cell_width: f32,
    /// Height of one row, in px.
    pub cell_height: f32,
    /// The terminal's default colours (`Color::Reset`).
    pub foreground: Rgb,
    pub background: Rgb,
    /// ANSI colours 0-15.
    pub palette: [Rgb; 16],
}

impl Default for SvgOptions {
    /// A dark terminal (for the `default` and `high-contrast` themes).
    fn default() -> Self {
        SvgOptions {
            font_family: "'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace".into(),
            font_size: 14.0,
            cell_width: 8.4,
            cell_height: 18.0,
            foreground: Rgb(0xd4, 0xd4, 0xd4),
            background: Rgb(0x1e, 0x1e, 0x1e),
            palette: [
                Rgb(0x00, 0x00, 0x00),
                Rgb(0xcd, 0x31, 0x31),
                Rgb(0x0d, 0xbc, 0x79),
                Rgb(0xe5, 0xe5, 0x10),
                Rgb(0x24, 0x72, 0xc8),
                Rgb(0xbc, 0x3f, 0xbc),
                Rgb(0x11, 0xa8, 0xcd),
                Rgb(0xe5, 0xe5, 0xe5),
                Rgb(0x66, 0x66, 0x66),
                Rgb(0xf1, 0x4c, 0x4c),
                Rgb(0x23, 0xd1, 0x8b),
                Rgb(0xf5, 0xf5, 0x43),
                Rgb(0x3b, 0x8e, 0xea),
                Rgb(0xd6, 0x70, 0xd6),
                Rgb(0x29, 0xb8, 0xdb),
                Rgb(0xff, 0xff, 0xff),
            ],
        }
    }
}

impl SvgOptions {
    /// A light terminal (for the `light` theme).
    pub fn light() -> SvgOptions {
        SvgOptions {
            foreground: Rgb(0x33, 0x33, 0x33),
            background: Rgb(0xff, 0xff, 0xff),
            ..SvgOptions::default()
        }
    }

    fn colour(&self, colour: Color, foreground: bool) -> Rgb {
        let named = |index: usize| self.palette[index];
        match colour {
            Color::Reset => {
                if foreground {
                    self.foreground
                } else {
                    self.background
                }
            }
            Color::Black => named(0),
            Color::Red => named(1),
            Color::Green => named(2),
            Color::Yellow => named(3),
            Color::Blue => named(4),
            Color::Magenta => named(5),
            Color::Cyan => named(6),
            Color::Gray => named(7),
            Color::DarkGray => named(8),
            Color::LightRed => named(9),
            Color::LightGreen => named(10),
            Color::LightYellow => named(11),
            Color::LightBlue => named(12),
            Color::LightMagenta => named(13),
            Color::LightCyan => named(14),
            Color::White => named(15),
            Color::Rgb(r, g, b) => Rgb(r, g, b),
            Color::Indexed(index) => self.indexed(index),
        }
    }

    fn indexed(&self, index: u8) -> Rgb {
        match index {
            0..=15 => self.palette[index as usize],
            16..=231 => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
                let i = index - 16;
                Rgb(level(i / 36), level((i / 6) % 6), level(i % 6))
            }
            _ => {
                let gray = 8 + (index - 232) * 10;
                Rgb(gray, gray, gray)
            }
        }
    }
}

/// The look of one cell once colours are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Look {
    fg: Rgb,
    bg: Rgb,
    modifier: Modifier,
}

fn look(buffer: &Buffer, x: u16, y: u16, options: &SvgOptions) -> Look {
    let cell = &buffer[(x, y)];
    let (mut fg, mut bg) = (
        options.colour(cell.fg, true),
        options.colour(cell.bg, false),
    );
    if cell.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    Look {
        fg,
        bg,
        modifier: cell.modifier,
    }
}

/// The buffer as an SVG document.
pub fn to_svg(buffer: &Buffer, options: &SvgOptions) -> String {
    let area = buffer.area;
    let (cw, ch) = (options.cell_width, options.cell_height);
    let width = f32::from(area.width) * cw;
    let height = f32::from(area.height) * ch;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{}\" font-size=\"{}\">",
        escape(&options.font_family),
        px(options.font_size),
        w = px(width),
        h = px(height),
    );
    let _ = writeln!(
        svg,
        "<rect width=\"100%\" height=\"100%\" fill=\"{}\"/>",
        options.background.hex()
    );
    for row in 0..area.height {
        let y = area.y + row;
        backgrounds(&mut svg, buffer, y, options, f32::from(row) * ch);
    }
    for row in 0..area.height {
        let y = area.y + row;
        texts(&mut svg, buffer, y, options, f32::from(row) * ch);
    }
    svg.push_str("</svg>\n");
    svg
}

fn backgrounds(svg: &mut String, buffer: &Buffer, y: u16, options: &SvgOptions, top: f32) {
    let area = buffer.area;
    let mut x = area.x;
    while x < area.x + area.width {
        let bg = look(buffer, x, y, options).bg;
        let start = x;
        while x < area.x + area.width && look(buffer, x, y, options).bg == bg {
            x += 1;
        }
        if bg != options.background {
            let _ = writeln!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                px(f32::from(start - area.x) * options.cell_width),
                px(top),
                px(f32::from(x - start) * options.cell_width),
                px(options.cell_height),
                bg.hex()
            );
        }
    }
}

fn texts(svg: &mut String, buffer: &Buffer, y: u16, options: &SvgOptions, top: f32) {
    let area = buffer.area;
    let baseline = top + options.cell_height * 0.75;
    let mut x = area.x;
    while x < area.x + area.width {
        let first = look(buffer, x, y, options);
        let start = x;
        let mut text = String::new();
        while x < area.x + area.width {
            let current = look(buffer, x, y, options);
            if (current.fg, current.modifier) != (first.fg, first.modifier) {
                break;
            }
            let symbol = buffer[(x, y)].symbol();
            text.push_str(symbol);
            // A wide character covers the next cell too, which holds nothing to draw.
            let cells = crate::ui::text::width(symbol).max(1) as u16;
            x = (x + cells).min(area.x + area.width);
        }
        if text.trim().is_empty() || first.modifier.contains(Modifier::HIDDEN) {
            continue;
        }
        let mut attributes = format!("fill=\"{}\"", first.fg.hex());
        if first.modifier.contains(Modifier::BOLD) {
            attributes.push_str(" font-weight=\"bold\"");
        }
        if first.modifier.contains(Modifier::ITALIC) {
            attributes.push_str(" font-style=\"italic\"");
        }
        if first.modifier.contains(Modifier::DIM) {
            attributes.push_str(" opacity=\"0.6\"");
        }
        let decorations: Vec<&str> = [
            (Modifier::UNDERLINED, "underline"),
            (Modifier::CROSSED_OUT, "line-through"),
        ]
        .iter()
        .filter(|(m, _)| first.modifier.contains(*m))
        .map(|(_, name)| *name)
        .collect();
        if !decorations.is_empty() {
            let _ = write!(attributes, " text-decoration=\"{}\"", decorations.join(" "));
        }
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\" \
             xml:space=\"preserve\" {attributes}>{}</text>",
            px(f32::from(start - area.x) * options.cell_width),
            px(baseline),
            px(f32::from(x - start) * options.cell_width),
            escape(&text)
        );
    }
}

/// A length in px: at most two decimals, no trailing zeros.
fn px(value: f32) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Text safe inside XML content and attribute values; characters XML 1.0 forbids become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    /// A small well-formedness check: tags nest and close, attributes are quoted, and every
    /// `&` starts a known entity.
    fn check_xml(text: &str) -> Result<usize, String> {
        let mut stack: Vec<String> = Vec::new();
        let mut elements = 0;
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open])?;
            let after = &rest[open + 1..];
            let mut quote = None;
            let end = after
                .char_indices()
                .find(|&(_, c)| match quote {
                    Some(q) if c == q => {
                        quote = None;
                        false
                    }
                    Some(_) => false,
                    None if c == '"' || c == '\'' => {
                        quote = Some(c);
                        false
                    }
                    None => c == '>',
                })
                .map(|(i, _)| i)
                .ok_or("unclosed tag")?;
            let tag = &after[..end];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or("close without open")?;
                if open != name.trim() {
                    return Err(format!("</{name}> closes <{open}>"));
                }
            } else {
                let name: String = tag
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/')
                    .collect();
                if name.is_empty() {
                    return Err(format!("bad tag {tag:?}"));
                }
                for attribute in tag[name.len()..]
                    .trim()
                    .trim_end_matches('/')
                    .split_terminator("\" ")
                {
                    if !attribute.trim().is_empty() && !attribute.contains("=\"") {
                        return Err(format!("unquoted attribute {attribute:?}"));
                    }
                    check_text(attribute)?;
                }
                elements += 1;
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &after[end + 1..];
        }
        check_text(rest)?;
        if stack.is_empty() {
            Ok(elements)
        } else {
            Err(format!("unclosed {stack:?}"))
        }
    }

    fn check_text(text: &str) -> Result<(), String> {
        if text.contains('>') && !text.contains("=\"") {
            return Err(format!("raw > in {text:?}"));
        }
        let mut rest = text;
        while let Some(at) = rest.find('&') {
            let entity = &rest[at..];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e))
            {
                return Err(format!("bad entity in {text:?}"));
            }
            rest = &rest[at + 1..];
        }
        Ok(())
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("bell\u{7}"), "bell\u{fffd}");
    }

    #[test]
    fn the_checker_catches_broken_xml() {
        assert!(check_xml("<a><b/></a>").is_ok());
        assert!(check_xml("<a><b></a>").is_err());
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a x=1></a>").is_err());
    }

    #[test]
    fn buffers_become_valid_svg_with_styles() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 3));
        buffer.set_string(0, 0, "<svg> & \"q\"", Style::new().fg(Color::Red).bold());
        buffer.set_string(
            0,
            1,
            "selected",
            Style::new().fg(Color::Black).bg(Color::Cyan),
        );
        buffer.set_string(
            0,
            2,
            "rev",
            Style::new().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
        );
        buffer.set_string(10, 2, "日本", Style::new().fg(Color::Indexed(196)).italic());
        let svg = to_svg(&buffer, &SvgOptions::default());
        let elements = check_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert!(elements > 5);
        assert!(svg.contains("&lt;svg&gt; &amp; &quot;q&quot;"), "{svg}");
        assert!(
            svg.contains("fill=\"#cd3131\" font-weight=\"bold\""),
            "{svg}"
        );
        // The selection's background, and reversed video swapping the default colours.
        assert!(
            svg.contains("width=\"67.2\" height=\"18\" fill=\"#11a8cd\""),
            "{svg}"
        );
        assert!(
            svg.contains("fill=\"#1e1e1e\" text-decoration=\"underline\">rev<"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#d4d4d4\""), "{svg}");
        assert!(svg.contains("font-style=\"italic\">日本"), "{svg}");
        assert!(
            svg.contains("fill=\"#ff0000\""),
            "index 196 is pure red: {svg}"
        );
    }

    #[test]
    fn a_rendered_screen_exports() {
        let theme = crate::ui::testing::theme();
        let keymap = crate::config::Keymap::default();
        let help = crate::ui::help::HelpState::new(&keymap, crate::config::Mode::Logs);
        let buffer =
            crate::ui::testing::buffer(80, 24, |frame, area| help.render(frame, area, &theme));
        let svg = to_svg(&buffer, &SvgOptions::light());
        check_xml(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            svg.starts_with(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"672\" height=\"432\""
            )
        );
        assert!(svg.contains("Follow new log lines"));
    }
}
