//! The server's TCP listeners, changed at run time by CONFIG SET `port` /
//! `bind` (7.0's changeListenPort / changeBindAddr): the new sockets are
//! bound first, and only once every one of them is bound do they replace
//! the old ones, so a failure leaves the server listening where it was.

use std::cell::RefCell;
use std::net::TcpListener;
use tokio::task::JoinHandle;

type Spawn = Box<dyn Fn(TcpListener) -> JoinHandle<()>>;

struct Listening {
    /// Starts the accept loop of a listener.
    spawn: Spawn,
    /// The accept loops running now (dropping their listener closes it).
    loops: Vec<JoinHandle<()>>,
}

thread_local! {
    static LISTENING: RefCell<Option<Listening>> = const { RefCell::new(None) };
}

/// Start accepting on `listeners`; later rebinds start their loops with `spawn`.
pub fn install(listeners: Vec<TcpListener>, spawn: Spawn) {
    let loops = listeners.into_iter().map(&spawn).collect();
    LISTENING.with(|l| *l.borrow_mut() = Some(Listening { spawn, loops }));
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
        let new = super::bind_addresses(bind, port).map_err(|failure| match failure {
            Some((name, e)) => {
                let why = super::aof_files::os_message(&e);
                format!("{name}:{port}: bind: {why}")
            }
            None => format!("{bind}:{port}: no address could be bound"),
        })?;
        super::busy_io::stop_listening();
        for old in listening.loops.drain(..) {
            old.abort();
        }
        listening.loops = new.into_iter().map(&listening.spawn).collect();
        Ok(())
    })
}

/// The host is done: close the listeners and drop the spawner.
pub fn uninstall() {
    if let Some(l) = LISTENING.with(|l| l.borrow_mut().take()) {
        for old in l.loops {
            old.abort();
        }
    }
}
