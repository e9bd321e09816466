//! Redis's crash report (debug.c's sigsegvHandler): on SIGSEGV, SIGBUS,
//! SIGFPE, SIGILL or SIGABRT the process logs the bug report's frame, the
//! signal, the faulting address or the sender, and a stack trace, then dies
//! by the same signal so a core dump or the parent sees what happened.
//!
//! The handler does what Redis's does, which is not async-signal-safe
//! (formatting, backtrace capture): the process is going down either way,
//! and a report that usually arrives beats none.

use crate::REDIS_VERSION;
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

/// Where the log goes (`logfile`'s descriptor, or stdout) and the role mark
/// of the last line logged: the handler cannot reach the host's `Logger`.
static LOG_FD: AtomicI32 = AtomicI32::new(libc::STDOUT_FILENO);
static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Called by the logger as it writes: the handler logs to the same place.
pub fn note_log_target(fd: i32, role: char) {
    LOG_FD.store(fd, Ordering::Relaxed);
    ROLE.store(role as u8, Ordering::Relaxed);
}

/// Stack for the handler: capturing and symbolizing a backtrace needs far
/// more than the small alternate stack Rust's runtime sets up, and a stack
/// overflow must still get its report.
const HANDLER_STACK: usize = 1 << 20;

/// 7.0's setupSignalHandlers with `crash-log-enabled yes`, for the calling
/// (main) thread's faults and any signal sent to the process.
pub fn install() {
    // SAFETY: a fresh anonymous mapping handed to sigaltstack, never freed.
    unsafe {
        let stack = libc::mmap(
            std::ptr::null_mut(),
            HANDLER_STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if stack != libc::MAP_FAILED {
            let ss = libc::stack_t {
                ss_sp: stack,
                ss_flags: 0,
                ss_size: HANDLER_STACK,
            };
            libc::sigaltstack(&ss, std::ptr::null_mut());
        }
    }
    for sig in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGABRT,
    ] {
        // SAFETY: a zeroed sigaction filled with a valid handler and flags.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            act.sa_flags =
                libc::SA_NODEFER | libc::SA_RESETHAND | libc::SA_SIGINFO | libc::SA_ONSTACK;
            act.sa_sigaction = handler as *const () as usize;
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// DEBUG SEGFAULT: a real invalid write (to a read-only page, as Redis
/// does), so the report shows a genuine fault.
pub fn segfault() -> ! {
    // SAFETY: deliberately faults; the handler reports and the process dies.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        ) as *mut u8;
        std::ptr::write_volatile(p, b'x');
        libc::raise(libc::SIGSEGV);
    }
    std::process::abort()
}

/// A failed assertion or a panic (debug.c's `_serverAssert` /
/// `_serverPanic`): the bug report with the core's lines and a stack trace,
/// then `bugReportEnd`: exit(1) with `use-exit-on-panic`, else abort() with
/// the signal handlers removed (so no "crashed by signal" report follows).
pub fn bug_report(report: &crate::node::CrashReport) -> ! {
    use crate::keyspace::corrupt::ReportLine;
    write_raw(BUG_REPORT_START);
    for line in &report.lines {
        match line {
            ReportLine::Log(msg) => log(msg),
            ReportLine::Raw(text) => write_raw(text),
        }
    }
    write_raw("\n------ STACK TRACE ------\n");
    write_raw(&format!(
        "\nBacktrace:\n{}\n",
        std::backtrace::Backtrace::force_capture()
    ));
    write_raw(BUG_REPORT_END);
    if report.exit {
        // SAFETY: _exit ends the process at once, as 7.0 does (no atexit work).
        unsafe { libc::_exit(1) }
    }
    // SAFETY: restoring the default action before abort(), as
    // removeSignalHandlers does.
    unsafe {
        libc::signal(libc::SIGABRT, libc::SIG_DFL);
    }
    std::process::abort()
}

const BUG_REPORT_START: &str =
    "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n";
const BUG_REPORT_END: &str = concat!(
    "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n",
    "       Please report the crash by opening an issue on github:\n\n",
    "           http://github.com/redis/redis/issues\n\n",
    "  If a Redis module was involved, please open in the module's repo instead.\n\n",
    "  Suspect RAM error? Use redis-server --test-memory to verify it.\n\n",
    "  Some other issues could be detected by redis-server --check-system\n",
);

/// Where the log goes now, for other signal handlers (the watchdog).
pub(super) fn log_fd() -> i32 {
    LOG_FD.load(Ordering::Relaxed)
}

pub(super) fn write_raw(text: &str) {
    let fd = LOG_FD.load(Ordering::Relaxed);
    let mut bytes = text.as_bytes();
    while !bytes.is_empty() {
        // SAFETY: writing a valid buffer to a descriptor we were told about.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn log(msg: &str) {
    write_raw(&format!(
        "{}:{} {} # {}\n",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        crate::calendar::log_time(super::host::now_ms()),
        msg
    ));
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    write_raw(BUG_REPORT_START);
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let info = unsafe { &*info };
    log(&format!(
        "Redis {REDIS_VERSION} crashed by signal: {sig}, si_code: {}",
        info.si_code
    ));
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        // SAFETY: si_addr is meaningful for these two signals.
        log(&format!("Accessing address: {:p}", unsafe {
            info.si_addr()
        }));
    }
    if info.si_code == libc::SI_USER {
        // SAFETY: si_pid / si_uid are set for signals sent by kill(2).
        let (pid, uid) = unsafe { (info.si_pid(), info.si_uid()) };
        if pid != -1 {
            log(&format!("Killed by PID: {pid}, UID: {uid}"));
        }
    }
    write_raw("\n------ STACK TRACE ------\n");
    write_raw(&format!(
        "\nBacktrace:\n{}\n",
        std::backtrace::Backtrace::force_capture()
    ));
    write_raw(BUG_REPORT_END);
    // SA_RESETHAND restored the default action: die by the same signal.
    // SAFETY: plain libc calls on our own pid.
    unsafe {
        libc::kill(libc::getpid(), sig);
    }
}
