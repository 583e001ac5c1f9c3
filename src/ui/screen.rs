//! The whole frame: header, the current view, a strip of recent events, the footer, and
//! popups (help, a confirmation) on top. Each part is handed only the pieces of [`App`] it
//! draws; drawing changes nothing.

use super::app::App;
use super::config_view::{self, ConfigView};
use super::decisions::{self, Decisions};
use super::detail::{self, Detail};
use super::footer::{self, Footer};
use super::header::{self, Header};
use super::help::{self, Help};
use super::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use super::table::{self, Tables};
use super::theme::Theme;
use super::{confirm, input::KeysInForce};
use super::{log_search, prompt};
use crate::keys::{Action, View};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = app.theme;
    let Some(areas) = layout::areas(area, app.view, || app.tables_height()) else {
        too_small(frame, area, theme);
        return;
    };
    let header = Header {
        theme,
        view: app.view,
        stats: app.stats(),
        lab: app.lab(),
        capturing: app.log().capturing(),
        hidden: (app.view.has_servers() && app.servers().down_only())
            .then(|| app.servers().hidden(app.view, app.stats())),
    };
    header::render(frame, areas.top, &header);
    match app.view {
        View::Status | View::Traffic | View::Http | View::Errors if app.detail_open() => {
            detail::render(frame, areas.body, &detail_of(app));
        }
        View::Status | View::Traffic | View::Http | View::Errors => {
            let tables = Tables {
                theme,
                view: app.view,
                stats: app.stats(),
                servers: app.servers(),
                admin: app.admin(),
                node: app.node(),
            };
            table::render(frame, areas.body, &tables);
        }
        View::L4L7 => {
            let decisions = Decisions {
                theme,
                stats: app.stats(),
                recent: app.recent(),
                config: app.config(),
            };
            decisions::render(frame, areas.body, &decisions);
        }
        View::Log if app.log_search().active() => {
            let view = log_search::SearchView {
                theme,
                search: app.log_search(),
                clock: app.log().clock(),
            };
            log_search::render(frame, areas.body, &view);
        }
        View::Log => {
            let key = app.keymap().label(Action::CaptureTraffic);
            app.log().render(frame, areas.body, theme, &key);
        }
        View::Config => {
            let view = ConfigView {
                theme,
                config: app.config(),
                keys: app.keymap(),
                scroll: app.config_scroll(),
            };
            config_view::render(frame, areas.body, &view);
        }
    }
    if areas.strip > 0 {
        app.log().render_strip(frame, areas.events, theme);
    }
    let keys = KeysInForce {
        map: app.keymap(),
        read_only: app.read_only,
        demo: app.lab().has_demo(),
        attached: app.stats().attached(),
    };
    let footer = Footer {
        theme,
        view: app.view,
        keys,
        status: app.status_line(),
        servers: app.servers(),
    };
    footer::render(frame, areas.bottom, &footer);
    if let Some(w) = app.weight_edit() {
        let row = Rect {
            y: areas.bottom.bottom().saturating_sub(1),
            height: 1,
            ..areas.bottom
        };
        w.line.render(frame, row, &w.prompt, theme.key());
    }
    log_search::render_edit(frame, areas.bottom, theme, app.log_search());
    let between = areas.body.union(areas.events);
    prompt::pane::render(
        frame,
        between,
        areas.bottom,
        theme,
        app.prompt(),
        app.read_only,
    );
    if app.show_help {
        let help = Help {
            theme,
            view: app.view,
            keys,
            scroll: app.help_scroll(),
        };
        help::render(frame, area, &help);
    }
    if let Some(c) = app.admin().confirm() {
        confirm::render(frame, area, theme, c);
    }
}

fn detail_of(app: &App) -> Detail<'_> {
    let selected = app.servers().selected();
    let label = selected.map(|id| app.stats().server_label(id));
    let drains = app.admin().drains();
    Detail {
        theme: app.theme,
        stats: app.stats(),
        selected,
        config: app.config(),
        trail: label.as_deref().and_then(|l| app.trail().get(l)),
        node: app.node(),
        drain: selected.and_then(|id| Some(drains.job(id)?.progress())),
    }
}

fn too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = vec![
        Line::from(format!(
            "terminal too small: {}x{}",
            area.width, area.height
        )),
        Line::from(format!("lbtop needs at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::from("(q quits)"),
    ];
    let middle = area.centered_vertically(Constraint::Length(lines.len() as u16));
    let msg = Paragraph::new(lines)
        .centered()
        .style(theme.warn())
        .wrap(Wrap { trim: true });
    frame.render_widget(msg, middle);
}
