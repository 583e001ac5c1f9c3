//! Where everything goes on a terminal of a given size: header, the current view, a strip of
//! recent events, the footer. A pure function of the size and what the view needs, so the
//! keys (PgUp/PgDn move by what one screen shows) and drawing agree without drawing having
//! to report back.

use crate::keys::View;
use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the tables cannot make sense.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Lines of the events strip under the non-log views, by terminal height.
fn strip_height(height: u16) -> u16 {
    match height {
        0..=19 => 0,
        20..=29 => 4,
        30..=39 => 6,
        _ => 8,
    }
}

/// The frame's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub top: Rect,
    pub body: Rect,
    pub events: Rect,
    /// Lines asked for the events strip; none on the log view or a short terminal.
    pub strip: u16,
    pub bottom: Rect,
}

/// The parts of a frame of `area` on `view`, or `None` when the terminal is too small.
/// `needed` is what a server view's tables need (see `table::height_needed`); it is asked
/// only when it matters.
pub fn areas(area: Rect, view: View, needed: impl FnOnce() -> u16) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    // Header and footer take two lines each; the view and the events strip share the rest.
    // A server view takes what its tables need and leaves the remainder to the events.
    let avail = area.height.saturating_sub(4);
    let strip = match view {
        View::Log | View::Config => 0,
        View::L4L7 => strip_height(area.height),
        _ if strip_height(area.height) == 0 => 0,
        _ => {
            let body = needed()
                .min(avail.saturating_sub(strip_height(area.height)))
                .max(4);
            avail.saturating_sub(body)
        }
    };
    let [top, body, events, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(strip),
        Constraint::Length(2),
    ])
    .areas(area);
    Some(Areas {
        top,
        body,
        events,
        strip,
        bottom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_view_takes_what_its_tables_need_and_the_events_the_rest() {
        let a = areas(Rect::new(0, 0, 150, 45), View::Status, || 20).unwrap();
        assert_eq!((a.top.height, a.body.height, a.bottom.height), (2, 20, 2));
        assert_eq!((a.strip, a.events.height), (21, 21));
        // Tables taller than the screen leave the strip its usual share.
        let a = areas(Rect::new(0, 0, 150, 45), View::Status, || 200).unwrap();
        assert_eq!((a.body.height, a.strip), (33, 8));
        let a = areas(Rect::new(0, 0, 150, 45), View::Log, || unreachable!()).unwrap();
        assert_eq!((a.body.height, a.strip), (41, 0));
        assert!(areas(Rect::new(0, 0, 59, 45), View::Status, || 1).is_none());
        assert!(areas(Rect::new(0, 0, 60, 14), View::Status, || 1).is_none());
    }
}
