//! Regenerates `screenshots/*.svg`, one per dashboard view, from the fixed lab fixture
//! (`lbtop::ui::fixture`: fixed seed, fixed clock), drawn on ratatui's TestBackend:
//!
//! ```text
//! cargo run --example screenshots             # writes screenshots/1-status.svg … 6-log.svg
//! cargo run --example screenshots -- --text   # prints the same frames as plain text
//! ```
//!
//! The SVG is plain: one `<text>` per run of same-styled cells (foreground, background, bold,
//! underline, reverse), monospace, each run stretched to its exact cell width so the grid holds
//! whatever monospace font the viewer has. No dependencies beyond lbtop's own.

use lbtop::ui::{draw, fixture, Theme, View};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use std::fmt::Write as _;
use std::path::Path;

const WIDTH: u16 = 150;
const HEIGHT: u16 = 45;
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 18.0;
const FONT: f64 = 14.0;
const BG: &str = "#1c1c1c";
const FG: &str = "#d0d0d0";

fn main() -> std::io::Result<()> {
    let text = std::env::args().any(|a| a == "--text");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    if !text {
        std::fs::create_dir_all(&out)?;
    }
    fixture::lab_log_lines();
    let files = [
        (View::Status, "1-status"),
        (View::Traffic, "2-traffic"),
        (View::Http, "3-http"),
        (View::Errors, "4-errors"),
        (View::L4L7, "5-l4l7"),
        (View::Log, "6-log"),
    ];
    for (view, name) in files {
        let mut app = fixture::lab_app(Theme::COLORED, view);
        if view == View::Log {
            // The fixture's log has traffic lines: as if the user pressed `c`.
            app.sync_traffic_capture(true);
        }
        let mut terminal = match Terminal::new(TestBackend::new(WIDTH, HEIGHT)) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        if let Err(never) = terminal.draw(|frame| draw(frame, &app)) {
            match never {}
        }
        let mut buf = terminal.backend().buffer().clone();
        freeze_log_rate(&mut buf);
        let buf = &buf;
        if text {
            println!("=== {name} ===\n{}", plain(buf));
        } else {
            let path = out.join(format!("{name}.svg"));
            std::fs::write(&path, svg(buf, &format!("lbtop: {} view", view.title())))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// tui-logger titles its log `[log=N/s]`, from the lines' real timestamps. Under the fixture's
/// frozen clock every line has the same time, which the widget shows as `0.0`.
fn freeze_log_rate(buf: &mut Buffer) {
    const FROZEN: &str = "[log=0.0/s]";
    for y in 0..buf.area.height {
        let row: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let Some(start) = (0..row.len()).find(|&x| row[x..].concat().starts_with("[log=")) else {
            continue;
        };
        let Some(len) = (start..row.len())
            .find(|&x| row[x] == "]")
            .map(|end| end - start + 1)
        else {
            continue;
        };
        let after = (start + len).min(row.len() - 1) as u16;
        let filler = buf[(after, y)].clone();
        for (i, x) in (start..start + len).enumerate() {
            let x = x as u16;
            match FROZEN.chars().nth(i) {
                Some(c) => {
                    buf[(x, y)].set_char(c);
                }
                None => buf[(x, y)] = filler.clone(),
            }
        }
    }
}

fn plain(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// xterm-ish colours for the 16 named ones; RGB as is.
fn hex(c: Color, default: &str) -> String {
    let named = match c {
        Color::Reset => return default.to_string(),
        Color::Black => "#000000",
        Color::Red => "#e05252",
        Color::Green => "#3fbf5f",
        Color::Yellow => "#e0c040",
        Color::Blue => "#4a8fe0",
        Color::Magenta => "#c070d0",
        Color::Cyan => "#30b8c8",
        Color::Gray => "#c8c8c8",
        Color::DarkGray => "#7a7a7a",
        Color::LightRed => "#ff7070",
        Color::LightGreen => "#70ff90",
        Color::LightYellow => "#ffff70",
        Color::LightBlue => "#80b0ff",
        Color::LightMagenta => "#ff80ff",
        Color::LightCyan => "#80ffff",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return format!("#{0:02x}{0:02x}{0:02x}", i),
    };
    named.to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell's look once reverse video is applied.
#[derive(PartialEq, Clone)]
struct Look {
    fg: String,
    bg: String,
    bold: bool,
    underline: bool,
}

fn look(buf: &Buffer, x: u16, y: u16) -> Look {
    let cell = &buf[(x, y)];
    let (mut fg, mut bg) = (hex(cell.fg, FG), hex(cell.bg, BG));
    if cell.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    Look {
        fg,
        bg,
        bold: cell.modifier.contains(Modifier::BOLD),
        underline: cell.modifier.contains(Modifier::UNDERLINED),
    }
}

fn svg(buf: &Buffer, title: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let (pw, ph) = (f64::from(w) * CELL_W + 16.0, f64::from(h) * CELL_H + 16.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{pw:.0}" height="{ph:.0}" viewBox="0 0 {pw:.0} {ph:.0}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" rx="6" fill="{BG}"/><g transform="translate(8 8)" font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="{FONT}" xml:space="preserve">"#
    );
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let start = x;
            let first = look(buf, x, y);
            let mut text = String::new();
            while x < w && look(buf, x, y) == first {
                let sym = buf[(x, y)].symbol();
                text.push_str(if sym.is_empty() { " " } else { sym });
                x += 1;
            }
            let len = f64::from(x - start);
            let (px, py) = (f64::from(start) * CELL_W, f64::from(y) * CELL_H);
            if first.bg != BG {
                let _ = writeln!(
                    s,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{:.1}" height="{CELL_H}" fill="{}"/>"#,
                    len * CELL_W,
                    first.bg
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#"fill="{}""#, first.fg);
            if first.bold {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if first.underline {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            let _ = writeln!(
                s,
                r#"<text x="{px:.1}" y="{:.1}" textLength="{:.1}" lengthAdjust="spacingAndGlyphs" {attrs}>{}</text>"#,
                py + CELL_H * 0.75,
                len * CELL_W,
                escape(&text)
            );
        }
    }
    s.push_str("</g></svg>\n");
    s
}
