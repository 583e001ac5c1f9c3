//! Per-worker I/O buffers. A connection borrows one only while a request is in flight, so
//! thousands of idle keep-alive clients cost no buffer memory.

use std::cell::RefCell;

/// One request head fits (HAProxy's default `tune.bufsize` is 16 KiB).
pub const SIZE: usize = 16 * 1024;
/// Buffers kept per worker; beyond this, returned buffers are freed. A request in flight
/// holds up to four, and the allocator is quick enough that a burst need not be kept.
const KEEP: usize = 64;

thread_local! {
    static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with at least [`SIZE`] bytes of capacity.
pub fn take() -> Vec<u8> {
    FREE.with(|f| f.borrow_mut().pop())
        .unwrap_or_else(|| Vec::with_capacity(SIZE))
}

/// Hands a buffer back. Ones that grew far beyond [`SIZE`] are freed instead.
pub fn give(mut buf: Vec<u8>) {
    if buf.capacity() < SIZE || buf.capacity() > 4 * SIZE {
        return;
    }
    buf.clear();
    FREE.with(|f| {
        let mut free = f.borrow_mut();
        if free.len() < KEEP {
            free.push(buf);
        }
    });
}

/// Bytes read from a client and not yet used. Holds no allocation while empty and released.
#[derive(Default)]
pub struct Input {
    data: Vec<u8>,
    pos: usize,
}

impl Input {
    pub fn pending(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    pub fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    /// Makes room for a read: borrows a pool buffer if none is held (or only a small one, see
    /// [`Input::shrink`]), and moves unread bytes to the front.
    pub fn reserve(&mut self) -> &mut Vec<u8> {
        if self.pos > 0 {
            self.data.drain(..self.pos);
            self.pos = 0;
        }
        if self.data.capacity() < SIZE {
            let mut full = take();
            full.extend_from_slice(&self.data);
            self.data = full;
        } else if self.data.len() == self.data.capacity() {
            self.data.reserve(SIZE);
        }
        &mut self.data
    }

    /// Keeps a few unread bytes in an allocation of their own size and gives the pool buffer
    /// back: a client that sends a head a byte at a time (slowloris) then costs what it sent,
    /// not a whole buffer, while it waits.
    pub fn shrink(&mut self) {
        let pending = self.pending();
        if self.data.capacity() >= SIZE && pending.len() <= SIZE / 4 {
            let mut small = Vec::with_capacity(pending.len() + 64);
            small.extend_from_slice(pending);
            give(std::mem::replace(&mut self.data, small));
            self.pos = 0;
        }
    }

    /// Gives the buffer back to the pool once everything in it has been used, or keeps only
    /// the few bytes still unread (see [`Input::shrink`]).
    pub fn release(&mut self) {
        if self.is_empty() {
            give(std::mem::take(&mut self.data));
            self.pos = 0;
        } else {
            self.shrink();
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.data));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_keeps_unread_bytes_and_frees_when_done() {
        let mut input = Input::default();
        assert!(input.is_empty());
        input
            .reserve()
            .extend_from_slice(b"GET / HTTP/1.1\r\n\r\nGET");
        input.consume(18);
        assert_eq!(input.pending(), b"GET");
        input.release();
        assert_eq!(input.pending(), b"GET", "unread bytes stay");
        input.reserve().extend_from_slice(b" /b");
        assert_eq!(input.pending(), b"GET /b");
        input.consume(6);
        input.release();
        assert_eq!(input.data.capacity(), 0, "buffer went back to the pool");
        input.reserve().extend_from_slice(b"GET / HT");
        input.shrink();
        assert!(
            input.data.capacity() < 100,
            "a partial head keeps only its bytes"
        );
        input.reserve().extend_from_slice(b"TP/1.1");
        assert_eq!(input.pending(), b"GET / HTTP/1.1");
        assert!(take().capacity() >= SIZE);
    }
}
