//! The recent L4/L7 decisions: a small ring of finished sessions per frontend, which the L4/L7
//! view shows, and whether it is paused.

use crate::events::SessionRecord;
use std::collections::VecDeque;

/// Recent decisions kept per frontend for the L4/L7 view.
pub const DECISIONS_KEPT: usize = 64;

#[derive(Debug, Default)]
pub struct Recent {
    rings: Vec<VecDeque<SessionRecord>>,
    paused: bool,
}

impl Recent {
    /// A frontend's kept decisions, oldest first.
    pub fn decisions(&self, frontend: usize) -> impl DoubleEndedIterator<Item = &SessionRecord> {
        self.rings.get(frontend).into_iter().flatten()
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Keeps one finished session, unless paused. Returns whether it was kept.
    pub(super) fn push(&mut self, record: SessionRecord) -> bool {
        if self.paused {
            return false;
        }
        let f = record.frontend;
        if self.rings.len() <= f {
            self.rings.resize_with(f + 1, VecDeque::new);
        }
        let ring = &mut self.rings[f];
        if ring.len() == DECISIONS_KEPT {
            ring.pop_front();
        }
        ring.push_back(record);
        true
    }

    pub(super) fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }
}
