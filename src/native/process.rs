//! What the native host measures about its process for INFO: the pid, the
//! executable, `uname`, the RSS (/proc/self/statm), the machine's memory
//! (/proc/meminfo), CPU times (getrusage) and a monotonic microsecond clock
//! to time commands. Handed to the node as its `HostFacts`.

use crate::node::{CpuTimes, HostFacts, HostProbe};

/// The facts of this process, with a probe for the figures that change.
pub fn host_facts() -> HostFacts {
    HostFacts {
        pid: Some(std::process::id()),
        executable: std::env::current_exe()
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        argv0: super::proc_title::argv0(),
        os: uname(),
        // Rust's default global allocator: the C library's malloc.
        mem_allocator: Some("libc".into()),
        probe: Some(Box::new(ProcessProbe {
            start_us: monotonic_now_us(),
        })),
        files: Some(Box::new(super::aof_files::DiskFiles)),
    }
}

/// `sysname release machine`, as Redis's `os` field.
fn uname() -> Option<String> {
    // SAFETY: utsname is plain bytes; uname fills it or fails.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let text = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(format!(
        "{} {} {}",
        text(&u.sysname),
        text(&u.release),
        text(&u.machine)
    ))
}

struct ProcessProbe {
    /// [`monotonic_now_us`] when the process started.
    start_us: u64,
}

/// CLOCK_MONOTONIC in µs (the clock `Instant` reads), in plain integer
/// arithmetic: commands are timed twice each, and `Instant::elapsed`'s
/// checked `Duration` and 128-bit microseconds cost more than the clock.
fn monotonic_now_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// getrusage's user and system seconds for `who`.
fn rusage(who: libc::c_int) -> Option<(f64, f64)> {
    // SAFETY: rusage is plain data; getrusage fills it or fails.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut r) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some((secs(r.ru_stime), secs(r.ru_utime)))
}

impl HostProbe for ProcessProbe {
    fn listen(&self, bind: &str, port: u16) -> Result<(), String> {
        super::listeners::rebind(bind, port)
    }

    fn set_oom_score_adj(
        &self,
        score: crate::node::OomScore,
        pid: Option<u32>,
    ) -> Result<(), String> {
        super::oom_score::set(score, pid)
    }

    fn wall_us(&self) -> Option<u64> {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.ok().map(|d| d.as_micros() as u64)
    }

    fn arm_watchdog(&self, period_ms: u64) {
        super::watchdog::arm(period_ms);
    }

    fn set_proc_title(&self, title: &str) {
        super::proc_title::set(title);
    }

    fn monotonic_us(&self) -> u64 {
        monotonic_now_us().saturating_sub(self.start_us)
    }

    fn sleeps(&self) -> bool {
        true
    }

    fn sleep_us(&self, us: u64) {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }

    fn measured_sleep_us(&self, us: u64) -> u64 {
        super::sleep_cost::measured(us)
    }

    fn clock(&self) -> Option<std::rc::Rc<dyn Fn() -> u64>> {
        let start = self.start_us;
        Some(std::rc::Rc::new(move || {
            monotonic_now_us().saturating_sub(start)
        }))
    }

    fn rss(&self) -> Option<u64> {
        // The second field of statm is the resident set in pages.
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Some(pages * u64::try_from(page).ok()?)
    }

    fn unsent_output(&self, conn: crate::node::ConnId) -> u64 {
        super::output_backlog::unsent(conn)
    }

    fn drop_output(&self, conn: crate::node::ConnId) {
        super::output_backlog::drop_on_close(conn);
    }

    fn serves_while_busy(&self) -> bool {
        true
    }

    fn persist_now(
        &self,
        file: &str,
        bytes: &[u8],
        hold: crate::node::SaveHold,
    ) -> Option<Result<(), crate::node::SaveFailure>> {
        Some(super::host::persist_now(file, bytes, hold))
    }

    fn exchange(
        &self,
        to: &crate::node::Addr,
        request: &[u8],
        replies: usize,
        timeout_ms: u64,
    ) -> Option<Result<Vec<crate::resp::Frame>, crate::node::ExchangeFailure>> {
        Some(super::blocking_exchange::exchange(
            to, request, replies, timeout_ms,
        ))
    }

    fn busy_poll(&self) -> Option<Vec<crate::node::BusyInput>> {
        Some(super::busy_io::poll())
    }

    fn read_waiting(&self, conn: crate::node::ConnId) -> Option<Vec<u8>> {
        super::busy_io::read_waiting(conn)
    }

    fn busy_send(&self, conn: crate::node::ConnId, bytes: &[u8]) -> bool {
        let queued = super::output_backlog::unsent(conn) > 0;
        super::busy_io::send(conn, bytes, queued)
    }

    fn allocated(&self) -> Option<u64> {
        super::alloc::allocated()
    }

    fn total_system_memory(&self) -> Option<u64> {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    fn cpu(&self) -> Option<CpuTimes> {
        let (sys, user) = rusage(libc::RUSAGE_SELF)?;
        let (sys_children, user_children) = rusage(libc::RUSAGE_CHILDREN)?;
        // The node runs on the thread that renders INFO: the main thread.
        let (sys_main_thread, user_main_thread) = rusage(libc::RUSAGE_THREAD)?;
        Some(CpuTimes {
            sys,
            user,
            sys_children,
            user_children,
            sys_main_thread,
            user_main_thread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_this_process() {
        let facts = host_facts();
        assert_eq!(facts.pid, Some(std::process::id()));
        let probe = facts.probe.expect("a probe");
        assert!(probe.rss().is_some_and(|r| r > 0));
        assert!(probe.total_system_memory().is_some_and(|m| m > 0));
        assert!(probe.cpu().is_some());
        assert!(facts.os.is_some_and(|o| o.split(' ').count() >= 3));
    }
}
