//! Client-side caching (CLIENT TRACKING), as 7.0's tracking.c.
//!
//! In the default mode the server remembers which clients read which keys
//! (`table`: key → client ids; keys are names, whatever the database) and
//! sends each of them one invalidation when the key changes, then forgets.
//! In BCAST mode a client names prefixes instead; the keys changed under a
//! prefix are collected and sent to its clients once per event-loop round.
//! A FLUSHDB / FLUSHALL invalidates everything: a null key list to every
//! tracking client.
//!
//! Invalidations are queued in `outbox` and written by the server once the
//! running command's reply is out (`Server::deliver_tracking`): to the
//! client itself in RESP3, or to its REDIRECT client, as a push in RESP3 or
//! as a `__redis__:invalidate` pub/sub message in RESP2.

use super::Client;
use crate::resp::ReplyBuf;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// A client's tracking mode and options (CLIENT TRACKING ON ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTracking {
    /// Client id the invalidations go to; 0 for the client itself.
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command.
    pub caching: bool,
    /// The redirect client is gone.
    pub broken_redirect: bool,
    /// BCAST prefixes (the empty prefix for all keys).
    pub prefixes: BTreeSet<Bytes>,
}

/// What one invalidation names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalidated {
    /// These keys.
    Keys(Vec<Bytes>),
    /// Every key (a flush).
    All,
}

/// Why an invalidation was queued: delivery checks differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A key the client read changed, by client `by` (None: expiry, eviction).
    Table {
        by: Option<u64>,
    },
    Bcast,
    Flush,
}

/// One invalidation waiting to be written for tracking client `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: u64,
    pub what: Invalidated,
    pub origin: Origin,
}

/// Keys changed under a BCAST prefix since the last broadcast, each with the
/// id of the client that changed it last (for NOLOOP), and its clients.
#[derive(Clone, Debug, Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    keys: BTreeMap<Bytes, Option<u64>>,
}

#[derive(Clone, Debug, Default)]
pub struct Tracking {
    table: BTreeMap<Bytes, BTreeSet<u64>>,
    /// Client ids summed over the table's keys (INFO tracking_total_items).
    total_items: u64,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Clients with tracking on (INFO tracking_clients).
    pub clients: usize,
    /// Invalidations to write.
    pub outbox: Vec<Pending>,
    /// Rounds in a row the table stayed over `tracking-table-max-keys`.
    over_limit_rounds: u64,
}

/// The CLIENT TRACKING ON options, as parsed.
pub struct TrackingOptions {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Bytes>,
}

impl Tracking {
    /// Whether any client tracks: only then do changed keys matter here.
    pub fn active(&self) -> bool {
        self.clients > 0 || !self.table.is_empty()
    }

    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    pub fn total_items(&self) -> u64 {
        self.total_items
    }

    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// enableTracking: options replace the old ones (BCAST prefixes add up).
    pub fn enable(&mut self, c: &mut Client, opts: TrackingOptions) {
        let t = c.tracking.get_or_insert_with(|| {
            self.clients += 1;
            ClientTracking::default()
        });
        t.redirect = opts.redirect;
        t.broken_redirect = false;
        t.optin = opts.optin;
        t.optout = opts.optout;
        t.noloop = opts.noloop;
        t.bcast = opts.bcast;
        if opts.bcast {
            let prefixes = if opts.prefixes.is_empty() {
                vec![Bytes::new()]
            } else {
                opts.prefixes
            };
            for p in prefixes {
                self.prefixes
                    .entry(p.clone())
                    .or_default()
                    .clients
                    .insert(c.id);
                t.prefixes.insert(p);
            }
        }
    }

    /// disableTracking (keys it read stay in the table until they change).
    pub fn disable(&mut self, c: &mut Client) {
        let Some(t) = c.tracking.take() else {
            return;
        };
        self.clients -= 1;
        for p in &t.prefixes {
            if let Some(state) = self.prefixes.get_mut(p) {
                state.clients.remove(&c.id);
                if state.clients.is_empty() {
                    self.prefixes.remove(p);
                }
            }
        }
    }

    /// trackingRememberKeys: after a read-only command of a tracking client
    /// (not BCAST), unless OPTIN without CACHING yes or OPTOUT with CACHING no.
    pub fn remember(&mut self, c: &Client, keys: impl Iterator<Item = Bytes>) {
        let Some(t) = &c.tracking else {
            return;
        };
        if t.bcast || (t.optin && !t.caching) || (t.optout && t.caching) {
            return;
        }
        for k in keys {
            if self.table.entry(k).or_default().insert(c.id) {
                self.total_items += 1;
            }
        }
    }

    /// trackingInvalidateKey: `key` changed (by client `by`, if a client).
    /// `bcast` is false when the table is only being trimmed.
    pub fn invalidate(&mut self, key: &Bytes, by: Option<u64>, bcast: bool) {
        if bcast {
            for (p, state) in self.prefixes.iter_mut() {
                if key.starts_with(p) {
                    // Changed by two different parties this round: nobody's
                    // own change only (NOLOOP clients hear of it).
                    state
                        .keys
                        .entry(key.clone())
                        .and_modify(|b| {
                            if *b != by {
                                *b = None
                            }
                        })
                        .or_insert(by);
                }
            }
        }
        if let Some(ids) = self.table.remove(key) {
            self.total_items -= ids.len() as u64;
            for id in ids {
                self.outbox.push(Pending {
                    id,
                    what: Invalidated::Keys(vec![key.clone()]),
                    origin: Origin::Table { by },
                });
            }
        }
    }

    /// trackingInvalidateKeysOnFlush: every tracking client (`ids`) is told
    /// everything is gone, and the table is emptied.
    pub fn flushed(&mut self, ids: impl Iterator<Item = u64>) {
        for id in ids {
            self.outbox.push(Pending {
                id,
                what: Invalidated::All,
                origin: Origin::Flush,
            });
        }
        self.table.clear();
        self.total_items = 0;
    }

    /// trackingBroadcastInvalidationMessages: each prefix's changed keys to
    /// its clients (a NOLOOP client does not hear of its own changes).
    pub fn broadcast(&mut self, noloop: impl Fn(u64) -> bool) {
        for state in self.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            for &id in &state.clients {
                let own = noloop(id);
                let list: Vec<Bytes> = keys
                    .iter()
                    .filter(|(_, by)| !own || **by != Some(id))
                    .map(|(k, _)| k.clone())
                    .collect();
                if !list.is_empty() {
                    self.outbox.push(Pending {
                        id,
                        what: Invalidated::Keys(list),
                        origin: Origin::Bcast,
                    });
                }
            }
        }
    }

    /// Whether a BCAST prefix has changed keys to send.
    pub fn has_broadcast(&self) -> bool {
        self.prefixes.values().any(|p| !p.keys.is_empty())
    }

    /// trackingLimitUsedSlots: over `max_keys`, invalidate keys (an effort
    /// growing each round the table stays over) until back under.
    pub fn limit_keys(&mut self, max_keys: u64) {
        if max_keys == 0 || self.table.len() as u64 <= max_keys {
            self.over_limit_rounds = 0;
            return;
        }
        let effort = 100 * (self.over_limit_rounds + 1);
        for _ in 0..effort {
            let Some(key) = self.table.keys().next().cloned() else {
                break;
            };
            self.invalidate(&key, None, false);
            if self.table.len() as u64 <= max_keys {
                self.over_limit_rounds = 0;
                return;
            }
        }
        self.over_limit_rounds += 1;
    }
}

/// sendTrackingMessage's body once the receiver is known: `>2 invalidate
/// keys` (RESP3) or a `message` on `__redis__:invalidate` (a RESP2
/// subscriber receiving for another client). `null_resp` is the protocol of
/// the tracking client, whose null a flush sends.
pub fn write_invalidation(out: &mut ReplyBuf, what: &Invalidated, as_message: bool, null_resp: u8) {
    if as_message {
        out.array(3);
        out.bulk(b"message");
        out.bulk(b"__redis__:invalidate");
    } else {
        out.push(2);
        out.bulk(b"invalidate");
    }
    match what {
        Invalidated::Keys(keys) => {
            out.array(keys.len());
            for k in keys {
                out.bulk(k);
            }
        }
        Invalidated::All => out.raw(if null_resp >= 3 { b"_\r\n" } else { b"$-1\r\n" }),
    }
}

/// The push a RESP3 tracking client gets when its redirect client is gone.
pub fn write_redirect_broken(out: &mut ReplyBuf, redirect: u64) {
    out.push(2);
    out.bulk(b"tracking-redir-broken");
    out.int(redirect as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Addr, ConnId};

    fn client(id: u64) -> Client {
        let a = Addr::new("127.0.0.1", 1);
        Client::new(id, ConnId(id), a.clone(), a, 0)
    }

    fn opts(bcast: bool, prefixes: &[&str]) -> TrackingOptions {
        TrackingOptions {
            redirect: 0,
            bcast,
            optin: false,
            optout: false,
            noloop: false,
            prefixes: prefixes
                .iter()
                .map(|p| Bytes::from(p.to_string()))
                .collect(),
        }
    }

    #[test]
    fn default_mode_invalidates_once_per_read() {
        let mut t = Tracking::default();
        let mut c = client(1);
        t.enable(&mut c, opts(false, &[]));
        t.remember(&c, [Bytes::from("a"), Bytes::from("b")].into_iter());
        assert_eq!((t.total_keys(), t.total_items(), t.clients), (2, 2, 1));
        let a = Bytes::from("a");
        t.invalidate(&a, None, true);
        t.invalidate(&a, None, true);
        let origin = Origin::Table { by: None };
        assert_eq!(
            t.outbox,
            vec![Pending {
                id: 1,
                what: Invalidated::Keys(vec![a]),
                origin
            }]
        );
        assert_eq!(t.total_keys(), 1);
        t.limit_keys(1);
        assert_eq!(t.total_keys(), 1);
        t.limit_keys(0);
        t.disable(&mut c);
        assert_eq!(t.clients, 0);
    }

    #[test]
    fn bcast_collects_keys_per_prefix_and_respects_noloop() {
        let mut t = Tracking::default();
        let (mut c1, mut c2) = (client(1), client(2));
        t.enable(&mut c1, opts(true, &["a:", "b:"]));
        t.enable(&mut c2, opts(true, &[]));
        assert_eq!(t.total_prefixes(), 3);
        t.invalidate(&Bytes::from("a:1"), Some(1), true);
        t.invalidate(&Bytes::from("c"), Some(1), true);
        t.broadcast(|id| id == 1);
        let keys = vec![Bytes::from("a:1"), Bytes::from("c")];
        assert_eq!(
            t.outbox,
            vec![Pending {
                id: 2,
                what: Invalidated::Keys(keys),
                origin: Origin::Bcast
            }]
        );
        t.disable(&mut c1);
        assert_eq!(t.total_prefixes(), 1);
    }
}
