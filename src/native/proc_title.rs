//! setproctitle for Linux, as Redis's setproctitle.c does it: the title is
//! written over the memory of the program's arguments, which the kernel
//! shows in /proc/<pid>/cmdline and `ps`. The environment strings that follow
//! the arguments are moved to the heap first, so a long title can use
//! their space too.

use std::sync::OnceLock;

/// Start and length of the memory the title may use, found once.
static AREA: OnceLock<Option<(usize, usize)>> = OnceLock::new();

/// The program as it was started (`argv[0]`), for the title's `{title}`.
/// Also readies the title's memory: this runs at startup, before the host
/// starts any thread (moving the environment is not thread safe).
pub fn argv0() -> Option<String> {
    AREA.get_or_init(prepare);
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
}

/// Show `title` for this process.
pub fn set(title: &str) {
    let Some((start, len)) = *AREA.get_or_init(prepare) else {
        return;
    };
    let bytes = title.as_bytes();
    let n = bytes.len().min(len - 1);
    // SAFETY: [start, start + len) is this process's argument and
    // environment memory, mapped and writable, which nothing reads any more
    // (std's copies of the arguments were made at startup, the environment
    // was moved away by `prepare`).
    unsafe {
        let area = std::slice::from_raw_parts_mut(start as *mut u8, len);
        area[..n].copy_from_slice(&bytes[..n]);
        area[n..].fill(0);
    }
}

/// The argument and environment memory, from /proc/self/stat's arg_start,
/// arg_end, env_start and env_end; the environment is moved to the heap.
fn prepare() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let field = |n: usize| fields.get(n - 3)?.trim().parse::<usize>().ok();
    let (arg_start, arg_end) = (field(48)?, field(49)?);
    let (env_start, env_end) = (field(50)?, field(51)?);
    if arg_end <= arg_start {
        return None;
    }
    // The environment follows the arguments: copy it to the heap, then its
    // memory is the title's too.
    if env_start != arg_end || env_end <= env_start {
        return Some((arg_start, arg_end - arg_start));
    }
    let vars: Vec<_> = std::env::vars_os().collect();
    // SAFETY: startup, one thread: nothing reads the environment meanwhile.
    unsafe { libc::clearenv() };
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    Some((arg_start, env_end - arg_start))
}
