//! Monitoring half: links to instances, periodic PING / INFO / hello, the
//! replies, INFO parsing (replica discovery, role changes) and hello messages.

use super::*;
use crate::resp::Frame;

/// Which instance inside a master: helper to reach it mutably.
pub(crate) fn inst_mut<'a>(m: &'a mut Instance, who: &Who) -> Option<&'a mut Instance> {
    match who {
        Who::Master => Some(m),
        Who::Slave(k) => m.slaves.get_mut(k).map(|s| &mut **s),
        Who::Sentinel(k) => m.sentinels.get_mut(k).map(|s| &mut **s),
    }
}

impl SentinelState {
    /// Close one connection of a link and forget it.
    pub fn close_conn(&mut self, env: &mut Env, link: &mut Link, conn: Option<ConnId>) {
        let Some(c) = conn else { return };
        if link.cc == Some(c) {
            link.cc = None;
            link.pending_commands = 0;
        }
        if link.pc == Some(c) {
            link.pc = None;
        }
        link.disconnected = true;
        self.conns.remove(&c);
        env.close(c);
    }

    /// dropInstanceConnections: close the links to a master and its
    /// replicas (new credentials); they are redone at the next timer tick.
    pub fn drop_instance_connections(&mut self, env: &mut Env, m: &mut Instance) {
        for link in std::iter::once(&mut m.link).chain(m.slaves.values_mut().map(|s| &mut s.link)) {
            let (cc, pc) = (link.cc, link.pc);
            self.close_conn(env, link, cc);
            self.close_conn(env, link, pc);
        }
    }

    /// Close both connections of an instance's link (and, for a master, of its replicas and sentinels).
    pub fn release_instance_links(&mut self, env: &mut Env, ri: &mut Instance) {
        let (cc, pc) = (ri.link.cc, ri.link.pc);
        self.close_conn(env, &mut ri.link, cc);
        self.close_conn(env, &mut ri.link, pc);
        for s in ri.slaves.values_mut() {
            let (cc, pc) = (s.link.cc, s.link.pc);
            self.close_conn(env, &mut s.link, cc);
            self.close_conn(env, &mut s.link, pc);
        }
        for s in ri.sentinels.values_mut() {
            let (cc, pc) = (s.link.cc, s.link.pc);
            self.close_conn(env, &mut s.link, cc);
            self.close_conn(env, &mut s.link, pc);
        }
    }

    /// Queue a command on a link connection.
    pub fn send_cmd(&mut self, env: &mut Env, conn: ConnId, args: &[&str], cb: Cb) -> bool {
        let Some(lc) = self.conns.get_mut(&conn) else {
            return false;
        };
        let bytes = Frame::command(args.iter().map(|a| a.as_bytes()));
        lc.cbs.push_back(cb);
        if lc.connected {
            env.send(conn, bytes);
        } else {
            lc.outq.extend_from_slice(&bytes);
        }
        true
    }

    fn open_conn(&mut self, env: &mut Env, addr: &SAddr, owner: Owner, pubsub: bool) -> ConnId {
        let conn = env.srv.connect(Addr::new(addr.ip.clone(), addr.port));
        self.conns.insert(
            conn,
            LinkConn {
                owner,
                pubsub,
                connected: false,
                local: None,
                outq: Vec::new(),
                buf: Vec::new(),
                cbs: VecDeque::new(),
            },
        );
        conn
    }

    fn auth_args(
        &self,
        ri: &Instance,
        master: Option<&Instance>,
        requirepass: &str,
    ) -> Option<Vec<String>> {
        let (pass, user) = if ri.flags & SRI_SENTINEL != 0 {
            if let Some(p) = &self.sentinel_auth_pass {
                (Some(p.clone()), self.sentinel_auth_user.clone())
            } else if !requirepass.is_empty() {
                // Older configs: our own requirepass serves both ways.
                (Some(requirepass.to_string()), None)
            } else {
                (None, None)
            }
        } else {
            let m = master.unwrap_or(ri);
            (m.auth_pass.clone(), m.auth_user.clone())
        };
        let pass = pass?;
        let auth = ri.map_command(master, "AUTH").to_string();
        Some(match user {
            Some(u) => vec![auth, u, pass],
            None => vec![auth, pass],
        })
    }

    /// sentinelReconnectInstance.
    pub fn reconnect_instance(
        &mut self,
        env: &mut Env,
        mname: &str,
        who: &Who,
        ri: &mut Instance,
        master: Option<&Instance>,
    ) {
        if !ri.link.disconnected || ri.addr.port == 0 {
            return;
        }
        let now = env.now();
        if now.saturating_sub(ri.link.last_reconn_time) < self.t.ping_period {
            return;
        }
        ri.link.last_reconn_time = now;
        let owner = Owner {
            master: mname.to_string(),
            who: who.clone(),
        };
        let myid8: String = self.myid.chars().take(8).collect();
        let requirepass = env.srv.config.get(Key::REQUIREPASS).to_string();
        let auth = self.auth_args(ri, master, &requirepass);
        if ri.link.cc.is_none() {
            // The name may not have resolved when the instance was created,
            // or may point elsewhere now: resolve it again.
            if self.resolve_hostnames {
                // A failed lookup is logged (createSentinelAddr) and the old
                // address is kept and tried.
                if let Ok(a) = self.create_addr(&ri.addr.hostname, ri.addr.port.into(), false) {
                    ri.addr = a;
                }
            }
            let conn = self.open_conn(env, &ri.addr, owner.clone(), false);
            ri.link.cc = Some(conn);
            ri.link.pending_commands = 0;
            ri.link.cc_conn_time = now;
            if let Some(a) = &auth {
                let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
                if self.send_cmd(env, conn, &a, Cb::Discard) {
                    ri.link.pending_commands += 1;
                }
            }
            let name = format!("sentinel-{myid8}-cmd");
            let client = ri.map_command(master, "CLIENT").to_string();
            if self.send_cmd(env, conn, &[&client, "SETNAME", &name], Cb::Discard) {
                ri.link.pending_commands += 1;
            }
            self.send_ping(env, ri, master);
        }
        if ri.flags & (SRI_MASTER | SRI_SLAVE) != 0 && ri.link.pc.is_none() {
            let conn = self.open_conn(env, &ri.addr, owner, true);
            ri.link.pc = Some(conn);
            ri.link.pc_conn_time = now;
            if let Some(a) = &auth {
                let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
                self.send_cmd(env, conn, &a, Cb::Discard);
            }
            let name = format!("sentinel-{myid8}-pubsub");
            let client = ri.map_command(master, "CLIENT").to_string();
            self.send_cmd(env, conn, &[&client, "SETNAME", &name], Cb::Discard);
            let sub = ri.map_command(master, "SUBSCRIBE").to_string();
            self.send_cmd(env, conn, &[&sub, HELLO_CHANNEL], Cb::Publish);
        }
        if ri.link.cc.is_some() && (ri.flags & SRI_SENTINEL != 0 || ri.link.pc.is_some()) {
            ri.link.disconnected = false;
        }
    }

    /// sentinelSendPing.
    pub fn send_ping(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        master: Option<&Instance>,
    ) -> bool {
        let ping = ri.map_command(master, "PING").to_string();
        self.send_ping_named(env, ri, &ping)
    }

    fn send_ping_mv(&mut self, env: &mut Env, ri: &mut Instance, mv: &MasterView) -> bool {
        let ping = mv.map(ri, "PING");
        self.send_ping_named(env, ri, &ping)
    }

    /// PING under the name `ping` (the master may have renamed it).
    fn send_ping_named(&mut self, env: &mut Env, ri: &mut Instance, ping: &str) -> bool {
        let Some(cc) = ri.link.cc else { return false };
        if self.send_cmd(env, cc, &[ping], Cb::Ping) {
            let now = env.now();
            ri.link.pending_commands += 1;
            ri.link.last_ping_time = now;
            if ri.link.act_ping_time == 0 {
                ri.link.act_ping_time = now;
            }
            true
        } else {
            false
        }
    }

    /// sentinelSendHello.
    pub fn send_hello(&mut self, env: &mut Env, ri: &mut Instance, master: &MasterView) -> bool {
        if ri.link.disconnected {
            return false;
        }
        let Some(cc) = ri.link.cc else { return false };
        let ip = match &self.announce_ip {
            Some(ip) => ip.clone(),
            None => match self.conns.get(&cc).and_then(|c| c.local.clone()) {
                Some(l) => l.host,
                None => return false,
            },
        };
        let port = if self.announce_port != 0 {
            self.announce_port
        } else {
            self.port
        };
        let maddr = &master.cur_addr;
        let payload = format!(
            "{},{},{},{},{},{},{},{}",
            ip,
            port,
            self.myid,
            self.current_epoch,
            master.name,
            self.announce(maddr),
            maddr.port,
            master.config_epoch
        );
        let publish = master.map(ri, "PUBLISH");
        if self.send_cmd(env, cc, &[&publish, HELLO_CHANNEL, &payload], Cb::Publish) {
            ri.link.pending_commands += 1;
            true
        } else {
            false
        }
    }

    /// sentinelSendPeriodicCommands.
    pub fn send_periodic(&mut self, env: &mut Env, ri: &mut Instance, master: &MasterView) {
        let now = env.now();
        if ri.link.disconnected {
            return;
        }
        if ri.link.pending_commands >= MAX_PENDING_COMMANDS {
            return;
        }
        let info_period = if ri.flags & SRI_SLAVE != 0
            && (master.flags & (SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS) != 0
                || ri.master_link_down_time != 0)
        {
            1000
        } else {
            self.t.info_period
        };
        let ping_period = ri.down_after_period.min(self.t.ping_period);
        if ri.flags & SRI_SENTINEL == 0
            && (ri.info_refresh == 0 || now.saturating_sub(ri.info_refresh) > info_period)
        {
            if let Some(cc) = ri.link.cc {
                let info = master.map(ri, "INFO");
                if self.send_cmd(env, cc, &[&info], Cb::Info) {
                    ri.link.pending_commands += 1;
                }
            }
        }
        if now.saturating_sub(ri.link.last_pong_time) > ping_period
            && now.saturating_sub(ri.link.last_ping_time) > ping_period / 2
        {
            self.send_ping_mv(env, ri, master);
        }
        if now.saturating_sub(ri.last_pub_time) > self.t.publish_period {
            self.send_hello(env, ri, master);
        }
    }

    // ---------------------------------------------------------------- inputs

    pub fn on_connected(&mut self, env: &mut Env, conn: ConnId, local: Addr) {
        let Some(lc) = self.conns.get_mut(&conn) else {
            // A connection we no longer want.
            env.close(conn);
            return;
        };
        lc.connected = true;
        lc.local = Some(local);
        let q = std::mem::take(&mut lc.outq);
        if !q.is_empty() {
            env.send(conn, q);
        }
    }

    /// instanceLinkConnectionError: the connection failed or closed.
    pub fn on_link_error(&mut self, env: &mut Env, conn: ConnId) {
        let Some(lc) = self.conns.remove(&conn) else {
            return;
        };
        let Some(m) = self.masters.get_mut(&lc.owner.master) else {
            return;
        };
        let _ = env;
        if let Some(ri) = inst_mut(m, &lc.owner.who) {
            if ri.link.pc == Some(conn) {
                ri.link.pc = None;
            } else if ri.link.cc == Some(conn) {
                ri.link.cc = None;
            }
            ri.link.disconnected = true;
        }
    }

    pub fn on_data(&mut self, env: &mut Env, conn: ConnId, bytes: &[u8]) {
        let mut replies: Vec<(Cb, Frame)> = Vec::new();
        let mut drop_link = false;
        let (owner, pubsub) = {
            let Some(lc) = self.conns.get_mut(&conn) else {
                return;
            };
            lc.buf.extend_from_slice(bytes);
            let mut used = 0;
            loop {
                match Frame::parse(&lc.buf[used..]) {
                    Ok(Some((f, n))) => {
                        used += n;
                        // Replies to AUTH / CLIENT SETNAME come first; then the
                        // subscription (its callback is not a regular one, as in
                        // hiredis) and its messages.
                        let regular = if lc.pubsub {
                            if matches!(f, Frame::Array(_) | Frame::Push(_)) {
                                Some(Cb::Publish)
                            } else if lc.cbs.front() == Some(&Cb::Discard) {
                                lc.cbs.pop_front()
                            } else {
                                None
                            }
                        } else {
                            lc.cbs.pop_front()
                        };
                        let Some(cb) = regular else {
                            // hiredis drops a connection on an error reply no
                            // callback waits for (say -NOAUTH to SUBSCRIBE).
                            if matches!(f, Frame::Error(_)) {
                                drop_link = true;
                                break;
                            }
                            continue;
                        };
                        replies.push((cb, f));
                    }
                    Ok(None) => break,
                    Err(_) => {
                        used = lc.buf.len();
                        break;
                    }
                }
            }
            lc.buf.drain(..used);
            (lc.owner.clone(), lc.pubsub)
        };
        for (cb, f) in replies {
            if pubsub {
                if cb == Cb::Publish {
                    self.on_hello_reply(env, &owner, f);
                }
            } else {
                self.on_reply(env, &owner, cb, f);
            }
        }
        if drop_link {
            self.on_link_error(env, conn);
            env.close(conn);
        }
    }

    fn on_reply(&mut self, env: &mut Env, owner: &Owner, cb: Cb, f: Frame) {
        let now = env.now();
        if cb == Cb::Info {
            if let Some(ri) = self
                .masters
                .get_mut(&owner.master)
                .and_then(|m| inst_mut(m, &owner.who))
            {
                ri.link.pending_commands -= 1;
            }
            if let Frame::Bulk(b) = &f {
                let text = String::from_utf8_lossy(b).into_owned();
                self.refresh_instance_info(env, owner, &text);
            }
            return;
        }
        let mut script_kill: Option<(ConnId, String)> = None;
        {
            let Some(m) = self.masters.get_mut(&owner.master) else {
                return;
            };
            let script = m.map_command(None, "SCRIPT").to_string();
            let Some(ri) = inst_mut(m, &owner.who) else {
                return;
            };
            ri.link.pending_commands -= 1;
            match cb {
                Cb::Ping => {
                    let s = match &f {
                        Frame::Simple(s) | Frame::Error(s) => Some(s.as_str()),
                        _ => None,
                    };
                    if let Some(s) = s {
                        if s.starts_with("PONG")
                            || s.starts_with("LOADING")
                            || s.starts_with("MASTERDOWN")
                        {
                            ri.link.last_avail_time = now;
                            ri.link.act_ping_time = 0;
                            if ri.flags & SRI_MASTER_REBOOT != 0 && s.starts_with("PONG") {
                                ri.flags &= !SRI_MASTER_REBOOT;
                            }
                        } else if s.starts_with("BUSY")
                            && ri.flags & SRI_S_DOWN != 0
                            && ri.flags & SRI_SCRIPT_KILL_SENT == 0
                        {
                            if let Some(cc) = ri.link.cc {
                                script_kill = Some((cc, script));
                                ri.link.pending_commands += 1;
                            }
                            ri.flags |= SRI_SCRIPT_KILL_SENT;
                        }
                    }
                    ri.link.last_pong_time = now;
                }
                Cb::Publish => {
                    if !f.is_error() {
                        ri.last_pub_time = now;
                    }
                }
                Cb::IsMasterDown => {
                    if let Frame::Array(a) = &f {
                        if let [Frame::Integer(down), Frame::Bulk(leader), Frame::Integer(epoch)] =
                            a.as_slice()
                        {
                            ri.last_master_down_reply_time = now;
                            if *down == 1 {
                                ri.flags |= SRI_MASTER_DOWN;
                            } else {
                                ri.flags &= !SRI_MASTER_DOWN;
                            }
                            let leader = String::from_utf8_lossy(leader).into_owned();
                            if leader != "*" {
                                if ri.leader_epoch as i64 != *epoch {
                                    env.log(
                                        LogLevel::Warning,
                                        format!(
                                            "{} voted for {} {}",
                                            ri.name, leader, *epoch as u64
                                        ),
                                    );
                                }
                                ri.leader = Some(leader);
                                ri.leader_epoch = (*epoch).max(0) as u64;
                            }
                        }
                    }
                }
                Cb::Discard | Cb::Info => {}
            }
        }
        if let Some((cc, script)) = script_kill {
            self.send_cmd(env, cc, &[&script, "KILL"], Cb::Discard);
        }
    }

    /// sentinelReceiveHelloMessages.
    fn on_hello_reply(&mut self, env: &mut Env, owner: &Owner, f: Frame) {
        let now = env.now();
        if let Some(ri) = self
            .masters
            .get_mut(&owner.master)
            .and_then(|m| inst_mut(m, &owner.who))
        {
            ri.link.pc_last_activity = now;
        }
        let Some(a) = f.as_array() else { return };
        if a.len() != 3 {
            return;
        }
        let (Some(kind), Some(_), Some(msg)) = (a[0].as_bytes(), a[1].as_bytes(), a[2].as_bytes())
        else {
            return;
        };
        if kind != b"message" {
            return;
        }
        let msg = String::from_utf8_lossy(msg).into_owned();
        if !self.myid.is_empty() && msg.contains(&self.myid) {
            return;
        }
        self.process_hello(env, &msg);
    }

    /// sentinelProcessHelloMessage: `ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch`.
    pub fn process_hello(&mut self, env: &mut Env, hello: &str) {
        let now = env.now();
        let token: Vec<&str> = hello.split(',').collect();
        if token.len() != 8 {
            return;
        }
        let Some(mut master) = self.masters.remove(token[4]) else {
            return;
        };
        let port = atoi(token[1]);
        let master_port = atoi(token[6]);
        let current_epoch = strtoull(token[3]);
        let master_config_epoch = strtoull(token[7]);
        let runid = token[2].to_string();
        let mut known = self.find_sentinel(&master, Some((token[0], port)), Some(&runid));
        if known.is_none() {
            let removed = self.remove_matching_sentinel(env, &mut master, &runid);
            if removed > 0 {
                let msg = format!(
                    "{} ip {} port {} for {}",
                    self.at(&master, None),
                    token[0],
                    port,
                    runid
                );
                env.event(LogLevel::Notice, SentinelEvent::SentinelAddressSwitch, msg);
            } else if let Some(other) = self.find_sentinel(&master, Some((token[0], port)), None) {
                self.event_at(
                    env,
                    LogLevel::Notice,
                    SentinelEvent::SentinelInvalidAddr,
                    &master.sentinels[&other],
                    Some(&master),
                );
                let obsolete = master.sentinels[&other].runid.clone().unwrap_or_default();
                self.remove_matching_sentinel(env, &mut master, &obsolete);
                let names: Vec<String> = self.masters.keys().cloned().collect();
                for n in names {
                    self.with_master(&n, |st, m| st.remove_matching_sentinel(env, m, &obsolete));
                }
            }
            match self.create_addr(token[0], port, true) {
                Ok(addr) if !master.sentinels.contains_key(&runid) => {
                    let mut si = Instance::new(
                        runid.clone(),
                        SRI_SENTINEL,
                        addr,
                        master.quorum,
                        Some(&master),
                        &self.t,
                        now,
                    );
                    si.runid = Some(runid.clone());
                    if removed == 0 {
                        self.event_at(
                            env,
                            LogLevel::Notice,
                            SentinelEvent::Sentinel,
                            &si,
                            Some(&master),
                        );
                    }
                    master.sentinels.insert(runid.clone(), si);
                    known = Some(runid.clone());
                    self.flush_config(env);
                }
                _ => {}
            }
        }
        self.observe_epoch(env, current_epoch, &master);
        if let Some(k) = &known {
            if master.config_epoch < master_config_epoch {
                master.config_epoch = master_config_epoch;
                if master_port != master.addr.port as i64
                    || !self.addr_equals_hostname(&master.addr, token[5])
                {
                    self.event_at(
                        env,
                        LogLevel::Warning,
                        SentinelEvent::ConfigUpdateFrom,
                        &master.sentinels[k],
                        Some(&master),
                    );
                    let msg = format!(
                        "{} {} {} {} {}",
                        master.name,
                        self.announce(&master.addr),
                        master.addr.port,
                        token[5],
                        master_port
                    );
                    env.event_of(LogLevel::Warning, SentinelEvent::SwitchMaster, &master, msg);
                    let old_addr = master.addr.clone();
                    self.reset_master_and_change_address(env, &mut master, token[5], master_port);
                    self.call_client_reconf_script(env, &master, false, &old_addr, &master.addr);
                }
            }
            if let Some(si) = master.sentinels.get_mut(k) {
                si.last_hello_time = now;
            }
        }
        self.masters.insert(master.name.clone(), master);
    }

    pub fn addr_equals_hostname(&self, a: &SAddr, host: &str) -> bool {
        a.ip.eq_ignore_ascii_case(host)
            || (self.resolve_hostnames && a.hostname.eq_ignore_ascii_case(host))
    }

    /// getSentinelRedisInstanceByAddrAndRunID over a master's sentinels; returns the key.
    pub fn find_sentinel(
        &self,
        master: &Instance,
        addr: Option<(&str, i64)>,
        runid: Option<&str>,
    ) -> Option<String> {
        let want = match addr {
            Some((h, p)) => Some(self.create_addr(h, p, true).ok()?),
            None => None,
        };
        for (k, ri) in &master.sentinels {
            if runid.is_some() && ri.runid.is_none() {
                continue;
            }
            if (runid.is_none() || ri.runid.as_deref() == runid)
                && want.as_ref().is_none_or(|w| ri.addr.or_hostname_equal(w))
            {
                return Some(k.clone());
            }
        }
        None
    }

    fn remove_matching_sentinel(
        &mut self,
        env: &mut Env,
        master: &mut Instance,
        runid: &str,
    ) -> usize {
        let keys: Vec<String> = master
            .sentinels
            .iter()
            .filter(|(_, s)| s.runid.as_deref() == Some(runid))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            if let Some(mut s) = master.sentinels.remove(k) {
                self.release_instance_links(env, &mut s);
            }
        }
        keys.len()
    }

    /// sentinelRefreshInstanceInfo.
    pub fn refresh_instance_info(&mut self, env: &mut Env, owner: &Owner, info: &str) {
        let Some(mut master) = self.masters.remove(&owner.master) else {
            return;
        };
        match &owner.who {
            Who::Master => self.refresh_info_inner(env, &mut master, None, info),
            Who::Slave(k) => {
                if let Some(mut ri) = master.slaves.remove(k) {
                    self.refresh_info_inner(env, &mut ri, Some(&mut master), info);
                    master.slaves.insert(k.clone(), ri);
                }
            }
            Who::Sentinel(_) => {}
        }
        self.masters.insert(owner.master.clone(), master);
    }

    fn refresh_info_inner(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        master: Option<&mut Instance>,
        info: &str,
    ) {
        let now = env.now();
        ri.info = Some(info.to_string());
        ri.master_link_down_time = 0;
        let mut role = 0u32;
        for l in info.split("\r\n") {
            let lb = l.as_bytes();
            if lb.len() >= 47 && l.starts_with("run_id:") {
                let id = &l[7..47];
                match &ri.runid {
                    None => ri.runid = Some(id.to_string()),
                    Some(old) if old != id => {
                        self.event_at(
                            env,
                            LogLevel::Notice,
                            SentinelEvent::Reboot,
                            ri,
                            master.as_deref(),
                        );
                        if ri.is_master() && ri.master_reboot_down_after_period != 0 {
                            ri.flags |= SRI_MASTER_REBOOT;
                            ri.master_reboot_since_time = now;
                        }
                        ri.runid = Some(id.to_string());
                    }
                    _ => {}
                }
            }
            if ri.is_master() && lb.len() >= 7 && l.starts_with("slave") && lb[5].is_ascii_digit() {
                if let Some((ip, port)) = parse_slave_line(l) {
                    let port = atoi(&port);
                    let key = self
                        .create_addr(&ip, port, false)
                        .ok()
                        .map(|a| self.announce_addr_port(&a));
                    if let Some(key) = key {
                        if !ri.slaves.contains_key(&key) {
                            if let Ok(addr) = self.create_addr(&ip, port, true) {
                                let s = Instance::new(
                                    key.clone(),
                                    SRI_SLAVE,
                                    addr,
                                    ri.quorum,
                                    Some(ri),
                                    &self.t,
                                    now,
                                );
                                let msg = self.at(&s, Some(ri));
                                ri.slaves.insert(key, s);
                                env.event(LogLevel::Notice, SentinelEvent::Slave, msg);
                                self.flush_config(env);
                            }
                        }
                    }
                }
            }
            if lb.len() >= 32 && l.starts_with("master_link_down_since_seconds") {
                ri.master_link_down_time = (atoi(&l[31..]).max(0) as u64).saturating_mul(1000);
            }
            if l.starts_with("role:master") {
                role = SRI_MASTER;
            } else if l.starts_with("role:slave") {
                role = SRI_SLAVE;
            }
            if role == SRI_SLAVE {
                if let Some(h) = l.strip_prefix("master_host:") {
                    if ri
                        .slave_master_host
                        .as_deref()
                        .is_none_or(|old| !old.eq_ignore_ascii_case(h))
                    {
                        ri.slave_master_host = Some(h.to_string());
                        ri.slave_conf_change_time = now;
                    }
                }
                if let Some(p) = l.strip_prefix("master_port:") {
                    let p = atoi(p);
                    if ri.slave_master_port != p {
                        ri.slave_master_port = p;
                        ri.slave_conf_change_time = now;
                    }
                }
                if let Some(s) = l.strip_prefix("master_link_status:") {
                    ri.slave_master_link_up = s.eq_ignore_ascii_case("up");
                }
                if let Some(s) = l.strip_prefix("slave_priority:") {
                    ri.slave_priority = atoi(s);
                }
                if let Some(s) = l.strip_prefix("slave_repl_offset:") {
                    ri.slave_repl_offset = strtoull(s);
                }
                if let Some(s) = l.strip_prefix("replica_announced:") {
                    ri.replica_announced = atoi(s);
                }
            }
        }
        ri.info_refresh = now;

        // Acting half.
        if role != ri.role_reported {
            ri.role_reported_time = now;
            ri.role_reported = role;
            if role == SRI_SLAVE {
                ri.slave_conf_change_time = now;
            }
            let kind = if ri.flags & (SRI_MASTER | SRI_SLAVE) == role {
                SentinelEvent::RoleChange
            } else {
                SentinelEvent::RoleChangeMismatch
            };
            let msg = format!(
                "{} new reported role is {}",
                self.at(ri, master.as_deref()),
                if role == SRI_MASTER {
                    "master"
                } else {
                    "slave"
                }
            );
            env.event(LogLevel::Verbose, kind, msg);
        }
        if self.tilt {
            return;
        }
        let Some(master) = master else {
            return;
        };
        // Slave -> master role switch.
        if ri.flags & SRI_SLAVE != 0 && role == SRI_MASTER {
            if ri.flags & SRI_PROMOTED != 0
                && master.flags & SRI_FAILOVER_IN_PROGRESS != 0
                && master.failover_state == FailoverState::WaitPromotion
            {
                master.config_epoch = master.failover_epoch;
                master.set_failover_state(FailoverState::ReconfSlaves, now);
                self.flush_config(env);
                self.event_at(
                    env,
                    LogLevel::Warning,
                    SentinelEvent::PromotedSlave,
                    ri,
                    Some(master),
                );
                if self.simfailure_flags & SIMFAILURE_CRASH_AFTER_PROMOTION != 0 {
                    self.sim_failure_crash(env);
                }
                self.event_at(
                    env,
                    LogLevel::Warning,
                    SentinelEvent::FailoverStateReconfSlaves,
                    master,
                    None,
                );
                self.call_client_reconf_script(env, master, true, &master.addr, &ri.addr);
                force_hello_update(master, self.t.publish_period);
                if ri.last_pub_time > self.t.publish_period {
                    ri.last_pub_time -= self.t.publish_period + 1;
                }
            } else {
                // A master we did not promote: make it a replica again.
                if ri.flags & SRI_PROMOTED == 0 {
                    let since = ri.role_reported_time;
                    let wait_time = self.t.publish_period * 4;
                    let kind = SentinelEvent::ConvertToSlave;
                    self.repoint_replica(env, ri, master, since, wait_time, kind);
                }
            }
        }
        // Replicas replicating from a different master address.
        if ri.flags & SRI_SLAVE != 0
            && role == SRI_SLAVE
            && (ri.slave_master_port != master.addr.port as i64
                || !self.addr_equals_hostname(
                    &master.addr,
                    ri.slave_master_host.as_deref().unwrap_or(""),
                ))
        {
            let since = ri.slave_conf_change_time;
            let wait_time = master.failover_timeout;
            let kind = SentinelEvent::FixSlaveConfig;
            self.repoint_replica(env, ri, master, since, wait_time, kind);
        }
        // Replica being reconfigured changed state.
        if ri.flags & SRI_SLAVE != 0
            && role == SRI_SLAVE
            && ri.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG) != 0
        {
            let promoted = master
                .promoted_slave
                .as_ref()
                .and_then(|k| master.slaves.get(k))
                .map(|p| p.addr.clone());
            if let Some(paddr) = promoted {
                if ri.flags & SRI_RECONF_SENT != 0
                    && ri
                        .slave_master_host
                        .as_deref()
                        .is_some_and(|h| self.addr_equals_hostname(&paddr, h))
                    && ri.slave_master_port == paddr.port as i64
                {
                    ri.flags &= !SRI_RECONF_SENT;
                    ri.flags |= SRI_RECONF_INPROG;
                    self.event_at(
                        env,
                        LogLevel::Notice,
                        SentinelEvent::SlaveReconfInprog,
                        ri,
                        Some(master),
                    );
                }
            }
            if ri.flags & SRI_RECONF_INPROG != 0 && ri.slave_master_link_up {
                ri.flags &= !SRI_RECONF_INPROG;
                ri.flags |= SRI_RECONF_DONE;
                self.event_at(
                    env,
                    LogLevel::Notice,
                    SentinelEvent::SlaveReconfDone,
                    ri,
                    Some(master),
                );
            }
        }
    }

    /// sentinelMasterLooksSane.
    /// Send `ri` a SLAVEOF to `master` (and announce it as `kind`) once the
    /// master looks sane and `ri` has been up and unchanged for `wait_time`
    /// since `since`, so a transient state is not "fixed".
    fn repoint_replica(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        master: &Instance,
        since: Millis,
        wait_time: u64,
        kind: SentinelEvent,
    ) {
        let now = env.now();
        if self.master_looks_sane(master, now)
            && ri.no_down_for(wait_time, now)
            && now.saturating_sub(since) > wait_time
        {
            let addr = master.addr.clone();
            if self.send_slaveof(env, ri, Some(master), Some(&addr)) {
                self.event_at(env, LogLevel::Notice, kind, ri, Some(master));
            }
        }
    }

    pub fn master_looks_sane(&self, master: &Instance, now: Millis) -> bool {
        master.flags & SRI_MASTER != 0
            && master.role_reported == SRI_MASTER
            && master.flags & (SRI_S_DOWN | SRI_O_DOWN) == 0
            && now.saturating_sub(master.info_refresh) < self.t.info_period * 2
    }

    /// sentinelSendSlaveOf: MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL TYPE normal / pubsub / EXEC.
    pub fn send_slaveof(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        master: Option<&Instance>,
        addr: Option<&SAddr>,
    ) -> bool {
        let Some(cc) = ri.link.cc else { return false };
        let (host, port) = match addr {
            None => ("NO".to_string(), "ONE".to_string()),
            Some(a) => (self.announce(a).to_string(), a.port.to_string()),
        };
        let multi = ri.map_command(master, "MULTI").to_string();
        let slaveof = ri.map_command(master, "SLAVEOF").to_string();
        let config = ri.map_command(master, "CONFIG").to_string();
        let client = ri.map_command(master, "CLIENT").to_string();
        let exec = ri.map_command(master, "EXEC").to_string();
        let cmds: [Vec<&str>; 6] = [
            vec![&multi],
            vec![&slaveof, &host, &port],
            vec![&config, "REWRITE"],
            vec![&client, "KILL", "TYPE", "normal"],
            vec![&client, "KILL", "TYPE", "pubsub"],
            vec![&exec],
        ];
        for c in cmds.iter() {
            if !self.send_cmd(env, cc, c, Cb::Discard) {
                return false;
            }
            ri.link.pending_commands += 1;
        }
        true
    }

    pub fn sim_failure_crash(&mut self, env: &mut Env) {
        env.log(
            LogLevel::Warning,
            "Sentinel CRASH because of SENTINEL simulate-failure",
        );
        env.srv.emit(Event::Shutdown { exit_code: 99 });
        env.srv.shutting_down = true;
    }
}

/// What per-instance work needs to know of the instance's master.
#[derive(Clone, Debug)]
pub struct MasterView {
    pub name: String,
    pub flags: u32,
    pub cur_addr: SAddr,
    pub config_epoch: u64,
    pub renamed: crate::vecmap::VecMap<String, String>,
}

impl MasterView {
    pub fn of(m: &Instance) -> MasterView {
        MasterView {
            name: m.name.clone(),
            flags: m.flags,
            cur_addr: m.current_master_addr().clone(),
            config_epoch: m.config_epoch,
            renamed: m.renamed_commands.clone(),
        }
    }

    /// The (possibly renamed) command name to send to `ri`.
    pub fn map(&self, _ri: &Instance, cmd: &str) -> String {
        self.renamed
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(cmd))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| cmd.to_string())
    }
}

/// Reset last_pub_time so hellos go out at the next timer run.
pub fn force_hello_update(master: &mut Instance, period: u64) {
    if master.flags & SRI_MASTER == 0 {
        return;
    }
    if master.last_pub_time > period {
        master.last_pub_time -= period + 1;
    }
    for ri in master
        .sentinels
        .values_mut()
        .chain(master.slaves.values_mut())
    {
        if ri.last_pub_time > period {
            ri.last_pub_time -= period + 1;
        }
    }
}

/// C atoi: leading integer, 0 if none.
pub fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

pub fn strtoull(s: &str) -> u64 {
    let mut v: u64 = 0;
    for b in s.trim_start().bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((b - b'0') as u64);
    }
    v
}

/// Parse an INFO `slaveN:` line (old `ip,port,state` or new `ip=..,port=..` format).
pub fn parse_slave_line(l: &str) -> Option<(String, String)> {
    if !l.contains("ip=") {
        let rest = &l[l.find(':')? + 1..];
        let mut it = rest.splitn(3, ',');
        let ip = it.next()?;
        let port = it.next()?;
        it.next()?;
        return Some((ip.to_string(), port.to_string()));
    }
    let ip_start = l.find("ip=")? + 3;
    let port_start = l.find("port=")? + 5;
    let ip = l[ip_start..].split(',').next().unwrap_or("");
    let port = l[port_start..].split(',').next().unwrap_or("");
    Some((ip.to_string(), port.to_string()))
}
