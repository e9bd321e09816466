//! `--real`: services of the official `redis` image run Debian's
//! `redis-server` / `redis-sentinel`. Those resolve names with getaddrinfo,
//! so each runs in a mount namespace of its own whose /etc/hosts is the
//! project's hosts file (a bind mount of it: the runner rewrites the file in
//! place, so the mount follows its changes).

use std::path::{Path, PathBuf};

/// Is this an official `redis` image (`redis`, `redis:7.0`, `docker.io/library/redis:...`)?
pub fn is_official_redis(image: &str) -> bool {
    let name = image.split([':', '@']).next().unwrap_or("");
    let name = name
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    name == "redis"
}

/// `command -v program`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Arrange for the command's process to see `hosts` as /etc/hosts: a new
/// mount namespace (`unshare --mount`), private so nothing leaks back, and a
/// bind mount (`mount --bind hosts /etc/hosts`). Runs in the forked child.
pub fn with_hosts_file(cmd: &mut std::process::Command, hosts: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;
    let src = CString::new(hosts.as_os_str().as_bytes())?;
    let dst = CString::new("/etc/hosts")?;
    let root = CString::new("/")?;
    // SAFETY: the closure only makes raw system calls on memory prepared
    // before the fork, which is what pre_exec allows.
    unsafe {
        cmd.pre_exec(move || {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let none = std::ptr::null();
            if libc::mount(
                none,
                root.as_ptr(),
                none,
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                none,
                libc::MS_BIND,
                std::ptr::null(),
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_images() {
        assert!(is_official_redis("redis"));
        assert!(is_official_redis("redis:7.0"));
        assert!(is_official_redis("docker.io/library/redis:7.0-bookworm"));
        assert!(!is_official_redis("bitnami/redis:6.0"));
        assert!(!is_official_redis("redis/redis-stack-server"));
    }
}
