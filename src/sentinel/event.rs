//! The events a sentinel reports (sentinel.c's `sentinelEvent`): each one is
//! logged, published on the pub/sub channel of its name (`+sdown`,
//! `+switch-master`, ...) and handed to the host as [`Event::Sentinel`].
//!
//! As in Redis, `+` marks something that starts or is added and `-`
//! something that ends, is removed or failed.
//!
//! [`Event::Sentinel`]: crate::node::Event::Sentinel

/// Declares [`SentinelEvent`] from one table: variant, channel, meaning.
macro_rules! sentinel_events {
    ($($(#[doc = $doc:literal])* $variant:ident = $channel:literal,)*) => {
        /// One kind of sentinel event; [`SentinelEvent::channel`] is its name.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum SentinelEvent {
            $($(#[doc = $doc])* $variant,)*
        }

        impl SentinelEvent {
            /// Every event, in the table's order.
            pub const ALL: &'static [SentinelEvent] = &[$(SentinelEvent::$variant,)*];

            /// The pub/sub channel Redis publishes the event on, which is
            /// also how its log line starts.
            pub fn channel(self) -> &'static str {
                match self {
                    $(SentinelEvent::$variant => $channel,)*
                }
            }
        }
    };
}

sentinel_events! {
    /// A master is now monitored (SENTINEL MONITOR or the config file).
    Monitor = "+monitor",
    /// A master is no longer monitored (SENTINEL REMOVE).
    MonitorRemoved = "-monitor",
    /// A master's option was changed (SENTINEL SET).
    Set = "+set",
    /// The sentinel entered TILT mode (its clock jumped).
    Tilt = "+tilt",
    /// The sentinel left TILT mode.
    TiltExited = "-tilt",
    /// An instance is subjectively down.
    Sdown = "+sdown",
    /// An instance is no longer subjectively down.
    SdownCleared = "-sdown",
    /// A master is objectively down (a quorum agrees).
    Odown = "+odown",
    /// A master is no longer objectively down.
    OdownCleared = "-odown",
    /// The current epoch was updated.
    NewEpoch = "+new-epoch",
    /// This sentinel voted for a leader of an epoch.
    VoteForLeader = "+vote-for-leader",
    /// A failover starts, waiting to be elected leader.
    TryFailover = "+try-failover",
    /// Elected leader of the failover's epoch.
    ElectedLeader = "+elected-leader",
    /// The failover was not elected in time.
    FailoverAbortNotElected = "-failover-abort-not-elected",
    /// The failover looks for a replica to promote.
    FailoverStateSelectSlave = "+failover-state-select-slave",
    /// No replica can be promoted.
    FailoverAbortNoGoodSlave = "-failover-abort-no-good-slave",
    /// The replica to promote was chosen.
    SelectedSlave = "+selected-slave",
    /// REPLICAOF NO ONE is being sent to the chosen replica.
    FailoverStateSendSlaveofNoone = "+failover-state-send-slaveof-noone",
    /// The chosen replica did not turn master in time.
    FailoverAbortSlaveTimeout = "-failover-abort-slave-timeout",
    /// Waiting for the chosen replica to report itself master.
    FailoverStateWaitPromotion = "+failover-state-wait-promotion",
    /// The chosen replica reports itself master.
    PromotedSlave = "+promoted-slave",
    /// The other replicas are being pointed at the new master.
    FailoverStateReconfSlaves = "+failover-state-reconf-slaves",
    /// REPLICAOF was sent to a replica.
    SlaveReconfSent = "+slave-reconf-sent",
    /// A replica did not start syncing in time after REPLICAOF.
    SlaveReconfSentTimeout = "-slave-reconf-sent-timeout",
    /// A replica is syncing with the new master.
    SlaveReconfInprog = "+slave-reconf-inprog",
    /// A replica is in sync with the new master.
    SlaveReconfDone = "+slave-reconf-done",
    /// REPLICAOF sent to the replicas left behind when the failover ended.
    SlaveReconfSentBe = "+slave-reconf-sent-be",
    /// The failover timed out before every replica was reconfigured.
    FailoverEndForTimeout = "+failover-end-for-timeout",
    /// The failover ended.
    FailoverEnd = "+failover-end",
    /// The master's address changed: the message Redis clients follow.
    SwitchMaster = "+switch-master",
    /// A master's state was reset (SENTINEL RESET, or after a switch).
    ResetMaster = "+reset-master",
    /// A master's configuration was updated from another sentinel's hello.
    ConfigUpdateFrom = "+config-update-from",
    /// A replica was discovered.
    Slave = "+slave",
    /// Another sentinel was discovered.
    Sentinel = "+sentinel",
    /// Another sentinel announced a new address.
    SentinelAddressSwitch = "+sentinel-address-switch",
    /// A known sentinel's address is now another sentinel's: the old one is
    /// forgotten.
    SentinelInvalidAddr = "+sentinel-invalid-addr",
    /// An instance restarted (its run id changed).
    Reboot = "+reboot",
    /// An instance reports a new role, the one this sentinel has for it.
    RoleChange = "+role-change",
    /// An instance reports a new role, not the one this sentinel has for it.
    RoleChangeMismatch = "-role-change",
    /// An old master that came back is told to replicate the new one.
    ConvertToSlave = "+convert-to-slave",
    /// A replica with a wrong master is pointed at the right one.
    FixSlaveConfig = "+fix-slave-config",
    /// A notification or reconfiguration script started (its pid).
    ScriptChild = "+script-child",
    /// A script ended (pid, exit code, signal).
    ScriptChildExited = "-script-child",
    /// A script failed for good (path, signal, exit code).
    ScriptError = "-script-error",
    /// A script ran too long and is killed (path, pid).
    ScriptTimeout = "-script-timeout",
}

impl std::fmt::Display for SentinelEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.channel())
    }
}

#[cfg(test)]
mod tests {
    use super::SentinelEvent;

    #[test]
    fn channels_are_distinct_and_signed() {
        let mut seen = std::collections::BTreeSet::new();
        for e in SentinelEvent::ALL {
            let c = e.channel();
            assert!(c.starts_with('+') || c.starts_with('-'), "{c}");
            assert!(seen.insert(c), "{c} twice");
        }
    }
}
