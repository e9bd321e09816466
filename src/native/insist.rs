//! SIGINTs that arrive while the node is blocked in a foreground save.
//! Redis's signal handler runs inside a blocking rdbSave, so a second Ctrl-C
//! during the final save of a signalled shutdown exits at once ("You
//! insist"). Our signals reach the node through the event loop, which is
//! blocked then; this registers one more action beside tokio's that only
//! counts SIGINTs, and the save's wait looks at the count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static SIGINTS: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();

/// Start counting (idempotent); tokio's own handling goes on unchanged.
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: the action only does an atomic add, which is
        // async-signal-safe.
        let _ = unsafe {
            signal_hook_registry::register(libc::SIGINT, || {
                SIGINTS.fetch_add(1, Ordering::SeqCst);
            })
        };
    });
}

/// SIGINTs received so far.
pub fn sigints() -> u64 {
    SIGINTS.load(Ordering::SeqCst)
}
