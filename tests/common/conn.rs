//! The RESP client of the integration tests: a TcpStream whose replies are
//! read with our `Frame` parser, and the readings of replies the tests share
//! (text, flat maps, INFO fields, ROLE).

use sentinel_lab::resp::Frame;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A RESP connection to a server on 127.0.0.1.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// `None` if nothing accepts on `port` within 2 s.
    pub fn open(port: u16) -> Option<Conn> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let _ = stream.set_nodelay(true);
        Some(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Like `open`, for a server that must be there.
    pub fn connect(port: u16) -> Conn {
        Conn::open(port).unwrap_or_else(|| panic!("connect to 127.0.0.1:{port}"))
    }

    pub fn set_read_timeout(&self, secs: u64) {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(secs)))
            .expect("set_read_timeout");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    pub fn send<T: AsRef<[u8]>>(&mut self, args: &[T]) {
        let b = Frame::command(args.iter().map(|a| a.as_ref()));
        self.send_raw(&b);
    }

    /// Read one reply frame; `None` when the peer closed (or the read timed out).
    pub fn read(&mut self) -> Option<Frame> {
        loop {
            match Frame::parse(&self.buf) {
                Ok(Some((f, n))) => {
                    self.buf.drain(..n);
                    return Some(f);
                }
                Ok(None) => {}
                Err(e) => panic!("unparsable reply: {e:?}"),
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// One command and its reply; `None` if the connection failed.
    pub fn try_cmd<T: AsRef<[u8]>>(&mut self, args: &[T]) -> Option<Frame> {
        let b = Frame::command(args.iter().map(|a| a.as_ref()));
        self.stream.write_all(&b).ok()?;
        self.read()
    }

    /// One command and its reply, which must come.
    pub fn cmd<T: AsRef<[u8]>>(&mut self, args: &[T]) -> Frame {
        self.send(args);
        self.read().expect("connection closed before the reply")
    }

    /// True if the server closed the connection (EOF or reset) within 5 s.
    pub fn closed(&mut self) -> bool {
        self.set_read_timeout(5);
        let mut b = [0u8; 1024];
        match self.stream.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
        }
    }

    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Field `name` of `INFO section`.
    pub fn info_field(&mut self, section: &str, name: &str) -> Option<String> {
        let f = self.try_cmd(&["INFO", section])?;
        let t = String::from_utf8_lossy(f.as_bytes()?).into_owned();
        t.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_string())
    }

    pub fn role(&mut self) -> Option<Role> {
        Role::parse(&self.try_cmd(&["ROLE"])?)
    }
}

/// One command on a new connection; `None` on any failure.
pub fn cmd(port: u16, args: &[&str]) -> Option<Frame> {
    Conn::open(port)?.try_cmd(args)
}

/// `INFO section` field `name` of the server on `port`.
pub fn info_field(port: u16, section: &str, name: &str) -> Option<String> {
    Conn::open(port)?.info_field(section, name)
}

/// ROLE of the server on `port`.
pub fn role(port: u16) -> Option<Role> {
    Conn::open(port)?.role()
}

/// True if `port` is a replica of `master` with its link up.
pub fn replica_connected(port: u16, master: u16) -> bool {
    role(port).is_some_and(|r| r.master_port() == Some(master) && r.connected())
}

/// A string or integer reply as text ("" for anything else).
pub fn text(f: &Frame) -> String {
    match f {
        Frame::Integer(i) => i.to_string(),
        f => f.as_str().map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// A RESP2 flat map reply as (field, value) pairs.
pub fn pairs(f: &Frame) -> Vec<(String, String)> {
    f.as_array()
        .unwrap_or(&[])
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (text(&c[0]), text(&c[1])))
        .collect()
}

/// Field `name` of a RESP2 flat map reply.
pub fn field(f: &Frame, name: &str) -> Option<String> {
    pairs(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A ROLE reply: "master", or "slave" with its master and link state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub role: String,
    /// A replica's master (host, port).
    pub master: Option<(String, u16)>,
    /// A replica's link state ("connected", "connect", "sync", ...).
    pub link: Option<String>,
}

impl Role {
    pub fn parse(f: &Frame) -> Option<Role> {
        let a = f.as_array()?;
        let role = text(a.first()?);
        if role != "slave" {
            return Some(Role {
                role,
                master: None,
                link: None,
            });
        }
        let host = a.get(1).map(text).unwrap_or_default();
        let port = a.get(2).and_then(|p| p.as_int()).map(|p| p as u16);
        Some(Role {
            role,
            master: port.map(|p| (host, p)),
            link: a.get(3).map(text),
        })
    }

    pub fn is_master(&self) -> bool {
        self.role == "master"
    }

    pub fn is_replica(&self) -> bool {
        self.role == "slave"
    }

    pub fn master_port(&self) -> Option<u16> {
        self.master.as_ref().map(|(_, p)| *p)
    }

    /// The master as "host:port".
    pub fn master_addr(&self) -> Option<String> {
        self.master.as_ref().map(|(h, p)| format!("{h}:{p}"))
    }

    /// A replica whose link to its master is up.
    pub fn connected(&self) -> bool {
        self.is_replica() && self.link.as_deref() == Some("connected")
    }
}
