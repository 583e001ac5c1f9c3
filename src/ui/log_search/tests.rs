use super::*;
use crossterm::event::{KeyCode, KeyModifiers};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn search(lines: &[&str], query: &str) -> LogSearch {
    let mut s = LogSearch::default();
    for l in lines {
        s.keep(log::Level::Info, "health", l);
    }
    s.start();
    for c in query.chars() {
        s.on_key(&key(KeyCode::Char(c)));
    }
    s
}

#[test]
fn matches_count_from_the_oldest_and_start_at_the_newest() {
    let mut s = search(&["a web11", "b", "c WEB11", "d web11"], "web11");
    assert_eq!(s.position(), (3, 3));
    assert_eq!(s.on_key(&key(KeyCode::Enter)), SearchEdit::Kept);
    assert_eq!(s.step(1), (1, 3));
    assert_eq!(s.step(-1), (3, 3));
    assert_eq!(s.step(-1), (2, 3));
    // A capital letter makes it case-sensitive.
    let s = search(&["a web11", "c WEB11"], "WEB");
    assert_eq!(s.position(), (1, 1));
    let mut s = search(&["a"], "zz");
    assert_eq!(s.step(1), (0, 0));
    assert_eq!(s.on_key(&key(KeyCode::Esc)), SearchEdit::Cleared);
    assert!(!s.active());
}

#[test]
fn a_server_is_named_whole_and_not_under_another_backend() {
    assert!(names_server("Server hoge/web11 is DOWN", "hoge/web11"));
    assert!(names_server(
        "deleting web11's health_check.html",
        "hoge/web11"
    ));
    assert!(!names_server("Server hoge_l4/web11 is DOWN", "hoge/web11"));
    assert!(!names_server("Server hoge/web110 is DOWN", "hoge/web11"));
    assert!(!names_server("Server hoge/web10 is DOWN", "hoge/web11"));
}

#[test]
fn matches_are_highlighted_the_current_one_apart() {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let mut s = search(&["web11 went DOWN", "web10 fine", "web11 back UP"], "web11");
    s.on_key(&key(KeyCode::Enter));
    s.step(-1);
    let theme = Theme::resolve(Default::default(), None);
    let view = SearchView {
        theme,
        search: &s,
        clock: "T",
    };
    let mut term = Terminal::new(TestBackend::new(60, 6)).unwrap();
    term.draw(|f| render(f, f.area(), &view)).unwrap();
    let buf = term.backend().buffer().clone();
    let text = |y: u16| -> String { (0..60).map(|x| buf[(x, y)].symbol()).collect() };
    assert!(text(0).contains("/web11 · match 1/2"), "{}", text(0));
    assert!(
        text(1).starts_with("│T I health web11 went DOWN  "),
        "{}",
        text(1)
    );
    // `T I health ` is 11 wide, after the border: the match starts at x = 12.
    let plain = buf[(1, 1)].style();
    let style = |x: u16, y: u16| buf[(x, y)].style();
    assert_eq!(
        style(12, 1),
        plain.patch(theme.stale()),
        "the current match"
    );
    assert_eq!(
        style(16, 1),
        plain.patch(theme.stale()),
        "the current match"
    );
    assert_eq!(style(12, 3), plain.patch(theme.badge()), "another match");
    assert_eq!(style(12, 2), plain, "web10 is no match");
    assert_eq!(style(17, 1), plain, "after the match");
}
