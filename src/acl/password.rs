//! Passwords are kept as lower-case hex SHA-256, as 7.0 keeps them.

use super::SetError;
use sha2::{Digest, Sha256};

pub fn hash(clear: &[u8]) -> String {
    let d = Sha256::digest(clear);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// ACLCheckPasswordHash: 64 lower-case hex digits.
pub fn check_hash(h: &[u8]) -> Result<String, SetError> {
    if h.len() == 64
        && h.iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        Ok(String::from_utf8_lossy(h).into_owned())
    } else {
        Err(SetError::BadHash)
    }
}
