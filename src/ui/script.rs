//! Driving the real loop ([`run_with`](super::run_with)) without a terminal, as a person
//! would: wait until the screen shows something, press a key, and so on. The clock moves only
//! while the script waits, so the loop's sampling and frame pacing follow the script.
//!
//! Test support, compiled only with the `fixture` feature.

use super::event_loop::{Clock, Input};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A clock that stands still until told to move. Clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A condition on the screen's text, named for the error when it never holds.
type Probe = Box<dyn FnMut(&str) -> bool>;

enum Step {
    Event(Event),
    Wait { what: String, probe: Probe },
}

/// Keys to press, each once the screen is ready for it. Waits are bounded: a wait that
/// times out ends the loop with an error that shows the screen.
pub struct Script {
    steps: VecDeque<Step>,
    clock: ManualClock,
    /// The last frame drawn, as text, one line per row.
    screen: String,
    /// How long (really) one wait may take.
    patience: Duration,
    /// When the current wait began (real time).
    waiting_since: Option<Instant>,
}

/// At most this much real time passes per idle poll; the manual clock moves by what the
/// loop asked to wait, so virtual and real time stay close.
const NAP: Duration = Duration::from_millis(50);

impl Script {
    /// A script that moves `clock` while it waits.
    pub fn new(clock: &ManualClock) -> Script {
        Script {
            steps: VecDeque::new(),
            clock: clock.clone(),
            screen: String::new(),
            patience: Duration::from_secs(20),
            waiting_since: None,
        }
    }

    /// How long a wait may take before the script gives up (20 s unless told).
    pub fn patience(mut self, patience: Duration) -> Script {
        self.patience = patience;
        self
    }

    /// Presses a character key.
    pub fn key(self, c: char) -> Script {
        self.code(KeyCode::Char(c))
    }

    /// Presses a named key (or a character).
    pub fn code(mut self, code: KeyCode) -> Script {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.steps.push_back(Step::Event(Event::Key(key)));
        self
    }

    /// Any terminal event.
    pub fn event(mut self, event: Event) -> Script {
        self.steps.push_back(Step::Event(event));
        self
    }

    /// Waits until `text` is on screen.
    pub fn wait_for(self, text: &str) -> Script {
        let needle = text.to_string();
        self.wait_until(&format!("{text:?} on screen"), move |s| s.contains(&needle))
    }

    /// Waits until the screen's text satisfies `probe`.
    pub fn wait_until(mut self, what: &str, probe: impl FnMut(&str) -> bool + 'static) -> Script {
        self.steps.push_back(Step::Wait {
            what: what.to_string(),
            probe: Box::new(probe),
        });
        self
    }

    /// The last frame drawn, one line per row.
    pub fn screen(&self) -> &str {
        &self.screen
    }

    /// Steps not done yet (a wait in progress counts).
    pub fn remaining(&self) -> usize {
        self.steps.len()
    }
}

impl Input for Script {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        loop {
            match self.steps.front_mut() {
                None => {
                    return Err(io::Error::other(format!(
                        "the script ended and the dashboard is still running; screen:\n{}",
                        self.screen
                    )))
                }
                Some(Step::Event(_)) => {
                    let Some(Step::Event(event)) = self.steps.pop_front() else {
                        unreachable!("the front step is an event");
                    };
                    return Ok(Some(event));
                }
                Some(Step::Wait { what, probe }) => {
                    if probe(&self.screen) {
                        self.steps.pop_front();
                        self.waiting_since = None;
                        continue;
                    }
                    let since = *self.waiting_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > self.patience {
                        return Err(io::Error::other(format!(
                            "waited {:?} for {what}; screen:\n{}",
                            self.patience, self.screen
                        )));
                    }
                    // Nothing to press yet: the time the loop was willing to wait passes.
                    self.clock.advance(timeout);
                    std::thread::sleep(timeout.min(NAP));
                    return Ok(None);
                }
            }
        }
    }

    fn shown(&mut self, screen: &Buffer) {
        let area = screen.area;
        self.screen = (area.top()..area.bottom())
            .map(|y| {
                (area.left()..area.right())
                    .map(|x| screen[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
}
