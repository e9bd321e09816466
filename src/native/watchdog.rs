//! The software watchdog's timer (7.0's watchdogScheduleSignal and
//! watchdogSignalHandler): a one-shot ITIMER_REAL that the node's cron
//! pushes ahead; when it fires, SIGALRM's handler logs the main thread's
//! stack as Redis logs it. The process goes on, so unlike the crash report
//! the handler only writes (no allocation, no formatting machinery):
//! glibc's `backtrace` and `backtrace_symbols_fd` write straight to the log.

use std::sync::atomic::{AtomicBool, Ordering};

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Set the timer to fire in `period_ms` (0 stops it and ignores SIGALRM, as
/// applyWatchdogPeriod does with a period of 0).
pub fn arm(period_ms: u64) {
    if period_ms == 0 {
        schedule(0);
        if INSTALLED.swap(false, Ordering::Relaxed) {
            // SAFETY: SIG_IGN for SIGALRM also drops a pending one.
            unsafe {
                libc::signal(libc::SIGALRM, libc::SIG_IGN);
            }
        }
        return;
    }
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        install();
    }
    schedule(period_ms);
}

fn install() {
    // The first backtrace() loads the unwinder, which allocates: do it
    // here rather than inside the handler.
    let mut frames = [std::ptr::null_mut(); 4];
    // SAFETY: a valid buffer of the given length; a zeroed sigaction filled
    // with a valid handler. SA_RESTART: the host's syscalls resume.
    unsafe {
        libc::backtrace(frames.as_mut_ptr(), frames.len() as libc::c_int);
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        act.sa_sigaction = handler as *const () as usize;
        libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
    }
}

fn schedule(period_ms: u64) {
    let it = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: (period_ms / 1000) as libc::time_t,
            tv_usec: ((period_ms % 1000) * 1000) as libc::suseconds_t,
        },
    };
    // SAFETY: a valid itimerval; the old value is not wanted.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut());
    }
}

/// Decimal digits of `n` into `buf`, returning the written tail.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

/// serverLogFromHandler: `pid:signal-handler (unixtime) msg`.
fn log_from_handler(msg: &str) {
    let mut buf = [0u8; 20];
    super::crash_report::write_raw(digits(std::process::id() as u64, &mut buf));
    super::crash_report::write_raw(":signal-handler (");
    // SAFETY: time(2) with no output pointer.
    let now = unsafe { libc::time(std::ptr::null_mut()) }.max(0) as u64;
    super::crash_report::write_raw(digits(now, &mut buf));
    super::crash_report::write_raw(") ");
    super::crash_report::write_raw(msg);
    super::crash_report::write_raw("\n");
}

extern "C" fn handler(_sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    log_from_handler("\n--- WATCHDOG TIMER EXPIRED ---");
    let fd = super::crash_report::log_fd();
    super::crash_report::write_raw("\n------ STACK TRACE ------\n");
    if let Some(eip) = interrupted_at(ctx) {
        super::crash_report::write_raw("EIP:\n");
        // SAFETY: one address; backtrace_symbols_fd only reads it.
        unsafe { libc::backtrace_symbols_fd(&eip, 1, fd) };
    }
    super::crash_report::write_raw("\nBacktrace:\n");
    let mut trace = [std::ptr::null_mut(); 100];
    // SAFETY: a valid buffer; the unwinder was loaded when the timer was set.
    unsafe {
        let n = libc::backtrace(trace.as_mut_ptr(), trace.len() as libc::c_int);
        // This handler's own frame is not part of the story.
        if n > 1 {
            libc::backtrace_symbols_fd(trace.as_ptr().add(1), n - 1, fd);
        }
    }
    log_from_handler("--------\n");
}

/// The instruction the main thread was at when the signal came.
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
fn interrupted_at(ctx: *mut libc::c_void) -> Option<*mut libc::c_void> {
    if ctx.is_null() {
        return None;
    }
    // SAFETY: an SA_SIGINFO handler's third argument is its ucontext_t.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    Some(uc.uc_mcontext.gregs[libc::REG_RIP as usize] as *mut libc::c_void)
}

#[cfg(not(all(target_arch = "x86_64", target_env = "gnu")))]
fn interrupted_at(_ctx: *mut libc::c_void) -> Option<*mut libc::c_void> {
    None
}
