//! Reply bytes the native host holds for a connection because its socket
//! would not take them yet (the writer task's queue). The node cannot see
//! them: the probe reports them (`HostProbe::unsent_output`) so they count
//! as the client's output buffer for `used_memory`, `maxmemory` and
//! `maxmemory-clients`, as Redis counts its reply lists.
//!
//! The host and its node share one thread (a current-thread runtime), so a
//! thread-local is enough and needs no lock.

use crate::node::ConnId;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

thread_local! {
    static UNSENT: RefCell<HashMap<ConnId, u64>> = RefCell::new(HashMap::new());
    /// Connections whose next close drops what is queued
    /// (`HostProbe::drop_output`).
    static DROPPED: RefCell<HashSet<ConnId>> = RefCell::new(HashSet::new());
}

/// The node frees `conn` with its replies unsent: its close drops them.
pub fn drop_on_close(conn: ConnId) {
    DROPPED.with(|d| d.borrow_mut().insert(conn));
}

/// Whether `conn`'s close drops its queue (asked once, by the close).
pub fn take_dropped(conn: ConnId) -> bool {
    DROPPED.with(|d| d.borrow_mut().remove(&conn))
}

/// `n` bytes were queued for `conn`.
pub fn queued(conn: ConnId, n: usize) {
    UNSENT.with(|u| *u.borrow_mut().entry(conn).or_default() += n as u64);
}

/// `n` queued bytes of `conn` were written.
pub fn written(conn: ConnId, n: usize) {
    UNSENT.with(|u| {
        let mut u = u.borrow_mut();
        if let Some(v) = u.get_mut(&conn) {
            *v = v.saturating_sub(n as u64);
            if *v == 0 {
                u.remove(&conn);
            }
        }
    });
}

/// `conn` is gone with whatever it still had queued.
pub fn forget(conn: ConnId) {
    UNSENT.with(|u| u.borrow_mut().remove(&conn));
}

/// Bytes queued for `conn` and not yet written.
pub fn unsent(conn: ConnId) -> u64 {
    UNSENT.with(|u| u.borrow().get(&conn).copied().unwrap_or(0))
}
