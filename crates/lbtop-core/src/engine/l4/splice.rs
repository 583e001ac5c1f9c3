//! Linux `splice(2)` for L4 relaying: bytes go socket → pipe → socket inside the kernel, never
//! through user space (HAProxy's `option splice-auto` does the same).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Bytes moved per splice call; the pipe is sized to hold them.
const CHUNK: usize = 64 * 1024;

/// One direction's pipe.
pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    pub fn new() -> io::Result<Pipe> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and now owned here only.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // A larger pipe means fewer calls; failure just keeps the default size.
        // SAFETY: F_SETPIPE_SZ on a pipe descriptor we own.
        unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, CHUNK as libc::c_int) };
        Ok(Pipe { read, write })
    }
}

fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: plain descriptors, no user buffers involved.
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Which end of a one-way relay failed: the log blames the side that broke (`CD` or `SD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    Reading,
    Writing,
}

/// Moves everything `src` sends to `dst` until `src` closes, then half-closes `dst`.
/// Each chunk is added to `moved` and `total` as it goes, and `touch` is called on progress.
pub async fn one_way(
    src: &TcpStream,
    dst: &TcpStream,
    pipe: &Pipe,
    moved: &AtomicU64,
    total: &AtomicU64,
    touch: &(dyn Fn() + Sync),
) -> Result<(), Failed> {
    let (src_fd, dst_fd) = (src.as_raw_fd(), dst.as_raw_fd());
    loop {
        let mut in_pipe = loop {
            src.readable().await.map_err(|_| Failed::Reading)?;
            match src.try_io(Interest::READABLE, || {
                splice(src_fd, pipe.write.as_raw_fd(), CHUNK)
            }) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(_) => return Err(Failed::Reading),
            }
        };
        if in_pipe == 0 {
            // SAFETY: shutting down the write side of a socket we hold.
            unsafe { libc::shutdown(dst_fd, libc::SHUT_WR) };
            return Ok(());
        }
        moved.fetch_add(in_pipe as u64, Relaxed);
        total.fetch_add(in_pipe as u64, Relaxed);
        touch();
        while in_pipe > 0 {
            dst.writable().await.map_err(|_| Failed::Writing)?;
            match dst.try_io(Interest::WRITABLE, || {
                splice(pipe.read.as_raw_fd(), dst_fd, in_pipe)
            }) {
                Ok(n) => in_pipe -= n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(_) => return Err(Failed::Writing),
            }
        }
    }
}
