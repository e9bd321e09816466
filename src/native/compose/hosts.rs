//! The project's one name resolver: a hosts file in /etc/hosts format.
//!
//! `.compose/<project>/hosts` lists each running service's names (service,
//! container name, hostname) with its address, the way Docker's embedded DNS
//! answers for running containers only. The runner rewrites it when a
//! service starts or stops; every node of the project is started with
//! `SENTINEL_LAB_HOSTS=<that file>` and [`resolve`] reads it on each lookup
//! (it is a few lines) before asking the system resolver. Real binaries
//! (`--real`) see the same file bind-mounted over /etc/hosts, so the file is
//! rewritten in place, keeping its inode, or the mount would keep the old one.

use std::net::IpAddr;
use std::path::Path;

/// The environment variable naming the hosts file our processes consult first.
pub const HOSTS_ENV: &str = "SENTINEL_LAB_HOSTS";

/// Lines every container's /etc/hosts starts with.
const LOCALHOST: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/// The file's text for these `(address, names)` entries.
pub fn render(entries: &[(String, Vec<String>)]) -> String {
    let mut text = String::from(LOCALHOST);
    for (ip, names) in entries {
        if names.is_empty() {
            continue;
        }
        text.push_str(ip);
        text.push('\t');
        text.push_str(&names.join(" "));
        text.push('\n');
    }
    text
}

/// Replace the file's content without replacing the file (same inode), so a
/// bind mount of it shows the new content.
pub fn rewrite_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    // One write: a reader sees the old file, an empty one or the new one.
    f.write_all(text.as_bytes())?;
    f.sync_data()
}

/// The address `name` has in a hosts file's text (case-insensitive, first match, as glibc).
pub fn lookup_in(text: &str, name: &str) -> Option<IpAddr> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            continue;
        };
        if words.any(|w| w.eq_ignore_ascii_case(name)) {
            return Some(ip);
        }
    }
    None
}

/// The address `name` has in the project's hosts file, if this process has one.
pub fn lookup_env(name: &str) -> Option<IpAddr> {
    let path = std::env::var_os(HOSTS_ENV)?;
    let text = std::fs::read_to_string(path).ok()?;
    lookup_in(&text, name)
}

/// How the native host resolves a name for an outbound connection or for a
/// sentinel's `resolve-hostnames`: an address as is, then the project's hosts
/// file, then the system's getaddrinfo. The error is what Redis logs for a
/// failed resolution: `strerror(errno)` after getaddrinfo (anetTcpGenericConnect
/// leaves errno as the resolver left it and the caller logs strerror of it).
pub fn resolve(name: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ip);
    }
    if let Some(ip) = lookup_env(name) {
        return Ok(ip);
    }
    system_resolve(name)
}

/// getaddrinfo, blocking as in Redis (its resolution runs on the event loop too).
fn system_resolve(name: &str) -> Result<IpAddr, String> {
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return Err("Invalid argument".into());
    };
    // SAFETY: hints is plain data; getaddrinfo fills `res` or fails, and a
    // filled list is freed once below.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        *libc::__errno_location() = 0;
        let rv = libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut res);
        if rv != 0 || res.is_null() {
            let errno = *libc::__errno_location();
            return Err(std::io::Error::from_raw_os_error(errno)
                .to_string()
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_string());
        }
        let mut found = None;
        let mut p = res;
        while !p.is_null() && found.is_none() {
            let ai = &*p;
            if ai.ai_family == libc::AF_INET {
                let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                found = Some(IpAddr::from(u32::from_be(sa.sin_addr.s_addr).to_be_bytes()));
            } else if ai.ai_family == libc::AF_INET6 {
                let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                found = Some(IpAddr::from(sa.sin6_addr.s6_addr));
            }
            p = ai.ai_next;
        }
        libc::freeaddrinfo(res);
        found.ok_or_else(|| "Name or service not known".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_lookup() {
        let text = render(&[
            (
                "127.0.0.2".into(),
                vec!["redis_master".into(), "p-redis_master-1".into()],
            ),
            ("127.0.0.3".into(), vec![]),
        ]);
        assert!(text.starts_with("127.0.0.1\tlocalhost\n"));
        assert_eq!(lookup_in(&text, "REDIS_MASTER"), "127.0.0.2".parse().ok());
        assert_eq!(
            lookup_in(&text, "p-redis_master-1"),
            "127.0.0.2".parse().ok()
        );
        assert_eq!(lookup_in(&text, "localhost"), "127.0.0.1".parse().ok());
        assert_eq!(lookup_in(&text, "redis_slave1"), None);
        assert_eq!(lookup_in("# 127.0.0.9 x\n", "x"), None);
    }

    #[test]
    fn rewrite_keeps_the_inode() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("sl-hosts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hosts");
        rewrite_in_place(&path, "127.0.0.2\ta b\n").unwrap();
        let ino = std::fs::metadata(&path).unwrap().ino();
        rewrite_in_place(&path, "127.0.0.3\ta\n").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "127.0.0.3\ta\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn addresses_resolve_to_themselves_and_unknown_names_fail() {
        assert_eq!(resolve("127.0.0.5"), Ok("127.0.0.5".parse().unwrap()));
        assert!(resolve("no-such-host.invalid").is_err());
    }
}
