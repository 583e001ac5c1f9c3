use super::*;
use crossterm::event::KeyModifiers;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(p: &mut Prompt, text: &str) -> Outcome {
    for c in text.chars() {
        p.on_key(&key(KeyCode::Char(c)), &[]);
    }
    p.on_key(&key(KeyCode::Enter), &[])
}

#[test]
fn enter_runs_the_line_and_the_history_recalls_it() {
    let mut p = Prompt::default();
    p.open();
    assert_eq!(
        typed(&mut p, " show info "),
        Outcome::Run("show info".into())
    );
    assert!(p.editing().is_none());
    p.open();
    assert_eq!(typed(&mut p, "show stat"), Outcome::Run("show stat".into()));
    p.open();
    p.on_key(&key(KeyCode::Char('x')), &[]);
    p.on_key(&key(KeyCode::Up), &[]);
    assert_eq!(p.editing().unwrap().text(), "show stat");
    p.on_key(&key(KeyCode::Up), &[]);
    p.on_key(&key(KeyCode::Up), &[]);
    assert_eq!(p.editing().unwrap().text(), "show info");
    p.on_key(&key(KeyCode::Down), &[]);
    p.on_key(&key(KeyCode::Down), &[]);
    // Below the newest: the line being typed, as it was.
    assert_eq!(p.editing().unwrap().text(), "x");
    assert_eq!(p.on_key(&key(KeyCode::Esc), &[]), Outcome::Closed);
    p.open();
    assert_eq!(typed(&mut p, "   "), Outcome::Closed);
    assert_eq!(p.history(), ["show info", "show stat"]);
}

#[test]
fn an_answer_that_never_comes_is_said_once_after_the_timeout() {
    let mut p = Prompt::default();
    p.sent("show info");
    let t0 = Instant::now();
    assert_eq!(p.tick(t0), None);
    assert_eq!(p.tick(t0 + Duration::from_secs(4)), None);
    assert_eq!(
        p.tick(t0 + ANSWER_TIMEOUT).as_deref(),
        Some("show info: no answer within 5 s")
    );
    assert_eq!(p.tick(t0 + ANSWER_TIMEOUT * 2), None);
    assert_eq!(p.waiting(), None);
}

#[test]
fn one_line_answers_go_to_the_status_line_and_long_ones_to_the_pane() {
    let mut p = Prompt::default();
    p.sent("set server hoge/web11 state drain");
    let done = p.answered("set server hoge/web11 state drain", "\n", false);
    assert_eq!(
        done,
        Shown::Status("set server hoge/web11 state drain → done".into())
    );
    assert_eq!(p.waiting(), None);
    let denied = p.answered("set server a/b state drain", "Permission denied\n\n", false);
    assert_eq!(
        denied,
        Shown::Status("set server a/b state drain → Permission denied".into())
    );
    let attached = p.answered("x", "x → h1: done · h2: No such server.", true);
    assert_eq!(
        attached,
        Shown::Status("x → h1: done · h2: No such server.".into())
    );
    assert_eq!(
        p.answered("show stat", "# a,b\nc,d\n\n", false),
        Shown::Pane
    );
    let pane = p.pane().unwrap();
    assert_eq!(pane.lines, ["# a,b", "c,d"]);
    assert!(p.scroll_pane(&key(KeyCode::PageDown), 1));
    assert_eq!(p.pane().unwrap().top, 1);
    assert!(p.scroll_pane(&key(KeyCode::Right), 1));
    assert_eq!(p.pane().unwrap().left, 5);
    assert!(!p.scroll_pane(&key(KeyCode::Char('x')), 1));
    p.close_pane();
    assert!(p.pane().is_none());
}
