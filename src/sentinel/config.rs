//! sentinel.conf: loading the `sentinel ...` directives (in Redis's order:
//! pre-monitor options, then `monitor`, then the rest) and rewriting the file
//! with the current state (`rewriteConfigSentinelOption`).

use super::*;
use crate::server::config::lines::fatal_config_error;
use crate::server::config::Key;

/// Options loaded before the `monitor` lines.
const PRE_MONITOR: &[&str] = &[
    "announce-ip",
    "announce-port",
    "deny-scripts-reconfig",
    "sentinel-user",
    "sentinel-pass",
    "current-epoch",
    "myid",
    "resolve-hostnames",
    "announce-hostnames",
];

/// One `sentinel ...` line of the file: its arguments after `sentinel`, line number and text.
#[derive(Clone, Debug)]
pub struct Entry {
    pub argv: Vec<String>,
    pub linenum: usize,
    pub line: String,
}

/// The server directives a sentinel starts from, before its config file:
/// Redis's defaults on the sentinel port, without protected mode.
pub fn default_server_config() -> Config {
    let mut config = Config::default();
    let _ = config.set(Key::PORT, &[DEFAULT_PORT.to_string()]);
    let _ = config.set(Key::PROTECTED_MODE, &["no".to_string()]);
    config
}

/// Load queued entries; on error returns Redis's fatal config error text.
pub fn load(st: &mut SentinelState, entries: &[Entry], now: Millis) -> Result<(), String> {
    let is_pre = |e: &Entry| {
        e.argv
            .first()
            .is_some_and(|a| PRE_MONITOR.iter().any(|p| p.eq_ignore_ascii_case(a)))
    };
    let is_mon = |e: &Entry| {
        e.argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case("monitor"))
    };
    let order: Vec<&Entry> = entries
        .iter()
        .filter(|e| is_pre(e))
        .chain(entries.iter().filter(|e| is_mon(e)))
        .chain(entries.iter().filter(|e| !is_pre(e) && !is_mon(e)))
        .collect();
    for e in order {
        if let Err(err) = handle_configuration(st, &e.argv, now) {
            return Err(fatal_config_error(e.linenum, &e.line, err));
        }
    }
    Ok(())
}

fn yesno(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The master a configuration line names.
fn master_mut<'a>(st: &'a mut SentinelState, name: &str) -> Result<&'a mut Instance, &'static str> {
    st.masters
        .get_mut(name)
        .map(|m| &mut **m)
        .ok_or("No such master with specified name.")
}

impl SentinelState {
    /// Start monitoring a new master (`sentinel monitor`, from the config file
    /// or SENTINEL MONITOR); the error is Redis's text without `ERR`.
    pub(crate) fn add_master(
        &mut self,
        name: &str,
        addr: SAddr,
        quorum: i64,
        now: Millis,
    ) -> Result<(), &'static str> {
        if self.masters.contains_key(name) {
            return Err("Duplicate master name.");
        }
        let quorum = quorum.min(u32::MAX as i64) as u32;
        let m = Instance::new(
            name.to_string(),
            SRI_MASTER,
            addr,
            quorum,
            None,
            &self.t,
            now,
        );
        self.masters.insert(name.to_string(), m);
        Ok(())
    }
}

/// sentinelHandleConfiguration.
pub fn handle_configuration(
    st: &mut SentinelState,
    argv: &[String],
    now: Millis,
) -> Result<(), &'static str> {
    use super::monitor::{atoi, strtoull};
    let argc = argv.len();
    let Some(cmd) = argv.first().map(|a| a.to_ascii_lowercase()) else {
        return Err("Unrecognized sentinel configuration statement.");
    };
    match (cmd.as_str(), argc) {
        ("monitor", 5) => {
            let quorum = atoi(&argv[4]);
            if quorum <= 0 {
                return Err("Quorum must be 1 or greater.");
            }
            let addr = st.create_addr(&argv[2], atoi(&argv[3]), true)?;
            st.add_master(&argv[1], addr, quorum, now)?;
        }
        ("down-after-milliseconds", 3) => {
            let m = master_mut(st, &argv[1])?;
            let v = atoi(&argv[2]);
            if v <= 0 {
                return Err("negative or zero time parameter.");
            }
            m.down_after_period = v as u64;
            for ri in m.slaves.values_mut().chain(m.sentinels.values_mut()) {
                ri.down_after_period = v as u64;
            }
        }
        ("failover-timeout", 3) => {
            let m = master_mut(st, &argv[1])?;
            let v = atoi(&argv[2]);
            if v <= 0 {
                return Err("negative or zero time parameter.");
            }
            m.failover_timeout = v as u64;
        }
        ("parallel-syncs", 3) => {
            master_mut(st, &argv[1])?.parallel_syncs = atoi(&argv[2]);
        }
        ("notification-script", 3) => {
            let executable = st.script_executable;
            let m = master_mut(st, &argv[1])?;
            if !executable(&argv[2]) {
                return Err("Notification script seems non existing or non executable.");
            }
            m.notification_script = Some(argv[2].clone());
        }
        ("client-reconfig-script", 3) => {
            let executable = st.script_executable;
            let m = master_mut(st, &argv[1])?;
            if !executable(&argv[2]) {
                return Err("Client reconfiguration script seems non existing or non executable.");
            }
            m.client_reconfig_script = Some(argv[2].clone());
        }
        ("auth-pass", 3) => {
            master_mut(st, &argv[1])?.auth_pass = Some(argv[2].clone());
        }
        ("auth-user", 3) => {
            master_mut(st, &argv[1])?.auth_user = Some(argv[2].clone());
        }
        ("current-epoch", 2) => {
            let e = strtoull(&argv[1]);
            if e > st.current_epoch {
                st.current_epoch = e;
            }
        }
        ("myid", 2) => {
            if argv[1].len() != 40 {
                return Err("Malformed Sentinel id in myid option.");
            }
            st.myid = argv[1].clone();
        }
        ("config-epoch", 3) => {
            let e = strtoull(&argv[2]);
            master_mut(st, &argv[1])?.config_epoch = e;
            if e > st.current_epoch {
                st.current_epoch = e;
            }
        }
        ("leader-epoch", 3) => {
            master_mut(st, &argv[1])?.leader_epoch = strtoull(&argv[2]);
        }
        ("known-slave" | "known-replica", 4) => {
            // The master is named before the address is checked, as in Redis.
            master_mut(st, &argv[1])?;
            let addr = st.create_addr(&argv[2], atoi(&argv[3]), true)?;
            let key = st.announce_addr_port(&addr);
            let t = st.t.clone();
            let m = master_mut(st, &argv[1])?;
            if m.slaves.contains_key(&key) {
                return Err("Duplicate hostname and port for replica.");
            }
            let s = Instance::new(key.clone(), SRI_SLAVE, addr, m.quorum, Some(m), &t, now);
            m.slaves.insert(key, s);
        }
        ("known-sentinel", 4) => {
            master_mut(st, &argv[1])?;
        }
        ("known-sentinel", 5) => {
            master_mut(st, &argv[1])?;
            let addr = st.create_addr(&argv[2], atoi(&argv[3]), true)?;
            let t = st.t.clone();
            let m = master_mut(st, &argv[1])?;
            if m.sentinels.contains_key(&argv[4]) {
                return Err("Duplicate runid for sentinel.");
            }
            let mut s = Instance::new(
                argv[4].clone(),
                SRI_SENTINEL,
                addr,
                m.quorum,
                Some(m),
                &t,
                now,
            );
            s.runid = Some(argv[4].clone());
            m.sentinels.insert(argv[4].clone(), s);
        }
        ("rename-command", 4) => {
            let m = master_mut(st, &argv[1])?;
            if m.renamed_commands
                .keys()
                .any(|k| k.eq_ignore_ascii_case(&argv[2]))
            {
                return Err("Same command renamed multiple times with rename-command.");
            }
            m.renamed_commands.insert(argv[2].clone(), argv[3].clone());
        }
        ("announce-ip", 2) => {
            if !argv[1].is_empty() {
                st.announce_ip = Some(argv[1].clone());
            }
        }
        ("announce-port", 2) => st.announce_port = atoi(&argv[1]).clamp(0, 65535) as u16,
        ("deny-scripts-reconfig", 2) => {
            st.deny_scripts_reconfig = yesno(&argv[1])
                .ok_or("Please specify yes or no for the deny-scripts-reconfig options.")?
        }
        ("sentinel-user", 2) => {
            if !argv[1].is_empty() {
                st.sentinel_auth_user = Some(argv[1].clone());
            }
        }
        ("sentinel-pass", 2) => {
            if !argv[1].is_empty() {
                st.sentinel_auth_pass = Some(argv[1].clone());
            }
        }
        ("resolve-hostnames", 2) => {
            st.resolve_hostnames = yesno(&argv[1])
                .ok_or("Please specify yes or no for the resolve-hostnames option.")?
        }
        ("announce-hostnames", 2) => {
            st.announce_hostnames = yesno(&argv[1])
                .ok_or("Please specify yes or no for the announce-hostnames option.")?
        }
        ("master-reboot-down-after-period", 3) => {
            let m = master_mut(st, &argv[1])?;
            let v = atoi(&argv[2]);
            if v < 0 {
                return Err("negative time parameter.");
            }
            m.master_reboot_down_after_period = v as u64;
        }
        _ => return Err("Unrecognized sentinel configuration statement."),
    }
    Ok(())
}

/// The `sentinel ...` lines describing the current state, as (option key, line).
pub fn sentinel_lines(st: &SentinelState) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    v.push(("sentinel myid", format!("sentinel myid {}", st.myid)));
    if !st.deny_scripts_reconfig {
        v.push((
            "sentinel deny-scripts-reconfig",
            "sentinel deny-scripts-reconfig no".into(),
        ));
    }
    if st.resolve_hostnames {
        v.push((
            "sentinel resolve-hostnames",
            "sentinel resolve-hostnames yes".into(),
        ));
    }
    if st.announce_hostnames {
        v.push((
            "sentinel announce-hostnames",
            "sentinel announce-hostnames yes".into(),
        ));
    }
    for m in st.masters.values() {
        let ma = m.current_master_addr();
        v.push((
            "sentinel monitor",
            format!(
                "sentinel monitor {} {} {} {}",
                m.name,
                st.announce(ma),
                ma.port,
                m.quorum
            ),
        ));
        if m.down_after_period != st.t.default_down_after {
            v.push((
                "sentinel down-after-milliseconds",
                format!(
                    "sentinel down-after-milliseconds {} {}",
                    m.name, m.down_after_period
                ),
            ));
        }
        if m.failover_timeout != st.t.default_failover_timeout {
            v.push((
                "sentinel failover-timeout",
                format!(
                    "sentinel failover-timeout {} {}",
                    m.name, m.failover_timeout
                ),
            ));
        }
        if m.parallel_syncs != DEFAULT_PARALLEL_SYNCS {
            v.push((
                "sentinel parallel-syncs",
                format!("sentinel parallel-syncs {} {}", m.name, m.parallel_syncs),
            ));
        }
        if let Some(p) = &m.notification_script {
            v.push((
                "sentinel notification-script",
                format!("sentinel notification-script {} {}", m.name, p),
            ));
        }
        if let Some(p) = &m.client_reconfig_script {
            v.push((
                "sentinel client-reconfig-script",
                format!("sentinel client-reconfig-script {} {}", m.name, p),
            ));
        }
        if let Some(p) = &m.auth_pass {
            v.push((
                "sentinel auth-pass",
                format!("sentinel auth-pass {} {}", m.name, p),
            ));
        }
        if let Some(u) = &m.auth_user {
            v.push((
                "sentinel auth-user",
                format!("sentinel auth-user {} {}", m.name, u),
            ));
        }
        if m.master_reboot_down_after_period != 0 {
            v.push((
                "sentinel master-reboot-down-after-period",
                format!(
                    "sentinel master-reboot-down-after-period {} {}",
                    m.name, m.master_reboot_down_after_period
                ),
            ));
        }
        v.push((
            "sentinel config-epoch",
            format!("sentinel config-epoch {} {}", m.name, m.config_epoch),
        ));
        v.push((
            "sentinel leader-epoch",
            format!("sentinel leader-epoch {} {}", m.name, m.leader_epoch),
        ));
        for s in m.slaves.values() {
            let a = if s.addr.equal(ma) { &m.addr } else { &s.addr };
            v.push((
                "sentinel known-replica",
                format!(
                    "sentinel known-replica {} {} {}",
                    m.name,
                    st.announce(a),
                    a.port
                ),
            ));
        }
        for s in m.sentinels.values() {
            if let Some(r) = &s.runid {
                v.push((
                    "sentinel known-sentinel",
                    format!(
                        "sentinel known-sentinel {} {} {} {}",
                        m.name,
                        st.announce(&s.addr),
                        s.addr.port,
                        r
                    ),
                ));
            }
        }
        for (o, n) in &m.renamed_commands {
            v.push((
                "sentinel rename-command",
                format!("sentinel rename-command {} {} {}", m.name, o, n),
            ));
        }
    }
    v.push((
        "sentinel current-epoch",
        format!("sentinel current-epoch {}", st.current_epoch),
    ));
    if let Some(ip) = &st.announce_ip {
        v.push((
            "sentinel announce-ip",
            format!("sentinel announce-ip \"{ip}\""),
        ));
    }
    if st.announce_port != 0 {
        v.push((
            "sentinel announce-port",
            format!("sentinel announce-port {}", st.announce_port),
        ));
    }
    if let Some(u) = &st.sentinel_auth_user {
        v.push((
            "sentinel sentinel-user",
            format!("sentinel sentinel-user {u}"),
        ));
    }
    if let Some(p) = &st.sentinel_auth_pass {
        v.push((
            "sentinel sentinel-pass",
            format!("sentinel sentinel-pass {p}"),
        ));
    }
    v
}

const SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// The option key of a config line: `sentinel <opt>` for sentinel lines, else the first word.
fn line_key(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let mut it = t.split_whitespace();
    let first = it.next()?.to_ascii_lowercase();
    if first == "sentinel" {
        let mut opt = it.next()?.to_ascii_lowercase();
        if opt == "known-slave" {
            opt = "known-replica".into();
        }
        Some(format!("sentinel {opt}"))
    } else {
        Some(first)
    }
}

/// rewriteConfig for the sentinel options: existing lines are replaced in
/// place, stale ones dropped, new ones appended after the signature.
pub fn rewrite(st: &SentinelState, old: &str) -> String {
    let new = sentinel_lines(st);
    let mut by_key: crate::vecmap::VecMap<&str, VecDeque<String>> = crate::vecmap::VecMap::new();
    for (k, l) in &new {
        by_key.entry(k).or_default().push_back(l.clone());
    }
    let mut out: Vec<String> = Vec::new();
    let mut has_tail = false;
    for line in old.lines() {
        if line.trim() == SIGNATURE {
            has_tail = true;
            out.push(line.to_string());
            continue;
        }
        match line_key(line) {
            Some(k) if k.starts_with("sentinel ") => {
                if let Some(q) = by_key.get_mut(k.as_str()) {
                    if let Some(l) = q.pop_front() {
                        out.push(l);
                    }
                }
                // Sentinel lines we no longer have are dropped.
            }
            _ => out.push(line.to_string()),
        }
    }
    let mut rest: Vec<String> = Vec::new();
    for (k, _) in &new {
        if let Some(q) = by_key.get_mut(k) {
            if let Some(l) = q.pop_front() {
                rest.push(l);
            }
        }
    }
    if !rest.is_empty() {
        if !has_tail {
            out.push(SIGNATURE.to_string());
        }
        out.extend(rest);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}
