//! Acting half: TILT, SDOWN / ODOWN, asking other sentinels, leader election
//! and the failover state machine (`sentinel.c`'s timer handler).

use super::monitor::MasterView;
use super::*;
use crate::calendar::ctime;
use std::cmp::Ordering;

impl SentinelState {
    /// sentinelTimer.
    pub fn timer(&mut self, env: &mut Env) {
        self.check_tilt(env);
        let names: Vec<String> = self.masters.keys().cloned().collect();
        let mut switch_to: Option<String> = None;
        for n in names {
            let Some(mut m) = self.masters.remove(&n) else {
                continue;
            };
            self.handle_master(env, &mut m);
            let mv = MasterView::of(&m);
            let keys: Vec<String> = m.slaves.keys().cloned().collect();
            for k in keys {
                if let Some(mut s) = m.slaves.remove(&k) {
                    self.handle_instance(env, &mut s, &m, &mv, Who::Slave(k.clone()));
                    m.slaves.insert(k, s);
                }
            }
            let keys: Vec<String> = m.sentinels.keys().cloned().collect();
            for k in keys {
                if let Some(mut s) = m.sentinels.remove(&k) {
                    self.handle_instance(env, &mut s, &m, &mv, Who::Sentinel(k.clone()));
                    m.sentinels.insert(k, s);
                }
            }
            if m.failover_state == FailoverState::UpdateConfig {
                switch_to = Some(n.clone());
            }
            self.masters.insert(n, m);
        }
        if let Some(n) = switch_to {
            self.switch_to_promoted_slave(env, &n);
        }
        // The scripts this step's events asked for run in this step too.
        for argv in std::mem::take(&mut env.scripts) {
            self.scripts.schedule(argv);
        }
        self.scripts.run_pending(env);
        self.scripts.kill_timed_out(env, self.t.script_max_runtime);
    }

    /// sentinelCheckTiltCondition.
    fn check_tilt(&mut self, env: &mut Env) {
        let now = env.now();
        let delta = now as i64 - self.previous_time as i64;
        if delta < 0 || delta > self.t.tilt_trigger as i64 {
            self.tilt = true;
            self.tilt_start_time = now;
            env.event(
                LogLevel::Warning,
                SentinelEvent::Tilt,
                "#tilt mode entered".into(),
            );
        }
        self.previous_time = now;
    }

    /// Leave TILT once the period elapsed; true if still in TILT (skip acting).
    fn tilt_blocks(&mut self, env: &mut Env) -> bool {
        if self.tilt {
            if env.now().saturating_sub(self.tilt_start_time) < self.t.tilt_period {
                return true;
            }
            self.tilt = false;
            env.event(
                LogLevel::Warning,
                SentinelEvent::TiltExited,
                "#tilt mode exited".into(),
            );
        }
        false
    }

    /// sentinelHandleRedisInstance for a master.
    fn handle_master(&mut self, env: &mut Env, m: &mut Instance) {
        let name = m.name.clone();
        self.reconnect_instance(env, &name, &Who::Master, m, None);
        let mv = MasterView::of(m);
        self.send_periodic(env, m, &mv);
        if self.tilt_blocks(env) {
            return;
        }
        self.check_subjectively_down(env, m, None);
        self.check_objectively_down(env, m);
        if self.start_failover_if_needed(env, m) {
            self.ask_master_state(env, m, true);
        }
        self.failover_state_machine(env, m);
        self.ask_master_state(env, m, false);
    }

    /// sentinelHandleRedisInstance for a replica or a sentinel.
    fn handle_instance(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        m: &Instance,
        mv: &MasterView,
        who: Who,
    ) {
        let name = m.name.clone();
        self.reconnect_instance(env, &name, &who, ri, Some(m));
        self.send_periodic(env, ri, mv);
        if self.tilt_blocks(env) {
            return;
        }
        self.check_subjectively_down(env, ri, Some(m));
    }

    /// sentinelCheckSubjectivelyDown.
    pub fn check_subjectively_down(
        &mut self,
        env: &mut Env,
        ri: &mut Instance,
        master: Option<&Instance>,
    ) {
        let now = env.now();
        let mut elapsed = 0;
        if ri.link.act_ping_time != 0 {
            elapsed = now.saturating_sub(ri.link.act_ping_time);
        } else if ri.link.disconnected {
            elapsed = now.saturating_sub(ri.link.last_avail_time);
        }
        if ri.link.cc.is_some()
            && now.saturating_sub(ri.link.cc_conn_time) > self.t.min_link_reconnect_period
            && ri.link.act_ping_time != 0
            && now.saturating_sub(ri.link.act_ping_time) > ri.down_after_period / 2
            && now.saturating_sub(ri.link.last_pong_time) > ri.down_after_period / 2
        {
            let cc = ri.link.cc;
            self.close_conn(env, &mut ri.link, cc);
        }
        if ri.link.pc.is_some()
            && now.saturating_sub(ri.link.pc_conn_time) > self.t.min_link_reconnect_period
            && now.saturating_sub(ri.link.pc_last_activity) > self.t.publish_period * 3
        {
            let pc = ri.link.pc;
            self.close_conn(env, &mut ri.link, pc);
        }
        let down = elapsed > ri.down_after_period
            || (ri.flags & SRI_MASTER != 0
                && ri.role_reported == SRI_SLAVE
                && now.saturating_sub(ri.role_reported_time)
                    > ri.down_after_period + self.t.info_period * 2)
            || (ri.flags & SRI_MASTER_REBOOT != 0
                && now.saturating_sub(ri.master_reboot_since_time)
                    > ri.master_reboot_down_after_period);
        if down {
            if ri.flags & SRI_S_DOWN == 0 {
                self.event_at(env, LogLevel::Warning, SentinelEvent::Sdown, ri, master);
                ri.s_down_since_time = now;
                ri.flags |= SRI_S_DOWN;
            }
        } else if ri.flags & SRI_S_DOWN != 0 {
            self.event_at(
                env,
                LogLevel::Warning,
                SentinelEvent::SdownCleared,
                ri,
                master,
            );
            ri.flags &= !(SRI_S_DOWN | SRI_SCRIPT_KILL_SENT);
        }
    }

    /// sentinelCheckObjectivelyDown.
    fn check_objectively_down(&mut self, env: &mut Env, m: &mut Instance) {
        let mut quorum = 0u32;
        let mut odown = false;
        if m.flags & SRI_S_DOWN != 0 {
            quorum = 1 + m
                .sentinels
                .values()
                .filter(|s| s.flags & SRI_MASTER_DOWN != 0)
                .count() as u32;
            odown = quorum >= m.quorum;
        }
        if odown {
            if m.flags & SRI_O_DOWN == 0 {
                let msg = format!("{} #quorum {}/{}", self.at(m, None), quorum, m.quorum);
                env.event_of(LogLevel::Warning, SentinelEvent::Odown, m, msg);
                m.flags |= SRI_O_DOWN;
                m.o_down_since_time = env.now();
            }
        } else if m.flags & SRI_O_DOWN != 0 {
            self.event_at(env, LogLevel::Warning, SentinelEvent::OdownCleared, m, None);
            m.flags &= !SRI_O_DOWN;
        }
    }

    /// sentinelAskMasterStateToOtherSentinels.
    fn ask_master_state(&mut self, env: &mut Env, m: &mut Instance, forced: bool) {
        let now = env.now();
        let ip = self.announce(&m.addr).to_string();
        let port = m.addr.port.to_string();
        let sdown = m.flags & SRI_S_DOWN != 0;
        let runid = if m.failover_state > FailoverState::None {
            self.myid.clone()
        } else {
            "*".to_string()
        };
        let epoch = self.current_epoch.to_string();
        let sentinel_cmd = m.map_command(None, "SENTINEL").to_string();
        let mut sends: Vec<ConnId> = Vec::new();
        for ri in m.sentinels.values_mut() {
            let elapsed = now.saturating_sub(ri.last_master_down_reply_time);
            if elapsed > self.t.ask_period * 5 {
                ri.flags &= !SRI_MASTER_DOWN;
                ri.leader = None;
            }
            if !sdown || ri.link.disconnected {
                continue;
            }
            if !forced && now.saturating_sub(ri.last_master_down_reply_time) < self.t.ask_period {
                continue;
            }
            if let Some(cc) = ri.link.cc {
                ri.link.pending_commands += 1;
                sends.push(cc);
            }
        }
        for cc in sends {
            self.send_cmd(
                env,
                cc,
                &[
                    &sentinel_cmd,
                    "is-master-down-by-addr",
                    &ip,
                    &port,
                    &epoch,
                    &runid,
                ],
                Cb::IsMasterDown,
            );
        }
    }

    /// sentinelVoteLeader: returns (leader, leader_epoch).
    pub fn vote_leader(
        &mut self,
        env: &mut Env,
        m: &mut Instance,
        req_epoch: u64,
        req_runid: &str,
    ) -> (Option<String>, u64) {
        self.observe_epoch(env, req_epoch, m);
        if m.leader_epoch < req_epoch && self.current_epoch <= req_epoch {
            m.leader = Some(req_runid.to_string());
            m.leader_epoch = self.current_epoch;
            self.flush_config(env);
            env.event_of(
                LogLevel::Warning,
                SentinelEvent::VoteForLeader,
                m,
                format!("{} {}", req_runid, m.leader_epoch),
            );
            if !req_runid.eq_ignore_ascii_case(&self.myid) {
                m.failover_start_time = env.now() + env.rand(MAX_DESYNC);
            }
        }
        (m.leader.clone(), m.leader_epoch)
    }

    /// sentinelGetLeader.
    fn get_leader(&mut self, env: &mut Env, m: &mut Instance, epoch: u64) -> Option<String> {
        let voters = m.sentinels.len() as u64 + 1;
        // Votes in first-seen order, like the dict Redis fills.
        let mut counters: Vec<(String, u64)> = Vec::new();
        let incr = |c: &mut Vec<(String, u64)>, id: &str| -> u64 {
            if let Some(e) = c.iter_mut().find(|(k, _)| k == id) {
                e.1 += 1;
                e.1
            } else {
                c.push((id.to_string(), 1));
                1
            }
        };
        for ri in m.sentinels.values() {
            if let Some(l) = &ri.leader {
                if ri.leader_epoch == self.current_epoch {
                    incr(&mut counters, l);
                }
            }
        }
        let mut winner: Option<String> = None;
        let mut max_votes = 0;
        for (k, v) in &counters {
            if *v > max_votes {
                max_votes = *v;
                winner = Some(k.clone());
            }
        }
        let vote_for = winner.clone().unwrap_or_else(|| self.myid.clone());
        let (myvote, leader_epoch) = self.vote_leader(env, m, epoch, &vote_for);
        if let Some(v) = &myvote {
            if leader_epoch == epoch {
                let votes = incr(&mut counters, v);
                if votes > max_votes {
                    max_votes = votes;
                    winner = Some(v.clone());
                }
            }
        }
        let voters_quorum = voters / 2 + 1;
        if winner.is_some() && (max_votes < voters_quorum || max_votes < m.quorum as u64) {
            winner = None;
        }
        winner
    }

    /// A newer epoch seen from another sentinel becomes ours (saved at once).
    pub fn observe_epoch(&mut self, env: &mut Env, epoch: u64, master: &Instance) {
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.flush_config(env);
            env.event_of(
                LogLevel::Warning,
                SentinelEvent::NewEpoch,
                master,
                self.current_epoch.to_string(),
            );
        }
    }

    /// sentinelStartFailover.
    pub fn start_failover(&mut self, env: &mut Env, m: &mut Instance) {
        m.failover_state = FailoverState::WaitStart;
        m.flags |= SRI_FAILOVER_IN_PROGRESS;
        self.current_epoch += 1;
        m.failover_epoch = self.current_epoch;
        env.event_of(
            LogLevel::Warning,
            SentinelEvent::NewEpoch,
            m,
            self.current_epoch.to_string(),
        );
        self.event_at(env, LogLevel::Warning, SentinelEvent::TryFailover, m, None);
        let now = env.now();
        m.failover_start_time = now + env.rand(MAX_DESYNC);
        m.failover_state_change_time = now;
    }

    /// sentinelStartFailoverIfNeeded.
    fn start_failover_if_needed(&mut self, env: &mut Env, m: &mut Instance) -> bool {
        if m.flags & SRI_O_DOWN == 0 || m.flags & SRI_FAILOVER_IN_PROGRESS != 0 {
            return false;
        }
        let now = env.now();
        if (now as i64 - m.failover_start_time as i64)
            < (m.failover_timeout as i64).saturating_mul(2)
        {
            if m.failover_delay_logged != m.failover_start_time {
                m.failover_delay_logged = m.failover_start_time;
                let at = (m.failover_start_time + m.failover_timeout * 2) / 1000;
                env.log(
                    LogLevel::Warning,
                    format!(
                        "Next failover delay: I will not start a failover before {}",
                        ctime(at)
                    ),
                );
            }
            return false;
        }
        self.start_failover(env, m);
        true
    }

    /// sentinelSelectSlave: the key of the best replica to promote.
    pub fn select_slave(&self, m: &Instance, now: Millis) -> Option<String> {
        let mut max_master_down_time = 0;
        if m.flags & SRI_S_DOWN != 0 {
            max_master_down_time += now.saturating_sub(m.s_down_since_time);
        }
        max_master_down_time += m.down_after_period.saturating_mul(10);
        let info_validity_time = if m.flags & SRI_S_DOWN != 0 {
            self.t.ping_period * 5
        } else {
            self.t.info_period * 3
        };
        let mut cands: Vec<&Instance> = m
            .slaves
            .values()
            .map(|s| &**s)
            .filter(|s| {
                s.flags & (SRI_S_DOWN | SRI_O_DOWN) == 0
                    && !s.link.disconnected
                    && now.saturating_sub(s.link.last_avail_time) <= self.t.ping_period * 5
                    && s.slave_priority != 0
                    && now.saturating_sub(s.info_refresh) <= info_validity_time
                    && s.master_link_down_time <= max_master_down_time
            })
            .collect();
        crate::coldsort::sort_by(&mut cands, |a, b| compare_slaves_for_promotion(a, b));
        cands.first().map(|s| s.name.clone())
    }

    /// Give up the failover, saying why (`why` is a `-failover-abort-*` event).
    fn abort_failover(&mut self, env: &mut Env, m: &mut Instance, why: SentinelEvent) {
        self.event_at(env, LogLevel::Warning, why, m, None);
        m.flags &= !(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER);
        m.set_failover_state(FailoverState::None, env.now());
        if let Some(k) = m.promoted_slave.take() {
            if let Some(s) = m.slaves.get_mut(&k) {
                s.flags &= !SRI_PROMOTED;
            }
        }
    }

    /// The selected replica was not promoted within the failover timeout.
    fn abort_on_promotion_timeout(&mut self, env: &mut Env, m: &mut Instance) {
        if env.now().saturating_sub(m.failover_state_change_time) > m.failover_timeout {
            self.abort_failover(env, m, SentinelEvent::FailoverAbortSlaveTimeout);
        }
    }

    fn failover_state_machine(&mut self, env: &mut Env, m: &mut Instance) {
        if m.flags & SRI_FAILOVER_IN_PROGRESS == 0 {
            return;
        }
        match m.failover_state {
            FailoverState::WaitStart => self.failover_wait_start(env, m),
            FailoverState::SelectSlave => self.failover_select_slave(env, m),
            FailoverState::SendSlaveofNoone => self.failover_send_slaveof_noone(env, m),
            FailoverState::WaitPromotion => {
                self.abort_on_promotion_timeout(env, m);
            }
            FailoverState::ReconfSlaves => self.failover_reconf_next_slave(env, m),
            FailoverState::None | FailoverState::UpdateConfig => {}
        }
    }

    fn failover_wait_start(&mut self, env: &mut Env, m: &mut Instance) {
        let epoch = m.failover_epoch;
        let leader = self.get_leader(env, m, epoch);
        let isleader = leader.is_some_and(|l| l.eq_ignore_ascii_case(&self.myid));
        if !isleader && m.flags & SRI_FORCE_FAILOVER == 0 {
            let election_timeout = self.t.election_timeout.min(m.failover_timeout);
            if (env.now() as i64 - m.failover_start_time as i64) > election_timeout as i64 {
                self.abort_failover(env, m, SentinelEvent::FailoverAbortNotElected);
            }
            return;
        }
        self.event_at(
            env,
            LogLevel::Warning,
            SentinelEvent::ElectedLeader,
            m,
            None,
        );
        if self.simfailure_flags & SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
            self.sim_failure_crash(env);
        }
        m.set_failover_state(FailoverState::SelectSlave, env.now());
        self.event_at(
            env,
            LogLevel::Warning,
            SentinelEvent::FailoverStateSelectSlave,
            m,
            None,
        );
    }

    fn failover_select_slave(&mut self, env: &mut Env, m: &mut Instance) {
        match self.select_slave(m, env.now()) {
            None => {
                self.abort_failover(env, m, SentinelEvent::FailoverAbortNoGoodSlave);
            }
            Some(k) => {
                self.event_at(
                    env,
                    LogLevel::Warning,
                    SentinelEvent::SelectedSlave,
                    &m.slaves[&k],
                    Some(m),
                );
                if let Some(s) = m.slaves.get_mut(&k) {
                    s.flags |= SRI_PROMOTED;
                }
                m.promoted_slave = Some(k.clone());
                m.set_failover_state(FailoverState::SendSlaveofNoone, env.now());
                self.event_at(
                    env,
                    LogLevel::Notice,
                    SentinelEvent::FailoverStateSendSlaveofNoone,
                    &m.slaves[&k],
                    Some(m),
                );
            }
        }
    }

    fn failover_send_slaveof_noone(&mut self, env: &mut Env, m: &mut Instance) {
        let Some(k) = m.promoted_slave.clone() else {
            return;
        };
        let Some(mut s) = m.slaves.remove(&k) else {
            return;
        };
        if s.link.disconnected {
            m.slaves.insert(k, s);
            self.abort_on_promotion_timeout(env, m);
            return;
        }
        let ok = self.send_slaveof(env, &mut s, Some(m), None);
        let msg = self.at(&s, Some(m));
        m.slaves.insert(k, s);
        if !ok {
            return;
        }
        env.event(
            LogLevel::Notice,
            SentinelEvent::FailoverStateWaitPromotion,
            msg,
        );
        m.set_failover_state(FailoverState::WaitPromotion, env.now());
    }

    fn failover_reconf_next_slave(&mut self, env: &mut Env, m: &mut Instance) {
        let now = env.now();
        let mut in_progress = m
            .slaves
            .values()
            .filter(|s| s.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG) != 0)
            .count() as i64;
        let promoted_addr = m
            .promoted_slave
            .as_ref()
            .and_then(|k| m.slaves.get(k))
            .map(|s| s.addr.clone());
        let keys: Vec<String> = m.slaves.keys().cloned().collect();
        for k in keys {
            if in_progress >= m.parallel_syncs {
                break;
            }
            let Some(mut s) = m.slaves.remove(&k) else {
                continue;
            };
            self.reconf_one(
                env,
                m,
                &mut s,
                now,
                promoted_addr.as_ref(),
                &mut in_progress,
            );
            m.slaves.insert(k, s);
        }
        self.failover_detect_end(env, m);
    }

    fn reconf_one(
        &mut self,
        env: &mut Env,
        m: &Instance,
        s: &mut Instance,
        now: Millis,
        promoted: Option<&SAddr>,
        in_progress: &mut i64,
    ) {
        if s.flags & (SRI_PROMOTED | SRI_RECONF_DONE) != 0 {
            return;
        }
        if s.flags & SRI_RECONF_SENT != 0
            && now.saturating_sub(s.slave_reconf_sent_time) > self.t.slave_reconf_timeout
        {
            self.event_at(
                env,
                LogLevel::Notice,
                SentinelEvent::SlaveReconfSentTimeout,
                s,
                Some(m),
            );
            s.flags &= !SRI_RECONF_SENT;
            s.flags |= SRI_RECONF_DONE;
        }
        if s.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG) != 0 || s.link.disconnected {
            return;
        }
        let Some(paddr) = promoted else { return };
        if self.send_slaveof(env, s, Some(m), Some(paddr)) {
            s.flags |= SRI_RECONF_SENT;
            s.slave_reconf_sent_time = now;
            self.event_at(
                env,
                LogLevel::Notice,
                SentinelEvent::SlaveReconfSent,
                s,
                Some(m),
            );
            *in_progress += 1;
        }
    }

    fn failover_detect_end(&mut self, env: &mut Env, m: &mut Instance) {
        let now = env.now();
        let elapsed = now.saturating_sub(m.failover_state_change_time);
        let Some(pk) = m.promoted_slave.clone() else {
            return;
        };
        let Some(paddr) = m
            .slaves
            .get(&pk)
            .filter(|p| p.flags & SRI_S_DOWN == 0)
            .map(|p| p.addr.clone())
        else {
            return;
        };
        let mut not_reconfigured = m
            .slaves
            .values()
            .filter(|s| {
                s.flags & (SRI_PROMOTED | SRI_RECONF_DONE) == 0 && s.flags & SRI_S_DOWN == 0
            })
            .count();
        let mut timeout = false;
        if elapsed > m.failover_timeout {
            not_reconfigured = 0;
            timeout = true;
            self.event_at(
                env,
                LogLevel::Warning,
                SentinelEvent::FailoverEndForTimeout,
                m,
                None,
            );
        }
        if not_reconfigured == 0 {
            self.event_at(env, LogLevel::Warning, SentinelEvent::FailoverEnd, m, None);
            m.set_failover_state(FailoverState::UpdateConfig, now);
        }
        if timeout {
            let keys: Vec<String> = m.slaves.keys().cloned().collect();
            for k in keys {
                let Some(mut s) = m.slaves.remove(&k) else {
                    continue;
                };
                if s.flags & (SRI_PROMOTED | SRI_RECONF_DONE | SRI_RECONF_SENT) == 0
                    && !s.link.disconnected
                    && self.send_slaveof(env, &mut s, Some(m), Some(&paddr))
                {
                    self.event_at(
                        env,
                        LogLevel::Notice,
                        SentinelEvent::SlaveReconfSentBe,
                        &s,
                        Some(m),
                    );
                    s.flags |= SRI_RECONF_SENT;
                }
                m.slaves.insert(k, s);
            }
        }
    }

    /// sentinelFailoverSwitchToPromotedSlave.
    fn switch_to_promoted_slave(&mut self, env: &mut Env, name: &str) {
        let Some(mut m) = self.masters.remove(name) else {
            return;
        };
        let target = m
            .promoted_slave
            .as_ref()
            .and_then(|k| m.slaves.get(k))
            .map(|s| s.addr.clone())
            .unwrap_or_else(|| m.addr.clone());
        let msg = format!(
            "{} {} {} {} {}",
            m.name,
            self.announce(&m.addr),
            m.addr.port,
            self.announce(&target),
            target.port
        );
        env.event_of(LogLevel::Warning, SentinelEvent::SwitchMaster, &m, msg);
        self.reset_master_and_change_address(
            env,
            &mut m,
            &target.hostname.clone(),
            target.port as i64,
        );
        self.masters.insert(name.to_string(), m);
    }

    /// sentinelResetMaster.
    pub fn reset_master(
        &mut self,
        env: &mut Env,
        m: &mut Instance,
        keep_sentinels: bool,
        event: bool,
    ) {
        let now = env.now();
        let mut slaves = std::mem::take(&mut m.slaves);
        for s in slaves.values_mut() {
            self.release_instance_links(env, s);
        }
        if !keep_sentinels {
            let mut ss = std::mem::take(&mut m.sentinels);
            for s in ss.values_mut() {
                self.release_instance_links(env, s);
            }
        }
        let (cc, pc) = (m.link.cc, m.link.pc);
        self.close_conn(env, &mut m.link, cc);
        self.close_conn(env, &mut m.link, pc);
        m.flags &= SRI_MASTER;
        m.leader = None;
        m.set_failover_state(FailoverState::None, 0);
        m.failover_start_time = 0;
        m.promoted_slave = None;
        m.runid = None;
        m.slave_master_host = None;
        m.link.act_ping_time = now;
        m.link.last_ping_time = 0;
        m.link.last_avail_time = now;
        m.link.last_pong_time = now;
        m.role_reported_time = now;
        m.role_reported = SRI_MASTER;
        if event {
            self.event_at(env, LogLevel::Warning, SentinelEvent::ResetMaster, m, None);
        }
    }

    /// sentinelResetMasterAndChangeAddress.
    pub fn reset_master_and_change_address(
        &mut self,
        env: &mut Env,
        m: &mut Instance,
        host: &str,
        port: i64,
    ) -> bool {
        let Ok(newaddr) = self.create_addr(host, port, false) else {
            return false;
        };
        let mut addrs: Vec<SAddr> = m
            .slaves
            .values()
            .filter(|s| !s.addr.equal(&newaddr))
            .map(|s| s.addr.clone())
            .collect();
        if !newaddr.equal(&m.addr) {
            addrs.push(m.addr.clone());
        }
        self.reset_master(env, m, true, false);
        m.addr = newaddr;
        m.o_down_since_time = 0;
        m.s_down_since_time = 0;
        let now = env.now();
        for a in addrs {
            let key = self.announce_addr_port(&a);
            if m.slaves.contains_key(&key) {
                continue;
            }
            let s = Instance::new(key.clone(), SRI_SLAVE, a, m.quorum, Some(m), &self.t, now);
            let msg = self.at(&s, Some(m));
            m.slaves.insert(key, s);
            env.event(LogLevel::Notice, SentinelEvent::Slave, msg);
        }
        self.flush_config(env);
        true
    }
}

/// compareSlavesForPromotion: lower priority, then bigger offset, then smaller run id.
pub fn compare_slaves_for_promotion(a: &Instance, b: &Instance) -> Ordering {
    if a.slave_priority != b.slave_priority {
        return a.slave_priority.cmp(&b.slave_priority);
    }
    if a.slave_repl_offset != b.slave_repl_offset {
        return b.slave_repl_offset.cmp(&a.slave_repl_offset);
    }
    match (&a.runid, &b.runid) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
    }
}
