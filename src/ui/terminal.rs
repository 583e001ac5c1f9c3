//! The real terminal: raw mode and the alternate screen on the way in, restored on every way
//! out (return, error, and a panic on any thread).

use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Raw mode and the alternate screen, drawn through stdout; undone again if any step fails.
pub fn enter() -> io::Result<CrosstermBackend<Stdout>> {
    enable_raw_mode()?;
    let entered = execute!(io::stdout(), EnterAlternateScreen);
    if entered.is_err() {
        ratatui::restore();
    }
    entered.map(|_| CrosstermBackend::new(io::stdout()))
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
            ratatui::restore();
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
