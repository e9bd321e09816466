//! A request and its replies over a blocking socket, the node stopped
//! meanwhile: what 7.0's MIGRATE does with connBlockingConnect, syncWrite
//! and syncReadLine, for the MIGRATEs that run inside EXEC or a script.

use crate::node::{Addr, ExchangeFailure};
use crate::resp::Frame;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Connect to `to`, write `request`, read `replies` replies; each step
/// (and the whole read) bounded by `timeout_ms`, as Redis bounds each.
pub fn exchange(
    to: &Addr,
    request: &[u8],
    replies: usize,
    timeout_ms: u64,
) -> Result<Vec<Frame>, ExchangeFailure> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect(to, timeout)?;
    stream
        .set_write_timeout(Some(timeout))
        .and_then(|()| stream.write_all(request))
        .map_err(|_| ExchangeFailure::Writing)?;
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut frames = Vec::with_capacity(replies);
    let mut chunk = [0u8; 16 * 1024];
    while frames.len() < replies {
        match Frame::parse(&buf) {
            Ok(Some((f, n))) => {
                buf.drain(..n);
                frames.push(f);
                continue;
            }
            Ok(None) => {}
            Err(_) => return Err(ExchangeFailure::Reading),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ExchangeFailure::Reading);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| ExchangeFailure::Reading)?;
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(ExchangeFailure::Reading),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Ok(frames)
}

/// A refused connection surfaces as a write error: Redis's blocking
/// connect only waits for the socket to turn writable.
fn connect(to: &Addr, timeout: Duration) -> Result<TcpStream, ExchangeFailure> {
    let addrs = (to.host.as_str(), to.port)
        .to_socket_addrs()
        .map_err(|_| ExchangeFailure::Connecting)?;
    let mut failure = ExchangeFailure::Connecting;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                failure = ExchangeFailure::Writing;
            }
            Err(_) => {}
        }
    }
    Err(failure)
}
