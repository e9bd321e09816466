//! Published ports, as docker-proxy forwards them: a listener on
//! `host_ip:host_port` whose connections are piped to the service's
//! `ip:container_port`.
//!
//! The forwarders run inside the service's shim (see [`super::shim`]), one
//! process per running service rather than one per port or per project: a
//! published port then lives exactly as long as its container runs, as with
//! Docker (a stopped container's port refuses connections), and a port in
//! use is found when the service starts, which is when Docker reports it.

use std::net::SocketAddr;

/// One published port, bound.
pub struct Forward {
    pub listener: std::net::TcpListener,
    pub target: SocketAddr,
}

/// Bind every published port now; the error is Docker's message for a port
/// someone else holds.
pub fn bind(ip: &str, published: &[(String, u16, u16)]) -> Result<Vec<Forward>, String> {
    let mut out = Vec::new();
    for (host_ip, host_port, container_port) in published {
        let target: SocketAddr = format!("{ip}:{container_port}")
            .parse()
            .map_err(|_| format!("invalid container address {ip}:{container_port}"))?;
        let listen = format!("{host_ip}:{host_port}");
        let listener = bind_reusable(&listen).map_err(|e| {
            let reason = e.to_string();
            let reason = reason.split(" (os error").next().unwrap_or_default();
            format!(
                "Error starting userland proxy: listen tcp4 {listen}: bind: {}",
                reason.to_lowercase()
            )
        })?;
        out.push(Forward { listener, target });
    }
    Ok(out)
}

/// A listener with SO_REUSEADDR (std sets it on Unix), as docker-proxy's,
/// so a port freed by a stopped service can be bound again at once despite
/// TIME_WAIT connections.
fn bind_reusable(addr: &str) -> std::io::Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr)
}

/// Accept and forward until the task is dropped.
pub async fn serve(forward: Forward) {
    let Forward { listener, target } = forward;
    let _ = listener.set_nonblocking(true);
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        tokio::task::spawn_local(async move {
            // The backend refusing closes the client's connection, as docker-proxy does.
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}
