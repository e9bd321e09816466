//! A selector: which commands, keys and channels a set of rules allows. A
//! user has a root selector and any number of `(...)` ones; a command runs if
//! one selector allows all of it.

use super::index::CommandIndex;
use super::SetError;
use crate::commands::glob_match;

/// Key pattern permissions (`%R~`, `%W~`, `~` is both).
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;
pub const ALL: u8 = READ | WRITE;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub flags: u8,
}

impl KeyPattern {
    /// As rules write it: `~p`, `%R~p`, `%W~p`.
    pub fn describe(&self) -> String {
        let prefix = match self.flags {
            READ => "%R~",
            WRITE => "%W~",
            _ => "~",
        };
        format!("{prefix}{}", String::from_utf8_lossy(&self.pattern))
    }
}

#[derive(Clone, Debug)]
pub struct Selector {
    pub allkeys: bool,
    pub allchannels: bool,
    /// Set by `+@all` and cleared by any command removed: lets a check skip
    /// the bitmap.
    pub allcommands: bool,
    /// Redis's reserved "future commands" bit: only `+@all` / `-@all` touch
    /// it, and it decides whether a description starts from `+@all`.
    pub future: bool,
    pub allowed: Vec<bool>,
    /// Allowed first arguments of otherwise denied commands (`+select|0`).
    pub firstargs: Vec<(usize, Vec<String>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

/// Why a selector refuses a command line, with the argument at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denial {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denial {
    /// Redis's ACL_DENIED_* order: a key or channel refusal outranks a
    /// command one when picking which error to report.
    pub fn rank(&self) -> u8 {
        match self {
            Denial::Command => 1,
            Denial::Key(_) => 2,
            Denial::Channel(_) => 3,
        }
    }

    pub fn pos(&self) -> usize {
        match self {
            Denial::Command => 0,
            Denial::Key(p) | Denial::Channel(p) => *p,
        }
    }
}

/// What a command line touches, for the key and channel checks.
pub struct Access<'a> {
    pub id: usize,
    pub argv: &'a [bytes::Bytes],
    /// (argument index, READ / WRITE needed; 0 = either will do).
    pub keys: &'a [(usize, u8)],
    /// (argument index, is a pattern).
    pub channels: &'a [(usize, bool)],
    /// Whether the command is a subcommand (its first arg is argv[2]).
    pub is_sub: bool,
}

impl Selector {
    pub fn new(n: usize, allchannels: bool) -> Selector {
        Selector {
            allkeys: false,
            allchannels,
            allcommands: false,
            future: false,
            allowed: vec![false; n],
            firstargs: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn set_bit(&mut self, id: usize, v: bool) {
        self.allowed[id] = v;
        if !v {
            self.allcommands = false;
        }
    }

    /// ACLChangeSelectorPerm: a command and, for a container, its subcommands.
    fn change_perm(&mut self, index: &CommandIndex, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.retain(|(c, _)| *c != id);
        for &s in &index.entries[id].subs {
            self.set_bit(s, allow);
        }
    }

    fn set_category(&mut self, index: &CommandIndex, cat: u32, allow: bool) {
        for id in 0..index.len() {
            if index.entries[id].cats & cat != 0 {
                self.change_perm(index, id, allow);
            }
        }
    }

    fn set_all(&mut self, allow: bool) {
        self.allowed.iter_mut().for_each(|b| *b = allow);
        self.allcommands = allow;
        self.future = allow;
        self.firstargs.clear();
    }

    /// ACLSetSelector: apply one rule.
    pub fn apply(&mut self, index: &CommandIndex, op: &[u8]) -> Result<(), SetError> {
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || op == b"&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            if self.allkeys {
                return Err(SetError::KeysAfterAll);
            }
            let mut flags = 0;
            let mut offset = 1;
            if op[0] == b'%' {
                loop {
                    match op.get(offset).map(u8::to_ascii_uppercase) {
                        Some(b'R') if flags & READ == 0 => flags |= READ,
                        Some(b'W') if flags & WRITE == 0 => flags |= WRITE,
                        Some(b'~') => {
                            offset += 1;
                            break;
                        }
                        // Redis stops at the end of the op with what it has.
                        None => break,
                        _ => return Err(SetError::Syntax),
                    }
                    offset += 1;
                }
            } else {
                flags = ALL;
            }
            // `%~a` (no permission named) is refused, as 7.0.15's binary does.
            if flags == 0 {
                return Err(SetError::Syntax);
            }
            let pat = op.get(offset..).unwrap_or_default();
            if has_spaces(pat) {
                return Err(SetError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pat) {
                Some(p) => p.flags |= flags,
                None => self.patterns.push(KeyPattern {
                    pattern: pat.to_vec(),
                    flags,
                }),
            }
            self.allkeys = false;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(SetError::ChannelsAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(SetError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let name = String::from_utf8_lossy(&op[2..]);
            let cat = super::categories::bit(&name).ok_or(SetError::UnknownCommand)?;
            self.set_category(index, cat, op[0] == b'+');
        } else if op[0] == b'+' {
            let name = String::from_utf8_lossy(&op[1..]).into_owned();
            match name.rsplit_once('|') {
                None => {
                    let id = index.lookup(&name).ok_or(SetError::UnknownCommand)?;
                    self.change_perm(index, id, true);
                }
                Some((cmd, sub)) => {
                    let id = index.lookup(cmd).ok_or(SetError::UnknownCommand)?;
                    if index.entries[id].parent.is_some() {
                        return Err(SetError::FirstArgOfSub);
                    }
                    if sub.is_empty() {
                        return Err(SetError::Syntax);
                    }
                    if !index.entries[id].subs.is_empty() {
                        let sid = index.lookup(&name).ok_or(SetError::UnknownCommand)?;
                        self.change_perm(index, sid, true);
                    } else {
                        // Allowing one first argument of a denied command (SELECT 0).
                        match self.firstargs.iter_mut().find(|(c, _)| *c == id) {
                            Some((_, args)) => {
                                if !args.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                                    args.push(sub.to_string());
                                }
                            }
                            None => self.firstargs.push((id, vec![sub.to_string()])),
                        }
                    }
                }
            }
        } else if op[0] == b'-' {
            let name = String::from_utf8_lossy(&op[1..]);
            let id = index.lookup(&name).ok_or(SetError::UnknownCommand)?;
            self.change_perm(index, id, false);
        } else {
            return Err(SetError::Syntax);
        }
        Ok(())
    }

    fn count(&self, index: &CommandIndex, cat: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (id, e) in index.entries.iter().enumerate() {
            if e.cats & cat != 0 {
                if self.allowed[id] {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// ACLDescribeSelectorCommandRules: `+@all` or `-@all`, the categories
    /// that best fit the bitmap, then single commands to make it exact.
    pub fn describe_commands(&self, index: &CommandIndex) -> String {
        let n = index.len();
        let mut rules: Vec<String> = Vec::new();
        let additive = !self.future;
        let mut fake = Selector::new(n, false);
        fake.set_all(!additive);
        rules.push(if additive { "-@all" } else { "+@all" }.into());
        let mut temp = Selector::new(n, false);
        temp.allowed = self.allowed.clone();
        let names = super::categories::NAMES;
        let mut applied = vec![false; names.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, _) in names.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count(index, 1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(index, 1 << j, additive);
            temp.set_category(index, 1 << j, !additive);
            rules.push(format!("{}@{}", if additive { '+' } else { '-' }, names[j]));
            applied[j] = true;
        }
        for id in 0..n {
            let user = self.allowed[id];
            if user != fake.allowed[id] {
                rules.push(format!(
                    "{}{}",
                    if user { '+' } else { '-' },
                    index.entries[id].fullname
                ));
                fake.change_perm(index, id, user);
            }
            if !user {
                if let Some((_, args)) = self.firstargs.iter().find(|(c, _)| *c == id) {
                    for a in args {
                        rules.push(format!("+{}|{}", index.entries[id].fullname, a));
                    }
                }
            }
        }
        rules.join(" ")
    }

    /// `keys` of GETUSER: `~*` or the patterns.
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let v: Vec<String> = self.patterns.iter().map(KeyPattern::describe).collect();
        v.join(" ")
    }

    /// `channels` of GETUSER: `&*` or the patterns.
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let v: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        v.join(" ")
    }

    /// ACLDescribeSelector: the rules of ACL LIST.
    pub fn describe(&self, index: &CommandIndex) -> String {
        let mut s = String::new();
        if self.allkeys {
            s.push_str("~* ");
        } else {
            for p in &self.patterns {
                s.push_str(&p.describe());
                s.push(' ');
            }
        }
        if self.allchannels {
            s.push_str("&* ");
        } else {
            s.push_str("resetchannels ");
            for c in &self.channels {
                s.push('&');
                s.push_str(&String::from_utf8_lossy(c));
                s.push(' ');
            }
        }
        s.push_str(&self.describe_commands(index));
        s
    }

    /// ACLSelectorCheckKey.
    pub fn key_allowed(&self, key: &[u8], need: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.flags & need == need && glob_match(&p.pattern, key, false))
    }

    /// Whether a pattern gives `need` on every key (`~*`, `%R~*`).
    pub fn unrestricted_keys(&self, need: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.flags & need == need && p.pattern == b"*")
    }

    /// ACLCheckChannelAgainstList: a channel matches the patterns; a pattern
    /// (PSUBSCRIBE) must be one of them literally.
    pub fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.allchannels || channel_in(&self.channels, channel, is_pattern)
    }

    /// ACLSelectorCheckCmd.
    pub fn check(&self, index: &CommandIndex, a: &Access) -> Result<(), Denial> {
        if !self.allcommands && !index.entries[a.id].no_auth && !self.allowed[a.id] {
            let first = a.argv.get(if a.is_sub { 2 } else { 1 });
            let ok = match (first, self.firstargs.iter().find(|(c, _)| *c == a.id)) {
                (Some(arg), Some((_, args))) => {
                    args.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(arg))
                }
                _ => false,
            };
            if !ok {
                return Err(Denial::Command);
            }
        }
        if !self.allkeys {
            for &(pos, need) in a.keys {
                if !self.key_allowed(&a.argv[pos], need) {
                    return Err(Denial::Key(pos));
                }
            }
        }
        if !self.allchannels {
            for &(pos, pat) in a.channels {
                if !self.channel_allowed(&a.argv[pos], pat) {
                    return Err(Denial::Channel(pos));
                }
            }
        }
        Ok(())
    }
}

pub fn channel_in(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p == channel
        } else {
            glob_match(p, channel, false)
        }
    })
}

/// ACLStringHasSpaces: whitespace or NUL.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == 0 || c == b' ' || (b'\t'..=b'\r').contains(&c))
}
