//! `sentinel-lab check-aof [--fix] <file.manifest|file.aof>`: what
//! redis-check-aof 7.0 does (checkMultiPartAof / checkOldStyleAof), with its
//! messages and exit codes. The reading rules are the core's
//! (`server::aof::check`); this side reads, asks and truncates.

use super::os_error::strerror;

use crate::server::aof::check::Checker;
use crate::server::aof::manifest::Manifest;
use std::io::Write;
use std::path::Path;

enum Status {
    Ok,
    Empty,
    Truncated,
}

/// Ends the tool with this exit code (redis-check-aof's `exit`).
struct Exit(i32);

fn usage(prog: &str) -> i32 {
    println!("Usage: {prog} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>");
    1
}

pub fn run_check_aof(prog: &str, args: &[String]) -> i32 {
    let (path, fix) = match args {
        [f] => (f.as_str(), false),
        [flag, f] if flag == "--fix" => (f.as_str(), true),
        _ => return usage(prog),
    };
    let code = match input_type(path) {
        Ok(Kind::Manifest) => check_multi_part(path, fix),
        Ok(Kind::Rdb) => check_old_style(path, fix, true),
        Ok(Kind::Resp) => check_old_style(path, fix, false),
        Err(e) => Err(e),
    };
    let _ = std::io::stdout().flush();
    match code {
        Ok(()) => 0,
        Err(Exit(c)) => c,
    }
}

enum Kind {
    Manifest,
    Rdb,
    Resp,
}

fn input_type(path: &str) -> Result<Kind, Exit> {
    let bytes = std::fs::read(path).map_err(|e| {
        println!("Cannot open file {path}: {}", strerror(&e));
        Exit(1)
    })?;
    let manifest = bytes
        .split(|&b| b == b'\n')
        .any(|l| l.first() != Some(&b'#') && l.starts_with(b"file"));
    Ok(if manifest {
        Kind::Manifest
    } else if bytes.len() >= 8 && bytes.starts_with(b"REDIS") {
        Kind::Rdb
    } else {
        Kind::Resp
    })
}

fn check_multi_part(path: &str, fix: bool) -> Result<(), Exit> {
    println!("Start checking Multi Part AOF");
    let dir = Path::new(path).parent().unwrap_or(Path::new("."));
    let text = std::fs::read(path).map_err(|_| Exit(1))?;
    let m = match Manifest::parse(&text) {
        Ok(m) => m,
        Err(e) => {
            for l in e.log_lines() {
                println!("{l}");
            }
            return Err(Exit(1));
        }
    };
    let total = m.base.iter().count() + m.incr.len();
    let mut checker = Checker::default();
    let mut n = 0;
    if let Some(base) = &m.base {
        n += 1;
        let file = dir.join(&base.name);
        let rdb = std::fs::read(&file).is_ok_and(|b| b.len() >= 8 && b.starts_with(b"REDIS"));
        println!(
            "Start to check BASE AOF ({} format).",
            if rdb { "RDB" } else { "RESP" }
        );
        let st = check_single(&mut checker, &base.name, &file, n == total, fix, rdb)?;
        report(&st, &format!("BASE AOF {}", base.name), &base.name);
    }
    if !m.incr.is_empty() {
        println!("Start to check INCR files.");
        for f in &m.incr {
            n += 1;
            let file = dir.join(&f.name);
            let st = check_single(&mut checker, &f.name, &file, n == total, fix, false)?;
            report(&st, &format!("INCR AOF {}", f.name), &f.name);
        }
    }
    println!("All AOF files and manifest are valid");
    Ok(())
}

fn report(st: &Status, what: &str, name: &str) {
    match st {
        Status::Ok => println!("{what} is valid"),
        Status::Empty => println!("{what} is empty"),
        Status::Truncated => println!("Successfully truncated AOF {name}"),
    }
}

fn check_old_style(path: &str, fix: bool, preamble: bool) -> Result<(), Exit> {
    println!("Start checking Old-Style AOF");
    let mut checker = Checker::default();
    let st = check_single(&mut checker, path, Path::new(path), true, fix, preamble)?;
    report(&st, &format!("AOF {path}"), path);
    Ok(())
}

fn check_single(
    checker: &mut Checker,
    name: &str,
    path: &Path,
    last: bool,
    fix: bool,
    preamble: bool,
) -> Result<Status, Exit> {
    let bytes = std::fs::read(path).map_err(|e| {
        println!(
            "Cannot open file {}: {}, aborting...",
            path.display(),
            strerror(&e)
        );
        Exit(1)
    })?;
    if bytes.is_empty() {
        return Ok(Status::Empty);
    }
    let mut start = 0;
    if preamble {
        println!("[offset 0] Checking RDB file {name}");
        match crate::rdb::decode(&bytes) {
            Ok(l) => {
                let now = super::host::now_ms();
                let keys: usize = l.dbs.iter().map(|d| d.len()).sum();
                let expires: usize = l.dbs.iter().map(|d| d.expires().len()).sum();
                let expired: usize = l
                    .dbs
                    .iter()
                    .map(|d| d.expires().iter().filter(|(_, &at)| at < now).count())
                    .sum();
                println!("[offset {}] \\o/ RDB looks OK! \\o/", l.consumed);
                println!("[info] {keys} keys read");
                println!("[info] {expires} expires");
                println!("[info] {expired} already expired");
                println!("RDB preamble is OK, proceeding with AOF tail...");
                start = l.consumed;
            }
            Err(e) => {
                println!("--- RDB ERROR DETECTED ---");
                println!("{e}");
                println!("RDB preamble of AOF file is not sane, aborting.");
                return Err(Exit(1));
            }
        }
    }
    let (checked, printed) = checker.check(&bytes, start, name);
    for l in printed {
        println!("{l}");
    }
    if let Some(e) = &checked.error {
        println!("{e}");
    }
    let size = bytes.len();
    let pos = checked.ok_up_to;
    let diff = size - pos;
    println!(
        "AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={}, diff={diff}",
        checker.line
    );
    if diff == 0 {
        return Ok(Status::Ok);
    }
    if !fix {
        println!("AOF {name} is not valid. Use the --fix option to try fixing it.");
        return Err(Exit(1));
    }
    if !last {
        println!("Failed to truncate AOF {name} because it is not the last file");
        return Err(Exit(1));
    }
    println!(
        "This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes"
    );
    print!("Continue? [y/N]: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if !answer.to_ascii_lowercase().starts_with('y') {
        println!("Aborting...");
        return Err(Exit(1));
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(pos as u64));
    if f.is_err() {
        println!("Failed to truncate AOF {name}");
        return Err(Exit(1));
    }
    Ok(Status::Truncated)
}
