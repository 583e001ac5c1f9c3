//! HAProxy's `_getsocks` exchange: how one process hands its listening sockets to the next over
//! a unix socket (docs/haproxy-semantics.md §31). Both ends speak HAProxy 2.6's format, so lbtop
//! can take the sockets of a running HAProxy (`-x`) and HAProxy can take lbtop's:
//!
//! - the asker writes `_getsocks\n`;
//! - the giver writes the number of sockets as a native-endian 32-bit int, alone;
//! - then batches of at most [`MAX_SEND_FD`] descriptors, each batch one message carrying them
//!   as SCM_RIGHTS and, per descriptor, its network namespace's name and its interface's name
//!   (a length byte then the bytes, both empty here) and 4 zero bytes;
//! - the asker acknowledges each message it reads with 4 bytes, and the giver waits for that
//!   acknowledgement after every full batch.
//!
//! A giver with no socket to give, or a socket without `expose-fd listeners`, writes nothing and
//! closes. These functions block, bounded by [`TIMEOUT`] per read and write.

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// HAProxy's batch size: descriptors per message.
pub const MAX_SEND_FD: usize = 253;

/// How long one read or write may wait, as HAProxy's 1 s receive timeout.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// The command a new process sends.
pub const COMMAND: &[u8] = b"_getsocks\n";

/// Bytes describing one descriptor: empty namespace and interface names, then 4 zero bytes.
const DESCRIPTION: [u8; 6] = [0; 6];

/// The most descriptors lbtop accepts in one exchange (a giver claiming more is lying).
const MAX_FDS: usize = 65_536;

/// Gives `fds` to the peer that asked, in HAProxy's format. Nothing is written for none.
pub fn send(stream: &UnixStream, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
    if fds.is_empty() {
        return Ok(());
    }
    set_blocking(stream)?;
    let mut s = stream;
    s.write_all(&(fds.len() as i32).to_ne_bytes())?;
    for batch in fds.chunks(MAX_SEND_FD) {
        let raw: Vec<RawFd> = batch.iter().map(|fd| fd.as_raw_fd()).collect();
        let data = DESCRIPTION.repeat(batch.len());
        send_batch(stream, &data, &raw)?;
        if batch.len() == MAX_SEND_FD {
            let mut ack = [0u8; 4];
            s.read_exact(&mut ack)?;
        }
    }
    Ok(())
}

fn send_batch(stream: &UnixStream, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let iov = [IoSlice::new(data)];
    let cmsg = [ControlMessage::ScmRights(fds)];
    let fd = stream.as_raw_fd();
    let sent = retry_eintr(|| sendmsg::<()>(fd, &iov, &cmsg, MsgFlags::MSG_NOSIGNAL, None))?;
    if sent != data.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "failed to transfer sockets",
        ));
    }
    Ok(())
}

/// Asks the peer for its sockets (`_getsocks`) and receives them. Sockets bound to an interface
/// or inside a network namespace are closed: no lbtop bind could take them.
pub fn request(stream: &UnixStream) -> io::Result<Vec<OwnedFd>> {
    let got = exchange(stream)?;
    if got.fds.len() != got.announced {
        return Err(invalid(format!(
            "expected {} sockets from the old process, got {}",
            got.announced,
            got.fds.len()
        )));
    }
    let described: Vec<u8> = got.messages.iter().flat_map(|(d, _)| d.clone()).collect();
    keep_plain(got.fds, &described)
}

/// Everything one `_getsocks` exchange carried, as it came.
pub struct Exchange {
    /// The count the giver wrote first.
    pub announced: usize,
    /// Each later message: its bytes, and how many descriptors came with it.
    pub messages: Vec<(Vec<u8>, usize)>,
    pub fds: Vec<OwnedFd>,
}

/// Sends `_getsocks` and reads the answer until the announced descriptors came or the giver
/// closed; nothing is checked beyond the count's bounds.
pub fn exchange(stream: &UnixStream) -> io::Result<Exchange> {
    set_blocking(stream)?;
    let mut s = stream;
    s.write_all(COMMAND)?;
    let mut fds = Vec::new();
    let announced = read_count(stream, &mut fds)?;
    if announced > MAX_FDS {
        return Err(invalid(format!(
            "the old process announced {announced} sockets"
        )));
    }
    let mut messages = Vec::new();
    while fds.len() < announced {
        let (mut data, before) = (Vec::new(), fds.len());
        let n = recv_some(stream, &mut data, &mut fds)?;
        // Acknowledged as HAProxy's own asker does, after every message; a giver that has
        // nothing more to read them closes, which is not an error here.
        let _ = s.write_all(&0i32.to_ne_bytes());
        if n == 0 {
            break;
        }
        messages.push((data, fds.len() - before));
    }
    Ok(Exchange {
        announced,
        messages,
        fds,
    })
}

/// The 4-byte count; descriptors arriving with it (no giver sends them there) are kept.
fn read_count(stream: &UnixStream, fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    let mut count = Vec::with_capacity(4);
    while count.len() < 4 {
        let mut byte = Vec::new();
        let want = 4 - count.len();
        if recv_upto(stream, want, &mut byte, fds)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "failed to get the number of sockets to be transferred",
            ));
        }
        count.extend_from_slice(&byte);
    }
    let n = i32::from_ne_bytes([count[0], count[1], count[2], count[3]]);
    usize::try_from(n).map_err(|_| invalid(format!("the old process announced {n} sockets")))
}

/// One message: its bytes appended to `data`, its descriptors to `fds`; 0 at the end.
fn recv_some(stream: &UnixStream, data: &mut Vec<u8>, fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    // Room for a full batch's descriptions with the longest names HAProxy sends.
    recv_upto(stream, MAX_SEND_FD * (1 + 255 + 1 + 255 + 4), data, fds)
}

fn recv_upto(
    stream: &UnixStream,
    len: usize,
    data: &mut Vec<u8>,
    fds: &mut Vec<OwnedFd>,
) -> io::Result<usize> {
    let mut buf = vec![0u8; len];
    let mut space = nix::cmsg_space!([RawFd; MAX_SEND_FD]);
    let fd = stream.as_raw_fd();
    let (n, got) = retry_eintr(|| {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
        let mut got: Vec<RawFd> = Vec::new();
        for cmsg in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(r) = cmsg {
                got.extend(r);
            }
        }
        Ok((msg.bytes, got))
    })?;
    // SAFETY: SCM_RIGHTS gave this process new descriptors that nothing else owns.
    fds.extend(got.into_iter().map(|r| unsafe { OwnedFd::from_raw_fd(r) }));
    data.extend_from_slice(&buf[..n]);
    Ok(n)
}

/// Reads each descriptor's description, closing those tied to an interface or a namespace.
fn keep_plain(fds: Vec<OwnedFd>, described: &[u8]) -> io::Result<Vec<OwnedFd>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(fds.len());
    for fd in fds {
        let namespace = name(described, &mut at)?;
        let interface = name(described, &mut at)?;
        if at + 4 > described.len() {
            return Err(invalid("inconsistency while transferring sockets".into()));
        }
        at += 4;
        if namespace == 0 && interface == 0 {
            out.push(fd);
        }
    }
    Ok(out)
}

/// Skips one length-prefixed name; returns its length.
fn name(described: &[u8], at: &mut usize) -> io::Result<usize> {
    let len = *described
        .get(*at)
        .ok_or_else(|| invalid("inconsistency while transferring sockets".into()))?
        as usize;
    if *at + 1 + len > described.len() {
        return Err(invalid("inconsistency while transferring sockets".into()));
    }
    *at += 1 + len;
    Ok(len)
}

fn set_blocking(stream: &UnixStream) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))
}

fn retry_eintr<T>(mut f: impl FnMut() -> nix::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(nix::errno::Errno::EINTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn listeners(n: usize) -> Vec<std::net::TcpListener> {
        (0..n)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect()
    }

    /// More than two batches, so the acknowledgements are exercised both ways.
    #[test]
    fn sockets_cross_in_batches_with_acks() {
        let (giver, asker) = UnixStream::pair().unwrap();
        let ls = listeners(MAX_SEND_FD * 2 + 3);
        let addrs: Vec<_> = ls.iter().map(|l| l.local_addr().unwrap()).collect();
        let t = std::thread::spawn(move || {
            let mut cmd = [0u8; COMMAND.len()];
            (&giver).read_exact(&mut cmd).unwrap();
            assert_eq!(&cmd, COMMAND);
            let fds: Vec<BorrowedFd> = ls.iter().map(|l| l.as_fd()).collect();
            send(&giver, &fds).unwrap();
        });
        let got = request(&asker).unwrap();
        t.join().unwrap();
        let got: Vec<_> = got
            .into_iter()
            .map(|fd| std::net::TcpListener::from(fd).local_addr().unwrap())
            .collect();
        assert_eq!(got, addrs);
    }

    #[test]
    fn a_giver_that_closes_at_once_is_an_error() {
        let (giver, asker) = UnixStream::pair().unwrap();
        let t = std::thread::spawn(move || {
            let mut cmd = [0u8; COMMAND.len()];
            (&giver).read_exact(&mut cmd).unwrap();
        });
        let e = request(&asker).unwrap_err();
        t.join().unwrap();
        assert!(e.to_string().contains("number of sockets"), "{e}");
    }

    #[test]
    fn sockets_tied_to_an_interface_are_closed() {
        let (giver, asker) = UnixStream::pair().unwrap();
        let ls = listeners(2);
        let t = std::thread::spawn(move || {
            let mut cmd = [0u8; COMMAND.len()];
            (&giver).read_exact(&mut cmd).unwrap();
            (&giver).write_all(&2i32.to_ne_bytes()).unwrap();
            let mut data = vec![0u8, 2, b'l', b'o', 0, 0, 0, 0];
            data.extend_from_slice(&DESCRIPTION);
            let raw: Vec<RawFd> = ls.iter().map(|l| l.as_raw_fd()).collect();
            send_batch(&giver, &data, &raw).unwrap();
            ls[1].local_addr().unwrap()
        });
        let got = request(&asker).unwrap();
        let plain = t.join().unwrap();
        assert_eq!(got.len(), 1);
        let addr = std::net::TcpListener::from(got.into_iter().next().unwrap());
        assert_eq!(addr.local_addr().unwrap(), plain);
    }
}
