//! Fitting a server table to the terminal's width without ever cutting a number or a name
//! into a different value: every cell says what it reads in full and, where that is too
//! long, shorter forms that still say something true (`L7OK 200` without `in 3ms`); every
//! column has a priority. When the width is short, cells take their shortest forms and the
//! least important columns go whole; whatever room is left gives detail back, most important
//! column first. A cell that still does not fit shows `…` instead of a cut value, and a name
//! is cut only with the `…` that says so.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Terminal cells `s` takes.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// What marks a value left out or a name cut short.
pub const CUT: &str = "…";

/// Names are never shown shorter than this (with the marker), however narrow.
const NAME_LEAST: usize = 6;

/// One cell: its full text and shorter forms, longest first.
#[derive(Debug, Clone, Default)]
pub struct Txt {
    forms: Vec<String>,
    pub style: Style,
    /// A name: may be cut, with the marker, rather than left out.
    name: bool,
}

impl Txt {
    pub fn new(text: impl Into<String>) -> Txt {
        Txt {
            forms: vec![text.into()],
            ..Txt::default()
        }
    }

    /// A name (a server's, a backend's): cut with `…` when it must be.
    pub fn name(text: impl Into<String>) -> Txt {
        Txt {
            name: true,
            ..Txt::new(text)
        }
    }

    /// A shorter form that is still true, for when the full text does not fit.
    pub fn or(mut self, shorter: impl Into<String>) -> Txt {
        self.forms.push(shorter.into());
        self
    }

    pub fn style(mut self, style: Style) -> Txt {
        self.style = style;
        self
    }

    /// The full text.
    pub fn text(&self) -> &str {
        self.forms.first().map_or("", String::as_str)
    }

    fn want(&self) -> usize {
        width(self.text())
    }

    fn least(&self) -> usize {
        let shortest = self.forms.iter().map(|f| width(f)).min().unwrap_or(0);
        if self.name {
            shortest.min(NAME_LEAST)
        } else {
            shortest
        }
    }

    /// The longest form that fits `room`; a name cut with the marker; else the marker alone.
    pub fn fit(&self, room: usize) -> String {
        if let Some(form) = self.forms.iter().find(|f| width(f) <= room) {
            return form.clone();
        }
        if self.name && room > 1 {
            return super::fmt::clip(self.text(), room);
        }
        if room == 0 {
            String::new()
        } else {
            CUT.to_string()
        }
    }
}

impl From<String> for Txt {
    fn from(s: String) -> Txt {
        Txt::new(s)
    }
}

impl From<&str> for Txt {
    fn from(s: &str) -> Txt {
        Txt::new(s)
    }
}

/// A column as the fitting sees it: how important it is (0: never left out) and whether it
/// takes what is left (a sparkline has no natural width).
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub priority: u8,
    pub fill: bool,
}

/// Which columns are shown, left to right, and how wide each is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `(column index, width)`, in the columns' order.
    pub shown: Vec<(usize, u16)>,
}

impl Plan {
    /// The fill column's width, if it is shown.
    pub fn fill_width(&self, fits: &[Fit]) -> Option<u16> {
        self.shown
            .iter()
            .find(|(c, _)| fits[*c].fill)
            .map(|&(_, w)| w)
    }
}

/// Lays out columns `fits` with `cells[row][column]` (the header is a row too) in `avail`
/// cells, one cell of spacing between columns.
pub fn plan(fits: &[Fit], cells: &[Vec<Txt>], avail: u16) -> Plan {
    let n = fits.len();
    let measure = |f: fn(&Txt) -> usize| -> Vec<usize> {
        (0..n)
            .map(|c| {
                cells
                    .iter()
                    .filter_map(|row| row.get(c))
                    .map(f)
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    let want = measure(Txt::want);
    let mut least = measure(Txt::least);
    for (c, fit) in fits.iter().enumerate() {
        if fit.fill {
            least[c] = least[c].max(FILL_LEAST);
        }
    }
    let avail = usize::from(avail);
    let total = |shown: &[usize], w: &[usize]| -> usize {
        shown.iter().map(|&c| w[c]).sum::<usize>() + shown.len().saturating_sub(1)
    };
    let mut shown: Vec<usize> = (0..n).collect();
    let mut width: Vec<usize> = (0..n)
        .map(|c| if fits[c].fill { least[c] } else { want[c] })
        .collect();
    if total(&shown, &width) > avail {
        width.clone_from(&least);
        // The least important first; of equals, the rightmost.
        while total(&shown, &width) > avail {
            let Some(drop) = shown
                .iter()
                .copied()
                .filter(|&c| fits[c].priority > 0)
                .max_by_key(|&c| (fits[c].priority, c))
            else {
                break;
            };
            shown.retain(|&c| c != drop);
        }
        // Give detail back, the most important column first.
        let mut by_priority = shown.clone();
        by_priority.sort_by_key(|&c| (fits[c].priority, c));
        for c in by_priority {
            let left = avail.saturating_sub(total(&shown, &width));
            if !fits[c].fill {
                width[c] += left.min(want[c].saturating_sub(width[c]));
            }
        }
    }
    let left = avail.saturating_sub(total(&shown, &width));
    if let Some(&c) = shown.iter().find(|&&c| fits[c].fill) {
        width[c] += left;
    }
    Plan {
        shown: shown
            .into_iter()
            .map(|c| (c, u16::try_from(width[c]).unwrap_or(u16::MAX)))
            .collect(),
    }
}

/// Fits a title or a header line into `width` by leaving out whole pieces, the least
/// important (then the rightmost) first; pieces are `(priority, spans)`, priority 0 stays.
/// Returns the line and whether something was left out.
pub fn fit_pieces(
    mut pieces: Vec<(u8, Vec<Span<'static>>)>,
    width: usize,
) -> (Line<'static>, bool) {
    let size =
        |p: &[(u8, Vec<Span>)]| -> usize { p.iter().flat_map(|(_, s)| s).map(Span::width).sum() };
    let mut cut = false;
    while size(&pieces) > width {
        let Some(drop) = (0..pieces.len())
            .filter(|&i| pieces[i].0 > 0)
            .max_by_key(|&i| (pieces[i].0, i))
        else {
            break;
        };
        pieces.remove(drop);
        cut = true;
    }
    let spans: Vec<Span> = pieces.into_iter().flat_map(|(_, s)| s).collect();
    (Line::from(spans), cut)
}

/// A line of `width` at most: whole spans from the end go, and ` …` says so (apart, so it
/// cannot be read as the end of a cut name); no value is cut.
pub fn fit_end(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let style = line.style;
    let mut spans = line.spans;
    while !spans.is_empty() && spans.iter().map(Span::width).sum::<usize>() + 2 > width {
        spans.pop();
    }
    spans.push(Span::raw(format!(" {CUT}")));
    Line::from(spans).style(style)
}

/// A sparkline narrower than this says nothing.
const FILL_LEAST: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(priority: u8) -> Fit {
        Fit {
            priority,
            fill: false,
        }
    }

    #[test]
    fn cells_fit_whole_or_shorter_or_show_the_marker() {
        let check = Txt::new("L7OK 200 in 3ms").or("L7OK 200");
        assert_eq!(check.fit(20), "L7OK 200 in 3ms");
        assert_eq!(check.fit(10), "L7OK 200");
        assert_eq!(check.fit(7), "…");
        assert_eq!(Txt::new("3000").fit(3), "…");
        assert_eq!(Txt::name("web10").fit(4), "web…");
        assert_eq!(Txt::name("web10").fit(5), "web10");
    }

    #[test]
    fn the_least_important_columns_go_first_and_detail_comes_back() {
        let fits = [fit(0), fit(2), fit(1), fit(3)];
        let row = |a: &str, b: &str, c: Txt, d: &str| vec![a.into(), b.into(), c, d.into()];
        let cells = vec![row(
            "web10",
            "4697",
            Txt::new("L7OK 200 in 3ms").or("L7OK 200"),
            "127.0.0.1:8010",
        )];
        let all = plan(&fits, &cells, 100);
        assert_eq!(all.shown, vec![(0, 5), (1, 4), (2, 15), (3, 14)]);
        // At 28 column 3 goes and column 2 gets its detail back; at 20 only a cell of it.
        let p = plan(&fits, &cells, 28);
        assert_eq!(p.shown, vec![(0, 5), (1, 4), (2, 15)]);
        let p = plan(&fits, &cells, 20);
        assert_eq!(p.shown, vec![(0, 5), (1, 4), (2, 9)]);
        let p = plan(&fits, &cells, 12);
        assert_eq!(p.shown, vec![(0, 5)]);
    }

    #[test]
    fn the_fill_column_takes_what_is_left() {
        let fits = [
            fit(0),
            Fit {
                priority: 1,
                fill: true,
            },
        ];
        let cells = vec![vec![Txt::new("web10"), Txt::new("history")]];
        assert_eq!(plan(&fits, &cells, 30).shown, vec![(0, 5), (1, 24)]);
    }
}
