//! The server's TCP listeners, changed at run time by CONFIG SET `port` /
//! `bind` (7.0's changeListenPort / changeBindAddr): the new sockets are
//! bound first, and only once every one of them is bound do they replace
//! the old ones, so a failure leaves the server listening where it was.
//! When an old socket holds an address the new ones need (`bind` from `*`
//! to `127.0.0.1` on the same port), the old ones stop listening first, as
//! 7.0's changeBindAddr does, and come back if the new ones cannot bind.

use super::os_error::strerror;

use std::cell::RefCell;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use tokio::task::JoinHandle;

type Spawn = Box<dyn Fn(TcpListener) -> JoinHandle<()>>;

struct Listening {
    /// Starts the accept loop of a listener.
    spawn: Spawn,
    /// The accept loops running now (dropping their listener closes it),
    /// with their listening socket.
    loops: Vec<(JoinHandle<()>, RawFd)>,
}

thread_local! {
    static LISTENING: RefCell<Option<Listening>> = const { RefCell::new(None) };
    /// The `bind` / `port` the listeners were bound with (to come back
    /// there), and `tcp-backlog`.
    static BOUND: RefCell<Option<(String, u16, i32)>> = const { RefCell::new(None) };
}

/// Note where the listeners about to be installed are bound.
pub fn bound_to(bind: &str, port: u16, backlog: i32) {
    BOUND.with(|b| *b.borrow_mut() = Some((bind.to_string(), port, backlog)));
}

fn backlog() -> i32 {
    BOUND.with(|b| b.borrow().as_ref().map_or(511, |b| b.2))
}

/// Start accepting on `listeners`; later rebinds start their loops with `spawn`.
pub fn install(listeners: Vec<TcpListener>, spawn: Spawn) {
    let loops = start(listeners, &spawn);
    LISTENING.with(|l| *l.borrow_mut() = Some(Listening { spawn, loops }));
}

fn start(listeners: Vec<TcpListener>, spawn: &Spawn) -> Vec<(JoinHandle<()>, RawFd)> {
    listeners
        .into_iter()
        .map(|l| {
            let fd = l.as_raw_fd();
            (spawn(l), fd)
        })
        .collect()
}

fn bind_all(bind: &str, port: u16) -> Result<Vec<TcpListener>, (String, bool)> {
    super::bind_addresses(bind, port, backlog()).map_err(|failure| match failure {
        Some((name, e)) => {
            let in_use = e.kind() == std::io::ErrorKind::AddrInUse;
            let why = strerror(&e);
            (format!("{name}:{port}: bind: {why}"), in_use)
        }
        None => (format!("{bind}:{port}: no address could be bound"), false),
    })
}

/// Listen on `bind` / `port` instead; `Err` (`addr:port: bind: reason`,
/// as Redis logs it) leaves the
/// current listeners in place. Without installed listeners (a host that
/// serves no sockets) there is nothing to change.
pub fn rebind(bind: &str, port: u16) -> Result<(), String> {
    LISTENING.with(|l| {
        let mut l = l.borrow_mut();
        let Some(listening) = l.as_mut() else {
            return Ok(());
        };
        let new = match bind_all(bind, port) {
            Ok(new) => new,
            Err((_, true)) => {
                // Perhaps our own sockets hold the address: they stop
                // listening (shutdown frees the address at once; the
                // aborted loops close them later), then bind again.
                for (_, fd) in &listening.loops {
                    // SAFETY: the fd is open (its loop owns the listener).
                    unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
                }
                match bind_all(bind, port) {
                    Ok(new) => new,
                    Err((why, _)) => {
                        // Back where they were: the old addresses are free.
                        let again = BOUND
                            .with(|b| b.borrow().clone())
                            .and_then(|(b, p, _)| bind_all(&b, p).ok())
                            .unwrap_or_default();
                        stop(listening);
                        listening.loops = start(again, &listening.spawn);
                        return Err(why);
                    }
                }
            }
            Err((why, false)) => return Err(why),
        };
        stop(listening);
        listening.loops = start(new, &listening.spawn);
        bound_to(bind, port, backlog());
        Ok(())
    })
}

fn stop(listening: &mut Listening) {
    super::busy_io::stop_listening();
    for (old, _) in listening.loops.drain(..) {
        old.abort();
    }
}

/// The host is done: close the listeners and drop the spawner.
pub fn uninstall() {
    if let Some(mut l) = LISTENING.with(|l| l.borrow_mut().take()) {
        stop(&mut l);
    }
}
