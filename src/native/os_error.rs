//! OS errors worded as Redis logs them: strerror's text.

/// strerror's text of an OS error ("No space left on device"), without
/// Rust's " (os error 28)".
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
