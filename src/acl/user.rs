//! A user: on / off, passwords (SHA-256 hex), and selectors (the root one
//! first). Rules apply as ACLSetUser applies them.

use super::index::CommandIndex;
use super::selector::Selector;
use super::SetError;

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub enabled: bool,
    pub nopass: bool,
    /// `skip-sanitize-payload` (None: neither flag set yet).
    pub skip_sanitize: Option<bool>,
    /// SHA-256 hex digests, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
}

impl User {
    /// ACLCreateUser: off, no password, no permissions; channels per
    /// `acl-pubsub-default`.
    pub fn new(name: &str, index: &CommandIndex, allchannels: bool) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            skip_sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(index.len(), allchannels)],
        }
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// ACLSetUser: one rule.
    pub fn apply(
        &mut self,
        index: &CommandIndex,
        op: &[u8],
        allchannels_default: bool,
    ) -> Result<(), SetError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.skip_sanitize = Some(true);
        } else if is("sanitize-payload") {
            self.skip_sanitize = Some(false);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                super::password::hash(&op[1..])
            } else {
                super::password::check_hash(&op[1..])?
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                super::password::hash(&op[1..])
            } else {
                super::password::check_hash(&op[1..])?
            };
            let at = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(SetError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let inner = String::from_utf8_lossy(&op[1..op.len() - 1]).into_owned();
            let mut s = Selector::new(index.len(), allchannels_default);
            for rule in inner.split_ascii_whitespace() {
                s.apply(index, rule.as_bytes())?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.apply(index, b"resetkeys")?;
            root.apply(index, b"resetchannels")?;
            if allchannels_default {
                root.apply(index, b"allchannels")?;
            }
            self.enabled = false;
            self.skip_sanitize = Some(false);
            self.selectors.truncate(1);
            self.selectors[0].apply(index, b"-@all")?;
        } else {
            self.selectors[0].apply(index, op)?;
        }
        Ok(())
    }

    /// The flags GETUSER lists, in 7.0's order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.skip_sanitize {
            Some(true) => v.push("skip-sanitize-payload"),
            Some(false) => v.push("sanitize-payload"),
            None => {}
        }
        v
    }

    /// ACLDescribeUser: the rules after `user <name>` in ACL LIST and files.
    pub fn describe(&self, index: &CommandIndex) -> String {
        let mut s = String::new();
        for f in self.flags() {
            s.push_str(f);
            s.push(' ');
        }
        for p in &self.passwords {
            s.push('#');
            s.push_str(p);
            s.push(' ');
        }
        s.push_str(&self.selectors[0].describe(index));
        for sel in &self.selectors[1..] {
            s.push_str(&format!(" ({})", sel.describe(index)));
        }
        s
    }

    /// ACLCheckUserCredentials for this user.
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let h = super::password::hash(pass);
        self.passwords.contains(&h)
    }
}
