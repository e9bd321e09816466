//! The test harness of the server command modules' unit tests: a `Server`
//! with client 1 connected, fed RESP requests, its replies and events kept.

pub use crate::node::{Addr, ConnId, Event, Input, Node, Output};
pub use crate::server::{Config, Server};
use bytes::Bytes;

pub const T0: u64 = 1_700_000_000_000;

pub fn enc(cmd: &str) -> Vec<u8> {
    let parts: Vec<&str> = cmd.split(' ').collect();
    let mut v = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        v.extend_from_slice(format!("${}\r\n{}\r\n", p.len(), p).as_bytes());
    }
    v
}

pub struct H {
    pub s: Server,
    pub now: u64,
    pub closed: Vec<ConnId>,
    pub events: Vec<Event>,
}

impl H {
    pub fn new() -> H {
        H::with(Config::default())
    }
    pub fn with(cfg: Config) -> H {
        let mut h = H {
            s: Server::new(cfg, T0, 7),
            now: T0,
            closed: vec![],
            events: vec![],
        };
        h.connect(1);
        h
    }
    pub fn connect(&mut self, id: u64) {
        self.s.handle(
            self.now,
            Input::Accepted {
                conn: ConnId(id),
                peer: Addr::new("127.0.0.1", 50000 + id as u16),
                local: Addr::new("127.0.0.1", 6379),
            },
        );
        self.drain();
    }
    pub fn drain(&mut self) -> Vec<(u64, Vec<u8>)> {
        let mut v = vec![];
        while let Some(o) = self.s.poll_output() {
            match o {
                Output::Send { conn, bytes } => v.push((conn.0, bytes)),
                Output::Close { conn } => self.closed.push(conn),
                Output::Event(e) => self.events.push(e),
                _ => {}
            }
        }
        v
    }
    pub fn send(&mut self, conn: u64, bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
        self.s.handle(
            self.now,
            Input::Data {
                conn: ConnId(conn),
                bytes,
            },
        );
        self.drain()
    }
    pub fn on(&mut self, conn: u64, cmd: &str) -> String {
        let out = self.send(conn, &enc(cmd));
        out.into_iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }
    pub fn cmd(&mut self, cmd: &str) -> String {
        self.on(1, cmd)
    }
    /// String/list families are other people's work: store data directly.
    pub fn set(&mut self, db: usize, k: &str, v: &str) {
        self.s.st.dbs[db].set(
            Bytes::copy_from_slice(k.as_bytes()),
            crate::keyspace::Object::new(crate::keyspace::Value::Str(Bytes::copy_from_slice(
                v.as_bytes(),
            ))),
        );
    }
}

pub fn bulk_body(s: &str) -> &str {
    let i = s.find("\r\n").unwrap();
    &s[i + 2..s.len() - 2]
}
