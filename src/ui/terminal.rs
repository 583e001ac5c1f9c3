//! The real terminal: raw mode, the alternate screen and mouse capture on the way in, all
//! restored on every way out (return, error, and a panic on any thread). While the mouse is
//! captured, most terminals still select text with Shift held.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Raw mode, the alternate screen and mouse capture, drawn through stdout; undone again if
/// any step fails.
pub fn enter() -> io::Result<CrosstermBackend<Stdout>> {
    enable_raw_mode()?;
    let entered = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture);
    if entered.is_err() {
        restore();
    }
    entered.map(|_| CrosstermBackend::new(io::stdout()))
}

/// The terminal as it was: mouse capture off (else the shell would get mouse reports as
/// typed text), then ratatui's restore (raw mode off, main screen back).
pub fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// Set by the panic hook: a panic anywhere (an engine thread too) has already restored the
/// terminal, so the loop must stop drawing into it.
static PANICKED: AtomicBool = AtomicBool::new(false);

pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive, panics restore the terminal before the previous hook prints, so the message
/// lands on a sane screen. Dropping it puts the previous hook back alone.
pub struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    pub fn install() -> PanicHook {
        let previous: Arc<Hook> = Arc::new(panic::take_hook());
        let chained = previous.clone();
        panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            chained(info);
        }));
        PanicHook { previous }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        // The hook cannot be swapped while unwinding; ours stays, and the process is ending.
        if std::thread::panicking() {
            return;
        }
        let _ = panic::take_hook();
        let previous = self.previous.clone();
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}
