//! The client sockets as a busy script sees them (`server::busy`): while a
//! script runs past `busy-reply-threshold` the node is inside one input and
//! the event loop cannot turn, so the probe reads and writes the sockets
//! directly, without waiting (7.0's processEventsWhileBlocked).
//!
//! tokio's own `try_read` would not do: it trusts the readiness its reactor
//! last saw, and the reactor does not run during the script. The sockets are
//! non-blocking, so plain `recv` / `send` with MSG_DONTWAIT take what is
//! there; the reader tasks then find nothing left and wait again.
//!
//! The host and its node share one thread, so thread-locals need no lock.

use crate::node::{Addr, BusyInput, ConnId};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::RawFd;

#[derive(Default)]
struct Sockets {
    /// The listening sockets.
    listeners: Vec<RawFd>,
    /// The last connection id handed out (the host's and the polls' alike).
    last_conn: u64,
    /// Connections accepted during a script, for the host to take over.
    accepted: Vec<(ConnId, std::net::TcpStream)>,
    /// Client connections by id (ordered: clients are served in id order).
    fds: BTreeMap<ConnId, RawFd>,
    /// Connections whose end of stream a busy poll saw: the node heard it,
    /// the reader task must not tell it again.
    closed: BTreeSet<ConnId>,
    /// Reply bytes a socket did not take during the script, in order: the
    /// host queues them before anything else once the script ends.
    leftover: Vec<(ConnId, Vec<u8>)>,
}

thread_local! {
    static SOCKETS: RefCell<Sockets> = RefCell::new(Sockets::default());
    /// Something a busy script left for the host (accepted connections,
    /// closes seen, unsent replies): without it, which is nearly always,
    /// the host's checks on every read stop at this flag.
    static LEFT: Cell<bool> = const { Cell::new(false) };
}

/// Set the flag from what the sockets hold.
fn note_left(s: &Sockets) {
    let left = !s.accepted.is_empty() || !s.closed.is_empty() || !s.leftover.is_empty();
    LEFT.with(|l| l.set(left));
}

fn nothing_left() -> bool {
    !LEFT.with(|l| l.get())
}

/// A listening socket the busy poll accepts on.
pub fn listen(fd: RawFd) {
    SOCKETS.with(|s| s.borrow_mut().listeners.push(fd));
}

/// The node is exiting: refuse new connections from now on, as Redis
/// closes its listening sockets before it exits (a client that saw its
/// connection close must not reach the dying process).
pub fn stop_listening() {
    SOCKETS.with(|s| {
        for fd in std::mem::take(&mut s.borrow_mut().listeners) {
            // SAFETY: a listening socket the host keeps open; shutting it
            // down (not closing it) leaves tokio's registration valid.
            unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
        }
    });
}

/// A new connection's id.
pub fn next_conn() -> ConnId {
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        s.last_conn += 1;
        ConnId(s.last_conn)
    })
}

/// The connections a busy poll accepted, for the host to register.
pub fn take_accepted() -> Vec<(ConnId, std::net::TcpStream)> {
    if nothing_left() {
        return Vec::new();
    }
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        let taken = std::mem::take(&mut s.accepted);
        note_left(&s);
        taken
    })
}

fn addr_of(a: std::io::Result<std::net::SocketAddr>) -> Addr {
    a.map(|a| Addr::new(a.ip().to_string(), a.port()))
        .unwrap_or(Addr::new("0.0.0.0", 0))
}

/// Accept what waits on the listeners (non-blocking sockets).
fn accept_all(s: &mut Sockets, out: &mut Vec<BusyInput>) {
    use std::os::fd::FromRawFd;
    for i in 0..s.listeners.len() {
        loop {
            // SAFETY: a listening socket the host keeps open for the whole
            // run; null address arguments are allowed.
            let fd = unsafe {
                libc::accept4(
                    s.listeners[i],
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                )
            };
            if fd < 0 {
                break;
            }
            // SAFETY: accept4 just returned this descriptor; the stream owns it.
            let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
            let _ = stream.set_nodelay(true);
            s.last_conn += 1;
            let conn = ConnId(s.last_conn);
            out.push(BusyInput::Accepted {
                conn,
                peer: addr_of(stream.peer_addr()),
                local: addr_of(stream.local_addr()),
            });
            s.fds.insert(conn, fd);
            s.accepted.push((conn, stream));
            note_left(s);
        }
    }
}

/// A client connection the busy poll reads.
pub fn register(conn: ConnId, fd: RawFd) {
    SOCKETS.with(|s| s.borrow_mut().fds.insert(conn, fd));
}

/// The connection's reader is done: its socket may close at any time.
pub fn forget(conn: ConnId) {
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        s.fds.remove(&conn);
        s.closed.remove(&conn);
        note_left(&s);
    });
}

/// Whether a busy poll already reported the connection closed (and forgot it).
pub fn closed_while_busy(conn: ConnId) -> bool {
    if nothing_left() {
        return false;
    }
    SOCKETS.with(|s| s.borrow().closed.contains(&conn))
}

/// Everything the client sockets hold now; a socket at its end (or failed)
/// is reported closed once.
pub fn poll() -> Vec<BusyInput> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        accept_all(&mut s, &mut out);
        let mut gone = Vec::new();
        for (&conn, &fd) in &s.fds {
            let mut data = Vec::new();
            let closed = loop {
                // SAFETY: `fd` is an open socket (its reader task holds it and
                // forgets it here before dropping it); `buf` is writable.
                let n = unsafe {
                    libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
                };
                match n {
                    0 => break true,
                    n if n > 0 => data.extend_from_slice(&buf[..n as usize]),
                    _ => {
                        let e = std::io::Error::last_os_error();
                        match e.kind() {
                            std::io::ErrorKind::WouldBlock => break false,
                            std::io::ErrorKind::Interrupted => continue,
                            _ => break true,
                        }
                    }
                }
            };
            if !data.is_empty() {
                out.push(BusyInput::Data { conn, bytes: data });
            }
            if closed {
                out.push(BusyInput::Closed { conn });
                gone.push(conn);
            }
        }
        for conn in gone {
            s.fds.remove(&conn);
            s.closed.insert(conn);
        }
        note_left(&s);
    });
    out
}

/// Wait until `conn` sends something (or goes away: `None`).
pub fn read_waiting(conn: ConnId) -> Option<Vec<u8>> {
    let fd = SOCKETS.with(|s| s.borrow().fds.get(&conn).copied())?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; the socket stays open (see `poll`).
        unsafe { libc::poll(&mut pfd, 1, -1) };
        // SAFETY: as in `poll`.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        match n {
            n if n > 0 => return Some(buf[..n as usize].to_vec()),
            0 => return None,
            _ => match std::io::Error::last_os_error().kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted => continue,
                _ => return None,
            },
        }
    }
}

/// Write `bytes` to `conn` now, behind whatever it already has queued
/// (`queued`: the writer task's backlog). `false` if the connection is not
/// one of ours.
pub fn send(conn: ConnId, bytes: &[u8], queued: bool) -> bool {
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        let Some(&fd) = s.fds.get(&conn) else {
            return false;
        };
        let behind = queued || s.leftover.iter().any(|(c, _)| *c == conn);
        let mut sent = 0;
        while !behind && sent < bytes.len() {
            let rest = &bytes[sent..];
            // SAFETY: as in `poll`; `rest` is readable.
            let n = unsafe {
                libc::send(
                    fd,
                    rest.as_ptr().cast(),
                    rest.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if n > 0 {
                sent += n as usize;
            } else if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                break;
            }
        }
        if sent < bytes.len() {
            s.leftover.push((conn, bytes[sent..].to_vec()));
            note_left(&s);
        }
        true
    })
}

/// The reply bytes the sockets did not take during the script.
pub fn take_leftovers() -> Vec<(ConnId, Vec<u8>)> {
    if nothing_left() {
        return Vec::new();
    }
    SOCKETS.with(|s| {
        let mut s = s.borrow_mut();
        let taken = std::mem::take(&mut s.leftover);
        note_left(&s);
        taken
    })
}
