//! A `maxconn` whose size the runtime API can change (`set maxconn frontend|global`,
//! docs/haproxy-semantics.md §32): a semaphore that grows by adding slots, and shrinks by
//! removing free slots at once and the rest as they come back, so connections already
//! running are never cut.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Connections at once, shared by every worker.
pub struct Limit {
    slots: Arc<Semaphore>,
    /// The size in force.
    size: AtomicUsize,
    /// Slots still to remove after a shrink: each one that comes back is dropped instead.
    debt: AtomicUsize,
    /// Serializes resizes (rare: runtime API commands), never taken by connections.
    resizing: Mutex<()>,
}

impl Limit {
    pub fn new(size: u32) -> Arc<Limit> {
        let size = size as usize;
        Arc::new(Limit {
            slots: Arc::new(Semaphore::new(size)),
            size: AtomicUsize::new(size),
            debt: AtomicUsize::new(0),
            resizing: Mutex::new(()),
        })
    }

    /// The size in force.
    pub fn size(&self) -> u32 {
        u32::try_from(self.size.load(Relaxed)).unwrap_or(u32::MAX)
    }

    /// Takes one unit of debt, if any is left.
    fn pay_one(&self) -> bool {
        self.debt
            .fetch_update(Relaxed, Relaxed, |d| d.checked_sub(1))
            .is_ok()
    }

    /// Changes the size: a larger one frees slots now (clients waiting get them at once), a
    /// smaller one takes free slots away now and busy ones as their connections end.
    pub fn resize(&self, size: u32) {
        let _serial = self.resizing.lock().unwrap_or_else(|e| e.into_inner());
        let new = size as usize;
        let old = self.size.swap(new, Relaxed);
        if new > old {
            let grow = new - old;
            let owed = self
                .debt
                .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(grow)))
                .unwrap_or(0);
            self.slots.add_permits(grow - owed.min(grow));
        } else if old > new {
            // Owed first, so a slot that comes back meanwhile is removed rather than freed;
            // what free slots then cover is taken off, and any removed twice put back.
            let shrink = old - new;
            self.debt.fetch_add(shrink, Relaxed);
            let removed = self.slots.forget_permits(shrink);
            let owed = self
                .debt
                .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(removed)))
                .unwrap_or(0);
            self.slots.add_permits(removed - owed.min(removed));
        }
    }

    /// Waits until a slot is free, without taking it; `None` if the limit was closed.
    pub async fn until_free(&self) -> Option<()> {
        loop {
            let permit = self.slots.acquire().await.ok()?;
            if self.debt.load(Relaxed) > 0 && self.pay_one() {
                permit.forget();
                continue;
            }
            return Some(());
        }
    }

    /// Takes a slot now, if one is free. A slot taken is given back with [`Limit::give_back`]
    /// (the semaphore's own permits are not kept: they would cost a shared count each).
    pub fn try_take(&self) -> bool {
        self.slots.try_acquire().map(|p| p.forget()).is_ok()
    }

    /// Takes a slot, waiting for one; `None` if the limit was closed.
    pub async fn take(&self) -> Option<()> {
        self.slots.acquire().await.ok()?.forget();
        Some(())
    }

    /// Gives a slot back, or removes it if the limit shrank meanwhile.
    pub fn give_back(&self) {
        // The usual case costs one read of a counter that stays 0.
        if self.debt.load(Relaxed) > 0 && self.pay_one() {
            return;
        }
        self.slots.add_permits(1);
    }

    /// Free slots now (for tests and the counters' sake).
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }
}

/// The open files limit the process runs with (`show info`'s `Ulimit-n` and `Maxsock`).
pub fn open_files() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given and nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0;
    if ok {
        r.rlim_cur
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_takes_free_slots_now_and_busy_ones_as_they_return() {
        let limit = Limit::new(3);
        assert!(limit.try_take() && limit.try_take());
        limit.resize(1);
        assert_eq!((limit.size(), limit.free()), (1, 0));
        limit.give_back();
        // Still one connection running: the limit of 1 is reached.
        assert!(!limit.try_take());
        limit.give_back();
        assert!(limit.try_take());
        assert!(!limit.try_take());
        limit.give_back();
        assert_eq!(limit.free(), 1);
    }

    #[test]
    fn growing_pays_the_debt_first() {
        let limit = Limit::new(2);
        assert!(limit.try_take() && limit.try_take());
        limit.resize(0);
        limit.resize(1);
        limit.give_back();
        limit.give_back();
        assert_eq!(limit.free(), 1);
        limit.resize(4);
        assert_eq!((limit.size(), limit.free()), (4, 4));
    }

    #[test]
    fn zero_admits_nobody_until_raised() {
        let limit = Limit::new(0);
        assert!(!limit.try_take());
        limit.resize(2);
        assert!(limit.try_take() && limit.try_take());
        assert!(!limit.try_take());
    }
}
