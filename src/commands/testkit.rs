//! The test kit every command family's unit tests use: a `Server` driven
//! without IO, fed commands on numbered connections, its replies read raw.
//!
//! A connection is opened the first time a command is sent on it. Time moves
//! only when a test says so: `tick` runs the cron as a host would, `advance`
//! lets time pass without it (for lazy expiry on access).

use crate::keyspace::{Object, Value};
use crate::node::{Addr, ConnId, Event, Input, Millis, Node, Output};
use crate::resp::{split_args, Frame};
use crate::server::{Client, Config, Server};
use bytes::Bytes;
use std::collections::BTreeMap;

/// When a kit's server starts: a plausible unix time in ms.
pub const T0: Millis = 1_700_000_000_000;

pub const OK: &str = "+OK\r\n";
pub const NULL: &str = "$-1\r\n";
pub const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A bulk string reply.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// The payload of a bulk string reply.
pub fn bulk_body(reply: &str) -> &str {
    let start = reply.find("\r\n").expect("a bulk reply") + 2;
    &reply[start..reply.len() - 2]
}

/// An error reply.
pub fn err(s: &str) -> String {
    format!("-{}\r\n", s)
}

pub struct Kit {
    pub srv: Server,
    pub now: Millis,
    /// Bytes each connection received and nobody read yet.
    pub inbox: BTreeMap<u64, String>,
    /// Connections the server closed, in order.
    pub closed: Vec<u64>,
    /// Events the server emitted, in order.
    pub events: Vec<Event>,
}

impl Default for Kit {
    fn default() -> Kit {
        Kit::new()
    }
}

impl Kit {
    pub fn new() -> Kit {
        Kit::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Kit {
        Kit::seeded(config, 1)
    }

    /// A kit whose server draws its randomness from `seed`.
    pub fn seeded(config: Config, seed: u64) -> Kit {
        Kit {
            srv: Server::new(config, T0, seed),
            now: T0,
            inbox: BTreeMap::new(),
            closed: Vec::new(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some(o) = self.srv.poll_output() {
            match o {
                Output::Send { conn, bytes } => self
                    .inbox
                    .entry(conn.0)
                    .or_default()
                    .push_str(&String::from_utf8_lossy(&bytes)),
                Output::Close { conn } => self.closed.push(conn.0),
                Output::Event(e) => self.events.push(e),
                _ => {}
            }
        }
    }

    /// Feed the server one input as a host would (outbound connections'
    /// events, say); what it sends lands in the inbox like any reply.
    pub fn input(&mut self, input: Input) {
        self.srv.handle(self.now, input);
        self.drain();
    }

    /// Open connection `id` (sending on it does so too); returns `id`.
    pub fn connect(&mut self, id: u64) -> u64 {
        self.srv.handle(
            self.now,
            Input::Accepted {
                conn: ConnId(id),
                peer: Addr::new("127.0.0.1", 50000 + id as u16),
                local: Addr::new("127.0.0.1", 6379),
            },
        );
        self.drain();
        id
    }

    pub fn close(&mut self, id: u64) {
        self.srv
            .handle(self.now, Input::Closed { conn: ConnId(id) });
        self.drain();
    }

    /// Send one command written as redis-cli takes it and return what this
    /// connection received; other connections' bytes stay in `inbox`.
    pub fn cmd(&mut self, id: u64, line: &str) -> String {
        let args = split_args(line.as_bytes()).expect("valid test command");
        self.raw(id, &Frame::command(args))
    }

    /// Send one command given as its arguments (any bytes but no quoting).
    pub fn argv(&mut self, id: u64, args: &[&str]) -> String {
        self.raw(id, &Frame::command(args.iter().copied()))
    }

    /// Send raw bytes; return what this connection received (maybe nothing).
    pub fn raw(&mut self, id: u64, bytes: &[u8]) -> String {
        if !self.srv.clients.contains_key(&ConnId(id)) {
            self.connect(id);
        }
        self.srv.handle(
            self.now,
            Input::Data {
                conn: ConnId(id),
                bytes,
            },
        );
        self.drain();
        self.take(id)
    }

    /// Whatever connection `id` has received since last asked.
    pub fn take(&mut self, id: u64) -> String {
        self.inbox.remove(&id).unwrap_or_default()
    }

    /// Let `ms` pass and run the cron.
    pub fn tick(&mut self, ms: Millis) {
        self.now += ms;
        self.srv.handle(self.now, Input::Tick);
        self.drain();
    }

    /// Let `ms` pass without running the cron.
    pub fn advance(&mut self, ms: Millis) {
        self.now += ms;
    }

    /// The server's state of connection `id`, opening it if need be.
    pub fn client(&mut self, id: u64) -> &mut Client {
        if !self.srv.clients.contains_key(&ConnId(id)) {
            self.connect(id);
        }
        self.srv.clients.get_mut(&ConnId(id)).expect("connected")
    }

    /// Make connection `id` speak RESP3 without the HELLO reply.
    pub fn resp3(&mut self, id: u64) {
        self.client(id).reply.resp = 3;
    }

    /// The commands propagated since last asked, each as its space-joined
    /// arguments.
    pub fn feed(&mut self) -> Vec<String> {
        self.take_feed(false)
    }

    /// As `feed`, each command led by the number of its db.
    pub fn feed_with_db(&mut self) -> Vec<String> {
        self.take_feed(true)
    }

    fn take_feed(&mut self, with_db: bool) -> Vec<String> {
        std::mem::take(&mut self.srv.st.propagated)
            .into_iter()
            .map(|(db, argv)| {
                let words = argv.iter().map(|a| String::from_utf8_lossy(a));
                let db = with_db.then(|| std::borrow::Cow::from(db.to_string()));
                db.into_iter().chain(words).collect::<Vec<_>>().join(" ")
            })
            .collect()
    }

    /// Store a string directly in `db`, as another family's command would.
    pub fn put_str(&mut self, db: usize, key: &str, val: &str) {
        self.srv.st.dbs[db].set(
            Bytes::copy_from_slice(key.as_bytes()),
            Object::new(Value::Str(Bytes::copy_from_slice(val.as_bytes()).into())),
        );
    }

    /// The OBJECT ENCODING name of `key` in db 0, "none" if missing.
    pub fn encoding(&self, key: &str) -> &'static str {
        self.srv.st.dbs[0]
            .keys()
            .get(key.as_bytes())
            .map_or("none", |o| o.encoding())
    }
}
