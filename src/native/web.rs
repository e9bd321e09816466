//! `sentinel-lab web`: serve the web UI (www/) and the wasm build (pkg/) as
//! static files on loopback. GET and HEAD only; nothing leaves the machine.

use std::path::{Component, Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Map a request path to a file under `root`, refusing anything that climbs out.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("/");
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

async fn respond(mut s: TcpStream, root: PathBuf) {
    let mut buf = vec![0u8; 8192];
    let mut n = 0;
    // Read the request head (we ignore any body).
    loop {
        match s.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => return,
            Ok(k) => n += k,
        }
        if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") || n == buf.len() {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..n]);
    let mut parts = head.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let reply = |status: &str, ctype: &str, body: &[u8], head_only: bool| {
        let mut r = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        if !head_only {
            r.extend_from_slice(body);
        }
        r
    };
    let bytes = if method != "GET" && method != "HEAD" {
        reply(
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed\n",
            false,
        )
    } else if target == "/" {
        b"HTTP/1.1 302 Found\r\nLocation: /www/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec()
    } else {
        match resolve(&root, target).map(|p| (std::fs::read(&p), p)) {
            Some((Ok(body), p)) => reply("200 OK", content_type(&p), &body, method == "HEAD"),
            _ => reply("404 Not Found", "text/plain", b"not found\n", false),
        }
    };
    let _ = s.write_all(&bytes).await;
    let _ = s.shutdown().await;
}

/// Serve `root` on `bind:port` until the process ends.
pub async fn serve(listener: TcpListener, root: PathBuf) {
    loop {
        if let Ok((s, _)) = listener.accept().await {
            tokio::spawn(respond(s, root.clone()));
        }
    }
}

/// `sentinel-lab web [--port N] [--bind ADDR] [--root DIR]`.
pub fn run_web(args: &[String]) -> i32 {
    let mut port: u16 = 8080;
    let mut bind = "127.0.0.1".to_string();
    let mut root = PathBuf::from(".");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next();
        match (a.as_str(), v) {
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => {
                    eprintln!("invalid port '{v}'");
                    return 1;
                }
            },
            ("--bind", Some(v)) => bind = v.clone(),
            ("--root", Some(v)) => root = PathBuf::from(v),
            _ => {
                eprintln!("usage: sentinel-lab web [--port N] [--bind ADDR] [--root DIR]");
                return 1;
            }
        }
    }
    if !root.join("www/index.html").is_file() {
        eprintln!(
            "{}: no www/index.html here (run from the sentinel-lab checkout or pass --root)",
            root.display()
        );
        return 1;
    }
    if !root.join("pkg/sentinel_lab.js").is_file() {
        eprintln!("note: pkg/ is missing: build the wasm first with `make pkg`");
    }
    let Some(rt) = super::host::runtime() else {
        return 1;
    };
    rt.block_on(async {
        let listener = match TcpListener::bind((bind.as_str(), port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("can't listen on {bind}:{port}: {e}");
                return 1;
            }
        };
        println!("sentinel-lab web UI: http://{bind}:{port}/www/");
        serve(listener, root).await;
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_escaping_the_root() {
        let root = Path::new("/srv/x");
        assert_eq!(
            resolve(root, "/www/app.js?v=1"),
            Some(PathBuf::from("/srv/x/www/app.js"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/www/../../etc"), None);
    }
}
